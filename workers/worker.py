"""The RQ worker (`python -m workers.worker`): our tasks imported once, before any job forks.

`rq worker` imports a job's module inside each forked work horse, so every job would pay for
importing SQLAlchemy, the models and the bot again; importing them here first means the fork
inherits them.
"""

from __future__ import annotations

import logging

from rq import Worker

import workers.tasks  # noqa: F401 - preloaded on purpose, see the docstring
from core.logging import configure_logging
from core.settings import get_settings
from workers.queues import QUEUE_NAMES, get_queue, redis_connection


def main() -> None:
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    connection = redis_connection(settings)
    worker = Worker([get_queue(name, connection) for name in QUEUE_NAMES], connection=connection)
    worker.work(with_scheduler=True, logging_level=logging.getLevelName(settings.log_level))


if __name__ == "__main__":
    main()
