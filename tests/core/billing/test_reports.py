"""The owner's daily summary, "¿quién me debe?", peso formatting and when summaries are due."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from core import jobs
from core.billing import report_texts, reports
from core.billing.reports import AgendaItem, DailySummary, Debtor
from core.es_ar import pesos as format_pesos
from core.models import (
    Invoice,
    InvoiceStatus,
    Job,
    JobStatus,
    Organization,
    Payment,
    PaymentMethod,
    PaymentStatus,
    Urgency,
)
from tests.factories import add_customer_row, add_technician, create_org

BA = ZoneInfo("America/Argentina/Buenos_Aires")
DAY = date(2026, 11, 24)  # a Tuesday
I, P = InvoiceStatus, PaymentStatus


def local(day: date, hour: int, minute: int = 0, zone: ZoneInfo = BA) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)


@pytest.fixture
def org(pg_db):
    org_id = create_org(pg_db, "Plomería Ramos", slug="plomeria-ramos")
    customers = {
        "marta": add_customer_row(pg_db, org_id, "Marta García", "+5491166660001"),
        "luis": add_customer_row(pg_db, org_id, "Luis Pérez", "+5491166660002"),
        "ana": add_customer_row(pg_db, org_id, "Ana Sosa", "+5491166660003"),
        "nameless": add_customer_row(pg_db, org_id, None, "+5491166660004"),
    }
    tech = add_technician(pg_db, org_id, "Carlos Técnico", "+5491155550101")
    return org_id, customers, tech


def _job(s, customer_id: int, *, tech: int | None = None, start: datetime | None = None,
         urgency: Urgency = Urgency.NORMAL, created_at: datetime | None = None,
         completed_at: datetime | None = None, service: str = "plumbing") -> Job:
    job = jobs.create_job(s, {"customer_id": customer_id, "service": service, "urgency": urgency,
                              "technician_id": tech, "scheduled_start": start})
    if created_at is not None:
        job.created_at = created_at
    if completed_at is not None:
        job.completed_at = completed_at
        job.status = JobStatus.COMPLETED
    s.flush()
    return job


def _invoice(s, customer_id: int, total: str, status: InvoiceStatus,
             issue_date: date | None = DAY, **fields) -> int:
    invoice = Invoice(customer_id=customer_id, punto_de_venta=1, total=Decimal(total),
                      status=status, issue_date=issue_date, **fields)
    s.add(invoice)
    s.flush()
    return invoice.id


def _payment(s, amount: str, paid_at: datetime | None, *, invoice_id: int | None = None,
             status: PaymentStatus = P.APPROVED, method: PaymentMethod = PaymentMethod.CASH,
             **fields) -> None:
    s.add(Payment(invoice_id=invoice_id, amount=Decimal(amount), paid_at=paid_at, status=status,
                  method=method, **fields))
    s.flush()


def _summary(pg_db, org_id: int, day: date = DAY) -> DailySummary:
    with pg_db.org_session(org_id) as s:
        return reports.daily_summary(s, s.get(Organization, org_id), day)


# --- the daily summary ---------------------------------------------------------------------------


@pytest.fixture
def busy_day(pg_db, org):
    org_id, c, _ = org
    with pg_db.org_session(org_id) as s:
        # Completed: 10:00 and 23:30 local count (23:30 is already the 25th in UTC);
        # 23:59 the day before and 00:00 the day after do not.
        _job(s, c["marta"], completed_at=local(DAY, 10))
        _job(s, c["luis"], completed_at=local(DAY, 23, 30))
        _job(s, c["ana"], completed_at=local(DAY - timedelta(days=1), 23, 59))
        _job(s, c["ana"], completed_at=local(DAY + timedelta(days=1), 0))
        # Emergencies: one asked for today at 22:00 local (01:00 UTC next day), one yesterday.
        _job(s, c["luis"], urgency=Urgency.EMERGENCY, created_at=local(DAY, 22))
        _job(s, c["luis"], urgency=Urgency.EMERGENCY, created_at=local(DAY - timedelta(days=1), 9))
        _job(s, c["marta"], urgency=Urgency.URGENT, created_at=local(DAY, 11))

        marta = _invoice(s, c["marta"], "50000", I.AUTHORIZED, cbte_tipo=11, number=1)
        luis = _invoice(s, c["luis"], "30000", I.INTERNAL)
        _invoice(s, c["ana"], "40000", I.CANCELLED)
        _invoice(s, c["ana"], "10000", I.DRAFT)
        _invoice(s, c["ana"], "12000", I.REJECTED)
        ana = _invoice(s, c["ana"], "20000.50", I.PENDING, issue_date=DAY - timedelta(days=3))

        _payment(s, "20000", local(DAY, 15), invoice_id=marta)  # partial: leaves 30.000
        _payment(s, "30000", local(DAY, 23, 45), invoice_id=luis, method=PaymentMethod.TRANSFER)
        _payment(s, "5000", None, invoice_id=marta, status=P.PENDING)  # link sent, not paid
        _payment(s, "7000", local(DAY, 12), invoice_id=marta, status=P.REFUNDED)
        _payment(s, "-2000", local(DAY, 18))  # a refund given back in cash
        _payment(s, "10000", local(DAY - timedelta(days=2), 10), invoice_id=ana)
        _payment(s, "999", local(DAY + timedelta(days=1), 0, 1))  # tomorrow already
    return org_id


def test_daily_summary_numbers(pg_db, busy_day):
    summary = _summary(pg_db, busy_day)
    assert summary.day == DAY
    assert summary.completed == 2
    assert summary.emergencies == 1
    assert summary.opened == 2  # the 22:00 emergency and the 11:00 urgent job came in that day
    assert summary.billed == Decimal("80000.00")  # cancelled, draft and rejected left out
    assert summary.collected == Decimal("48000.00")  # 20.000 + 30.000 − 2.000 refunded
    assert summary.unpaid_total == Decimal("40000.50")  # 30.000 Marta + 10.000,50 Ana
    assert summary.debtors == 2
    assert isinstance(summary.billed, Decimal)
    assert not summary.quiet


def test_daily_summary_text(pg_db, busy_day):
    text = report_texts.render_summary(_summary(pg_db, busy_day))
    assert text == (
        "📋 Resumen del martes 24/11\n"
        "📥 2 trabajos nuevos\n"
        "✅ 2 trabajos terminados\n"
        "🧾 Facturado: $80.000\n"
        "💰 Cobrado: $48.000\n"
        "⏳ Te deben: $40.000,50 (2 clientes)\n"
        "🚨 1 emergencia\n"
        "\n"
        "Mañana no tenés nada agendado todavía."
    )


def test_day_is_the_local_day_of_the_org(pg_db, busy_day):
    # The 23:30 job, the 23:45 payment and the 22:00 emergency are not the 25th's.
    summary = _summary(pg_db, busy_day, DAY + timedelta(days=1))
    assert summary.completed == 1  # only the one at 00:00 local on the 25th
    assert summary.emergencies == 0
    assert summary.collected == Decimal("999.00")
    assert summary.billed == Decimal(0)


def test_other_time_zone(pg_db):
    org_id = create_org(pg_db, "Madrid Fontanería", slug="madrid", time_zone="Europe/Madrid")
    customer = add_customer_row(pg_db, org_id)
    madrid = ZoneInfo("Europe/Madrid")
    with pg_db.org_session(org_id) as s:
        _job(s, customer, completed_at=local(DAY, 0, 30, madrid))  # 23:30 UTC the day before
        _job(s, customer, completed_at=local(DAY, 23, 30, madrid))
    assert _summary(pg_db, org_id).completed == 2
    assert _summary(pg_db, org_id, DAY - timedelta(days=1)).completed == 0


def test_other_organizations_do_not_leak(pg_db, busy_day):
    other = create_org(pg_db, "Otra", slug="otra")
    customer = add_customer_row(pg_db, other)
    with pg_db.org_session(other) as s:
        _job(s, customer, completed_at=local(DAY, 12))
        _invoice(s, customer, "1000", I.AUTHORIZED)
    summary = _summary(pg_db, busy_day)
    assert (summary.completed, summary.billed, summary.debtors) == (2, Decimal(80000), 2)
    other_summary = _summary(pg_db, other)
    assert (other_summary.completed, other_summary.unpaid_total) == (1, Decimal(1000))


def test_tomorrows_agenda_in_order(pg_db, org):
    org_id, c, tech = org
    tomorrow = DAY + timedelta(days=1)
    with pg_db.org_session(org_id) as s:
        _job(s, c["luis"], tech=tech, start=local(tomorrow, 14), service="electrical")
        _job(s, c["marta"], tech=tech, start=local(tomorrow, 9))
        _job(s, c["nameless"], start=local(tomorrow, 9), service="gas")
        _job(s, c["ana"], start=local(tomorrow, 23, 30), service="locksmith")  # 02:30 UTC +1
        cancelled = _job(s, c["ana"], start=local(tomorrow, 10))
        jobs.transition(s, cancelled.id, JobStatus.CANCELLED, "user:1")
        # done today ahead of tomorrow's slot: not a visit to make any more
        _job(s, c["luis"], tech=tech, start=local(tomorrow, 8), completed_at=local(DAY, 18))
        _job(s, c["ana"], start=local(DAY, 23))  # today, not tomorrow
        _job(s, c["ana"], start=local(tomorrow + timedelta(days=1), 0))  # day after
        _job(s, c["ana"])  # not scheduled at all
    summary = _summary(pg_db, org_id)
    agenda = [(i.time_text, i.customer, i.service.value, i.technician) for i in summary.tomorrow]
    assert agenda == [
        ("9:00", "Marta García", "plumbing", "Carlos"),
        ("9:00", "+5491166660004", "gas", None),
        ("14:00", "Luis Pérez", "electrical", "Carlos"),
        ("23:30", "Ana Sosa", "locksmith", None),
    ]
    assert all(i.start.tzinfo is not None and i.start.utcoffset() == timedelta(hours=-3)
               for i in summary.tomorrow)
    text = report_texts.render_summary(summary)
    assert text.endswith(
        "Mañana:\n"
        "• 9:00 Marta García — plomería (Carlos)\n"
        "• 9:00 +5491166660004 — gas (sin técnico)\n"
        "• 14:00 Luis Pérez — electricidad (Carlos)\n"
        "• 23:30 Ana Sosa — cerrajería (sin técnico)"
    )


def test_long_agenda_is_cut_for_the_phone():
    zone_day = DAY + timedelta(days=1)
    items = [AgendaItem(local(zone_day, 8 + n), f"Cliente{n}", reports.Service.PLUMBING, "Carlos", n)
             for n in range(8)]
    summary = DailySummary(day=DAY, completed=3, billed=Decimal(1), collected=Decimal(1),
                           unpaid_total=Decimal(1), debtors=1, emergencies=2, tomorrow=items)
    text = report_texts.render_summary(summary)
    assert "• 12:00 Cliente4" in text and "Cliente5" not in text
    assert text.endswith("…y 3 visitas más")
    assert len(text.splitlines()) <= 15


def test_empty_day(pg_db, org):
    summary = _summary(pg_db, org[0])
    assert summary.quiet
    assert (summary.completed, summary.billed, summary.collected) == (0, Decimal(0), Decimal(0))
    assert summary.unpaid_total == Decimal(0) and summary.tomorrow == []
    assert report_texts.render_summary(summary) == (
        "📋 Resumen del martes 24/11\n"
        "Hoy fue un día tranquilo: no se terminaron trabajos ni entraron cobros. "
        "¡A recargar pilas! ☕\n"
        "\n"
        "Mañana no tenés nada agendado todavía."
    )


def test_quiet_day_still_shows_what_is_owed_and_singulars():
    summary = DailySummary(day=date(2026, 11, 29), completed=0, billed=Decimal(0),
                           collected=Decimal(0), unpaid_total=Decimal(15000), debtors=1,
                           emergencies=0)
    text = report_texts.render_summary(summary)
    assert text.startswith("📋 Resumen del domingo 29/11\nHoy fue un día tranquilo")
    assert "⏳ Te deben: $15.000 (1 cliente)" in text
    busy = DailySummary(day=DAY, completed=1, billed=Decimal(0), collected=Decimal(500),
                        unpaid_total=Decimal(0), debtors=0, emergencies=2)
    text = report_texts.render_summary(busy)
    assert "✅ 1 trabajo terminado\n💰 Cobrado: $500\n🚨 2 emergencias" in text
    assert "Facturado" not in text and "Te deben" not in text


# --- ¿quién me debe? ----------------------------------------------------------------------------


def test_unpaid_ordering_and_total(pg_db, org):
    org_id, c, _ = org
    with pg_db.org_session(org_id) as s:
        # Marta: two invoices, one partly paid → 8.000 + 5.000 = 13.000, oldest the 1st.
        first = _invoice(s, c["marta"], "10000", I.AUTHORIZED, issue_date=date(2026, 11, 1))
        _payment(s, "2000", local(date(2026, 11, 2), 10), invoice_id=first)
        _invoice(s, c["marta"], "5000", I.INTERNAL, issue_date=date(2026, 11, 20))
        # Luis: 20.000 owed; a cancelled invoice and an overpaid one add nothing.
        _invoice(s, c["luis"], "20000", I.PENDING, issue_date=date(2026, 11, 15))
        _invoice(s, c["luis"], "90000", I.CANCELLED)
        over = _invoice(s, c["luis"], "1000", I.AUTHORIZED)
        _payment(s, "1500", local(DAY, 10), invoice_id=over)
        # Ana and the nameless customer owe the same: the older debt goes first.
        _invoice(s, c["ana"], "13000", I.AUTHORIZED, issue_date=date(2026, 11, 10))
        _invoice(s, c["nameless"], "500.5", I.AUTHORIZED, issue_date=date(2026, 10, 1))
        # Fully paid: not a debtor.
        paid = _invoice(s, c["ana"], "3000", I.AUTHORIZED)
        _payment(s, "3000", local(DAY, 11), invoice_id=paid, method=PaymentMethod.MERCADOPAGO,
                 external_id="mp-1")

    with pg_db.org_session(org_id) as s:
        debtors = reports.unpaid(s)
        total = reports.unpaid_total(s)
        top_two = reports.unpaid(s, limit=2)

    assert [(d.name, d.balance, d.oldest_invoice, d.invoices) for d in debtors] == [
        ("Luis Pérez", Decimal("20000.00"), date(2026, 11, 15), 1),
        ("Marta García", Decimal("13000.00"), date(2026, 11, 1), 2),
        ("Ana Sosa", Decimal("13000.00"), date(2026, 11, 10), 1),
        (None, Decimal("500.50"), date(2026, 10, 1), 1),
    ]
    assert debtors[0].customer_id == c["luis"] and debtors[0].phone == "+5491166660002"
    assert total == (Decimal("46500.50"), 4)
    assert top_two == debtors[:2]

    assert report_texts.render_unpaid(top_two, total.total, total.debtors) == (
        "⏳ Te deben $46.500,50 en total (4 clientes):\n"
        "• Luis Pérez: $20.000 (desde el 15/11)\n"
        "• Marta García: $13.000 (desde el 01/11)\n"
        "…y 2 clientes más"
    )
    text = report_texts.render_unpaid(debtors, total.total)
    assert text.endswith("• +5491166660004: $500,50 (desde el 01/10)")
    assert "…y" not in text


def test_unissued_invoice_is_dated_by_when_it_was_recorded(pg_db, org):
    org_id, c, _ = org
    recorded = datetime(2026, 11, 5, 15, tzinfo=UTC)
    with pg_db.org_session(org_id) as s:
        _invoice(s, c["marta"], "1000", I.PENDING, issue_date=None, created_at=recorded)
        _invoice(s, c["marta"], "1000", I.AUTHORIZED, issue_date=date(2026, 11, 9))
    with pg_db.org_session(org_id) as s:
        [debtor] = reports.unpaid(s)
    assert (debtor.balance, debtor.oldest_invoice) == (Decimal("2000.00"), date(2026, 11, 5))


def test_nobody_owes(pg_db, org):
    with pg_db.org_session(org[0]) as s:
        assert reports.unpaid(s) == []
        total = reports.unpaid_total(s)
    assert total == (Decimal(0), 0)
    assert report_texts.render_unpaid([], total.total) == "¡Nadie te debe nada! 🎉"


def test_render_unpaid_single():
    debtor = Debtor(customer_id=1, name="Marta García", phone="+5491166660001",
                    balance=Decimal("1234.5"), oldest_invoice=date(2026, 11, 3), invoices=1)
    assert report_texts.render_unpaid([debtor], Decimal("1234.5")) == (
        "⏳ Te deben $1.234,50 en total (1 cliente):\n"
        "• Marta García: $1.234,50 (desde el 03/11)"
    )


# --- pesos ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("amount", "text"), [
    (Decimal(15000), "$15.000"),
    (Decimal("1234.50"), "$1.234,50"),
    (Decimal("1234.5"), "$1.234,50"),
    (Decimal(0), "$0"),
    (Decimal("0.5"), "$0,50"),
    (Decimal(999), "$999"),
    (Decimal(1000), "$1.000"),
    (Decimal("1234567.89"), "$1.234.567,89"),
    (Decimal("15000.00"), "$15.000"),
    (Decimal("10.005"), "$10,01"),  # rounds half up to cents
    (Decimal(-2500), "-$2.500"),
    (120000, "$120.000"),
])
def test_format_pesos(amount, text):
    assert format_pesos(amount) == text


# --- when each summary is due --------------------------------------------------------------------


def test_due_summaries_by_local_hour(pg_db):
    ba = create_org(pg_db, "Buenos Aires", slug="bsas")  # default zone, 20 h
    cordoba = create_org(pg_db, "Córdoba", slug="cba", time_zone="America/Argentina/Cordoba",
                         summary_hour=20)
    early = create_org(pg_db, "Temprano", slug="temprano", summary_hour=8)
    madrid_midnight = create_org(pg_db, "Madrid", slug="madrid", time_zone="Europe/Madrid",
                                 summary_hour=0)
    madrid_20 = create_org(pg_db, "Madrid 20", slug="madrid-20", time_zone="Europe/Madrid",
                           summary_hour=20)

    at_23_utc = datetime(2026, 11, 24, 23, 0, tzinfo=UTC)  # 20:00 in Argentina, 00:00 Madrid
    assert reports.due_summaries(pg_db, at_23_utc) == [ba, cordoba, madrid_midnight]
    # Any minute within the hour, in any zone the caller's clock uses.
    assert reports.due_summaries(pg_db, at_23_utc.astimezone(BA) + timedelta(minutes=59)) == [
        ba, cordoba, madrid_midnight]
    assert reports.due_summaries(pg_db, datetime(2026, 11, 24, 11, 5, tzinfo=UTC)) == [early]
    assert reports.due_summaries(pg_db, datetime(2026, 11, 24, 19, 0, tzinfo=UTC)) == [madrid_20]
    assert reports.due_summaries(pg_db, datetime(2026, 11, 24, 3, 0, tzinfo=UTC)) == []
    # Summer time in Madrid (UTC+2): 20:00 local is 18:00 UTC.
    assert reports.due_summaries(pg_db, datetime(2026, 7, 1, 18, 0, tzinfo=UTC)) == [madrid_20]


def test_due_summaries_takes_a_session_factory(pg_db):
    ba = create_org(pg_db, "Buenos Aires", slug="bsas")
    at_20_local = local(DAY, 20)
    assert reports.due_summaries(pg_db.system_session, at_20_local) == [ba]


def test_due_summaries_needs_an_aware_now(pg_db):
    with pytest.raises(ValueError):
        reports.due_summaries(pg_db, datetime(2026, 11, 24, 20, 0))
