"""The periodic scheduler (`python -m workers.scheduler`): enqueues recurring tasks on time.

rq's own `CronScheduler.start()` raises out of its loop the first time Redis is unreachable;
`run` is the same loop with the outage ridden out: one log line, backoff, and the jobs that fell
due meanwhile are enqueued as soon as Redis answers again.
"""

from __future__ import annotations

import logging
import os
import time

from redis import Redis
from redis.exceptions import RedisError
from rq.cron import CronScheduler

from core.logging import configure_logging
from core.settings import get_settings
from services.queues import LOW, redis_connection
from workers import payment_tasks, tasks
from workers.outage import Outage, StopFlag

log = logging.getLogger("campotech.scheduler")

# Cron fields are read in the scheduler process's local time, which `main` sets to the
# business time zone (Buenos Aires): "0 3 * * *" is 03:00 there whatever the server's zone.
AUDIT_VERIFY_CRON = "0 3 * * *"
# Every hour on the hour: each run acts only for organizations whose local hour is due
# (`summary_hour` for the owner's summary, 18:00 for tomorrow's reminders).
PERIODIC_MESSAGES_CRON = "0 * * * *"
PERIODIC_MESSAGES_TIMEOUT = 10 * 60
# Every minute: invoices waiting for AFIP whose retry is due, and undelivered ones.
INVOICE_RETRY_CRON = "* * * * *"
# The longest sleep between two looks at Redis: the heartbeat the queues page shows, and how soon
# an outage is noticed.
MAX_SLEEP = 2.0


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
    # Every two minutes: Mercado Pago payments of open links that no notification told us about.
    scheduler.register(payment_tasks.reconcile_payments, queue_name=LOW, cron="*/2 * * * *",
                       job_timeout=5 * 60)
    return scheduler


def use_time_zone(name: str) -> None:
    """Make this process's local time `name`, the zone rq.cron reads cron fields in."""
    os.environ["TZ"] = name
    time.tzset()


def run(scheduler: CronScheduler, stop: StopFlag, *, max_sleep: float = MAX_SLEEP) -> None:
    """Enqueue due jobs and heartbeat until `stop`; a Redis outage is waited out, never fatal."""
    redis = Outage("redis", log)
    born = False
    while not stop.requested:
        try:
            if not born:
                scheduler.register_birth()
                born = True
            if scheduler.enqueue_jobs():
                scheduler.save()  # the jobs' next times, for the queues page
            scheduler.heartbeat()  # re-registers the scheduler if Redis came back empty
        except RedisError as exc:
            stop.sleep(redis.failed(exc))
            continue
        redis.ok()
        stop.sleep(min(scheduler.calculate_sleep_interval(), max_sleep))
    try:
        scheduler.register_death()
    except RedisError:
        log.info("scheduler stopped without unregistering: redis unavailable")


def main() -> None:
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    use_time_zone(settings.default_time_zone)
    stop = StopFlag().install()
    log.info("scheduler started")
    run(build_scheduler(redis_connection(settings)), stop)
    log.info("scheduler stopped")


if __name__ == "__main__":
    main()
