"""Periodic messages: the owner's daily summary and the customers' reminders the day before.

Both run from an hourly cron job and act only for the organizations whose local hour is the
right one (`summary_hour` for the summary, REMINDER_HOUR for reminders), so each organization
gets them at its own local time whatever the server's zone. Both are idempotent by key: a
second run in the same hour (a retried job, two schedulers) queues nothing new.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from redis import Redis
from sqlalchemy import select

from core import es_ar
from core.billing.report_texts import render_summary
from core.billing.reports import daily_summary, due_summaries
from core.db import Database
from core.jobs.reminders import REMINDER_HOUR, reminder_key, reminder_text, visits_on
from core.logging import org_id_var
from core.messaging.outbox import customer_conversation, queue_replies
from core.messaging.replies import Text
from core.models import (
    DeliveryStatus,
    Message,
    Organization,
)
from core.settings import Settings
from services.alerts import notify_owners
from services.dispatch import Dispatcher

log = logging.getLogger("campotech.bot.periodic")



def _aware(now: datetime) -> datetime:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now


# ---- the owner's daily summary ----------------------------------------------------------------

def send_daily_summaries(db: Database, redis: Redis, settings: Settings, now: datetime) -> list[int]:
    """Queue and dispatch today's summary to the owners of every organization due at `now`.

    Returns the ids of the summary messages (the same ids again on a repeated run, which
    queues and sends nothing new: the key is the organization and its local day).
    """
    _aware(now)
    ids: list[int] = []
    for org_id in due_summaries(db, now):
        token = org_id_var.set(org_id)
        try:
            with db.org_session(org_id) as session:
                org = session.get(Organization, org_id)
                if org is None:
                    continue
                local_day = now.astimezone(es_ar.zone(org.time_zone)).date()
                text = render_summary(daily_summary(session, org, local_day))
            sent = notify_owners(db, redis, org_id, text, key=f"summary:{org_id}:{local_day.isoformat()}")
            log.info("daily summary queued", extra={"day": local_day.isoformat(), "messages": sent})
            ids += sent
        finally:
            org_id_var.reset(token)
    return ids


# ---- reminders the day before -----------------------------------------------------------------

def due_reminders(db: Database, now: datetime) -> list[int]:
    """Organizations whose local hour at `now` is REMINDER_HOUR, by id."""
    _aware(now)
    with db.system_session() as session:
        rows = session.execute(
            select(Organization.id, Organization.time_zone).order_by(Organization.id)
        ).all()
    return [org_id for org_id, name in rows
            if now.astimezone(es_ar.zone(name)).hour == REMINDER_HOUR]


def send_reminders(db: Database, redis: Redis, settings: Settings, now: datetime) -> int:
    """Remind each customer with a visit tomorrow (org-local) of it; returns how many were new.

    One reminder per scheduled job whose customer has a phone and has not stopped our marketing
    messages in WhatsApp, keyed by the job and its day:
    running again queues nothing (a job moved to another day gets a reminder for that day).
    Outside the 24-hour window the sender turns the text into the approved template.
    """
    _aware(now)
    dispatch = Dispatcher(redis)
    queued = 0
    for org_id in due_reminders(db, now):
        token = org_id_var.set(org_id)
        try:
            new, to_send = _remind_org(db, org_id, now)
        finally:
            org_id_var.reset(token)
        for message_id in to_send:
            dispatch.send(org_id, message_id)
        queued += new
    return queued


def _remind_org(db: Database, org_id: int, now: datetime) -> tuple[int, list[int]]:
    """(reminders queued now, ids still waiting to be sent) for one organization."""
    new, to_send = 0, []
    with db.org_session(org_id) as session:
        org = session.get(Organization, org_id)
        if org is None:
            return 0, []
        zone = es_ar.zone(org.time_zone)
        tomorrow = now.astimezone(zone).date() + timedelta(days=1)
        for job in visits_on(session, tomorrow, zone):
            if job.customer.marketing_opt_out:
                # They told WhatsApp to stop our messages (user_preferences): no reminder.
                log.info("reminder skipped: the customer opted out", extra={"job": job.number})
                continue
            key = reminder_key(job, tomorrow)
            already = session.scalar(select(Message.id).where(Message.idempotency_key == f"{key}:0"))
            conversation = customer_conversation(session, job.customer)
            [message_id] = queue_replies(session, conversation, [Text(reminder_text(job, zone))],
                                         key=key)
            new += already is None
            if session.get(Message, message_id).status is DeliveryStatus.QUEUED:
                to_send.append(message_id)
    if new:
        log.info("reminders queued", extra={"day": tomorrow.isoformat(), "reminders": new})
    return new, to_send
