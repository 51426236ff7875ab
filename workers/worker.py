"""The RQ workers: `python -m workers.worker` (the general one: high, default, low) and
`python -m workers.worker --transcription` (the voice queue: media downloads and voice-note
transcription). Jobs run in the process, tasks imported once.

Only the transcription worker loads the Whisper model (~240 MB, warmed at start so the first
voice note does not wait for it); the general worker loads the intent model and never
transcribes: a transcription job found on its queues (enqueued there before transcription had a
queue of its own) is handed over to the voice queue instead of run.

`rq worker` forks a work horse per job, which then imports our modules, opens database and
Redis connections and throws them away: tens of milliseconds per job, twice per burst (answer,
then send). Our jobs are short and bounded by their job timeouts (enforced here too, by
SIGALRM), so a SimpleWorker runs them in place and keeps its connection pools warm. Send jobs
are the exception: they wait on the Graph API for nearly all their time, so the general worker
runs them on `WHATSAPP_SEND_THREADS` threads (`workers.send_threads`) and keeps that many in
flight, within the per-number rate limit; a burst it answers sends its replies on a free one of
those threads directly, without a send job (`services.dispatch.set_local_sender`). Run more
worker processes for more parallelism.

Outages: rq's worker retries a lost connection while it waits for a job, but quits its loop when
Redis goes away at any other moment (starting, finishing a job). `run` starts the loop again
once Redis answers, so the process never exits for an outage; a job that failed on the way is
retried or found by the sweeper. rq logs every retry of a lost connection; here one line says
the outage began and one says it ended.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import threading
import time
from collections.abc import Sequence

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, SimpleWorker
from rq.scheduler import RQScheduler
from rq.timeouts import BaseDeathPenalty

import workers.tasks  # preloaded on purpose (see the docstring); its send_here runs on send threads
from core.logging import configure_logging
from core.settings import get_settings
from services.dispatch import set_local_sender
from services.intent_model import load_intent_model
from services.media import warm_transcription
from services.queues import TRANSCRIPTION_QUEUES, VOICE, WORKER_QUEUES, get_queue, redis_connection
from workers.outage import Outage, StopFlag, is_database_outage
from workers.send_threads import THREADED_TASKS, SendThreads, ThreadDeathPenalty
from workers.supervise import die_with_parent

log = logging.getLogger("campotech.worker")

# rq's default restarts a dead RQ scheduler (which moves retries that are due) every 10 minutes.
MAINTENANCE_INTERVAL = 60
_RQ_CONNECTION_LINES = ("could not connect to Redis", "Redis connection timeout")
# One dequeue in this many starts from a lower queue (see Worker.reorder_queues).
FAIR_TURN = 4
HEARTBEAT_EVERY = 5.0  # seconds between the worker's own heartbeats while Redis answers
SUSPENSION_EVERY = 1.0  # seconds between looks for `rq suspend`
# Tasks that run on the transcription worker only, by the queue they belong on.
TRANSCRIPTION_TASKS = {"workers.tasks.fetch_media": VOICE}


class _OneLinePerOutage(logging.Filter):
    """Turns rq's lines about a lost Redis (each retry, the loop quitting with a traceback, its
    scheduler process dying) into the outage's one line."""

    def __init__(self, outage: Outage) -> None:
        super().__init__()
        self.outage, self.pid = outage, os.getpid()

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        args = record.args if isinstance(record.args, tuple) else ()
        if not isinstance(exc, RedisError) \
                and not any(line in str(record.msg) for line in _RQ_CONNECTION_LINES) \
                and not any("redis.exceptions." in str(arg) for arg in args):
            return True
        if os.getpid() == self.pid:  # not in rq's forked scheduler: the worker speaks for it
            self.outage.failed(exc if isinstance(exc, RedisError) else "connection lost")
        return False


class _Scheduler(RQScheduler):
    """rq's scheduler process (moves due retries to their queues), which would die with the
    connection: here it waits the outage out, quietly (the worker already said it once)."""

    def work(self):
        # A worker killed with SIGKILL would leave this process behind, holding the locks.
        die_with_parent()
        outage = Outage("redis (rq scheduler)", log, level=logging.DEBUG)
        while not self._stop_requested:
            try:
                if outage.ok():
                    self.acquire_locks()
                    if not self.acquired_locks:  # another worker's scheduler took over
                        return
                super().work()
                return
            except RedisError as exc:
                time.sleep(outage.failed(exc))


class Worker(SimpleWorker):
    """A SimpleWorker that knows whether it was asked to stop, when Redis is back, and that
    jobs failing because PostgreSQL is down are one outage, not a traceback each."""

    outage: Outage
    database: Outage
    stopping = False
    dequeued = 0
    sends: SendThreads | None = None  # None: send jobs run in place like any other

    @property
    def death_penalty_class(self) -> type[BaseDeathPenalty]:  # type: ignore[override]
        """SIGALRM on the main thread, as rq does; a timer on a send thread (no signals there)."""
        if threading.current_thread() is threading.main_thread():
            return SimpleWorker.death_penalty_class
        return ThreadDeathPenalty

    def execute_job(self, job, queue):
        if self.sends is None or job.func_name not in THREADED_TASKS:
            return super().execute_job(job, queue)
        execution = self.prepare_execution(job)
        # Waits here while every send thread is busy: dequeuing more would only queue them here.
        self.sends.submit(self.perform_job, job, queue, execution)
        return None

    def send_here(self) -> None:
        """The bursts this worker answers send their replies on its send threads, without a
        send job, whenever one is free (`services.dispatch.set_local_sender`)."""
        sends = self.sends
        if sends is None:
            set_local_sender(None)
            return
        set_local_sender(lambda org_id, ids, mark_read, ready: sends.try_submit(
            workers.tasks.send_here, org_id, ids, mark_read, ready))

    def teardown(self):
        # Sends in flight finish (each bounded by its job timeout) before the worker deregisters.
        if self.sends is not None:
            self.sends.close()
        super().teardown()

    def reorder_queues(self, reference_queue):
        """Mostly strict priority (a customer's reply before housekeeping), but one dequeue in
        FAIR_TURN starts from a lower queue, taking turns among them: in a rush that keeps the
        higher queues full, a busy organization's bursts and the housekeeping below them still
        move (with strict priority they waited for the whole rush)."""
        self.dequeued += 1
        queues = list(self.queues)
        lower = queues[1:]
        if lower and self.dequeued % FAIR_TURN == 0:
            first = lower[(self.dequeued // FAIR_TURN) % len(lower)]
            queues = [first] + [q for q in queues if q is not first]
        self._ordered_queues = queues

    def dequeue_job_and_maintain_ttl(self, timeout, max_idle_time=None):
        while True:
            result = super().dequeue_job_and_maintain_ttl(timeout, max_idle_time)
            if result is None:
                return None
            job, queue = result
            home = TRANSCRIPTION_TASKS.get(job.func_name)
            if home is None or home in self.queue_names():
                return result
            # Not ours to run (it would load the Whisper model here): to the transcription worker.
            with self.connection.pipeline() as pipe:
                Queue(home, connection=self.connection, serializer=self.serializer).enqueue_job(
                    job, pipeline=pipe)
                pipe.lrem(queue.intermediate_queue_key, 1, job.id)  # where dequeuing put it
                pipe.execute()
            log.info("job %s handed over from %s to %s", job.id, queue.name, home)

    def handle_exception(self, job, *exc_info):
        if is_database_outage(exc_info[1]):
            self.database.failed(exc_info[1])  # the job is retried or swept like any failure
            return
        super().handle_exception(job, *exc_info)

    def handle_job_success(self, job, queue, started_job_registry, execution):
        self.database.ok()
        return super().handle_job_success(job, queue, started_job_registry, execution)

    def request_stop(self, signum, frame):
        self.stopping = True
        super().request_stop(signum, frame)

    def _start_scheduler(self, burst=False, logging_level="INFO", date_format=None,
                         log_format=None):
        # rq's own, with the scheduler class above (rq has no setting for it).
        self.scheduler = _Scheduler(self.queues, connection=self.connection,
                                    logging_level=logging_level or self.log.level,
                                    serializer=self.serializer)
        self.scheduler.acquire_locks()
        if self.scheduler.acquired_locks and not burst:
            self.scheduler.start()

    _beat_at = float("-inf")
    _suspension_checked_at = float("-inf")

    def check_for_suspension(self, burst):
        """`rq suspend` is looked for at most once a second (rq looks before every job, one
        round trip each); a suspension still stops the worker within about a second."""
        looked = time.monotonic()
        if looked - self._suspension_checked_at < SUSPENSION_EVERY:
            return
        self._suspension_checked_at = looked
        super().check_for_suspension(burst)

    def heartbeat(self, timeout=None, pipeline=None):
        """rq beats before every dequeue, in three round trips: here in one, and at most every
        HEARTBEAT_EVERY seconds while Redis answers (the worker's key lives for `worker_ttl`
        plus a minute; a busy worker dequeues dozens of jobs a second). Beats rq puts in its
        own pipelines (a job starting) are left alone."""
        if pipeline is not None:
            super().heartbeat(timeout, pipeline)
            return
        beat = time.monotonic()
        if timeout is None and not self.outage.down and beat - self._beat_at < HEARTBEAT_EVERY:
            return
        with self.connection.pipeline(transaction=False) as pipe:
            super().heartbeat(timeout, pipe)
            pipe.execute()
        self._beat_at = beat
        if self.outage.ok():
            # The RQ scheduler (a child process) died with the connection: start it again now
            # rather than at the next maintenance.
            self.run_maintenance_tasks()


def run(connection: Redis, stop: StopFlag, *, logging_level: str = "INFO",
        maintenance_interval: int = MAINTENANCE_INTERVAL,
        queue_names: Sequence[str] = WORKER_QUEUES, send_threads: int = 0) -> None:
    """Work `queue_names` until asked to stop; a Redis outage, however long, is waited out.
    `send_threads`: how many send jobs run at once on threads (0: in place, one at a time)."""
    outage, database = Outage("redis", log), Outage("database", log)
    rq_logs = [logging.getLogger(name) for name in ("rq.worker", "rq.scheduler")]
    one_line = _OneLinePerOutage(outage)
    for rq_log in rq_logs:
        rq_log.addFilter(one_line)
    try:
        while not stop.requested:
            try:
                connection.ping()
            except RedisError as exc:
                stop.sleep(outage.failed(exc))
                continue
            outage.ok()
            worker = Worker([get_queue(name, connection) for name in queue_names],
                            connection=connection, maintenance_interval=maintenance_interval)
            worker.outage, worker.database = outage, database
            worker.sends = SendThreads(send_threads) if send_threads > 0 else None
            worker.send_here()
            try:
                worker.work(with_scheduler=True, logging_level=logging_level)
            except RedisError as exc:  # from the loop's clean-up, with Redis gone
                outage.failed(exc)
            finally:
                set_local_sender(None)
            if worker.stopping:
                return
            # rq left its loop without being asked to: Redis went away mid-step. Again.
            stop.install()
            if not outage.down:
                log.warning("worker loop ended without a stop request; starting it again")
            stop.sleep(0.5)
    finally:
        for rq_log in rq_logs:
            rq_log.removeFilter(one_line)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m workers.worker", description=__doc__.split("\n")[0])
    parser.add_argument("--transcription", action="store_true",
                        help="work the voice queue (media and transcription) instead of the others")
    args = parser.parse_args(argv)
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    stop = StopFlag().install()
    if args.transcription:
        # Loaded and run once before the first job: a cold model costs the first voice note
        # seconds (the model, the voice-activity detector, the first decode's allocations).
        log.info("transcription model warm", extra={"seconds": round(warm_transcription(settings), 2)})
        queue_names: Sequence[str] = TRANSCRIPTION_QUEUES
    else:
        # The intent model is loaded before the first job, and trained here when this corpus has
        # no saved model yet (a deploy that skipped `python -m nlu train`): inside a burst job the
        # training would hold the job's transaction open for a minute and outlive its timeout.
        load_intent_model()
        queue_names = WORKER_QUEUES
    # What start-up built (modules, the models) lives as long as the process: out of the garbage
    # collector's sight, a full collection no longer walks ~200,000 objects every few hundred jobs.
    gc.freeze()
    run(redis_connection(settings), stop, logging_level=logging.getLevelName(settings.log_level),
        queue_names=queue_names,
        send_threads=0 if args.transcription else settings.whatsapp_send_threads)


if __name__ == "__main__":
    main()
