"""The customer's "¿cuándo vienen?": their open job's state, day, technician, ETA and a link."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import texts
from core.customers import find_by_phone
from core.models import Conversation, ConversationRole, Job, JobStatus
from core.replies import Reply, Text
from core.settings import Settings, get_settings
from core.tracking import job_view, tracking_token, tracking_url
from flows.engine import FlowSpec
from flows.turn import Turn

OPEN = (JobStatus.PENDING, JobStatus.SCHEDULED, JobStatus.EN_ROUTE, JobStatus.ON_SITE,
        JobStatus.NEEDS_FOLLOWUP)


def open_job(session: Session, conversation: Conversation) -> Job | None:
    """The customer's most relevant open job: en route or on site first, then the next visit."""
    customer_id = conversation.customer_id
    if customer_id is None and conversation.phone:
        customer = find_by_phone(session, conversation.phone)
        customer_id = customer.id if customer else None
    if customer_id is None:
        return None
    jobs = list(session.scalars(
        select(Job).where(Job.customer_id == customer_id, Job.status.in_(OPEN)).order_by(Job.id.desc())
    ))
    moving = [j for j in jobs if j.status in (JobStatus.EN_ROUTE, JobStatus.ON_SITE)]
    return (moving or jobs or [None])[0]


def reply(session: Session, conversation: Conversation, settings: Settings | None,
          now: datetime) -> list[Reply]:
    settings = settings or get_settings()
    job = open_job(session, conversation)
    if job is None:
        return [Text(texts.render("status_none"))]
    view = job_view(session, job, now=now)
    url = tracking_url(settings, tracking_token(settings, job.org_id, job.id, now=now))
    return [Text(texts.render("status_job", view=view, url=url))]


def handle(turn: Turn) -> list[Reply]:
    return reply(turn.session, turn.conversation, turn.settings, turn.now)


SPEC = FlowSpec(name="status", roles=frozenset({ConversationRole.CUSTOMER}), handle=handle,
                intents=frozenset({"job_status"}))
