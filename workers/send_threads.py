"""Send jobs on threads inside the worker process, so one process keeps many sends in flight.

A send is ~100 ms (or more) of waiting on the Graph API for a few milliseconds of our CPU: run
one at a time, a worker sends ~8 messages a second per number where Meta takes 80. The general
worker hands each send job it dequeues to one of `WHATSAPP_SEND_THREADS` threads and goes for
the next job; every other job still runs on the main thread, in order, as before.

A threaded send is still an RQ job run by rq's own `perform_job`: started and finished
registries, the result, a failure retried with the job's `Retry` through the scheduler. Only the
job timeout changes hands: SIGALRM reaches the main thread alone, so a send thread uses rq's
timer death penalty (an exception raised in that thread when the timer fires; a blocked socket
is bounded by the adapter's own HTTP timeout, well under the job's). What the job itself does —
the per-number token bucket, the claim that keeps two senders off one message, the outcome in
the database — is `services.send_reply`'s, the same on any thread.

The replies of a burst this worker answered skip the job altogether: `try_submit` hands them to
a free thread (`workers.tasks.send_here`), and with none free they become a send job as before.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from rq.timeouts import JobTimeoutException, TimerDeathPenalty

log = logging.getLogger("campotech.worker")

# Jobs that wait on the network for nearly all their time, safe to run side by side.
THREADED_TASKS = frozenset({"workers.tasks.send_message", "workers.tasks.send_messages"})


class ThreadJobTimeout(JobTimeoutException):
    """A threaded job ran past its timeout (its own class: rq's timer penalty rewrites the
    message of the class it raises, which must not touch the main thread's timeouts)."""


class ThreadDeathPenalty(TimerDeathPenalty):
    """rq's timer death penalty, always raising ThreadJobTimeout."""

    def __init__(self, timeout, exception=JobTimeoutException, **kwargs):
        super().__init__(timeout, ThreadJobTimeout, **kwargs)


class SendThreads:
    """At most `size` jobs at once; `submit` waits for a free thread, `drain` for all of them."""

    def __init__(self, size: int):
        self.size = size
        self._free = threading.Semaphore(size)
        self._pool = ThreadPoolExecutor(size, thread_name_prefix="send")
        self._idle = threading.Condition()
        self._running = 0

    @property
    def running(self) -> int:
        return self._running

    def submit(self, fn: Callable[..., object], *args: object) -> None:
        self._free.acquire()
        self._start(fn, args)

    def try_submit(self, fn: Callable[..., object], *args: object) -> bool:
        """Run `fn(*args)` on a free thread and say True; False at once when none is free."""
        if not self._free.acquire(blocking=False):
            return False
        self._start(fn, args)
        return True

    def _start(self, fn: Callable[..., object], args: tuple) -> None:
        """On a thread whose place was taken (`_free` acquired)."""
        with self._idle:
            self._running += 1
        try:
            self._pool.submit(self._run, fn, args)
        except BaseException:
            self._done()
            raise

    def _run(self, fn: Callable[..., object], args: tuple) -> None:
        try:
            fn(*args)
        except Exception:  # rq's perform_job records a job's failure itself; this is rq failing
            log.exception("threaded job runner failed")
        finally:
            self._done()

    def _done(self) -> None:
        with self._idle:
            self._running -= 1
            self._idle.notify_all()
        self._free.release()

    def drain(self, timeout: float | None = None) -> bool:
        """Wait until no job runs (True), or `timeout` seconds (False)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._running == 0, timeout)

    def close(self) -> None:
        self.drain()
        self._pool.shutdown(wait=True)
