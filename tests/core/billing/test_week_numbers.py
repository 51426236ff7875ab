"""The week at a glance (reports.week_numbers): local days, jobs by status, billed and collected
by the daily summary's rules — on PostgreSQL and on SQLite."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from core import jobs
from core.billing import reports
from core.models import Invoice, InvoiceStatus, JobStatus, Payment, PaymentMethod, PaymentStatus
from tests.factories import add_customer_row, create_org

BA = ZoneInfo("America/Argentina/Buenos_Aires")
MONDAY = date(2026, 11, 23)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BA)


def test_week_numbers_by_local_day(db):
    org_id = create_org(db, "Plomería Ramos", slug="plomeria-ramos")
    customer = add_customer_row(db, org_id)
    sunday = MONDAY + timedelta(days=6)
    with db.org_session(org_id) as s:
        for start, status in [(_at(MONDAY, 9), JobStatus.PAID), (_at(MONDAY, 23, 30), JobStatus.COMPLETED),
                              (_at(sunday, 22), JobStatus.SCHEDULED), (_at(sunday + timedelta(1), 1), JobStatus.SCHEDULED),
                              (_at(MONDAY - timedelta(1), 23), JobStatus.CANCELLED)]:
            job = jobs.create_job(s, {"customer_id": customer, "service": "gas", "description": "x"})
            job.scheduled_start, job.status = start, status
        for day, total, status in [(MONDAY, "1000", InvoiceStatus.AUTHORIZED), (MONDAY, "250.50", InvoiceStatus.INTERNAL),
                                   (MONDAY, "9999", InvoiceStatus.REJECTED), (sunday, "300", InvoiceStatus.PENDING)]:
            s.add(Invoice(customer_id=customer, punto_de_venta=1, total=Decimal(total), status=status, issue_date=day))
        for paid_at, amount, status in [(_at(MONDAY, 23, 59), "700", PaymentStatus.APPROVED),
                                        (_at(sunday, 23, 30), "-100", PaymentStatus.APPROVED),
                                        (_at(sunday, 10), "5555", PaymentStatus.PENDING)]:
            s.add(Payment(customer_id=customer, amount=Decimal(amount), paid_at=paid_at, status=status,
                          method=PaymentMethod.CASH))
    with db.org_session(org_id) as s:
        week = reports.week_numbers(s, org_id, MONDAY + timedelta(days=3))
        summaries = {d: reports.daily_summary(s, org_id, d) for d in (MONDAY, sunday)}
    assert week.start == MONDAY and week.end == sunday and len(week.days) == 7
    monday, *_, last = week.days
    # 23:30 on Monday in Buenos Aires is Tuesday in UTC: still Monday here.
    assert monday.jobs == {JobStatus.PAID: 1, JobStatus.COMPLETED: 1} and monday.job_total == 2
    assert last.jobs == {JobStatus.SCHEDULED: 1}
    assert sum(d.job_total for d in week.days) == 3
    assert (monday.billed, monday.collected) == (Decimal("1250.50"), Decimal("700.00"))
    assert (last.billed, last.collected) == (Decimal("300.00"), Decimal("-100.00"))
    for day in (monday, last):
        assert (day.billed, day.collected) == (summaries[day.day].billed, summaries[day.day].collected)
    assert all(d.billed == d.collected == 0 and not d.jobs for d in week.days[1:-1])
