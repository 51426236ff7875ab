"""Photos a technician sends during a job are kept with it (the job's timeline shows them)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import Conversation, Job, JobEvent, JobStatus
from core.users import find_by_phone
from flows.burst import Burst

AT_WORK = (JobStatus.ON_SITE, JobStatus.EN_ROUTE)
MEDIA = ("image", "video", "document")


def attach(session: Session, conversation: Conversation, burst: Burst) -> Job | None:
    """Attach the burst's photos to the technician's job at hand (on site, else en route), when
    exactly one such job exists; returns it, or None (nothing attached: never a guess)."""
    items = [i for i in burst.items if i.type in MEDIA and not i.media_error]
    if not items:
        return None
    tech_id = conversation.user_id
    if tech_id is None and conversation.phone:
        user = find_by_phone(session, conversation.phone)
        tech_id = user.id if user else None
    if tech_id is None:
        return None
    for status in AT_WORK:
        jobs = list(session.scalars(select(Job).where(Job.technician_id == tech_id, Job.status == status)))
        if len(jobs) == 1:
            job = jobs[0]
            for item in items:
                session.add(JobEvent(
                    job_id=job.id, kind="photo", actor=f"whatsapp:{conversation.wa_id}",
                    note=item.text or None, data={"message_id": item.message_id, "type": item.type},
                ))
            return job
        if jobs:
            return None
    return None
