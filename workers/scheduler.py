"""The periodic scheduler (`python -m workers.scheduler`): enqueues recurring tasks on time."""

from __future__ import annotations

import logging
import os
import time

from redis import Redis
from rq.cron import CronScheduler

from core.logging import configure_logging
from core.settings import get_settings
from workers import tasks
from workers.queues import LOW, redis_connection

# Cron fields are read in the scheduler process's local time, which `main` sets to the
# business time zone (Buenos Aires): "0 3 * * *" is 03:00 there whatever the server's zone.
AUDIT_VERIFY_CRON = "0 3 * * *"
# Every hour on the hour: each run acts only for organizations whose local hour is due
# (`summary_hour` for the owner's summary, 18:00 for tomorrow's reminders).
PERIODIC_MESSAGES_CRON = "0 * * * *"
PERIODIC_MESSAGES_TIMEOUT = 10 * 60
# Every minute: invoices waiting for AFIP whose retry is due, and undelivered ones.
INVOICE_RETRY_CRON = "* * * * *"


def build_scheduler(connection: Redis) -> CronScheduler:
    """A CronScheduler with every periodic job registered (nothing runs until `start`)."""
    scheduler = CronScheduler(connection=connection, logging_level=logging.INFO)
    scheduler.register(
        tasks.verify_audit_chains, queue_name=LOW, cron=AUDIT_VERIFY_CRON, job_timeout=30 * 60,
    )
    for task in (tasks.daily_summaries, tasks.reminders):
        scheduler.register(
            task, queue_name=LOW, cron=PERIODIC_MESSAGES_CRON, job_timeout=PERIODIC_MESSAGES_TIMEOUT,
        )
    scheduler.register(tasks.retry_invoices, queue_name=LOW, cron=INVOICE_RETRY_CRON, job_timeout=5 * 60)
    return scheduler


def use_time_zone(name: str) -> None:
    """Make this process's local time `name`, the zone rq.cron reads cron fields in."""
    os.environ["TZ"] = name
    time.tzset()


def main() -> None:
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    use_time_zone(settings.default_time_zone)
    build_scheduler(redis_connection(settings)).start()


if __name__ == "__main__":
    main()
