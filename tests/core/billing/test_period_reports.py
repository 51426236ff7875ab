"""The owner's numbers over a week, a month or a year: which stretch a question names, and the
same counting rules as the daily summary over it."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from core import jobs
from core.billing.period_reports import (
    Period,
    PeriodSummary,
    asked_ahead,
    asked_period,
    period_summary,
)
from core.billing.report_texts import render_agenda_ahead, render_period_summary
from core.billing.reports import agenda
from core.models import Invoice, InvoiceStatus, JobStatus, Payment, PaymentMethod, PaymentStatus
from tests.factories import add_customer_row, create_org

BA = ZoneInfo("America/Argentina/Buenos_Aires")
TODAY = date(2026, 12, 4)  # a Friday


@pytest.mark.parametrize(("text", "first", "last", "label"), [
    ("cuánto facturamos este mes?", date(2026, 12, 1), TODAY, "diciembre hasta hoy"),
    ("como venimos en el mes", date(2026, 12, 1), TODAY, "diciembre hasta hoy"),
    ("resumen del mes pasado", date(2026, 11, 1), date(2026, 11, 30), "noviembre"),
    ("cómo nos fue la semana pasada?", date(2026, 11, 23), date(2026, 11, 29), "la semana pasada"),
    ("como venimos esta semana", date(2026, 11, 30), TODAY, "esta semana"),
    ("cuanto cobramos en octubre", date(2026, 10, 1), date(2026, 10, 31), "octubre"),
    ("y en diciembre?", date(2026, 12, 1), TODAY, "diciembre hasta hoy"),
    ("cuánto se facturó en enero", date(2026, 1, 1), date(2026, 1, 31), "enero"),
    ("cómo venimos este año", date(2026, 1, 1), TODAY, "2026 hasta hoy"),
    ("resumen del año pasado", date(2025, 1, 1), date(2025, 12, 31), "2025"),
])
def test_the_stretch_a_question_names(text, first, last, label):
    assert asked_period(text, TODAY) == Period(first, last, label)


@pytest.mark.parametrize("text", [
    "resumen", "cómo nos fue ayer?", "resumen del lunes", "qué hay para la semana que viene?",
    "cuánto vamos a facturar el mes que viene", "¿quién me debe?",
])
def test_a_day_or_the_future_is_not_a_stretch(text):
    assert asked_period(text, TODAY) is None


def _at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=BA)


def test_a_month_counts_its_jobs_invoices_and_payments_and_nothing_outside_it(pg_db):
    org_id = create_org(pg_db, "Plomería Ramos", slug="plomeria-ramos")
    marta = add_customer_row(pg_db, org_id, "Marta García", "+5491166660001")
    with pg_db.org_session(org_id) as s:
        for done in (_at(date(2026, 11, 2), 10), _at(date(2026, 11, 30), 23),  # in November
                     _at(date(2026, 10, 31), 23), _at(date(2026, 12, 1), 0)):   # either side
            job = jobs.create_job(s, {"customer_id": marta, "service": "plumbing"})
            job.completed_at, job.status = done, JobStatus.COMPLETED
        for issued, total in ((date(2026, 11, 15), "30000"), (date(2026, 12, 1), "99999")):
            s.add(Invoice(customer_id=marta, punto_de_venta=1, total=Decimal(total),
                          status=InvoiceStatus.AUTHORIZED, issue_date=issued))
        s.add(Invoice(customer_id=marta, punto_de_venta=1, total=Decimal(5000),
                      status=InvoiceStatus.DRAFT, issue_date=date(2026, 11, 16)))  # not billed
        for paid, amount in ((_at(date(2026, 11, 20), 12), "12500"), (_at(date(2026, 10, 30), 12), "1")):
            s.add(Payment(amount=Decimal(amount), paid_at=paid, status=PaymentStatus.APPROVED,
                          method=PaymentMethod.CASH))
    period = asked_period("resumen del mes pasado", TODAY)
    with pg_db.org_session(org_id) as s:
        summary = period_summary(s, org_id, period)
    assert (summary.completed, summary.billed, summary.collected) == (2, Decimal("30000.00"), Decimal("12500.00"))
    text = render_period_summary(summary)
    assert text.startswith("📋 Resumen de noviembre (1/11 al 30/11)\n✅ 2 trabajos terminados\n")
    assert "🧾 Facturado: $30.000\n💰 Cobrado: $12.500\n⏳ Hoy te deben: $129.999 (1 cliente)" in text


def test_a_quiet_stretch_says_so(pg_db):
    org_id = create_org(pg_db, "Plomería Ramos", slug="plomeria-ramos")
    with pg_db.org_session(org_id) as s:
        text = render_period_summary(period_summary(s, org_id, asked_period("este año", TODAY)))
    assert text == "📋 Resumen de 2026 hasta hoy (1/1 al 4/12)\nEn esos días no se terminaron trabajos ni entraron cobros."


def test_billed_with_nothing_collected_says_so():
    # "¿cuánta guita entró?": with invoices out and no payment in, the answer is $0, not silence
    summary = PeriodSummary(period=asked_period("este mes", TODAY), completed=1,
                            billed=Decimal(18000), collected=Decimal(0), emergencies=0,
                            unpaid_total=Decimal(18000), debtors=1)
    text = render_period_summary(summary)
    assert "🧾 Facturado: $18.000\n💰 Cobrado: $0\n⏳ Hoy te deben: $18.000 (1 cliente)" in text


def test_the_jobs_that_came_in_are_counted(pg_db):
    # "¿cuántos trabajos hicimos este mes?": with nothing finished yet, the jobs that came in
    org_id = create_org(pg_db, "Plomería Ramos", slug="plomeria-ramos")
    marta = add_customer_row(pg_db, org_id, "Marta García", "+5491166660001")
    with pg_db.org_session(org_id) as s:
        for opened, urgency in ((_at(date(2026, 11, 3), 9), "emergency"),
                                (_at(date(2026, 11, 20), 18), "normal"),
                                (_at(date(2026, 11, 30), 23), "urgent"),
                                (_at(date(2026, 10, 31), 23), "emergency")):  # October: not counted
            job = jobs.create_job(s, {"customer_id": marta, "service": "plumbing",
                                      "urgency": urgency})
            job.created_at = opened
    with pg_db.org_session(org_id) as s:
        summary = period_summary(s, org_id, asked_period("resumen del mes pasado", TODAY))
    assert (summary.opened, summary.completed, summary.emergencies, summary.quiet) == (3, 0, 1, False)
    assert render_period_summary(summary) == (
        "📋 Resumen de noviembre (1/11 al 30/11)\n📥 3 trabajos nuevos\n🚨 1 emergencia")
    # "¿cuánta guita entró el mes pasado?": the money is answered, nothing came in
    assert render_period_summary(summary, money=True) == (
        "📋 Resumen de noviembre (1/11 al 30/11)\n📥 3 trabajos nuevos\n💰 Cobrado: $0\n🚨 1 emergencia")


@pytest.mark.parametrize(("text", "first", "last", "label"), [
    ("y la semana que viene?", date(2026, 12, 7), date(2026, 12, 13), "la semana que viene"),
    ("qué tenemos la próxima semana", date(2026, 12, 7), date(2026, 12, 13), "la semana que viene"),
    ("cómo viene lo que queda de la semana", TODAY, date(2026, 12, 6), "lo que queda de la semana"),
])
def test_the_coming_days_an_owner_asks_about(text, first, last, label):
    assert asked_ahead(text, TODAY) == Period(first, last, label)


@pytest.mark.parametrize("text", ["como venimos esta semana", "resumen de la semana pasada", "pasame el resumen"])
def test_figures_are_not_the_coming_days(text):
    assert asked_ahead(text, TODAY) is None


def test_the_coming_week_lists_its_visits_day_by_day(pg_db):
    org_id = create_org(pg_db, "Plomería Ramos", slug="plomeria-ramos")
    marta = add_customer_row(pg_db, org_id, "Marta García", "+5491166660001")
    with pg_db.org_session(org_id) as s:
        for start, status in ((_at(date(2026, 12, 9), 14), JobStatus.SCHEDULED),
                              (_at(date(2026, 12, 7), 9), JobStatus.SCHEDULED),
                              (_at(date(2026, 12, 8), 10), JobStatus.CANCELLED),  # not a visit
                              (_at(date(2026, 12, 14), 9), JobStatus.SCHEDULED)):  # the week after
            job = jobs.create_job(s, {"customer_id": marta, "service": "plumbing",
                                      "scheduled_start": start})
            job.status = status
    ahead = asked_ahead("qué tenemos la semana que viene?", TODAY)
    with pg_db.org_session(org_id) as s:
        visits = agenda(s, ahead.first, "America/Argentina/Buenos_Aires", last=ahead.last)
    assert render_agenda_ahead(ahead, visits, TODAY) == (
        "🗓️ Agenda de la semana que viene (7/12 al 13/12)\n"
        "• Lunes 7/12 9:00 Marta García — plomería (#2, sin técnico)\n"
        "• Miércoles 9/12 14:00 Marta García — plomería (#1, sin técnico)")
    assert render_agenda_ahead(ahead, [], TODAY) == (
        "🗓️ Agenda de la semana que viene (7/12 al 13/12)\nNo hay visitas agendadas todavía.")


def test_one_coming_day_is_named_as_people_name_it():
    monday = Period(date(2026, 12, 7), date(2026, 12, 7), "2026-12-07")
    assert render_agenda_ahead(monday, [], TODAY) == (
        "🗓️ Agenda del lunes 7/12\nNo hay visitas agendadas todavía.")
    tomorrow = Period(date(2026, 12, 5), date(2026, 12, 5), "2026-12-05")
    assert render_agenda_ahead(tomorrow, [], TODAY).startswith("🗓️ Agenda de mañana\n")


def test_one_technicians_month_counts_only_their_jobs(pg_db):
    # "¿cuántos trabajos hizo Carlos este mes?" once got the whole business's month
    from core.billing.reports import stretch_numbers
    from tests.factories import add_technician

    org_id = create_org(pg_db, "Plomería Ramos", slug="plomeria-ramos")
    marta = add_customer_row(pg_db, org_id, "Marta García", "+5491166660001")
    carlos = add_technician(pg_db, org_id, "Carlos Pereyra", "+5491162345678")
    diego = add_technician(pg_db, org_id, "Diego Acosta", "+5491171234567")
    with pg_db.org_session(org_id) as s:
        made = {}
        for who, day in ((carlos, 3), (carlos, 10), (diego, 12), (carlos, 40)):  # 40: not November
            job = jobs.create_job(s, {"customer_id": marta, "service": "plumbing", "technician_id": who})
            job.status = JobStatus.COMPLETED
            job.completed_at = _at(date(2026, 10, 31) + timedelta(days=day), 15)
            made.setdefault(who, []).append(job.id)
        s.add(Invoice(customer_id=marta, job_id=made[carlos][0], punto_de_venta=1, total=Decimal(20000),
                      status=InvoiceStatus.AUTHORIZED, issue_date=date(2026, 11, 3)))
        s.add(Invoice(customer_id=marta, job_id=made[diego][0], punto_de_venta=1, total=Decimal(9000),
                      status=InvoiceStatus.AUTHORIZED, issue_date=date(2026, 11, 12)))
        s.add(Payment(amount=Decimal(20000), job_id=made[carlos][0], paid_at=_at(date(2026, 11, 4), 12),
                      status=PaymentStatus.APPROVED, method=PaymentMethod.CASH))
    period = asked_period("el mes pasado", TODAY)
    with pg_db.org_session(org_id) as s:
        theirs = stretch_numbers(s, BA, period.first, period.last, technician_id=carlos)
        everyone = stretch_numbers(s, BA, period.first, period.last)
    assert (theirs.completed, theirs.billed, theirs.collected) == (2, Decimal("20000.00"), Decimal("20000.00"))
    assert (everyone.completed, everyone.billed) == (3, Decimal("29000.00"))
