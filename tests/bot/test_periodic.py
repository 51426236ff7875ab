"""Periodic messages through the real path (queued → RQ worker → fake Graph API): the owner's
daily summary at the organization's hour, and customers' reminders the evening before a visit."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from core import customers, jobs
from core.identity.users import create_user
from core.models import Message, Organization
from services.periodic import due_reminders, send_daily_summaries, send_reminders
from tests.bot.conftest import CUSTOMER
from tests.factories import add_customer_row, add_technician

BUENOS_AIRES = ZoneInfo("America/Argentina/Buenos_Aires")
OWNER = "5491155550100"
TECH = "5491155550101"
JUAN = "5491155550002"
ANA = "5491155550003"
WINDOW_TEMPLATE = "seguimiento_servicio"
WEEKDAYS = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")


def _today() -> date:
    return datetime.now(BUENOS_AIRES).date()


def _local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=BUENOS_AIRES)


def _text(payload: dict) -> str:
    """What the person reads: a text's body, or a template's parameters joined."""
    if payload["type"] == "template":
        return " ".join(p["text"] for c in payload["template"]["components"] for p in c["parameters"])
    return payload["text"]["body"]


def _add_owner(harness) -> None:
    with harness.db.org_session(harness.org_id) as s:
        create_user(s, {"name": "Roberto Gómez", "role": "owner", "phone": "+" + OWNER,
                        "email": "duenio@example.com", "password": "una-clave-larga"})


def _customer(harness, name: str, wa_id: str, **fields) -> int:
    with harness.db.org_session(harness.org_id) as s:
        return customers.create_customer(s, {"name": name, "phone": "+" + wa_id, **fields}).id


def _job(harness, customer_id: int, start: datetime | None, *, tech: int | None = None,
         address: str | None = None, hours: int = 2) -> tuple[int, int]:
    with harness.db.org_session(harness.org_id) as s:
        job = jobs.create_job(s, {
            "customer_id": customer_id, "service": "plumbing", "technician_id": tech,
            "address_text": address, "scheduled_start": start,
            "scheduled_end": start + timedelta(hours=hours) if start else None,
        })
        return job.id, job.number


def _complete(harness, job_id: int) -> None:
    with harness.db.org_session(harness.org_id) as s:
        for status in ("en_route", "on_site", "completed"):
            jobs.transition(s, job_id, status, "user:1")


def _set_summary_hour(harness, hour: int) -> None:
    with harness.db.org_session(harness.org_id) as s:
        s.get(Organization, harness.org_id).summary_hour = hour


# ---- the owner's daily summary ----------------------------------------------------------------

def test_the_owner_gets_the_daily_summary_once_at_the_chosen_hour(harness):
    _add_owner(harness)
    _set_summary_hour(harness, 21)
    tech = add_technician(harness.db, harness.org_id, "Carlos Rodríguez", "+" + TECH)
    marta = _customer(harness, "Marta García", CUSTOMER)
    today, tomorrow = _today(), _today() + timedelta(days=1)
    done, _ = _job(harness, marta, datetime.now(UTC) - timedelta(hours=3), tech=tech)
    _complete(harness, done)
    _job(harness, marta, _local(tomorrow, 10), tech=tech)

    # 21:00 in Buenos Aires is 00:00 UTC the next day: the summary is for the local day.
    now = _local(today, 21, 5).astimezone(UTC)
    ids = send_daily_summaries(harness.db, harness.redis, harness.settings, now)
    assert len(ids) == 1
    harness.work()

    [summary] = harness.replies(OWNER)
    payload = summary["payload"]
    # The owner never wrote: outside the 24-hour window the approved template carries the text.
    assert payload["type"] == "template" and payload["template"]["name"] == WINDOW_TEMPLATE
    text = _text(payload)
    assert f"Resumen del {WEEKDAYS[today.weekday()]} {today.day:02d}/{today.month:02d}" in text
    assert "✅ 1 trabajo terminado" in text
    assert "Mañana: • 10:00 Marta García — plomería (Carlos)" in text

    # The same hour again (a retried job, a second scheduler): nothing more goes out.
    assert send_daily_summaries(harness.db, harness.redis, harness.settings, now) == ids
    harness.work()
    assert len(harness.replies(OWNER)) == 1
    with harness.db.org_session(harness.org_id) as s:
        assert s.scalar(select(Message.idempotency_key).where(Message.id == ids[0])).startswith(
            f"summary:{harness.org_id}:{today.isoformat()}:")

    # Any other hour: not due.
    for hour in (20, 22):
        later = _local(today, hour).astimezone(UTC)
        assert send_daily_summaries(harness.db, harness.redis, harness.settings, later) == []
    harness.work()
    assert len(harness.replies(OWNER)) == 1


def test_no_summary_without_an_owner_phone(harness):
    _set_summary_hour(harness, 9)
    now = _local(_today(), 9).astimezone(UTC)
    assert send_daily_summaries(harness.db, harness.redis, harness.settings, now) == []


# ---- reminders the day before -----------------------------------------------------------------

def test_reminders_go_at_18_to_each_customer_with_a_visit_tomorrow(harness):
    tech = add_technician(harness.db, harness.org_id, "Carlos Rodríguez", "+" + TECH)
    today = _today()
    tomorrow, later = today + timedelta(days=1), today + timedelta(days=2)
    marta = _customer(harness, "Marta García", CUSTOMER)
    juan = _customer(harness, "Juan Pérez", JUAN)
    ana = _customer(harness, "Ana López", ANA)
    no_phone = add_customer_row(harness.db, harness.org_id, "Sin Teléfono", phone=None)

    _, marta_number = _job(harness, marta, _local(tomorrow, 9), tech=tech,
                           address="Av. Corrientes 1234, 3° B, CABA")
    _, juan_number = _job(harness, juan, _local(tomorrow, 15, 30), hours=2)
    _job(harness, juan, _local(later, 10), tech=tech)  # the day after: not yet
    _job(harness, juan, _local(today, 20), tech=tech)  # today: not a reminder
    cancelled, _ = _job(harness, ana, _local(tomorrow, 11), tech=tech)
    with harness.db.org_session(harness.org_id) as s:
        jobs.transition(s, cancelled, "cancelled", "user:1")
    _job(harness, no_phone, _local(tomorrow, 12), tech=tech)  # nobody to write to

    # Marta wrote an hour ago: her window is open, so she gets the plain text.
    harness.say("hola")
    harness.work()
    before = len(harness.replies(CUSTOMER))

    # Not 18:00 in Buenos Aires: nothing due.
    for hour in (17, 19):
        not_yet = _local(today, hour).astimezone(UTC)
        assert due_reminders(harness.db, not_yet) == []
        assert send_reminders(harness.db, harness.redis, harness.settings, not_yet) == 0

    now = _local(today, 18).astimezone(UTC)
    assert due_reminders(harness.db, now) == [harness.org_id]
    assert send_reminders(harness.db, harness.redis, harness.settings, now) == 2
    harness.work()

    to_marta = harness.replies(CUSTOMER)[before:]
    assert len(to_marta) == 1
    payload = to_marta[0]["payload"]
    assert payload["type"] == "text"
    weekday = WEEKDAYS[tomorrow.weekday()]
    assert payload["text"]["body"] == (
        f"Hola Marta 👋 Te recordamos que mañana {weekday} {tomorrow.day}/{tomorrow.month} "
        f"entre las 9 y las 11 pasa Carlos por Av. Corrientes 1234 (trabajo #{marta_number}). "
        "Si necesitás cambiar el día, respondé a este mensaje."
    )

    # Juan never wrote: the approved template carries the same words.
    [to_juan] = harness.replies(JUAN)
    assert to_juan["payload"]["type"] == "template"
    assert to_juan["payload"]["template"]["name"] == WINDOW_TEMPLATE
    text = _text(to_juan["payload"])
    assert text.startswith("Hola Juan 👋 Te recordamos que mañana")
    assert "entre las 15:30 y las 17:30 pasa un técnico (trabajo #" in text
    assert f"#{juan_number})" in text
    assert harness.replies(ANA) == []

    # A second run at the same hour queues and sends nothing more.
    assert send_reminders(harness.db, harness.redis, harness.settings, now) == 0
    harness.work()
    assert len(harness.replies(CUSTOMER)) == before + 1
    assert len(harness.replies(JUAN)) == 1
    with harness.db.org_session(harness.org_id) as s:
        keys = sorted(s.scalars(select(Message.idempotency_key)
                                .where(Message.idempotency_key.like("reminder:%"))))
    assert len(keys) == 2 and all(k.endswith(f":{tomorrow.isoformat()}:0") for k in keys)
