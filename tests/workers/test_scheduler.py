"""The nightly audit verification: registered with the cron scheduler, run by a real RQ worker."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from rq import Worker
from rq.cron import CronScheduler
from rq.job import Job

from core import audit
from core.settings import get_settings
from services.queues import LOW, QUEUE_NAMES, get_queue
from tests.conftest import superuser
from tests.factories import create_org
from workers.scheduler import build_scheduler, use_time_zone

BUENOS_AIRES = "America/Argentina/Buenos_Aires"
TASK = "workers.tasks.verify_audit_chains"
PERIODIC_TASKS = ["workers.tasks.daily_summaries", "workers.tasks.reminders"]


@pytest.fixture
def local_time_zone():
    """Restore this process's local zone after a test that sets it, as the scheduler does."""
    old = os.environ.get("TZ")
    yield use_time_zone
    if old is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = old
    time.tzset()


@pytest.fixture
def worker_env(monkeypatch, pg_settings):
    """Work horses read their settings from the environment, as `rq worker` does in production."""
    monkeypatch.setenv("ENV", "test")
    monkeypatch.setenv("DATABASE_URL", pg_settings.database_url)
    monkeypatch.setenv("SYSTEM_DATABASE_URL", pg_settings.system_database_url)
    monkeypatch.setenv("REDIS_URL", pg_settings.redis_url)
    monkeypatch.setenv("LOG_JSON", "false")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _audit_job(scheduler: CronScheduler):
    [job] = [j for j in scheduler.get_jobs() if j.func_name == TASK]
    return job


def test_audit_verification_is_scheduled_nightly_at_3_in_buenos_aires(redisdb, local_time_zone):
    local_time_zone(BUENOS_AIRES)  # what `python -m workers.scheduler` does first
    scheduler = build_scheduler(redisdb)

    job = _audit_job(scheduler)
    assert (job.cron, job.queue_name) == ("0 3 * * *", LOW)
    due = job.next_enqueue_time.astimezone(ZoneInfo(BUENOS_AIRES))
    assert (due.hour, due.minute) == (3, 0)
    assert timedelta(0) < job.next_enqueue_time - datetime.now(UTC) <= timedelta(days=1)

    scheduler.register_birth()
    try:
        [registered] = CronScheduler.all(redisdb)
        assert [j.func_name for j in registered.get_jobs()] == [
            TASK, *PERIODIC_TASKS, "workers.tasks.retry_invoices",
            "workers.payment_tasks.reconcile_payments"]
    finally:
        scheduler.register_death()


def test_summaries_and_reminders_are_checked_every_hour_on_the_hour(redisdb, local_time_zone):
    local_time_zone(BUENOS_AIRES)
    scheduler = build_scheduler(redisdb)

    jobs = {j.func_name: j for j in scheduler.get_jobs() if j.func_name in PERIODIC_TASKS}
    assert sorted(jobs) == PERIODIC_TASKS
    for job in jobs.values():
        assert (job.cron, job.queue_name) == ("0 * * * *", LOW)
        assert 0 < job.job_options["job_timeout"] <= 15 * 60
        assert job.next_enqueue_time.minute == 0 and job.next_enqueue_time.second == 0
        assert timedelta(0) < job.next_enqueue_time - datetime.now(UTC) <= timedelta(hours=1)


def test_worker_run_reports_the_tampered_organization(
    pg_db, postgresql_proc, redisdb, worker_env, capfd
):
    intact = create_org(pg_db, "Gas Sur", "gas-sur")
    tampered = create_org(pg_db, "Frío Norte", "frio-norte")
    with pg_db.org_session(tampered) as s:
        for i in range(3):
            audit.record(s, actor="user:1", action="job.status", entity_type="job", entity_id=i)
    # The app's role cannot alter the audit trail; only a superuser (an attacker with the
    # database's keys) can, and that is what the nightly check is for.
    with superuser(postgresql_proc) as conn:
        conn.execute("UPDATE audit_entries SET actor = 'mallory' WHERE org_id = %s AND seq = 3",
                     (tampered,))

    scheduler = build_scheduler(redisdb)
    cron_job = _audit_job(scheduler)
    cron_job.next_enqueue_time = datetime.now(UTC) - timedelta(seconds=1)  # it is 03:00
    assert scheduler.enqueue_jobs() == [cron_job]
    [job_id] = cron_job.get_job_ids(redisdb)

    worker = Worker([get_queue(name, redisdb) for name in QUEUE_NAMES], connection=redisdb)
    assert worker.work(burst=True)

    job = Job.fetch(job_id, connection=redisdb)
    assert job.is_finished, job.latest_result()
    assert job.return_value() == {
        "organizations": 2,
        "intact": 1,
        "broken": [{"org_id": tampered, "entry": 3, "reason": "content does not match its hash"}],
    }
    logged = capfd.readouterr().err
    assert f"ERROR campotech.workers [req=None org={tampered}] audit chain broken: " \
           f"organization {tampered}: broken at entry #3" in logged
    assert f"organization {intact}:" not in logged
    # The intact chain's walk is the audit page's new starting point; the broken one has none.
    checkpoints = audit.ChainCheckpoints(redisdb)
    assert checkpoints.get(intact) is not None and checkpoints.get(tampered) is None


def test_a_worker_runs_the_hourly_jobs(pg_db, redisdb, worker_env):
    scheduler = build_scheduler(redisdb)
    due = [j for j in scheduler.get_jobs() if j.func_name in PERIODIC_TASKS]
    for cron_job in due:
        cron_job.next_enqueue_time = datetime.now(UTC) - timedelta(seconds=1)  # on the hour
    assert sorted(j.func_name for j in scheduler.enqueue_jobs()) == PERIODIC_TASKS

    worker = Worker([get_queue(name, redisdb) for name in QUEUE_NAMES], connection=redisdb)
    assert worker.work(burst=True)

    results = {}
    for cron_job in due:
        [job_id] = cron_job.get_job_ids(redisdb)
        job = Job.fetch(job_id, connection=redisdb)
        assert job.is_finished, job.latest_result()
        results[cron_job.func_name] = job.return_value()
    # No organization is set up here: both run and find nothing due.
    assert results == {"workers.tasks.daily_summaries": {"messages": 0},
                       "workers.tasks.reminders": {"reminders": 0}}


def test_get_queue_refuses_unknown_names(redisdb):
    assert get_queue("high", redisdb).name == "high"
    with pytest.raises(ValueError, match="unknown queue 'urgent'"):
        get_queue("urgent", redisdb)


def test_invoice_retries_are_swept_every_minute(redisdb):
    [job] = [j for j in build_scheduler(redisdb).get_jobs()
             if j.func_name == "workers.tasks.retry_invoices"]
    assert (job.cron, job.queue_name) == ("* * * * *", LOW)
