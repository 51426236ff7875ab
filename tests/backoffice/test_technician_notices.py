"""Staff assign, reassign, reschedule and cancel jobs; the technicians concerned hear it on WhatsApp."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from rq import Queue
from sqlalchemy import select

from core import jobs
from core.models import Conversation, ConversationRole, Direction, Message, Role
from tests.backoffice.conftest import CARLOS_WA, JUAN_WA, MARTA_WA, add_staff, post

BRUNO_WA = "5491155550199"


@dataclass(frozen=True)
class Notice:
    id: int
    wa_id: str
    body: str


@pytest.fixture
def crew(shop, pg_db) -> dict[str, int]:
    """Carlos (the shop's technician, job #1 is his) and Bruno; #2, Juan's, has nobody."""
    bruno = add_staff(pg_db, shop.org_id, Role.TECHNICIAN, "Bruno Gasista", f"+{BRUNO_WA}",
                      email="bruno@plomeriaramos.com.ar")
    with pg_db.org_session(shop.org_id) as s:
        nobodys = jobs.create_job(s, {"customer_id": 2, "service": "gas", "description": "olor a gas"}).id
    return {"carlos": shop.users[Role.TECHNICIAN], "bruno": bruno, "job": 1, "nobodys": nobodys}


def _sent_to(pg_db, shop, wa_ids: list[str]) -> list[tuple[Message, Conversation]]:
    """What went out to these numbers so far, oldest first, with each message's chat."""
    with pg_db.org_session(shop.org_id) as s:
        return s.execute(select(Message, Conversation).join(Conversation)
                         .where(Message.direction == Direction.OUTBOUND,
                                Conversation.wa_id.in_(wa_ids))
                         .order_by(Message.id)).all()


def _notices(pg_db, shop) -> list[Notice]:
    """What went out to technicians so far, oldest first; each in a technician's own chat."""
    rows = _sent_to(pg_db, shop, [CARLOS_WA, BRUNO_WA])
    for _message, chat in rows:
        assert chat.role == ConversationRole.TECHNICIAN and chat.user_id is not None
    return [Notice(m.id, c.wa_id, m.body) for m, c in rows]


def _new(pg_db, shop, before: list[Notice]) -> list[Notice]:
    return _notices(pg_db, shop)[len(before):]


def _dispatched(redisdb, shop, notices: list[Notice]) -> bool:
    queue = Queue("high", connection=redisdb)
    return all((job := queue.fetch_job(f"send-{n.id}")) is not None and job.args == (shop.org_id, n.id)
               for n in notices)


def test_reassigning_tells_the_new_technician_and_the_previous_one(signed_in, shop, pg_db, redisdb,
                                                                   crew):
    client = signed_in(Role.DISPATCHER)
    post(client, f"/app/jobs/{crew['job']}/assign", technician_id=str(crew["bruno"]))
    bruno, carlos = _notices(pg_db, shop)
    assert bruno.wa_id == BRUNO_WA and bruno.body.startswith("👷 Tenés un trabajo nuevo: el #1.")
    assert "👤 Marta García · +54 9 11 6666-0001" in bruno.body
    assert "🔧 Plomería: pierde el flexible" in bruno.body
    assert "🗓️ sin fecha todavía" in bruno.body
    assert carlos.wa_id == CARLOS_WA and "El trabajo #1 ya no está a tu cargo" in carlos.body
    assert _dispatched(redisdb, shop, [bruno, carlos])
    # The same technician again: nothing changed, nobody is told.
    before = _notices(pg_db, shop)
    assert post(client, f"/app/jobs/{crew['job']}/assign", technician_id=str(crew["bruno"])).status_code == 302
    assert _new(pg_db, shop, before) == []
    # Taken off everyone: only Bruno hears it.
    post(client, f"/app/jobs/{crew['job']}/assign", technician_id="")
    [off] = _new(pg_db, shop, before)
    assert off.wa_id == BRUNO_WA and "ya no está a tu cargo" in off.body
    # Given to Carlos again: only Carlos, in the chat he already has.
    before = _notices(pg_db, shop)
    post(client, f"/app/jobs/{crew['job']}/assign", technician_id=str(crew["carlos"]))
    [back] = _new(pg_db, shop, before)
    assert back.wa_id == CARLOS_WA and "Tenés un trabajo nuevo: el #1." in back.body
    assert _dispatched(redisdb, shop, [off, back])
    with pg_db.org_session(shop.org_id) as s:
        assert len(list(s.scalars(select(Conversation).where(Conversation.wa_id == CARLOS_WA)))) == 1


def test_assigning_a_job_nobody_had_tells_only_the_technician(signed_in, shop, pg_db, redisdb, crew):
    post(signed_in(Role.OWNER), f"/app/jobs/{crew['nobodys']}/assign", technician_id=str(crew["carlos"]))
    [notice] = _notices(pg_db, shop)
    assert notice.wa_id == CARLOS_WA and "#2" in notice.body and "Juan Pérez" in notice.body
    assert _dispatched(redisdb, shop, [notice])


def test_a_refused_assignment_tells_nobody(signed_in, shop, pg_db, crew):
    response = post(signed_in(Role.OWNER), f"/app/jobs/{crew['job']}/assign",
                    technician_id=str(shop.users[Role.VIEWER]))
    assert response.status_code == 200 and _notices(pg_db, shop) == []


def test_a_job_created_with_a_technician_tells_them(signed_in, shop, pg_db, redisdb, crew):
    post(signed_in(Role.DISPATCHER), "/app/jobs/new", customer_id="2", service="plumbing",
         urgency="emergency", description="se inundó el baño", technician_id=str(crew["bruno"]),
         day="2027-03-04", start="14:00", end="16:30")
    [notice] = _notices(pg_db, shop)
    assert notice.wa_id == BRUNO_WA
    assert notice.body.startswith("🚨 URGENCIA\n👷 Tenés un trabajo nuevo: el #3.")
    assert "🗓️ jueves 4/3 de 14 a 16:30" in notice.body and "se inundó el baño" in notice.body
    assert _dispatched(redisdb, shop, [notice])
    post(signed_in(Role.DISPATCHER), "/app/jobs/new", customer_id="2", service="gas", description="nadie")
    assert len(_notices(pg_db, shop)) == 1


def test_rescheduling_tells_the_technician_the_new_time(signed_in, shop, pg_db, redisdb, crew):
    client = signed_in(Role.OWNER)
    post(client, f"/app/jobs/{crew['job']}/schedule", day="2027-03-04", start="08:30", end="")
    [first] = _notices(pg_db, shop)
    assert first.wa_id == CARLOS_WA and first.body.startswith("📅 Cambió el horario del trabajo #1.")
    assert "🗓️ jueves 4/3 de 8:30 a 10:30" in first.body
    # The same window again: no news.
    post(client, f"/app/jobs/{crew['job']}/schedule", day="2027-03-04", start="08:30", end="10:30")
    assert _notices(pg_db, shop) == [first]
    post(client, f"/app/jobs/{crew['job']}/schedule", day="2027-03-05", start="16:00", end="17:00")
    [_, moved] = _notices(pg_db, shop)
    assert "🗓️ viernes 5/3 de 16 a 17" in moved.body
    assert _dispatched(redisdb, shop, [first, moved])
    # A job without a technician: nobody to tell.
    post(client, f"/app/jobs/{crew['nobodys']}/schedule", day="2027-03-05", start="10:00", end="")
    assert len(_notices(pg_db, shop)) == 2


def test_cancelling_tells_the_technician_other_moves_do_not(signed_in, shop, pg_db, redisdb, crew):
    client = signed_in(Role.DISPATCHER)
    post(client, f"/app/jobs/{crew['job']}/schedule", day="2027-03-04", start="08:30", end="")
    before = _notices(pg_db, shop)
    post(client, f"/app/jobs/{crew['job']}/status", status="en_route")
    assert _new(pg_db, shop, before) == []
    post(client, f"/app/jobs/{crew['job']}/status", status="cancelled", note="el cliente lo arregló solo")
    [cancelled] = _new(pg_db, shop, before)
    assert cancelled.wa_id == CARLOS_WA
    assert cancelled.body.startswith("❌ Se canceló el trabajo #1: ya no hace falta que vayas.")
    assert _dispatched(redisdb, shop, [cancelled])
    post(client, f"/app/jobs/{crew['nobodys']}/status", status="cancelled")
    assert len(_notices(pg_db, shop)) == len(before) + 1


def _to_customers(pg_db, shop) -> list[Notice]:
    return [Notice(m.id, c.wa_id, m.body) for m, c in _sent_to(pg_db, shop, [MARTA_WA, JUAN_WA])]


def test_the_customer_is_told_when_the_office_moves_or_cancels_the_visit(signed_in, shop, pg_db,
                                                                        redisdb, crew):
    client = signed_in(Role.DISPATCHER)
    earlier = _to_customers(pg_db, shop)  # the fixture's chats
    # the first day given is the booking itself: nothing to tell about a change
    post(client, f"/app/jobs/{crew['job']}/schedule", day="2027-03-04", start="08:30", end="",
         tell_customer="1")
    assert _to_customers(pg_db, shop) == earlier
    page = client.get(f"/app/jobs/{crew['job']}").get_data(as_text=True)
    assert 'name="tell_customer" value="1" style="width:auto" checked' in page
    # before: only the technician heard; the customer waited at the old time
    post(client, f"/app/jobs/{crew['job']}/schedule", day="2027-03-05", start="16:00", end="",
         tell_customer="1")
    [moved] = _to_customers(pg_db, shop)[len(earlier):]
    assert moved.wa_id == MARTA_WA
    assert "Te cambiamos el horario de la visita (trabajo #1): ahora es el viernes 5/3 de 16 a 18" \
        in moved.body, moved.body
    # unticked: the office tells them itself
    post(client, f"/app/jobs/{crew['job']}/schedule", day="2027-03-06", start="10:00", end="")
    assert _to_customers(pg_db, shop)[len(earlier):] == [moved]
    post(client, f"/app/jobs/{crew['job']}/status", status="cancelled", tell_customer="1")
    [_, cancelled] = _to_customers(pg_db, shop)[len(earlier):]
    assert cancelled.wa_id == MARTA_WA and "cancelamos la visita (trabajo #1" in cancelled.body
    assert _dispatched(redisdb, shop, [moved, cancelled])
