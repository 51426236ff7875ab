"""What the flow suites' shops share: the clock, a job walked forward to a status, and a job,
the conversation or a job's events read back after their session."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from core import jobs
from core.models import Conversation, Job, JobEvent, JobStatus

BA = ZoneInfo("America/Argentina/Buenos_Aires")
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=BA)  # a Wednesday: the flow suites' clock
MARTA_WA = "5491166660001"  # the customer both suites' shops know
WALKED = {JobStatus.EN_ROUTE: 1, JobStatus.ON_SITE: 2, JobStatus.COMPLETED: 3}


def walk_to(s, job_id: int, status: JobStatus) -> None:
    """The job through en route (ETA 15 minutes), on site and completed, as far as `status`."""
    steps = WALKED.get(status, 0)
    if steps >= 1:
        jobs.transition(s, job_id, JobStatus.EN_ROUTE, "user:1", eta_minutes=15)
    if steps >= 2:
        jobs.transition(s, job_id, JobStatus.ON_SITE, "user:1")
    if steps >= 3:
        jobs.transition(s, job_id, JobStatus.COMPLETED, "user:1")


class ShopReads:
    """For a shop dataclass with `db`, `org_id` and `conversation_id`."""

    db: object
    org_id: int
    conversation_id: int

    def get(self, job_id: int) -> Job:
        with self.db.org_session(self.org_id) as s:
            job = s.get(Job, job_id)
            s.expunge(job)
            return job

    def conversation(self) -> Conversation:
        with self.db.org_session(self.org_id) as s:
            conversation = s.get(Conversation, self.conversation_id)
            s.expunge(conversation)
            return conversation

    def events(self, job_id: int, kind: str) -> list[JobEvent]:
        with self.db.org_session(self.org_id) as s:
            found = list(s.scalars(select(JobEvent).where(JobEvent.job_id == job_id,
                                                          JobEvent.kind == kind)
                                   .order_by(JobEvent.id)))
            s.expunge_all()
            return found
