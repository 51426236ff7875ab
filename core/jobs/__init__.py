"""Jobs: creation, the status state machine, assignment and scheduling, each change audited."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit, counters
from core.errors import InvalidTransition, NotFound, ValidationFailed
from core.models import (
    Customer,
    CustomerAddress,
    Job,
    JobEvent,
    JobStatus,
    Role,
    Service,
    Urgency,
    User,
    utcnow,
)
from core.validation import validated

S = JobStatus
TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    S.PENDING: frozenset({S.SCHEDULED, S.CANCELLED}),
    S.SCHEDULED: frozenset({S.EN_ROUTE, S.ON_SITE, S.PENDING, S.NEEDS_FOLLOWUP, S.CANCELLED}),
    S.EN_ROUTE: frozenset({S.ON_SITE, S.SCHEDULED, S.NEEDS_FOLLOWUP, S.CANCELLED}),
    # back to the office when nobody opened the door after all (nothing was begun)
    S.ON_SITE: frozenset({S.COMPLETED, S.NEEDS_FOLLOWUP, S.PENDING}),
    S.NEEDS_FOLLOWUP: frozenset({S.SCHEDULED, S.CANCELLED}),
    S.COMPLETED: frozenset({S.INVOICED}),
    S.INVOICED: frozenset({S.PAID}),
    S.PAID: frozenset({S.INVOICED}),  # a refund or chargeback reopens the balance
    S.CANCELLED: frozenset(),
}
OPEN_STATUSES = frozenset({S.PENDING, S.SCHEDULED, S.EN_ROUTE, S.ON_SITE, S.NEEDS_FOLLOWUP})


DESCRIPTION_MAX = 4000


class JobIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    customer_id: int
    service: Service
    description: str = Field(default="", max_length=DESCRIPTION_MAX)
    urgency: Urgency = Urgency.NORMAL
    address_id: int | None = None
    address_text: str | None = Field(default=None, max_length=200)
    scheduled_start: datetime | None = None
    scheduled_end: datetime | None = None
    technician_id: int | None = None
    source_conversation_id: int | None = None

    @model_validator(mode="after")
    def _window(self) -> JobIn:
        _check_window(self.scheduled_start, self.scheduled_end)
        return self


def _check_window(start: datetime | None, end: datetime | None) -> None:
    if (start is None) != (end is None) and end is not None:
        raise ValueError("la franja necesita hora de inicio")
    for value in (start, end):
        if value is not None and value.tzinfo is None:
            raise ValueError("la franja necesita zona horaria")
    if start and end and end <= start:
        raise ValueError("la franja termina antes de empezar")


def allowed_next(status: JobStatus) -> list[JobStatus]:
    return sorted(TRANSITIONS[status], key=list(JobStatus).index)


def check_transition(current: JobStatus, target: JobStatus) -> None:
    """The one place that decides whether a job may move from `current` to `target`."""
    if target not in TRANSITIONS[current]:
        raise InvalidTransition("job", current.value, target.value, [s.value for s in allowed_next(current)])


def get_job(session: Session, job_id: int, *, for_update: bool = False) -> Job:
    stmt = select(Job).where(Job.id == job_id)
    if for_update:
        stmt = stmt.with_for_update()
    job = session.scalar(stmt)
    if job is None:
        raise NotFound(f"No existe el trabajo {job_id}.")
    return job


def get_by_number(session: Session, number: int) -> Job:
    job = session.scalar(select(Job).where(Job.number == number))
    if job is None:
        raise NotFound(f"No existe el trabajo #{number}.")
    return job


def _technician(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or not user.active or user.role != Role.TECHNICIAN:
        raise ValidationFailed("Ese técnico no existe o no está activo.", {"technician_id": "invalid"})
    return user


def _event(session: Session, job: Job, kind: str, actor: str, *, from_status=None, to_status=None,
           note: str | None = None, data: dict | None = None) -> None:
    session.add(JobEvent(job_id=job.id, kind=kind, actor=actor, from_status=from_status,
                         to_status=to_status, note=note, data=data))


def create_job(session: Session, data: JobIn | dict, actor: str = "system") -> Job:
    data = validated(JobIn, data)
    if session.get(Customer, data.customer_id) is None:
        raise ValidationFailed("Ese cliente no existe.", {"customer_id": "invalid"})
    address_text = data.address_text
    if data.address_id is not None:
        address = session.get(CustomerAddress, data.address_id)
        if address is None or address.customer_id != data.customer_id:
            raise ValidationFailed("Esa dirección no es del cliente.", {"address_id": "invalid"})
        address_text = address_text or address.one_line
    if data.technician_id is not None:
        _technician(session, data.technician_id)
    status = S.SCHEDULED if data.scheduled_start else S.PENDING
    job = Job(
        number=counters.next_value(session, "job"),
        customer_id=data.customer_id,
        address_id=data.address_id,
        address_text=address_text,
        service=data.service,
        description=data.description,
        urgency=data.urgency,
        status=status,
        scheduled_start=data.scheduled_start,
        scheduled_end=data.scheduled_end or (
            data.scheduled_start + timedelta(hours=2) if data.scheduled_start else None
        ),
        technician_id=data.technician_id,
        source_conversation_id=data.source_conversation_id,
    )
    session.add(job)
    session.flush()
    window = ({"start": job.scheduled_start.isoformat(), "end": job.scheduled_end.isoformat()}
              if job.scheduled_start else None)
    _event(session, job, "created", actor, to_status=status, data=window)
    audit.record(session, actor=actor, action="job.create", entity_type="job", entity_id=job.id,
                 data={"number": job.number, "customer_id": job.customer_id, "service": job.service,
                       "urgency": job.urgency, "status": status,
                       "technician_id": job.technician_id, **({"window": window} if window else {})})
    return job


def transition(
    session: Session,
    job_id: int,
    target: JobStatus | str,
    actor: str,
    *,
    note: str | None = None,
    eta_minutes: int | None = None,
) -> Job:
    """Move a job through the state machine, with its event and audit entry in this transaction."""
    target = JobStatus(target)
    job = get_job(session, job_id, for_update=True)
    current = job.status
    check_transition(current, target)
    if target == S.SCHEDULED and job.scheduled_start is None:
        raise ValidationFailed("Para agendar el trabajo falta el día y horario.", {"scheduled_start": "required"})
    if target in (S.EN_ROUTE, S.ON_SITE) and job.technician_id is None:
        raise ValidationFailed("Primero asigná un técnico al trabajo.", {"technician_id": "required"})
    now = utcnow()
    job.status = target
    job.updated_at = now
    if target == S.EN_ROUTE:
        job.eta_at = now + timedelta(minutes=eta_minutes) if eta_minutes else None
    elif target == S.COMPLETED:
        job.completed_at = now
    data = {"from": current, "to": target}
    if job.eta_at and target == S.EN_ROUTE:
        data["eta_at"] = job.eta_at
    _event(session, job, "status", actor, from_status=current, to_status=target, note=note,
           data={"eta_minutes": eta_minutes} if eta_minutes else None)
    audit.record(session, actor=actor, action="job.status", entity_type="job", entity_id=job.id, data=data)
    session.flush()
    return job


def update_eta(session: Session, job_id: int, eta_minutes: int, actor: str) -> Job:
    """A visit on its way arrives later (or sooner) than said: the new arrival time, with its
    event and audit entry. Only en route: before, it is the start of the trip."""
    job = get_job(session, job_id, for_update=True)
    if job.status != S.EN_ROUTE:
        raise ValidationFailed("Ese trabajo no está en camino.", {"status": job.status})
    now = utcnow()
    job.eta_at = now + timedelta(minutes=eta_minutes)
    job.updated_at = now
    _event(session, job, "eta", actor, data={"eta_minutes": eta_minutes})
    audit.record(session, actor=actor, action="job.eta", entity_type="job", entity_id=job.id,
                 data={"eta_at": job.eta_at})
    session.flush()
    return job


def assign_technician(session: Session, job_id: int, technician_id: int | None, actor: str) -> Job:
    job = get_job(session, job_id, for_update=True)
    if job.status not in OPEN_STATUSES:
        raise ValidationFailed("Ese trabajo ya está cerrado; no se puede reasignar.", {"status": job.status})
    if technician_id is not None:
        _technician(session, technician_id)
    previous = job.technician_id
    job.technician_id = technician_id
    job.updated_at = utcnow()
    return _changed(session, job, "assigned", "job.assign", actor, {"from": previous, "to": technician_id})


def add_note(session: Session, job_id: int, note: str, actor: str, *,
             data: dict | None = None) -> None:
    """A line on the job's history that changes nothing else ("llega tipo 9:30"); `data` marks
    what kind of note it is for whoever looks for it later."""
    job = get_job(session, job_id)
    _event(session, job, "note", actor, note=" ".join(note.split())[:1000], data=data)
    session.flush()


def notes_since(session: Session, job_id: int, since: datetime) -> list[JobEvent]:
    """The job's notes written since `since`, oldest first."""
    return list(session.scalars(
        select(JobEvent).where(JobEvent.job_id == job_id, JobEvent.kind == "note",
                               JobEvent.created_at >= since).order_by(JobEvent.id)))


def add_to_description(session: Session, job_id: int, addition: str, actor: str) -> Job:
    """More to look at on the same visit ("también mirame el inodoro"): appended to what the job
    says, as a note on its history."""
    addition = " ".join((addition or "").split())
    if not addition:
        raise ValidationFailed("No hay nada para agregar.", {"description": "empty"})
    job = get_job(session, job_id, for_update=True)
    if job.status not in OPEN_STATUSES:
        raise ValidationFailed("Ese trabajo ya está cerrado.", {"status": job.status})
    before = (job.description or "").rstrip()
    added = f"{before}\nTambién: {addition}" if before else addition
    job.description = added[:DESCRIPTION_MAX]
    job.updated_at = utcnow()
    _event(session, job, "note", actor, note=f"También: {addition}"[:1000])
    audit.record(session, actor=actor, action="job.note", entity_type="job", entity_id=job.id,
                 data={"added": addition[:1000]})
    session.flush()
    return job


def move_to_address(session: Session, job_id: int, address_id: int, actor: str) -> Job:
    """The visit goes to another of its customer's addresses ("me equivoqué, es en lo de mi
    hermana"); an address written out by hand on the job gives way to it."""
    job = get_job(session, job_id, for_update=True)
    if job.status not in OPEN_STATUSES:
        raise ValidationFailed("Ese trabajo ya está cerrado.", {"status": job.status})
    address = session.get(CustomerAddress, address_id)
    if address is None or address.customer_id != job.customer_id:
        raise ValidationFailed("Esa dirección no es del cliente.", {"address_id": "invalid"})
    before = job.address_id
    job.address_id, job.address_text = address_id, None
    job.updated_at = utcnow()
    return _changed(session, job, "address", "job.address", actor, {"from": before, "to": address_id})


def _changed(session: Session, job: Job, kind: str, action: str, actor: str, data: dict) -> Job:
    """A change from one value to another on the job's history and in the audit log."""
    _event(session, job, kind, actor, data=data)
    audit.record(session, actor=actor, action=action, entity_type="job", entity_id=job.id, data=data)
    session.flush()
    return job


def schedule(session: Session, job_id: int, start: datetime, end: datetime | None, actor: str,
             *, overlap_accepted: bool = False) -> Job:
    """Set or change the visit window; a pending job becomes scheduled. `overlap_accepted`: the
    office was told the technician has another visit then and moved it anyway (on the record).

    An emergency moved to a visit that starts after its own window has ended ("ya cerré la
    llave, que venga mañana") can wait: it stays urgent, no longer an emergency (no one is sent
    at once, nor is it counted or priced as one). Moved within its window (an ETA put right), it
    stays an emergency."""
    end = end or start + timedelta(hours=2)
    try:
        _check_window(start, end)
    except ValueError as exc:
        raise ValidationFailed(str(exc), {"scheduled_start": "invalid"}) from None
    job = get_job(session, job_id, for_update=True)
    if job.status not in OPEN_STATUSES:
        raise ValidationFailed("Ese trabajo ya está cerrado; no se puede reprogramar.", {"status": job.status})
    before = (job.scheduled_start, job.scheduled_end)
    job.scheduled_start, job.scheduled_end = start, end
    job.updated_at = utcnow()
    kind = "rescheduled" if before[0] else "scheduled"
    data = {"start": start.isoformat(), "end": end.isoformat()}
    changes = {"from": [b.isoformat() if b else None for b in before],
               "to": [start.isoformat(), end.isoformat()]}
    if job.urgency is Urgency.EMERGENCY and before[1] is not None and start >= before[1]:
        job.urgency = Urgency.URGENT
        data["urgency"] = changes["urgency"] = [Urgency.EMERGENCY.value, Urgency.URGENT.value]
    if overlap_accepted:
        data["overlap_accepted"] = changes["overlap_accepted"] = True
    _event(session, job, kind, actor, data=data)
    audit.record(session, actor=actor, action=f"job.{kind}", entity_type="job", entity_id=job.id,
                 data=changes)
    session.flush()
    if job.status in (S.PENDING, S.NEEDS_FOLLOWUP):
        transition(session, job.id, S.SCHEDULED, actor)
    return job
