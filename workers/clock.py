"""The burst clock (`python -m workers.clock`): closes quiet bursts and sweeps what was left behind.

Polls Redis every 50 ms, so a burst is handed to a worker within ~50 ms of its quiet window
closing (RQ's own scheduler looks only once a second). Any number may run: claims are atomic.
"""

from __future__ import annotations

import logging
import signal
import time

from redis.exceptions import RedisError

from bot.transport import Transport
from core.db import Database
from core.logging import configure_logging
from core.settings import Settings, get_settings
from workers.queues import redis_connection

log = logging.getLogger("campotech.clock")

POLL = 0.05
SWEEP_EVERY = 15.0


def run(settings: Settings, *, stop_after: float | None = None, sweep_every: float = SWEEP_EVERY) -> None:
    db = Database(settings)
    transport = Transport(db, redis_connection(settings), settings)
    running = True

    def _stop(*_):
        nonlocal running
        running = False

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    started = time.monotonic()
    next_sweep = started  # sweep at start: pick up whatever an outage left behind
    backoff = POLL
    while running and (stop_after is None or time.monotonic() - started < stop_after):
        try:
            if time.monotonic() >= next_sweep:
                transport.sweep()
                next_sweep = time.monotonic() + sweep_every
            transport.tick()
            backoff = POLL
        except RedisError as exc:
            # Redis is down: keep trying, more slowly; the sweeper catches up when it is back.
            log.error("burst clock: redis unavailable (%s)", exc)
            backoff = min(backoff * 2, 2.0)
            next_sweep = time.monotonic()
        except Exception:
            log.exception("burst clock tick failed")
            backoff = min(backoff * 2, 2.0)
        time.sleep(backoff)
    db.dispose()


def main() -> None:
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    log.info("burst clock started")
    run(settings)


if __name__ == "__main__":
    main()
