"""Riding out an outage of Redis or PostgreSQL: back off, say so once, say when it is over.

Every long-running process (worker, scheduler, clock) keeps one `Outage` per dependency. The
first failure logs one WARNING and starts a doubling backoff; later failures of the same outage
only wait; the first success afterwards logs how long it lasted. An outage of any length never
ends the process.
"""

from __future__ import annotations

import logging
import signal
import threading
import time

from redis.exceptions import RedisError
from sqlalchemy.exc import DBAPIError

log = logging.getLogger("campotech.outage")


class Outage:
    """One dependency's outages as one process sees them."""

    def __init__(self, what: str, logger: logging.Logger = log, *, first: float = 0.5,
                 cap: float = 10.0, level: int = logging.WARNING) -> None:
        self.what, self.log, self.first, self.cap, self.level = what, logger, first, cap, level
        self.since: float | None = None
        self._delay = first
        self._lock = threading.Lock()  # the RQ worker's pubsub thread reports here too

    @property
    def down(self) -> bool:
        return self.since is not None

    def failed(self, exc: BaseException | str) -> float:
        """Note a failure; return how long to wait before the next try (doubling, capped).
        Logs only the first failure of an outage."""
        with self._lock:
            if self.since is None:
                self.since = time.monotonic()
                self._delay = self.first
                self.log.log(self.level, "%s unavailable (%s); retrying with backoff until it "
                             "is back", self.what, _describe(exc))
            else:
                self._delay = min(self._delay * 2, self.cap)
            return self._delay

    def ok(self) -> bool:
        """Note a success; True (and one log line) if it ends an outage."""
        if self.since is None:
            return False
        with self._lock:
            if self.since is None:
                return False
            lasted, self.since = time.monotonic() - self.since, None
            self._delay = self.first
        self.log.log(self.level, "%s is back after %.1f s", self.what, lasted)
        return True


def _describe(exc: BaseException | str) -> str:
    if isinstance(exc, str):
        return exc
    # The first line only: SQLAlchemy appends the statement and its parameters.
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"[:300]


def is_database_outage(exc: BaseException) -> bool:
    """The database could not be reached (as opposed to a bug or bad data)."""
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        exc = exc.orig if exc.orig is not None else exc
    try:
        import psycopg
    except ImportError:  # pragma: no cover - SQLite-only installs
        return False
    return isinstance(exc, (psycopg.OperationalError, psycopg.InterfaceError))


def is_redis_outage(exc: BaseException) -> bool:
    return isinstance(exc, RedisError)


class StopFlag:
    """SIGTERM/SIGINT asked this process to stop; sleeps that end early when they do."""

    def __init__(self) -> None:
        self.requested = False

    def install(self) -> StopFlag:
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        return self

    def _stop(self, *_args) -> None:
        self.requested = True

    def sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.requested and (left := deadline - time.monotonic()) > 0:
            time.sleep(min(left, 0.1))
