"""The back-office reads like the business: people by name (a local number when nameless), job
timelines in plain Spanish with local times, staff replies apart from the bot's, dates day first."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from backoffice.display import local_phone, person, short_date
from core import customers, jobs
from core.models import JobEvent, Role
from tests.backoffice.conftest import CARLOS_WA, post

BUENOS_AIRES = ZoneInfo("America/Argentina/Buenos_Aires")
ISO_STAMP = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
INTERNAL_KEY = re.compile(r"\b\w+_id\b")


def _timeline(html: str) -> str:
    return html.split("<h2>Historial</h2>")[1]


def test_phones_read_as_people_here_dial_them():
    assert local_phone("+5491155550000") == "11 5555-0000"
    assert local_phone("5493515550000") == "351 555-0000"  # a WhatsApp id, Córdoba
    assert local_phone("+541145550000") == "11 4555-0000"  # a landline
    assert local_phone("+14155550100") == "+1 415-555-0100"
    assert local_phone(None) == "" and local_phone("garbage") == "garbage"
    assert person("Marta García", "+5491166660001") == "Marta García"
    assert person(None, "+5491155550000") == "11 5555-0000" and person("  ", None) == "sin nombre"
    assert short_date(date(2026, 3, 5)) == "05/03/2026"
    assert short_date(datetime(2026, 11, 13, 2, 0, tzinfo=UTC), BUENOS_AIRES) == "12/11/2026"  # local day


def test_people_are_shown_by_name_and_the_nameless_by_their_local_number(signed_in, shop, pg_db):
    with pg_db.org_session(shop.org_id) as s:
        nameless = customers.create_customer(s, {"phone": "+5491155550000"})
        job_id = jobs.create_job(s, {"customer_id": nameless.id, "service": "gas",
                                     "description": "olor a gas"}, f"whatsapp:{CARLOS_WA}").id
        s.add(JobEvent(job_id=1, kind="photo", actor=f"whatsapp:{CARLOS_WA}", note="así quedó"))
    client = signed_in(Role.OWNER)
    board = client.get("/app/jobs").get_data(as_text=True)
    assert "Marta García" in board and "11 5555-0000" in board
    job = client.get("/app/jobs/1").get_data(as_text=True)
    assert '<a href="tel:+5491166660001">11 6666-0001</a>' in job  # Marta's number, to call
    assert "Carlos Técnico · así quedó" in _timeline(job)  # the technician's photo, by name
    assert "WhatsApp +" not in job and ">+549" not in job
    theirs = client.get(f"/app/jobs/{job_id}").get_data(as_text=True)
    assert "<strong class=\"wrap\">11 5555-0000</strong>" in theirs
    assert "Carlos Técnico" in _timeline(theirs)  # created from the technician's WhatsApp
    assert "11 5555-0000" in client.get("/app/customers").get_data(as_text=True)
    trail = client.get("/app/audit").get_data(as_text=True)
    assert "Cliente: 11 5555-0000" in trail and "WhatsApp +" not in trail
    chat = client.get(f"/app/conversations/{shop.marta_chat}").get_data(as_text=True)
    assert '<a href="tel:+5491166660001">11 6666-0001</a>' in chat


def test_the_timeline_reads_in_plain_spanish_with_local_times(signed_in, shop, pg_db):
    dispatcher, carlos = f"user:{shop.users[Role.DISPATCHER]}", shop.users[Role.TECHNICIAN]
    with pg_db.org_session(shop.org_id) as s:
        jobs.assign_technician(s, 1, None, dispatcher)
        jobs.assign_technician(s, 1, carlos, dispatcher)
        jobs.schedule(s, 1, datetime(2026, 11, 12, 9, 0, tzinfo=BUENOS_AIRES),
                      datetime(2026, 11, 12, 11, 0, tzinfo=BUENOS_AIRES), dispatcher)
        jobs.schedule(s, 1, datetime(2026, 11, 13, 14, 0, tzinfo=BUENOS_AIRES), None, dispatcher)
        jobs.transition(s, 1, "en_route", f"whatsapp:{CARLOS_WA}", eta_minutes=20)
        assigned_at = s.scalars(select(JobEvent.created_at).where(JobEvent.kind == "assigned")
                                .order_by(JobEvent.id.desc())).first()
    html = signed_in(Role.OWNER).get("/app/jobs/1").get_data(as_text=True)  # events and the audit
    timeline = _timeline(html)
    assert "Quedó sin técnico (lo tenía Carlos Técnico)" in timeline
    assert "Asignado a Carlos Técnico" in timeline
    assert "Agendado para el jue 12/11 9:00 a 11:00" in timeline
    assert "Reprogramado del jue 12/11 9:00 al vie 13/11 14:00" in timeline
    assert "Pasó a «En camino» (llega en 20 min)" in timeline
    assert assigned_at.astimezone(BUENOS_AIRES).strftime("%d/%m/%Y %H:%M") in timeline  # local time
    # The audit entries under the events say the same, with names and labels, never raw data.
    assert "Técnico: sin técnico → Carlos Técnico" in timeline
    assert "Visita: jue 12/11 9:00 a 11:00 → vie 13/11 14:00 a 16:00" in timeline
    assert "Estado: Agendado → En camino" in timeline
    assert "Cliente: Marta García" in timeline and "Servicio: Plomería" in timeline
    assert "Diego Despacho" in timeline and "Carlos Técnico" in timeline
    assert not ISO_STAMP.search(timeline), ISO_STAMP.search(timeline)
    assert not INTERNAL_KEY.search(timeline), INTERNAL_KEY.search(timeline)
    assert "+00:00" not in timeline and "user:" not in timeline and "whatsapp:" not in timeline


def test_staff_replies_are_marked_apart_from_the_bots(signed_in, shop, redisdb):
    client = signed_in(Role.OWNER)  # Roberto Ramos
    chat = f"/app/conversations/{shop.marta_chat}"
    post(client, f"{chat}/take-over")
    assert post(client, f"{chat}/reply", body="Hola Marta, soy Roberto: mañana pasa Carlos.").status_code == 302
    html = client.get(chat).get_data(as_text=True)
    bubbles = re.findall(r'<li class="msg ([^"]+)">(.*?)</li>', html, re.DOTALL)
    by_text = {text: (kind, body) for kind, body in bubbles
               for text in ("¿Me pasás la dirección?", "mañana pasa Carlos", "se me rompió") if text in body}
    assert by_text["¿Me pasás la dirección?"][0] == "out"  # the bot's, in the usual green
    assert '<span class="who">Bot</span>' in by_text["¿Me pasás la dirección?"][1]
    kind, body = by_text["mañana pasa Carlos"]
    assert kind == "out person" and '<span class="who">Roberto (persona)</span>' in body
    assert by_text["se me rompió"][0] == "in" and 'class="who"' not in by_text["se me rompió"][1]
    # The customer's page shows the same chat the same way.
    customer = client.get("/app/customers/1").get_data(as_text=True)
    assert '<span class="who">Roberto (persona)</span>' in customer and '<span class="who">Bot</span>' in customer


def test_dates_are_typed_and_shown_day_first(signed_in, shop, pg_db):
    client = signed_in(Role.DISPATCHER)
    response = post(client, "/app/jobs/1/schedule", day="13/11/2026", start="14:00", end="16:00")
    assert response.status_code == 302
    html = client.get("/app/jobs/1").get_data(as_text=True)
    assert re.search(r'<input id="day" name="day" type="text"[^>]*placeholder="dd/mm/aaaa" value="13/11/2026"', html)
    assert 'type="date"' not in html
    agenda = client.get("/app/jobs?view=agenda&date=13/11/2026").get_data(as_text=True)
    assert "<h2>13/11/2026</h2>" in agenda and 'value="13/11/2026"' in agenda
    bad = post(client, "/app/jobs/1/schedule", day="11/31/2026", start="14:00")
    assert "escribila como dd/mm/aaaa" in bad.get_data(as_text=True)

    owner = signed_in(Role.OWNER)
    invoices = owner.get("/app/invoices?from=20/11/2026").get_data(as_text=True)
    assert 'value="20/11/2026"' in invoices and "10/11/2026" not in invoices  # Marta's is earlier
    assert "20/11/2026" in invoices and "21/11/2026" in invoices  # Juan's two, issued day first
    assert "Fecha: 10/11/2026" in owner.get(f"/app/invoices/{shop.authorized}").get_data(as_text=True)
    trail = owner.get("/app/audit?from=01/01/2026&to=31/12/2099").get_data(as_text=True)
    assert 'value="01/01/2026"' in trail and not ISO_STAMP.search(trail)
