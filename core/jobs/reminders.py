"""The customer's reminder of a visit: which visits a day has, the text, and the key that
keeps one reminder per visit and day — whether the evening cron sends it (`services.periodic`)
or the owner asks for it sooner ("mandales ahora un recordatorio a los de mañana")."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from core import es_ar
from core.messaging import texts
from core.models import Customer, Job, JobStatus

ADDRESS_MAX = 60
REMINDER_HOUR = 18  # org-local: the evening before the visit


def reminder_key(job: Job, day: date) -> str:
    """The outbox key of a visit's reminder for `day`: a job moved to another day gets one again."""
    return f"reminder:{job.id}:{day.isoformat()}"


def visits_on(session: Session, day: date, zone: ZoneInfo) -> list[Job]:
    start = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return list(session.scalars(
        select(Job)
        .join(Customer, Customer.id == Job.customer_id)
        .options(joinedload(Job.customer), joinedload(Job.technician), joinedload(Job.address))
        .where(Job.status == JobStatus.SCHEDULED, Customer.phone.is_not(None),
               Job.scheduled_start >= start, Job.scheduled_start < end)
        .order_by(Job.scheduled_start, Job.number)
    ).unique())


def reminder_text(job: Job, zone: ZoneInfo, lead: str = "mañana") -> str:
    """The reminder; `lead` says the day before the date: "mañana", "hoy", or "el" (a later day)."""
    return texts.render(
        "reminder", lead=lead,
        name=es_ar.first_name(job.customer.name),
        when=_when(job, zone),
        tech=es_ar.first_name(job.technician.name if job.technician else None),
        address=_short_address(job),
        number=job.number,
    )


def _at(moment: datetime) -> str:
    """"las 9", "la 1", "las 14:30": es_ar.at_hour without its "a", for "entre las 9 y las 11"."""
    return f"{'la' if moment.hour == 1 else 'las'} {es_ar.clock(moment)}"


def _when(job: Job, zone: ZoneInfo) -> str:
    """"jueves 27/11 entre las 9 y las 11" (the visit window, org-local)."""
    start = job.scheduled_start.astimezone(zone)
    day = es_ar.weekday_date(start.date())  # never "mañana": the text says that already
    end = job.scheduled_end.astimezone(zone) if job.scheduled_end else None
    if end is None or end <= start or end.date() != start.date():
        return f"{day} {es_ar.at_hour(start)}"
    return f"{day} entre {_at(start)} y {_at(end)}"


def _short_address(job: Job) -> str | None:
    """Street and number, without unit or locality: "Av. Corrientes 1234"."""
    if job.address is not None:
        text = f"{job.address.street} {job.address.number or ''}".strip()
    else:
        text = (job.address_text or "").split(",")[0].strip()
    text = " ".join(text.split())
    if not text:
        return None
    return text if len(text) <= ADDRESS_MAX else text[: ADDRESS_MAX - 1].rstrip() + "…"
