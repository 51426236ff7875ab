"""Keep one Procfile process running (`python -m workers.supervise NAME -- COMMAND...`).

honcho (like foreman) stops every process as soon as one exits, so a single crash would end the
whole stack. Each Procfile line runs its command under this supervisor instead: when the command
exits without being asked to, one log line says so and it is started again after a backoff
(1 s doubling to 30 s, back to 1 s once it has run for a minute). SIGTERM or SIGINT is passed on
to the command once, and the supervisor exits with the command's status; if the supervisor itself
is killed, the command gets SIGTERM from the kernel, so nothing is left behind.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import subprocess
import sys
import time

FIRST_DELAY = 1.0
MAX_DELAY = 30.0
STABLE_AFTER = 60.0
_PR_SET_PDEATHSIG = 1


def say(name: str, message: str, **fields) -> None:
    """One line on stderr, JSON like the rest of the logs unless LOG_JSON=false."""
    if os.environ.get("LOG_JSON", "true").lower() in ("0", "false", "no", "off"):
        extra = " ".join(f"{k}={v}" for k, v in fields.items())
        line = f"WARNING campotech.supervise {name}: {message}" + (f" ({extra})" if extra else "")
    else:
        line = json.dumps({"ts": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "level": "WARNING",
                           "logger": "campotech.supervise", "msg": f"{name}: {message}",
                           "process": name, **fields})
    print(line, file=sys.stderr, flush=True)


def die_with_parent() -> None:
    """In a child process: SIGTERM when its parent dies, whatever kills the parent."""
    parent = os.getppid()
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: the process group still reaches it
        return
    if os.getppid() != parent:  # the supervisor died before prctl took effect
        os._exit(1)


class Supervisor:
    def __init__(self, name: str, argv: list[str], *, first_delay: float = FIRST_DELAY,
                 max_delay: float = MAX_DELAY, stable_after: float = STABLE_AFTER) -> None:
        self.name, self.argv = name, argv
        self.first_delay, self.max_delay, self.stable_after = first_delay, max_delay, stable_after
        self.child: subprocess.Popen | None = None
        self.stopping: int | None = None  # the signal that asked us to stop

    def _on_signal(self, signum, _frame) -> None:
        if self.stopping is None and self.child is not None and self.child.poll() is None:
            # Its own process group: a group-wide SIGTERM (honcho's) reaches it only through here,
            # once (a second SIGTERM means "stop now" to rq's worker).
            self.child.send_signal(signum)
        self.stopping = signum

    def run(self) -> int:
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, self._on_signal)
        delay = self.first_delay
        while True:
            started = time.monotonic()
            self.child = subprocess.Popen(self.argv, start_new_session=True,
                                          preexec_fn=die_with_parent)  # noqa: PLW1509 - one thread
            if self.stopping is not None:  # the signal came while it was being started
                self.child.send_signal(self.stopping)
            code = self._wait()
            if self.stopping is not None:
                return _exit_status(code, self.stopping)
            ran = time.monotonic() - started
            if ran >= self.stable_after:
                delay = self.first_delay
            say(self.name, f"exited with status {code} after {ran:.1f} s; restarting in {delay:.0f} s",
                status=code, ran_seconds=round(ran, 1), restart_in_seconds=delay)
            deadline = time.monotonic() + delay
            while self.stopping is None and time.monotonic() < deadline:
                time.sleep(0.1)
            if self.stopping is not None:
                return _exit_status(code, self.stopping)
            delay = min(delay * 2, self.max_delay)

    def _wait(self) -> int:
        while True:
            try:
                return self.child.wait()
            except InterruptedError:  # pragma: no cover - PEP 475 retries for us
                continue


def _exit_status(code: int, signum: int) -> int:
    """0 when the command stopped because we passed the signal on; a shell-style status else."""
    if code in (0, -signum):
        return 0
    return 128 - code if code < 0 else code


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) < 3 or args[1] != "--":
        print("usage: python -m workers.supervise NAME -- COMMAND [ARGS...]", file=sys.stderr)
        return 2
    return Supervisor(args[0], args[2:]).run()


if __name__ == "__main__":
    sys.exit(main())
