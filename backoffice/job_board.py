"""What the jobs pages read and parse: Spanish labels, filters, board and agenda rows.
One job's timeline lives in `backoffice.job_timeline`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, case, func, select
from sqlalchemy.orm import Session

from backoffice.display import local_time, person
from backoffice.forms import FormError, parse_date
from backoffice.paging import Page, paginate
from core.errors import InvalidTransition
from core.models import (
    Customer,
    CustomerAddress,
    Job,
    JobStatus,
    Service,
    Urgency,
    User,
)

COLUMN_PREVIEW = 10  # jobs per status on the whole board; the rest are one tap away, paged
HOME_EMERGENCIES = 20  # open emergencies listed on the home page; the rest on the board
DESCRIPTION_MAX = 4000
PREVIEW = 140

S = JobStatus
# The board's columns, in the order a job usually walks through them.
STATUS_LABELS: dict[JobStatus, str] = {
    S.PENDING: "Pendiente",
    S.SCHEDULED: "Agendado",
    S.EN_ROUTE: "En camino",
    S.ON_SITE: "En el lugar",
    S.NEEDS_FOLLOWUP: "Necesita otra visita",
    S.COMPLETED: "Terminado",
    S.INVOICED: "Facturado",
    S.PAID: "Pagado",
    S.CANCELLED: "Cancelado",
}
SERVICE_LABELS: dict[Service, str] = {
    Service.PLUMBING: "Plomería",
    Service.ELECTRICAL: "Electricidad",
    Service.GAS: "Gas",
    Service.HVAC: "Climatización",
    Service.LOCKSMITH: "Cerrajería",
    Service.OTHER: "Otro",
}
URGENCY_LABELS: dict[Urgency, str] = {
    Urgency.NORMAL: "Normal",
    Urgency.URGENT: "Urgente",
    Urgency.EMERGENCY: "Emergencia",
}
EVENT_LABELS = {"created": "Creado", "status": "Cambio de estado", "assigned": "Técnico",
                "scheduled": "Agendado", "rescheduled": "Reprogramado", "photo": "Foto",
                "note": "Nota", "eta": "Nueva hora de llegada",
                "address": "Cambió la dirección"}


def status_label(status: JobStatus | str) -> str:
    return STATUS_LABELS.get(JobStatus(status), str(status))


def service_label(service: Service | str) -> str:
    return SERVICE_LABELS.get(Service(service), str(service))


def urgency_label(urgency: Urgency | str) -> str:
    return URGENCY_LABELS.get(Urgency(urgency), str(urgency))


LABELS = {"status_label": status_label, "service_label": service_label, "urgency_label": urgency_label}


def transition_message(exc: InvalidTransition) -> str:
    """The service's InvalidTransition, said in Spanish with the board's names for the states."""
    current, target = status_label(exc.current), status_label(exc.target)
    message = f"Un trabajo «{current}» no puede pasar a «{target}»."
    if not exc.allowed:
        return message + " Desde ahí ya no cambia de estado."
    return message + " Desde ahí puede pasar a: " + ", ".join(status_label(s) for s in exc.allowed) + "."


# ---- parsing what staff type -----------------------------------------------------------------

_CLOCK = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?(?::00)?\s*(?:h|hs)?\.?$", re.IGNORECASE)


def parse_clock(text: str | None, field: str) -> time | None:
    """An hour as typed on the 24-hour clock ("14:00", "9:30", "9.30", "14", "14 hs"); empty is None."""
    text = (text or "").strip()
    if not text:
        return None
    found = _CLOCK.match(text)
    try:
        if found is None:
            raise ValueError(text)
        return time(int(found.group(1)), int(found.group(2) or 0))
    except ValueError:
        raise FormError(field, "Esa hora no es válida: escribila como 14:30 (de 0:00 a 23:59).") from None


def parse_window(form, tz: ZoneInfo) -> tuple[datetime, datetime | None] | None:
    """Day + start (+ end) in the organization's time zone; None when all three are empty."""
    day = parse_date(form.get("day"), "day")
    start = parse_clock(form.get("start"), "start")
    end = parse_clock(form.get("end"), "end")
    if day is None and start is None and end is None:
        return None
    if day is None:
        raise FormError("day", "Elegí el día de la visita.")
    if start is None:
        raise FormError("start", "Poné la hora en que empieza la visita.")
    start_at = datetime.combine(day, start, tzinfo=tz)
    end_at = datetime.combine(day, end, tzinfo=tz) if end else None
    if end_at is not None and end_at <= start_at:
        raise FormError("end", "La hora de fin tiene que ser después de la de inicio.")
    return start_at, end_at


def parse_technician(text: str | None, technician_ids: set[int]) -> int | None:
    """A technician picked from the list; empty means nobody."""
    text = (text or "").strip()
    if not text:
        return None
    if not text.isdigit() or int(text) not in technician_ids:
        raise FormError("technician_id", "Ese técnico no existe o no está activo.")
    return int(text)


@dataclass(frozen=True)
class JobFilters:
    status: JobStatus | None = None
    technician_id: int | None = None
    service: Service | None = None
    day: date | None = None
    urgency: Urgency | None = None


def _choice(args, name: str, kind, message: str):
    value = (args.get(name) or "").strip()
    if not value:
        return None
    try:
        return kind(value)
    except ValueError:
        raise FormError(name, message) from None


def job_filters(args) -> JobFilters:
    technician = (args.get("technician") or "").strip()
    if technician and not technician.isdigit():
        raise FormError("technician", "Ese técnico no existe.")
    return JobFilters(
        status=_choice(args, "status", JobStatus, "Ese estado no existe."),
        technician_id=int(technician) if technician else None,
        service=_choice(args, "service", Service, "Ese tipo de trabajo no existe."),
        day=parse_date(args.get("date"), "date"),
        urgency=_choice(args, "urgency", Urgency, "Esa urgencia no existe."),
    )


# ---- the board and the day's agenda -------------------------------------------------------

@dataclass(frozen=True)
class JobRow:
    id: int
    number: int
    customer: str
    service: Service
    urgency: Urgency
    status: JobStatus
    technician_id: int | None
    technician: str | None
    start: datetime | None
    when: str
    description: str


def window_text(start: datetime | None, end: datetime | None, tz: ZoneInfo) -> str:
    if start is None:
        return ""
    text = local_time(start, tz, "%d/%m %H:%M")
    return text + (f"–{local_time(end, tz, '%H:%M')}" if end else "")


def customer_name(customer: Customer | None) -> str:
    if customer is None:
        return "(sin cliente)"
    return person(customer.name, customer.phone)


def _day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=tz)
    return start, datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)


def _query(filters: JobFilters, tz: ZoneInfo, only_technician: int | None) -> Select:
    query = (select(Job, Customer, User.name)
             .join(Customer, Customer.id == Job.customer_id)
             .outerjoin(User, User.id == Job.technician_id))
    if only_technician is not None:
        query = query.where(Job.technician_id == only_technician)
    if filters.status:
        query = query.where(Job.status == filters.status)
    if filters.technician_id is not None:
        query = query.where(Job.technician_id == filters.technician_id)
    if filters.service:
        query = query.where(Job.service == filters.service)
    if filters.urgency:
        query = query.where(Job.urgency == filters.urgency)
    if filters.day:
        since, until = _day_bounds(filters.day, tz)
        query = query.where(Job.scheduled_start >= since, Job.scheduled_start < until)
    return query


def _rows(session: Session, query: Select, tz: ZoneInfo) -> list[JobRow]:
    return [
        JobRow(id=job.id, number=job.number, customer=customer_name(customer), service=job.service,
               urgency=job.urgency, status=job.status, technician_id=job.technician_id,
               technician=tech_name, start=job.scheduled_start,
               when=window_text(job.scheduled_start, job.scheduled_end, tz),
               description=_preview(job.description))
        for job, customer, tech_name in session.execute(query).all()
    ]


def _preview(text: str | None) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= PREVIEW else text[:PREVIEW - 1] + "…"


CLOSED = frozenset({S.COMPLETED, S.INVOICED, S.PAID, S.CANCELLED})


def open_emergency() -> ColumnElement[bool]:
    """An emergency nobody has finished (or cancelled) yet: what needs attention first."""
    return and_(Job.urgency == Urgency.EMERGENCY, Job.status.not_in(CLOSED))


# Open emergencies first; then open work by visit time, soonest first and unscheduled last;
# closed work newest visit first. The number (unique) ends each order, so pages of one column
# never overlap.
_EMERGENCY_FIRST = case((open_emergency(), 0), else_=1)
_OPEN_ORDER = (_EMERGENCY_FIRST, Job.scheduled_start.asc().nulls_last(), Job.number.asc())
_CLOSED_ORDER = (Job.scheduled_start.desc().nulls_last(), Job.number.desc())


def column_order(status: JobStatus) -> tuple:
    return _CLOSED_ORDER if status in CLOSED else _OPEN_ORDER


@dataclass(frozen=True)
class BoardColumn:
    status: JobStatus
    rows: list[JobRow]  # the first COLUMN_PREVIEW
    total: int


def status_counts(session: Session, filters: JobFilters, tz: ZoneInfo, *,
                  only_technician: int | None = None) -> dict[JobStatus, int]:
    """How many jobs matching `filters` each status has."""
    query = _query(filters, tz, only_technician)
    return dict(session.execute(query.with_only_columns(Job.status, func.count(Job.id))
                                .group_by(Job.status)).all())


def board(session: Session, filters: JobFilters, tz: ZoneInfo, *, only_technician: int | None = None,
          per_column: int = COLUMN_PREVIEW) -> list[BoardColumn]:
    """The jobs matching `filters` by status in board order: each column's first `per_column`
    and how many it has in all (the whole column is `status_page`)."""
    counts = status_counts(session, filters, tz, only_technician=only_technician)
    columns = []
    for status in STATUS_LABELS:
        if counts.get(status):
            query = (_query(filters, tz, only_technician).where(Job.status == status)
                     .order_by(*column_order(status)).limit(per_column))
            columns.append(BoardColumn(status, _rows(session, query, tz), counts[status]))
    return columns


def status_page(session: Session, filters: JobFilters, tz: ZoneInfo, *,
                only_technician: int | None = None) -> Page:
    """One status's column (`filters.status`), the requested page of it."""
    query = _query(filters, tz, only_technician).order_by(*column_order(filters.status))
    return paginate(session, query, rows=lambda s, stmt: _rows(s, stmt, tz))


@dataclass(frozen=True)
class AgendaGroup:
    technician: str
    rows: list[JobRow]


def agenda(session: Session, filters: JobFilters, tz: ZoneInfo, *,
           only_technician: int | None = None) -> list[AgendaGroup]:
    """One day's visits per technician in time order (cancelled ones left out unless asked for),
    then the ones nobody is assigned to."""
    query = _query(filters, tz, only_technician).order_by(Job.scheduled_start, Job.number)
    if filters.status is None:
        query = query.where(Job.status != JobStatus.CANCELLED)
    groups: dict[int | None, list[JobRow]] = {}
    names: dict[int | None, str] = {None: "Sin técnico asignado"}
    for row in _rows(session, query, tz):
        groups.setdefault(row.technician_id, []).append(row)
        if row.technician_id is not None:
            names[row.technician_id] = row.technician or f"Técnico {row.technician_id}"
    order = sorted((k for k in groups if k is not None), key=lambda k: names[k].lower())
    if None in groups:
        order.append(None)
    return [AgendaGroup(names[k], groups[k]) for k in order]


# ---- the home page's open emergencies ----------------------------------------------------------

@dataclass(frozen=True)
class EmergencyRow:
    id: int
    number: int
    customer: str
    address: str
    technician: str | None
    status: JobStatus
    when: str


def open_emergencies(session: Session, tz: ZoneInfo, *, only_technician: int | None = None,
                     limit: int = HOME_EMERGENCIES) -> tuple[list[EmergencyRow], int]:
    """The first `limit` open emergencies (nobody sent yet first, then the oldest) and how many
    there are in all."""
    where = [open_emergency()]
    if only_technician is not None:
        where.append(Job.technician_id == only_technician)
    total = session.scalar(select(func.count(Job.id)).where(*where))
    if not total:
        return [], 0
    query = (select(Job, Customer, CustomerAddress, User.name)
             .join(Customer, Customer.id == Job.customer_id)
             .outerjoin(CustomerAddress, CustomerAddress.id == Job.address_id)
             .outerjoin(User, User.id == Job.technician_id)
             .where(*where)
             .order_by(Job.technician_id.is_(None).desc(), Job.number.asc())
             .limit(limit))
    rows = [
        EmergencyRow(id=job.id, number=job.number, customer=customer_name(customer),
                     address=" ".join(((address.one_line if address else job.address_text) or "").split()),
                     technician=tech_name, status=job.status,
                     when=window_text(job.scheduled_start, job.scheduled_end, tz))
        for job, customer, address, tech_name in session.execute(query).all()
    ]
    return rows, total
