"""The burst clock (`python -m workers.clock`): closes quiet bursts and sweeps what was left behind.

Polls Redis every 50 ms, so a burst is handed to a worker within ~50 ms of its quiet window
closing (RQ's own scheduler looks only once a second). Any number may run: claims are atomic.

A Redis or PostgreSQL outage is ridden out: one log line when it starts, backoff, one line when
it ends, and a sweep at once then (Redis may have come back empty).
"""

from __future__ import annotations

import logging
import signal
import time

from redis.exceptions import RedisError

from core.db import Database
from core.logging import configure_logging
from core.settings import Settings, get_settings
from services.burst_closer import BurstCloser
from services.queues import redis_connection
from workers.outage import Outage, is_database_outage

log = logging.getLogger("campotech.clock")

POLL = 0.05
SWEEP_EVERY = 15.0
# A burst closes at most `burst_max_seconds` after its first message; a message still
# unanswered this long after that is left behind (a lost job, Redis restarted empty).
SWEEP_GRACE = 10.0


def sweep_after(settings: Settings) -> float:
    """How old an unanswered message must be before the sweeper re-schedules it."""
    return settings.burst_max_seconds + SWEEP_GRACE


def run(settings: Settings, *, stop_after: float | None = None, sweep_every: float | None = None) -> None:
    db = Database(settings)
    closer = BurstCloser(db, redis_connection(settings))
    older_than = sweep_after(settings)
    if sweep_every is None:
        sweep_every = min(SWEEP_EVERY, older_than / 2)
    outages = {"redis": Outage("redis", log, cap=2.0), "database": Outage("database", log, cap=2.0)}
    running = True

    def _stop(*_):
        nonlocal running
        running = False

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    started = time.monotonic()
    next_sweep = started  # sweep at start: pick up whatever an outage left behind
    wait = POLL
    while running and (stop_after is None or time.monotonic() - started < stop_after):
        try:
            if time.monotonic() >= next_sweep:
                closer.sweep(older_than=older_than)
                next_sweep = time.monotonic() + sweep_every
            closer.tick()
        except RedisError as exc:
            wait = outages["redis"].failed(exc)
        except Exception as exc:  # one bad tick must not stop the clock
            if is_database_outage(exc):
                wait = outages["database"].failed(exc)
            else:
                log.exception("burst clock tick failed")
                wait = min(max(wait, POLL) * 2, 2.0)
        else:
            recovered = [outage.ok() for outage in outages.values()]  # both, not any()'s first
            if any(recovered):
                next_sweep = time.monotonic()  # pick up what the outage left behind
            wait = POLL
        time.sleep(wait)
    db.dispose()


def main() -> None:
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    log.info("burst clock started")
    run(settings)


if __name__ == "__main__":
    main()
