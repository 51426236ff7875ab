"""The RQ worker (`python -m workers.worker`): jobs run in this process, tasks imported once.

`rq worker` forks a work horse per job, which then imports our modules, opens database and
Redis connections and throws them away: tens of milliseconds per job, twice per burst (answer,
then send). Our jobs are short and bounded by their job timeouts (enforced here too, by
SIGALRM), so a SimpleWorker runs them in place and keeps its connection pools warm. Run more
worker processes for more parallelism; a crash takes one worker down and honcho (or systemd)
restarts it, and the job is retried or found by the sweeper.
"""

from __future__ import annotations

import logging

from rq import SimpleWorker

import workers.tasks  # noqa: F401 - preloaded on purpose, see the docstring
from core.logging import configure_logging
from core.settings import get_settings
from workers.queues import QUEUE_NAMES, get_queue, redis_connection


def main() -> None:
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    connection = redis_connection(settings)
    worker = SimpleWorker([get_queue(name, connection) for name in QUEUE_NAMES], connection=connection)
    worker.work(with_scheduler=True, logging_level=logging.getLevelName(settings.log_level))


if __name__ == "__main__":
    main()
