"""The jobs state machine: every allowed move, a sample of forbidden ones, events and audit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from core import customers, jobs
from core.errors import InvalidTransition, NotFound, ValidationFailed
from core.models import AuditEntry, Job, JobEvent, JobStatus
from tests.factories import add_customer_row, add_technician

S = JobStatus
START = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture
def org(db, make_org):
    org_id = make_org("Plomería Ramos")
    return org_id, add_customer_row(db, org_id), add_technician(db, org_id)


def _job_in(db, org, status: JobStatus) -> int:
    """A job brought to `status` through legal moves only."""
    org_id, customer_id, tech_id = org
    path = {
        S.PENDING: [], S.SCHEDULED: [S.SCHEDULED], S.EN_ROUTE: [S.SCHEDULED, S.EN_ROUTE],
        S.ON_SITE: [S.SCHEDULED, S.ON_SITE], S.COMPLETED: [S.SCHEDULED, S.ON_SITE, S.COMPLETED],
        S.INVOICED: [S.SCHEDULED, S.ON_SITE, S.COMPLETED, S.INVOICED],
        S.PAID: [S.SCHEDULED, S.ON_SITE, S.COMPLETED, S.INVOICED, S.PAID],
        S.CANCELLED: [S.CANCELLED], S.NEEDS_FOLLOWUP: [S.SCHEDULED, S.ON_SITE, S.NEEDS_FOLLOWUP],
    }[status]
    with db.org_session(org_id) as s:
        job = jobs.create_job(s, {"customer_id": customer_id, "service": "plumbing",
                                  "description": "pierde el flexible", "technician_id": tech_id})
        if path and path[0] == S.SCHEDULED:
            jobs.schedule(s, job.id, START, None, "user:1")
            path = path[1:]
        for step in path:
            jobs.transition(s, job.id, step, "user:1")
        assert job.status == status
        return job.id


ALLOWED = [(a, b) for a, targets in jobs.TRANSITIONS.items() for b in sorted(targets)]


@pytest.mark.parametrize(("current", "target"), ALLOWED, ids=[f"{a}->{b}" for a, b in ALLOWED])
def test_every_allowed_transition(db, org, current, target):
    job_id = _job_in(db, org, current)
    with db.org_session(org[0]) as s:
        if current == S.PENDING and target == S.SCHEDULED:
            # A pending job has no window yet: giving it one is how it gets scheduled.
            jobs.schedule(s, job_id, START, None, "whatsapp:5491155550101")
        else:
            jobs.transition(s, job_id, target, "whatsapp:5491155550101", note="ok")
    with db.org_session(org[0]) as s:
        job = s.get(Job, job_id)
        assert job.status == target
        last = s.scalars(select(JobEvent).where(JobEvent.job_id == job_id).order_by(JobEvent.id.desc())).first()
        assert (last.kind, last.from_status, last.to_status) == ("status", current, target)
        assert last.actor == "whatsapp:5491155550101"
        entry = s.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
        assert entry.action == "job.status"
        assert entry.data == {"from": current.value, "to": target.value}


FORBIDDEN = [
    (S.PENDING, S.COMPLETED), (S.PENDING, S.EN_ROUTE), (S.PENDING, S.PAID),
    (S.SCHEDULED, S.COMPLETED), (S.SCHEDULED, S.INVOICED), (S.EN_ROUTE, S.PAID),
    (S.ON_SITE, S.SCHEDULED), (S.COMPLETED, S.CANCELLED), (S.COMPLETED, S.PAID),
    (S.INVOICED, S.COMPLETED), (S.PAID, S.CANCELLED), (S.CANCELLED, S.SCHEDULED),
    (S.NEEDS_FOLLOWUP, S.COMPLETED),
]


@pytest.mark.parametrize(("current", "target"), FORBIDDEN, ids=[f"{a}->{b}" for a, b in FORBIDDEN])
def test_forbidden_transition_raises_and_changes_nothing(db, org, current, target):
    job_id = _job_in(db, org, current)
    with db.org_session(org[0]) as s:
        events_before = len(s.scalars(select(JobEvent).where(JobEvent.job_id == job_id)).all())
        audit_before = len(s.scalars(select(AuditEntry)).all())
    with pytest.raises(InvalidTransition) as err, db.org_session(org[0]) as s:
        jobs.transition(s, job_id, target, "user:1")
    assert err.value.current == current.value and err.value.target == target.value
    assert f"from {current.value} to {target.value}" in str(err.value)
    with db.org_session(org[0]) as s:
        assert s.get(Job, job_id).status == current
        assert len(s.scalars(select(JobEvent).where(JobEvent.job_id == job_id)).all()) == events_before
        assert len(s.scalars(select(AuditEntry)).all()) == audit_before


def test_job_numbers_are_per_organization(db, make_org):
    a, b = make_org(), make_org()
    numbers = {}
    for org_id in (a, b, a):
        customer = add_customer_row(db, org_id, phone=f"+54911666600{len(numbers) + 10}")
        with db.org_session(org_id) as s:
            numbers.setdefault(org_id, []).append(
                jobs.create_job(s, {"customer_id": customer, "service": "gas"}).number
            )
    assert numbers == {a: [1, 2], b: [1]}


def test_create_job_validates_and_leaves_nothing_behind(db, org):
    org_id, customer_id, _tech = org
    bad = [
        {"customer_id": customer_id, "service": "carpintería"},
        {"customer_id": 999_999, "service": "plumbing"},
        {"customer_id": customer_id, "service": "plumbing", "technician_id": 999_999},
        {"customer_id": customer_id, "service": "plumbing",
         "scheduled_start": START, "scheduled_end": START - timedelta(hours=1)},
        {"customer_id": customer_id, "service": "plumbing", "scheduled_start": START.replace(tzinfo=None)},
    ]
    for data in bad:
        with pytest.raises(ValidationFailed), db.org_session(org_id) as s:
            jobs.create_job(s, data)
    with db.org_session(org_id) as s:
        assert s.scalars(select(Job)).all() == []
        assert s.scalars(select(AuditEntry).where(AuditEntry.action == "job.create")).all() == []


def test_scheduling_without_window_and_en_route_without_technician_are_refused(db, org):
    org_id, customer_id, tech_id = org
    with db.org_session(org_id) as s:
        job_id = jobs.create_job(s, {"customer_id": customer_id, "service": "electrical"}).id
    with pytest.raises(ValidationFailed, match="falta el día"), db.org_session(org_id) as s:
        jobs.transition(s, job_id, S.SCHEDULED, "user:1")
    with db.org_session(org_id) as s:
        jobs.schedule(s, job_id, START, START + timedelta(hours=3), "user:1")
        assert s.get(Job, job_id).status == S.SCHEDULED
    with pytest.raises(ValidationFailed, match="asigná un técnico"), db.org_session(org_id) as s:
        jobs.transition(s, job_id, S.EN_ROUTE, "user:1")
    with db.org_session(org_id) as s:
        jobs.assign_technician(s, job_id, tech_id, "user:1")
        job = jobs.transition(s, job_id, S.EN_ROUTE, "whatsapp:tech", eta_minutes=20)
        assert job.eta_at is not None and job.eta_at > job.updated_at
        kinds = [e.kind for e in s.scalars(select(JobEvent).where(JobEvent.job_id == job_id).order_by(JobEvent.id))]
        assert kinds == ["created", "scheduled", "status", "assigned", "status"]


def test_an_emergency_moved_past_its_window_is_urgent_no_longer_an_emergency(db, org):
    # Booked for now to two hours from now; an ETA put right inside that window keeps it an
    # emergency, a visit tomorrow morning makes it an urgent job, said in its history and audit.
    org_id, customer_id, tech_id = org
    with db.org_session(org_id) as s:
        job_id = jobs.create_job(s, {"customer_id": customer_id, "service": "plumbing",
                                     "urgency": "emergency", "technician_id": tech_id}).id
        jobs.schedule(s, job_id, START, START + timedelta(hours=2), "whatsapp:5491155550000")
        jobs.schedule(s, job_id, START + timedelta(minutes=40), START + timedelta(hours=2), "user:1")
        assert s.get(Job, job_id).urgency == "emergency"
        tomorrow = START + timedelta(hours=20)
        jobs.schedule(s, job_id, tomorrow, tomorrow + timedelta(hours=2), "whatsapp:5491155550000")
        assert s.get(Job, job_id).urgency == "urgent"
        last = s.scalars(select(JobEvent).where(JobEvent.job_id == job_id)
                         .order_by(JobEvent.id.desc())).first()
        assert last.data["urgency"] == ["emergency", "urgent"]
        audit = s.scalars(select(AuditEntry).where(AuditEntry.action == "job.rescheduled")
                          .order_by(AuditEntry.id.desc())).first()
        assert audit.data["urgency"] == ["emergency", "urgent"]
        # a normal job moved anywhere keeps its urgency
        other = jobs.create_job(s, {"customer_id": customer_id, "service": "plumbing"}).id
        jobs.schedule(s, other, START, None, "user:1")
        jobs.schedule(s, other, tomorrow, None, "user:1")
        assert s.get(Job, other).urgency == "normal"


def test_other_organizations_jobs_are_not_found(db, org, make_org):
    job_id = _job_in(db, org, S.PENDING)
    other = make_org()
    with pytest.raises(NotFound), db.org_session(other) as s:
        jobs.transition(s, job_id, S.CANCELLED, "user:9")
    with db.org_session(org[0]) as s:
        assert s.get(Job, job_id).status == S.PENDING


def test_a_visit_moves_to_another_address_of_its_customer_only(db, org):
    org_id, customer_id, _ = org
    job_id = _job_in(db, org, S.SCHEDULED)
    other_customer = add_customer_row(db, org_id, "Juan Pérez", "+5491166660002")
    with db.org_session(org_id) as s:
        sister = customers.add_address(s, customer_id, {"street": "Av. San Martín", "number": "2150"}).id
        strangers = customers.add_address(s, other_customer, {"street": "Yatay", "number": "820"}).id
        job = jobs.move_to_address(s, job_id, sister, "whatsapp:1")
        assert job.address_id == sister and job.address_text is None
        with pytest.raises(ValidationFailed):
            jobs.move_to_address(s, job_id, strangers, "whatsapp:1")
        [event] = s.scalars(select(JobEvent).where(JobEvent.job_id == job_id, JobEvent.kind == "address")).all()
        assert event.data["to"] == sister
        assert s.scalar(select(AuditEntry).where(AuditEntry.action == "job.address")) is not None
    done = _job_in(db, org, S.COMPLETED)
    with db.org_session(org_id) as s, pytest.raises(ValidationFailed):
        jobs.move_to_address(s, done, sister, "whatsapp:1")
