"""The owner's numbers: the daily summary, the week at a glance, who owes money, and when each
summary is due.

Days are the organization's local days (`Organization.time_zone`); timestamps are stored in
UTC, so a day is the half-open UTC range between two local midnights. Money is Decimal.

What counts:
- billed: invoices issued that day that really are invoices (`BILLED_STATUSES`); drafts,
  AFIP-rejected and cancelled ones are left out.
- collected: approved payments received that day (`paid_at`, or when recorded if it has
  none). A refund recorded as a negative approved payment subtracts; a payment later marked
  refunded no longer counts, since the model keeps no refund date.
- owed: per billed invoice, total minus its approved payments (linked by `invoice_id`),
  when positive.
- a job's day (the week's chart): the local day of its visit, or of its creation when it has
  no visit time yet; counted by its status now.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, or_, select, true
from sqlalchemy.orm import Session, aliased

from core import es_ar
from core.models import (
    Customer,
    Invoice,
    InvoiceStatus,
    Job,
    JobStatus,
    Organization,
    Payment,
    PaymentStatus,
    Service,
    Urgency,
    User,
)

BILLED_STATUSES = (InvoiceStatus.PENDING, InvoiceStatus.AUTHORIZED, InvoiceStatus.INTERNAL)
AGENDA_LINES = 5  # tomorrow's visits shown in the summary; the rest become "y N más"
SERVICE_LABELS = {
    Service.PLUMBING: "plomería",
    Service.ELECTRICAL: "electricidad",
    Service.GAS: "gas",
    Service.HVAC: "climatización",  # air conditioning and heating: one trade here
    Service.LOCKSMITH: "cerrajería",
    Service.OTHER: "trabajo",
}
ZERO = Decimal(0)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class AgendaItem:
    start: datetime  # local time of the organization
    customer: str  # the name in full, or the phone when that is all there is
    service: Service
    technician: str | None  # first name; None when nobody is assigned yet
    job_number: int

    @property
    def time_text(self) -> str:
        return es_ar.clock_hm(self.start)


@dataclass(frozen=True)
class DailySummary:
    day: date
    completed: int
    billed: Decimal
    collected: Decimal
    unpaid_total: Decimal
    debtors: int
    emergencies: int
    tomorrow: list[AgendaItem] = field(default_factory=list)
    opened: int = 0

    @property
    def quiet(self) -> bool:
        """Nothing happened today (what is owed and tomorrow's agenda aside)."""
        return not (self.completed or self.billed or self.collected or self.emergencies
                    or self.opened)


@dataclass(frozen=True)
class Debtor:
    customer_id: int
    name: str | None
    phone: str | None
    balance: Decimal
    oldest_invoice: date
    invoices: int


class UnpaidTotal(NamedTuple):
    total: Decimal
    debtors: int


# ---------------------------------------------------------------------------------------------
# Days

def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """UTC [start, end) of a local day; midnight to midnight, so DST days are 23 or 25 hours."""
    start = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return start, end


# ---------------------------------------------------------------------------------------------
# Queries (inside `Database.org_session(org_id)`: the tenant filter scopes every one of them)


def _paid_per_invoice():
    return (
        select(Payment.invoice_id, func.sum(Payment.amount).label("paid"))
        .where(Payment.status == PaymentStatus.APPROVED, Payment.invoice_id.is_not(None))
        .group_by(Payment.invoice_id)
        .subquery("paid_per_invoice")
    )


def _outstanding_invoices():
    """One row per billed invoice still owed: customer, outstanding amount, its date, and the
    job and invoice it is (for one technician's visits still owed)."""
    paid = _paid_per_invoice()
    outstanding = (Invoice.total - func.coalesce(paid.c.paid, ZERO)).label("outstanding")
    # Not yet numbered (waiting for AFIP): dated by when it was recorded.
    unissued = case((Invoice.issue_date.is_(None), Invoice.created_at)).label("unissued_at")
    return (
        select(Invoice.customer_id, outstanding, Invoice.issue_date, unissued, Invoice.job_id,
               Invoice.id.label("invoice_id"), Invoice.created_at)
        .outerjoin(paid, paid.c.invoice_id == Invoice.id)
        .where(Invoice.status.in_(BILLED_STATUSES))
        .where(Invoice.total - func.coalesce(paid.c.paid, ZERO) > 0)
        .subquery("outstanding_invoices")
    )


def unpaid_total(session: Session) -> UnpaidTotal:
    """Everything owed to the organization, and by how many customers."""
    owed = _outstanding_invoices()
    row = session.execute(
        select(func.coalesce(func.sum(owed.c.outstanding), ZERO),
               func.count(func.distinct(owed.c.customer_id)))
    ).one()
    return UnpaidTotal(_money(row[0]), int(row[1]))


def owed_by(session: Session, customer_id: int) -> Decimal:
    """What one customer owes, across their invoices (0 when nothing)."""
    owed = _outstanding_invoices()
    return _money(session.scalar(select(func.coalesce(func.sum(owed.c.outstanding), ZERO))
                                 .where(owed.c.customer_id == customer_id)))


def unpaid(session: Session, limit: int = 10) -> list[Debtor]:
    """Who owes money, biggest balance first (ties: oldest issued debt); `unpaid_total` sums all."""
    owed = _outstanding_invoices()
    balance = func.sum(owed.c.outstanding).label("balance")
    oldest_issued = func.min(owed.c.issue_date)
    oldest_unissued = func.min(owed.c.unissued_at).label("oldest_unissued")
    rows = session.execute(
        select(Customer.id, Customer.name, Customer.phone, balance,
               oldest_issued.label("oldest_issued"), oldest_unissued,
               func.count().label("invoices"))
        .join(owed, owed.c.customer_id == Customer.id)
        .group_by(Customer.id, Customer.name, Customer.phone)
        .order_by(balance.desc(), oldest_issued.asc(), Customer.id.asc())
        .limit(limit)
    ).all()
    return [
        Debtor(customer_id=r.id, name=r.name, phone=r.phone, balance=_money(r.balance),
               oldest_invoice=min(d for d in (r.oldest_issued, _utc_date(r.oldest_unissued)) if d),
               invoices=int(r.invoices))
        for r in rows
    ]


class OwedVisit(NamedTuple):
    customer: str | None
    job_number: int
    outstanding: Decimal


def owed_for_technician(session: Session, technician_id: int, limit: int = 10) -> list[OwedVisit]:
    """The visits of one technician whose invoice is still owed, oldest first: what he may be
    asked to collect ("¿quién me debe todavía?")."""
    owed = _outstanding_invoices()
    rows = session.execute(
        select(Customer.name, Job.number, owed.c.outstanding)
        .select_from(owed)
        .join(Job, Job.id == owed.c.job_id)
        .join(Customer, Customer.id == owed.c.customer_id)
        .where(Job.technician_id == technician_id)
        .order_by(owed.c.created_at, owed.c.invoice_id)
        .limit(limit)
    ).all()
    return [OwedVisit(r.name, r.number, _money(r.outstanding)) for r in rows]


def _utc_date(value: datetime | None) -> date | None:
    return value.astimezone(UTC).date() if value is not None else None


def _money(value: object) -> Decimal:
    if value is None:
        return ZERO
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def org_zone(session: Session, org: Organization | int) -> ZoneInfo:
    """The organization's time zone (its row fetched when given its id)."""
    if isinstance(org, int):
        org = session.get(Organization, org)
        if org is None:
            raise LookupError("organization not found in this session's scope")
    return es_ar.zone(org.time_zone)


class StretchNumbers(NamedTuple):
    completed: int
    emergencies: int
    billed: Decimal
    collected: Decimal
    opened: int = 0  # jobs that came in (booked, or opened from the back office)


def stretch_numbers(session: Session, zone: ZoneInfo, first: date, last: date,
                    technician_id: int | None = None) -> StretchNumbers:
    """The local days [first, last]: jobs that came in and finished, emergencies opened, invoices
    billed (by issue date) and payments received; only one technician's jobs' when given."""
    start, _ = day_bounds(first, zone)
    _, end = day_bounds(last, zone)
    theirs = true() if technician_id is None else Job.technician_id == technician_id
    their_jobs = select(Job.id).where(Job.technician_id == technician_id)
    completed = session.scalar(
        select(func.count()).select_from(Job)
        .where(Job.completed_at >= start, Job.completed_at < end, theirs)
    )
    opened, emergencies = session.execute(
        select(func.count(), func.count().filter(Job.urgency == Urgency.EMERGENCY))
        .select_from(Job).where(Job.created_at >= start, Job.created_at < end, theirs)
    ).one()
    billed = session.scalar(
        select(func.coalesce(func.sum(Invoice.total), ZERO))
        .where(Invoice.issue_date >= first, Invoice.issue_date <= last,
               Invoice.status.in_(BILLED_STATUSES),
               true() if technician_id is None else Invoice.job_id.in_(their_jobs))
    )
    received_at = func.coalesce(Payment.paid_at, Payment.created_at)
    collected = session.scalar(
        select(func.coalesce(func.sum(Payment.amount), ZERO))
        .where(Payment.status == PaymentStatus.APPROVED, received_at >= start, received_at < end,
               true() if technician_id is None else or_(
                   Payment.job_id.in_(their_jobs),
                   Payment.invoice_id.in_(select(Invoice.id).where(Invoice.job_id.in_(their_jobs)))))
    )
    return StretchNumbers(int(completed or 0), int(emergencies or 0), _money(billed),
                          _money(collected), int(opened or 0))


def daily_summary(session: Session, org: Organization | int, day: date) -> DailySummary:
    """The organization's local `day`: what got done, billed and collected; tomorrow's visits."""
    zone = org_zone(session, org)
    numbers = stretch_numbers(session, zone, day, day)
    owed = unpaid_total(session)
    return DailySummary(
        day=day,
        completed=numbers.completed,
        billed=numbers.billed,
        collected=numbers.collected,
        unpaid_total=owed.total,
        debtors=owed.debtors,
        emergencies=numbers.emergencies,
        tomorrow=agenda(session, day + timedelta(days=1), zone),
        opened=numbers.opened,
    )


DONE_OR_CANCELLED = (JobStatus.COMPLETED, JobStatus.INVOICED, JobStatus.PAID, JobStatus.CANCELLED)


def agenda(session: Session, day: date, zone: ZoneInfo | str, last: date | None = None,
           technician_ids: Collection[int] | None = None) -> list[AgendaItem]:
    """Visits still to make on a local day (or the days `day` to `last`), in order: cancelled
    ones and those already done ahead of their slot (completed, invoiced, paid) left out; only
    those of `technician_ids` when given."""
    if isinstance(zone, str):
        zone = es_ar.zone(zone)
    start, _ = day_bounds(day, zone)
    _, end = day_bounds(last or day, zone)
    technician = aliased(User)
    rows = session.execute(
        select(Job.number, Job.scheduled_start, Job.service, Customer.name, Customer.phone,
               technician.name.label("technician"))
        .join(Customer, Customer.id == Job.customer_id)
        .outerjoin(technician, technician.id == Job.technician_id)
        .where(Job.scheduled_start >= start, Job.scheduled_start < end)
        .where(Job.status.not_in(DONE_OR_CANCELLED))
        .where(Job.technician_id.in_(technician_ids) if technician_ids is not None else true())
        .order_by(Job.scheduled_start, Job.number)
    ).all()
    return [
        AgendaItem(
            start=r.scheduled_start.astimezone(zone),
            customer=r.name or r.phone or "cliente",  # in full: an owner says "lo de Paz"
            service=Service(r.service),
            technician=es_ar.first_name(r.technician),
            job_number=r.number,
        )
        for r in rows
    ]


@dataclass(frozen=True)
class DayNumbers:
    day: date
    jobs: dict[JobStatus, int]  # by status now; statuses without jobs left out
    billed: Decimal
    collected: Decimal

    @property
    def job_total(self) -> int:
        return sum(self.jobs.values())


@dataclass(frozen=True)
class WeekNumbers:
    start: date  # a Monday
    days: list[DayNumbers]  # Monday to Sunday

    @property
    def end(self) -> date:
        return self.start + timedelta(days=6)


def week_start(day: date) -> date:
    """The Monday of `day`'s week."""
    return day - timedelta(days=day.weekday())


def week_numbers(session: Session, org: Organization | int, day: date) -> WeekNumbers:
    """Monday to Sunday of `day`'s week, in the organization's local days: jobs per day by
    status, billed and collected per day (the same rules as `daily_summary`)."""
    zone = org_zone(session, org)
    first = week_start(day)
    days = [first + timedelta(days=n) for n in range(7)]
    start, _ = day_bounds(first, zone)
    _, end = day_bounds(days[-1], zone)

    jobs: dict[date, dict[JobStatus, int]] = {d: {} for d in days}
    when = func.coalesce(Job.scheduled_start, Job.created_at)
    for moment, status in session.execute(
        select(when, Job.status).where(when >= start, when < end)
    ).all():
        # Bucketed here: a local day is not a UTC day, and SQLite and PostgreSQL differ on zones.
        local = es_ar.aware(moment).astimezone(zone).date()
        if local in jobs:
            counts = jobs[local]
            counts[JobStatus(status)] = counts.get(JobStatus(status), 0) + 1

    billed = dict(session.execute(
        select(Invoice.issue_date, func.coalesce(func.sum(Invoice.total), ZERO))
        .where(Invoice.issue_date >= days[0], Invoice.issue_date <= days[-1],
               Invoice.status.in_(BILLED_STATUSES))
        .group_by(Invoice.issue_date)
    ).all())

    collected: dict[date, Decimal] = {}
    received_at = func.coalesce(Payment.paid_at, Payment.created_at)
    for moment, amount in session.execute(
        select(received_at, Payment.amount)
        .where(Payment.status == PaymentStatus.APPROVED, received_at >= start, received_at < end)
    ).all():
        local = es_ar.aware(moment).astimezone(zone).date()
        collected[local] = collected.get(local, ZERO) + Decimal(str(amount))

    return WeekNumbers(first, [
        DayNumbers(day=d, jobs=jobs[d], billed=_money(billed.get(d)), collected=_money(collected.get(d)))
        for d in days
    ])


# ---------------------------------------------------------------------------------------------
# Scheduling


def due_summaries(session_factory_or_db: object, now: datetime) -> list[int]:
    """Organizations whose `summary_hour` is the current local hour at `now`, by id.

    Takes a `Database` (its read-only `system_session()` is used) or a callable returning a
    session context manager. Meant for an hourly cron job: call it once an hour.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if hasattr(session_factory_or_db, "system_session"):
        open_session: Callable[[], AbstractContextManager[Session]] = (
            session_factory_or_db.system_session
        )
    else:
        open_session = session_factory_or_db  # type: ignore[assignment]
    with open_session() as session:
        rows = session.execute(
            select(Organization.id, Organization.time_zone, Organization.summary_hour)
            .order_by(Organization.id)
        ).all()
    return [org_id for org_id, zone, hour in rows if now.astimezone(es_ar.zone(zone)).hour == hour]
