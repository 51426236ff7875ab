"""How the background queues are doing, and one organization's failed jobs: read, retry, discard.

Also the organization's dead letters: inbound messages the bot could not process after bounded
tries (services.answer_burst sets them aside so the sender's next messages are answered).

The queues are shared by every organization. Counts of queued, running and scheduled work say
nothing about anyone's data, so they are shown as they are; failed jobs carry arguments and
error texts, so an organization only ever sees and touches its own: our tasks take the
organization id as their first argument, and a job whose first argument is not it does not
exist as far as that organization is concerned.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from redis import Redis
from rq import Queue, Worker
from rq.cron import CronScheduler
from rq.exceptions import DeserializationError, InvalidJobOperation, NoSuchJobError
from rq.job import Job
from rq.registry import FailedJobRegistry
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import audit
from core.errors import NotFound
from core.models import Conversation, DeliveryStatus, Direction, Message
from core.tenancy import current_org_id
from services.queues import QUEUE_NAMES

# Failed jobs read per queue at most, oldest expiring last: a flood elsewhere cannot hang the page.
SCAN_LIMIT = 5000
FETCH_BATCH = 200


@dataclass(frozen=True)
class QueueStats:
    name: str
    queued: int
    started: int
    scheduled: int
    deferred: int
    failed: int  # this organization's only


@dataclass(frozen=True)
class WorkerState:
    state: str  # rq's: "idle", "busy", "suspended", "started"
    queues: tuple[str, ...]
    last_heartbeat: datetime | None


@dataclass(frozen=True)
class FailedJob:
    id: str
    func_name: str
    queue: str
    failed_at: datetime | None
    error: str  # the exception's last line


@dataclass(frozen=True)
class DeadLetter:
    message_id: int
    conversation_id: int
    sender: str  # the contact's name, else their number
    type: str
    received_at: datetime | None
    set_aside_at: datetime | None
    attempts: int
    reason: str


DEAD_LETTERS_SHOWN = 20


def _dead(query):
    return query.where(Message.direction == Direction.INBOUND, Message.status == DeliveryStatus.FAILED)


def dead_letters(session: Session, limit: int = DEAD_LETTERS_SHOWN) -> tuple[int, list[DeadLetter]]:
    """How many messages of the session's organization were set aside, and the latest of them."""
    total = int(session.scalar(_dead(select(func.count(Message.id)))) or 0)
    rows = session.execute(
        _dead(select(Message, Conversation.profile_name, Conversation.phone, Conversation.wa_id)
              .join(Conversation, Conversation.id == Message.conversation_id))
        .order_by(Message.processed_at.desc().nulls_last(), Message.id.desc()).limit(limit)
    ).all()
    return total, [
        DeadLetter(message_id=m.id, conversation_id=m.conversation_id,
                   sender=name or phone or wa_id, type=m.type, received_at=m.created_at,
                   set_aside_at=m.processed_at, attempts=m.attempts or 0,
                   reason=(m.error_title or "").removeprefix("dead letter: "))
        for m, name, phone, wa_id in rows
    ]


def _org_of(job: Job) -> int | None:
    try:
        args = job.args
    except DeserializationError:  # an unreadable payload is nobody's job
        return None
    first = args[0] if args else None
    return first if isinstance(first, int) and not isinstance(first, bool) else None


def _last_line(text: str | None) -> str:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


def _own_failed(redis: Redis, org_id: int, queue_name: str) -> Iterator[Job]:
    registry = FailedJobRegistry(queue_name, connection=redis)
    ids = registry.get_job_ids(0, SCAN_LIMIT - 1, desc=True)
    for start in range(0, len(ids), FETCH_BATCH):
        for job in Job.fetch_many(ids[start:start + FETCH_BATCH], connection=redis):
            if job is not None and _org_of(job) == org_id:
                yield job


def queue_stats(redis: Redis, org_id: int) -> list[QueueStats]:
    stats = []
    for name in QUEUE_NAMES:
        queue = Queue(name, connection=redis)
        stats.append(QueueStats(
            name=name, queued=queue.count, started=queue.started_job_registry.count,
            scheduled=queue.scheduled_job_registry.count, deferred=queue.deferred_job_registry.count,
            failed=sum(1 for _ in _own_failed(redis, org_id, name)),
        ))
    return stats


def workers(redis: Redis) -> list[WorkerState]:
    found = [WorkerState(state=str(w.get_state()), queues=tuple(w.queue_names()),
                         last_heartbeat=w.last_heartbeat)
             for w in Worker.all(connection=redis)]
    return sorted(found, key=lambda w: (w.queues, w.state))


def scheduler_heartbeat(redis: Redis) -> datetime | None:
    """When the periodic scheduler (rq's CronScheduler) last said it was alive; None if never."""
    beats = [s.last_heartbeat for s in CronScheduler.all(connection=redis)]
    return max((b for b in beats if b is not None), default=None)


def _describe(job: Job) -> FailedJob:
    result = job.latest_result()
    return FailedJob(id=job.id, func_name=job.func_name or "", queue=job.origin,
                     failed_at=job.ended_at or (result.created_at if result else None),
                     error=_last_line(result.exc_string if result else None))


def failed_jobs(redis: Redis, org_id: int) -> list[FailedJob]:
    """This organization's failed jobs in every queue, the most recent failure first."""
    found = [_describe(job) for name in QUEUE_NAMES for job in _own_failed(redis, org_id, name)]
    return sorted(found, key=lambda f: f.failed_at or datetime.min.replace(tzinfo=UTC),
                  reverse=True)


def _own_failed_job(redis: Redis, org_id: int, job_id: str) -> tuple[Job, FailedJobRegistry]:
    """The failed job `job_id` of this organization, and its registry; NotFound otherwise."""
    try:
        job = Job.fetch(job_id, connection=redis)
    except NoSuchJobError:
        raise NotFound(f"no job {job_id!r}") from None
    if _org_of(job) != org_id or job.origin not in QUEUE_NAMES:
        raise NotFound(f"no job {job_id!r} for organization {org_id}")
    registry = FailedJobRegistry(job.origin, connection=redis)
    if job.id not in registry:
        raise NotFound(f"job {job_id!r} has not failed")
    return job, registry


def _audit(session: Session, action: str, job: Job, actor: str) -> None:
    result = job.latest_result()
    audit.record(session, actor=actor, action=action, entity_type="queue_job", entity_id=job.id[:40],
                 data={"job": job.id, "task": job.func_name, "queue": job.origin,
                       "error": _last_line(result.exc_string if result else None)})


def retry(session: Session, redis: Redis, job_id: str, actor: str) -> FailedJob:
    """Put the session's organization's failed job back in its queue, audited."""
    job, registry = _own_failed_job(redis, current_org_id(session), job_id)
    described = _describe(job)
    _audit(session, "queue_job.requeued", job, actor)
    try:
        registry.requeue(job)
    except InvalidJobOperation:  # another click (or worker) got there first
        raise NotFound(f"job {job_id!r} is no longer failed") from None
    return described


def discard(session: Session, redis: Redis, job_id: str, actor: str) -> FailedJob:
    """Forget the session's organization's failed job for good, audited."""
    job, registry = _own_failed_job(redis, current_org_id(session), job_id)
    described = _describe(job)
    _audit(session, "queue_job.discarded", job, actor)
    registry.remove(job, delete_job=True)
    return described
