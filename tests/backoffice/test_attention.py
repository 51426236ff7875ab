"""What needs a person first: open emergencies, chats waiting for a person and invoices AFIP
rejected at the top of the home page and the inbox, counted in the menu; the inbox's filters;
the week at a glance drawn as SVG from the real numbers."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from backoffice.week_chart import JOBS_BOTTOM, JOBS_TOP
from core import jobs
from core.billing import reports
from core.models import (
    Conversation,
    ConversationRole,
    Direction,
    Invoice,
    InvoiceStatus,
    Job,
    JobStatus,
    Payment,
    PaymentMethod,
    PaymentStatus,
    Role,
)
from tests.backoffice.conftest import CARLOS_WA, add_message

BA = ZoneInfo("America/Argentina/Buenos_Aires")


def _emergency(shop, customer_id: int = 2, technician: int | None = None) -> int:
    with shop.db.org_session(shop.org_id) as s:
        return jobs.create_job(s, {"customer_id": customer_id, "service": "gas", "urgency": "emergency",
                                   "description": "olor a gas", "technician_id": technician}).id


def _section(html: str, section_id: str) -> str:
    found = re.search(rf'<section[^>]*id="{section_id}".*?</section>', html, re.DOTALL)
    assert found, f"no #{section_id} section"
    return found.group(0)


def _badges(html: str) -> dict[str, int]:
    header = html[html.index("<header>"):html.index("</header>")]
    return {k: int(v) for k, v in re.findall(r'data-count="(\w+)">(\d+)</span>', header)}


def _inbox_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<li class="card">\s*<a href="/app/conversations/(\d+)">', html)]


def _juan_writes_again(shop) -> None:
    """Staff have Juan's chat; he writes after their last reply: now he waits for a person too."""
    with shop.db.org_session(shop.org_id) as s:
        add_message(s, shop.juan_chat, Direction.INBOUND, "¿Siguen ahí?", datetime.now(UTC))


# ---- the home page -------------------------------------------------------------------------------

def test_home_puts_emergencies_waiting_chats_and_rejected_invoices_first(signed_in, shop):
    emergency = _emergency(shop)
    html = signed_in(Role.OWNER).get("/app/").get_data(as_text=True)
    # In this order, all before today's numbers and the week.
    order = [html.index(mark) for mark in ('id="urgencias"', 'id="esperan"', 'id="rechazadas"',
                                           "trabajos abiertos", 'id="semana"')]
    assert order == sorted(order)
    assert f'href="/app/jobs/{emergency}"' in _section(html, "urgencias")
    waiting = _section(html, "esperan")
    assert "Esperan a una persona <span class=\"muted\">(1)</span>" in waiting
    # Marta asked for a person; Juan's chat is in staff's hands and answered: not waiting.
    assert f'href="/app/conversations/{shop.marta_chat}"' in waiting and "Marta García" in waiting
    assert f"/app/conversations/{shop.juan_chat}" not in waiting
    assert "🎤 Avenida Avellaneda 2150" in waiting
    rejected = _section(html, "rechazadas")
    assert "Facturas rechazadas por AFIP <span class=\"muted\">(1)</span>" in rejected
    assert f'href="/app/invoices/{shop.rejected}"' in rejected
    assert "Juan Pérez" in rejected and "$5.000" in rejected
    assert "el CUIT del receptor no es válido" in rejected
    assert f"/app/invoices/{shop.pending}" not in rejected
    assert "Nada urgente" not in html

    # Juan writes after staff's last reply: he waits too, on the home page and in the count.
    _juan_writes_again(shop)
    waiting = _section(signed_in(Role.OWNER).get("/app/").get_data(as_text=True), "esperan")
    assert "(2)" in waiting and f"/app/conversations/{shop.juan_chat}" in waiting
    assert "la tomó alguien del equipo" in waiting


def test_home_says_so_when_nothing_needs_attention(signed_in, shop):
    with shop.db.org_session(shop.org_id) as s:
        s.get(Conversation, shop.marta_chat).needs_person = False
        s.get(Invoice, shop.rejected).status = InvoiceStatus.CANCELLED
    html = signed_in(Role.DISPATCHER).get("/app/").get_data(as_text=True)
    assert "✅ Nada urgente: no hay urgencias abiertas, nadie espera una respuesta y AFIP no rechazó" in html
    for section in ('id="urgencias"', 'id="esperan"', 'id="rechazadas"'):
        assert section not in html
    assert _badges(html) == {}


def test_each_role_sees_only_what_it_may_open(signed_in, shop):
    carlos = shop.users[Role.TECHNICIAN]
    _emergency(shop)  # nobody's yet
    technician = signed_in(Role.TECHNICIAN).get("/app/").get_data(as_text=True)
    # No chats, no invoices, no week's money for a technician; only their own emergencies.
    for hidden in ('id="esperan"', 'id="rechazadas"', 'id="semana"', "Urgencias abiertas"):
        assert hidden not in technician
    assert _badges(technician) == {}
    _emergency(shop, technician=carlos)
    technician = signed_in(Role.TECHNICIAN).get("/app/").get_data(as_text=True)
    assert _badges(technician) == {"emergencies": 1}
    assert 'Urgencias abiertas <span class="muted">(1)</span>' in technician

    viewer = signed_in(Role.VIEWER).get("/app/").get_data(as_text=True)
    assert 'id="rechazadas"' in viewer and 'id="esperan"' not in viewer and 'id="semana"' in viewer
    assert _badges(viewer) == {"emergencies": 2, "rejected": 1}
    assert "/app/conversations" not in viewer


# ---- the menu ----------------------------------------------------------------------------------

def test_menu_counts_on_every_page(signed_in, shop):
    _emergency(shop)
    _emergency(shop, customer_id=1)
    client = signed_in(Role.DISPATCHER)
    for path in ("/app/", "/app/customers", "/app/invoices", "/app/conversations"):
        html = client.get(path).get_data(as_text=True)
        assert _badges(html) == {"emergencies": 2, "waiting": 1, "rejected": 1}, path
    assert 'aria-label="Trabajos: 2 urgencias abiertas"' in html
    assert 'aria-label="Conversaciones: 1 espera a una persona"' in html
    assert 'aria-label="Facturas: 1 rechazada por AFIP"' in html
    # The counts follow the data: Juan writes, the rejected invoice is retried and authorized.
    _juan_writes_again(shop)
    with shop.db.org_session(shop.org_id) as s:
        s.get(Invoice, shop.rejected).status = InvoiceStatus.AUTHORIZED
        for job in s.scalars(select(Job).where(Job.urgency == "emergency")):
            job.status = JobStatus.COMPLETED
    html = client.get("/app/customers").get_data(as_text=True)
    assert _badges(html) == {"waiting": 2}
    assert 'aria-label="Conversaciones: 2 esperan a una persona"' in html


# ---- the inbox ---------------------------------------------------------------------------------

@pytest.fixture
def busy_inbox(shop):
    """Marta waits for a person (job 1 is Carlos's), Juan has an open emergency, Carlos writes to
    the bot, and a neighbour's question is answered by the bot."""
    _emergency(shop)
    now = datetime.now(UTC)
    with shop.db.org_session(shop.org_id) as s:
        carlos = Conversation(wa_id=CARLOS_WA, phone=f"+{CARLOS_WA}", role=ConversationRole.TECHNICIAN,
                              user_id=shop.users[Role.TECHNICIAN], slots={})
        neighbour = Conversation(wa_id="5491177700001", phone="+5491177700001", slots={},
                                 role=ConversationRole.CUSTOMER, profile_name="Vecino")
        s.add_all([carlos, neighbour])
        s.flush()
        add_message(s, carlos.id, Direction.INBOUND, "qué tengo hoy", now - timedelta(minutes=2))
        add_message(s, neighbour.id, Direction.INBOUND, "¿hacen gas?", now - timedelta(hours=1))
        add_message(s, neighbour.id, Direction.OUTBOUND, "¡Sí! ¿Qué necesitás?", now - timedelta(minutes=59))
        return {"carlos": carlos.id, "neighbour": neighbour.id}


def test_inbox_shows_what_is_first_and_filters_server_side(signed_in, shop, busy_inbox):
    client = signed_in(Role.DISPATCHER)
    everything = client.get("/app/conversations").get_data(as_text=True)
    first = _section(everything, "primero")
    assert "🚨 1 urgencia abierta" in first and "🙋 1 espera a una persona" in first
    assert "⚠️ 1 factura rechazada por AFIP" in first and "/app/invoices?status=rejected" in first
    assert everything.index('id="primero"') < everything.index('<li class="card">')
    # Emergency first, then who waits, then the rest by newest message.
    assert _inbox_ids(everything) == [shop.juan_chat, shop.marta_chat, busy_inbox["carlos"],
                                      busy_inbox["neighbour"]]
    chips = dict(re.findall(r'data-show="(\w+)">[^<]*<span class="badge">(\d+)</span>', everything))
    assert chips == {"waiting": "1", "emergency": "1", "unanswered": "2"}

    def ids(query: str) -> list[int]:
        response = client.get(f"/app/conversations?{query}")
        assert response.status_code == 200
        return _inbox_ids(response.get_data(as_text=True))

    assert ids("show=waiting") == [shop.marta_chat]
    assert ids("show=emergency") == [shop.juan_chat]
    # Unanswered: the last message came in (Marta's voice note, Carlos's question).
    assert ids("show=unanswered") == [shop.marta_chat, busy_inbox["carlos"]]
    carlos = shop.users[Role.TECHNICIAN]
    # By technician: his own chat, and the chats of customers with an open job of his.
    assert ids(f"technician={carlos}") == [shop.marta_chat, busy_inbox["carlos"]]
    assert ids(f"technician={carlos}&show=unanswered") == [shop.marta_chat, busy_inbox["carlos"]]
    assert ids(f"technician={carlos}&show=emergency") == []
    html = client.get(f"/app/conversations?technician={carlos}&show=emergency").get_data(as_text=True)
    assert "No hay conversaciones con este filtro." in html and "Todavía no escribió nadie" not in html
    assert f'<option value="{carlos}" selected>Carlos Técnico</option>' in html
    assert 'aria-current="page" data-show="emergency"' in html
    # Juan writes after the person's reply: now he waits too.
    _juan_writes_again(shop)
    assert ids("show=waiting") == [shop.juan_chat, shop.marta_chat]
    # Nonsense is no filter (a stale link, someone who is not a technician).
    everything_ids = _inbox_ids(client.get("/app/conversations").get_data(as_text=True))
    for query in ("show=nada", f"technician={shop.users[Role.OWNER]}", "technician=abc", "technician=99999"):
        assert ids(query) == everything_ids, query


# ---- the week at a glance ------------------------------------------------------------------------

def _local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BA)


MONDAY = date(2026, 11, 16)  # a past week: Monday 16 to Sunday 22 November 2026


def _week_data(shop) -> None:
    tuesday, wednesday = MONDAY + timedelta(1), MONDAY + timedelta(2)
    visits = [  # (local visit time, status now)
        (_local(MONDAY, 9), JobStatus.PAID),
        (_local(MONDAY, 11), JobStatus.COMPLETED),
        (_local(MONDAY, 23, 30), JobStatus.INVOICED),  # 02:30 UTC on Tuesday: still Monday here
        (_local(tuesday, 10), JobStatus.CANCELLED),
        (_local(wednesday, 8), JobStatus.SCHEDULED),
        (_local(wednesday, 9), JobStatus.EN_ROUTE),
        (_local(wednesday, 10), JobStatus.SCHEDULED),
        (_local(wednesday, 12), JobStatus.NEEDS_FOLLOWUP),
        (_local(MONDAY - timedelta(1), 23), JobStatus.PAID),  # the Sunday before: another week
    ]
    with shop.db.org_session(shop.org_id) as s:
        for start, status in visits:
            job = jobs.create_job(s, {"customer_id": 1, "service": "plumbing", "description": "x"})
            job.scheduled_start, job.scheduled_end, job.status = start, start + timedelta(hours=2), status
        customer_id = 1  # Marta
        s.add(Invoice(customer_id=customer_id, letter="B", cbte_tipo=6, punto_de_venta=1, issue_date=MONDAY,
                      status=InvoiceStatus.AUTHORIZED, total=Decimal(24000), net=Decimal(24000)))
        s.add(Invoice(customer_id=customer_id, letter="B", cbte_tipo=6, punto_de_venta=1, issue_date=MONDAY,
                      status=InvoiceStatus.DRAFT, total=Decimal(99999), net=Decimal(99999)))
        s.flush()
        for paid_at, amount, status in [
            (_local(MONDAY, 12), "15000", PaymentStatus.APPROVED),
            (_local(tuesday, 23, 45), "3000", PaymentStatus.APPROVED),  # UTC Wednesday
            (_local(tuesday, 15), "7777", PaymentStatus.REJECTED),
        ]:
            s.add(Payment(customer_id=customer_id, method=PaymentMethod.TRANSFER, status=status,
                          amount=Decimal(amount), paid_at=paid_at))


def _bars(svg: str) -> dict[str, dict[str, tuple[int, float]]]:
    """{day: {group: (count, height)}} from the jobs chart."""
    days = {}
    for day, body in re.findall(r'<g class="day" data-day="([\d-]+)" data-total="\d+">(.*?)</g>', svg, re.DOTALL):
        days[day] = {group: (int(count), float(height)) for height, group, count in re.findall(
            r'height="([\d.]+)" fill="#\w+" data-group="(\w+)" data-count="(\d+)"', body)}
    return days


def test_the_week_chart_draws_the_weeks_numbers(signed_in, shop):
    _week_data(shop)
    html = signed_in(Role.OWNER).get(f"/app/?week={MONDAY + timedelta(3)}").get_data(as_text=True)
    week = _section(html, "semana")
    assert "Semana del 16/11 al 22/11" in week
    jobs_svg = week[week.index('id="chart-jobs"'):week.index('id="chart-money"')]
    totals = dict(re.findall(r'data-day="([\d-]+)" data-total="(\d+)"', jobs_svg))
    assert totals == {"2026-11-16": "3", "2026-11-17": "1", "2026-11-18": "4", "2026-11-19": "0",
                      "2026-11-20": "0", "2026-11-21": "0", "2026-11-22": "0"}
    bars = _bars(jobs_svg)
    unit = (JOBS_BOTTOM - JOBS_TOP) / 4  # the busiest day (4 jobs) fills the plot
    assert {g: c for g, (c, _) in bars["2026-11-16"].items()} == {"done": 2, "paid": 1}
    assert {g: c for g, (c, _) in bars["2026-11-17"].items()} == {"cancelled": 1}
    assert {g: c for g, (c, _) in bars["2026-11-18"].items()} == {"todo": 3, "under_way": 1}
    assert bars["2026-11-19"] == {}
    for day in bars.values():
        for count, height in day.values():
            assert height == pytest.approx(count * unit, abs=0.1)
    # The numbers are written on the chart: each day's total above its bar, counts inside.
    assert re.search(r'class="total"[^>]*>4</text>', jobs_svg)
    assert "mié 18/11: 4 (3 por hacer, 1 en curso)" in jobs_svg  # the chart's description
    assert 'role="img" aria-labelledby="jobs-title jobs-desc"' in jobs_svg

    money_svg = week[week.index('id="chart-money"'):week.index("</figure>", week.index('id="chart-money"'))]
    amounts = {(day, series): (Decimal(amount), float(width)) for day, body in re.findall(
        r'<g class="day" data-day="([\d-]+)">(.*?)</g>', money_svg, re.DOTALL)
        for width, series, amount in re.findall(
            r'width="([\d.]+)" height="\d+" rx="2" fill="#\w+" data-series="(\w+)" data-amount="([\d.]+)"', body)}
    # Billed: Monday's authorized invoice (the draft does not count), and the shop's invoice
    # waiting for AFIP on Friday the 20th (the rejected one on the 21st does not count).
    assert amounts[("2026-11-16", "billed")][0] == Decimal("24000.00")
    assert amounts[("2026-11-20", "billed")][0] == Decimal("8000.00")
    assert amounts[("2026-11-21", "billed")][0] == Decimal("0.00")
    # Collected: approved payments on their local day (23:45 on Tuesday is Tuesday).
    assert amounts[("2026-11-16", "collected")][0] == Decimal("15000.00")
    assert amounts[("2026-11-17", "collected")][0] == Decimal("3000.00")
    assert amounts[("2026-11-18", "collected")][0] == Decimal("0.00")
    # Widths in proportion to the amounts; the biggest is the longest.
    widest = amounts[("2026-11-16", "billed")][1]
    for amount, width in amounts.values():
        assert width == pytest.approx(float(amount / Decimal(24000)) * widest, abs=0.2)
    assert "$24.000" in money_svg and "$15.000" in money_svg and "$3.000" in money_svg
    # The same numbers as the owner's daily summary for those days.
    with shop.db.org_session(shop.org_id) as s:
        for day in (MONDAY, MONDAY + timedelta(1), MONDAY + timedelta(4)):
            summary = reports.daily_summary(s, shop.org_id, day)
            assert amounts[(day.isoformat(), "billed")][0] == summary.billed
            assert amounts[(day.isoformat(), "collected")][0] == summary.collected

    # The text alternative: a small table with every day.
    table = week[week.index("<table>"):week.index("</table>")]
    row = re.search(r'<tr data-day="2026-11-16">(.*?)</tr>', table, re.DOTALL).group(1)
    assert "lun 16/11" in row and "3" in row and "2 terminados, 1 cobrado" in row
    assert "$24.000" in row and "$15.000" in row
    assert "<tfoot><tr><th scope=\"row\">Semana</th><td class=\"num\">8</td>" in table
    # Links to the weeks around it.
    assert 'href="/app/?week=2026-11-09#semana" rel="prev"' in week
    assert 'href="/app/?week=2026-11-23#semana" rel="next"' in week
    assert "Esta semana" in week


def test_the_week_is_this_one_by_default_and_today_stands_out(signed_in, shop):
    html = signed_in(Role.OWNER).get("/app/?week=nonsense").get_data(as_text=True)
    today = datetime.now(BA).date()
    monday = today - timedelta(days=today.weekday())
    week = _section(html, "semana")
    assert f"Semana del {monday:%d/%m} al {monday + timedelta(6):%d/%m}" in week
    assert "Esta semana" not in week
    assert '>hoy</text>' in week
    # Job 1 of the shop was created today, with no visit time: it counts today, still to do.
    day = _bars(week)[today.isoformat()]
    assert day["todo"][0] == 1
