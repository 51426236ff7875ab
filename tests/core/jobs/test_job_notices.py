"""What a technician is told when a job is assigned, moved, cancelled or taken off them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from core import customers, jobs
from core.jobs.notices import queue_technician_notice, technician_notice
from core.messaging.replies import Text
from core.models import (
    Conversation,
    ConversationRole,
    DeliveryStatus,
    Direction,
    Job,
    Message,
    User,
)
from tests.factories import add_technician

ART = ZoneInfo("America/Argentina/Buenos_Aires")
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=ART)  # a Tuesday morning in Buenos Aires
CARLOS_WA = "5491155550101"
LONG_PROBLEM = ("Pierde agua el flexible de la cocina y ya se mojó todo el bajo mesada; "
                "cerramos la llave de paso pero sigue goteando de a poco, y encima el termotanque "
                "hace un ruido raro cuando se prende. Traé repuestos.")


@dataclass
class Shop:
    org_id: int
    customer_id: int
    address_id: int
    carlos: int
    bruno: int


@pytest.fixture
def shop(db, make_org) -> Shop:
    org_id = make_org("Plomería Ramos")
    carlos = add_technician(db, org_id)
    bruno = add_technician(db, org_id, "Bruno Gasista", "+5491155550199")
    with db.org_session(org_id) as s:
        marta = customers.create_customer(s, {
            "name": "Marta García", "phone": "+5491166660001",
            "addresses": [{"street": "Av. Avellaneda", "number": "2150", "unit": "3° B",
                           "locality": "Flores"}],
        })
        return Shop(org_id, marta.id, marta.addresses[0].id, carlos, bruno)


def _job(db, shop: Shop, *, start: datetime | None = None, end: datetime | None = None,
         urgency: str = "normal", technician: int | None = -1, description: str = "pierde el flexible",
         address: bool = True) -> int:
    with db.org_session(shop.org_id) as s:
        return jobs.create_job(s, {
            "customer_id": shop.customer_id, "service": "plumbing", "urgency": urgency,
            "description": description, "address_id": shop.address_id if address else None,
            "technician_id": shop.carlos if technician == -1 else technician,
            "scheduled_start": start, "scheduled_end": end,
        }).id


def _notice(db, shop: Shop, job_id: int, change: str, **kwargs):
    with db.org_session(shop.org_id) as s:
        technician = kwargs.pop("technician", None)
        return technician_notice(s, s.get(Job, job_id), change, now=NOW,
                                 technician=s.get(User, technician) if technician else None, **kwargs)


def test_assigned_names_the_job_the_customer_the_place_and_the_visit(db, shop):
    job_id = _job(db, shop, start=datetime(2026, 11, 26, 9, tzinfo=ART),
                  end=datetime(2026, 11, 26, 11, tzinfo=ART), description=LONG_PROBLEM)
    wa_id, reply = _notice(db, shop, job_id, "assigned")
    assert wa_id == CARLOS_WA and isinstance(reply, Text)
    body = reply.body
    assert body.startswith("👷 Tenés un trabajo nuevo: el #1.")
    assert "URGENCIA" not in body
    assert "👤 Marta García · +54 9 11 6666-0001" in body
    assert "📍 Av. Avellaneda 2150, 3° B, Flores" in body
    assert "🗓️ jueves 26/11 de 9 a 11" in body
    problem = body.split("🔧 Plomería: ", 1)[1].split("\n")[0]
    assert problem.startswith("Pierde agua el flexible") and problem.endswith("…")
    assert len(problem) <= 150 and "Traé repuestos" not in body
    assert "\n🗺️ https://www.google.com/maps/search/?api=1&query=Av.+Avellaneda+2150%2C+Flores%2C+Argentina" in body


def test_an_emergency_leads_with_its_own_line(db, shop):
    job_id = _job(db, shop, urgency="emergency")
    for change in ("assigned", "rescheduled", "cancelled"):
        _, reply = _notice(db, shop, job_id, change)
        assert reply.body.splitlines()[0] == "🚨 URGENCIA"
        assert "#1" in reply.body.splitlines()[1]


@pytest.mark.parametrize(("start", "end", "expected"), [
    (datetime(2026, 11, 24, 14, tzinfo=ART), datetime(2026, 11, 24, 16, tzinfo=ART), "hoy de 14 a 16"),
    (datetime(2026, 11, 25, 9, tzinfo=ART), datetime(2026, 11, 25, 11, 30, tzinfo=ART),
     "mañana de 9 a 11:30"),
    # 01:30 UTC on the 27th is still Thursday the 26th in Buenos Aires.
    (datetime(2026, 11, 27, 1, 30, tzinfo=UTC), datetime(2026, 11, 27, 2, 30, tzinfo=UTC),
     "jueves 26/11 de 22:30 a 23:30"),
    (None, None, "sin fecha todavía"),
])
def test_the_visit_is_said_in_the_shops_time_zone(db, shop, start, end, expected):
    job_id = _job(db, shop, start=start, end=end)
    _, reply = _notice(db, shop, job_id, "rescheduled")
    assert f"🗓️ {expected}\n" in reply.body


def test_each_change_says_what_happened(db, shop):
    job_id = _job(db, shop)
    said = {change: _notice(db, shop, job_id, change)[1].body.splitlines()[0]
            for change in ("assigned", "rescheduled", "cancelled", "unassigned")}
    assert said == {
        "assigned": "👷 Tenés un trabajo nuevo: el #1.",
        "rescheduled": "📅 Cambió el horario del trabajo #1. Ahora queda así:",
        "cancelled": "❌ Se canceló el trabajo #1: ya no hace falta que vayas.",
        "unassigned": "🔄 El trabajo #1 ya no está a tu cargo: no hace falta que vayas.",
    }


def test_the_previous_technician_is_told_when_named(db, shop):
    job_id = _job(db, shop, technician=shop.bruno)
    wa_id, reply = _notice(db, shop, job_id, "unassigned", technician=shop.carlos)
    assert wa_id == CARLOS_WA and "ya no está a tu cargo" in reply.body


def test_a_job_without_address_says_so(db, shop):
    job_id = _job(db, shop, address=False)
    assert "📍 Sin dirección cargada" in _notice(db, shop, job_id, "assigned")[1].body


def test_nobody_to_tell(db, shop):
    nobody = _job(db, shop, technician=None)
    assert _notice(db, shop, nobody, "assigned") is None
    job_id = _job(db, shop)
    with db.org_session(shop.org_id) as s:
        s.get(User, shop.bruno).phone = None
    assert _notice(db, shop, job_id, "unassigned", technician=shop.bruno) is None
    with db.org_session(shop.org_id) as s:
        s.get(User, shop.carlos).active = False
    assert _notice(db, shop, job_id, "assigned") is None
    with db.org_session(shop.org_id) as s:
        assert queue_technician_notice(s, s.get(Job, job_id), "assigned", key="n:1") == []
        assert s.scalar(select(func.count(Message.id))) == 0


def test_an_unknown_change_is_a_bug(db, shop):
    job_id = _job(db, shop)
    with pytest.raises(ValueError):
        _notice(db, shop, job_id, "moved")


def test_queued_once_per_key_in_a_technicians_conversation(db, shop):
    job_id = _job(db, shop, urgency="emergency")
    with db.org_session(shop.org_id) as s:
        first = queue_technician_notice(s, s.get(Job, job_id), "assigned", key=f"t:{job_id}:1", now=NOW)
    with db.org_session(shop.org_id) as s:
        again = queue_technician_notice(s, s.get(Job, job_id), "assigned", key=f"t:{job_id}:1", now=NOW)
        assert again == first and len(first) == 1
        message = s.get(Message, first[0])
        assert message.direction == Direction.OUTBOUND and message.status == DeliveryStatus.QUEUED
        assert message.type == "text" and message.body.startswith("🚨 URGENCIA\n👷")
        assert message.payload == {"kind": "text", "body": message.body, "preview_url": False}
        chat = s.get(Conversation, message.conversation_id)
        assert chat.wa_id == CARLOS_WA and chat.phone == "+5491155550101"
        assert chat.role == ConversationRole.TECHNICIAN and chat.user_id == shop.carlos
        # A new key is a new notice, in the same conversation.
        other = queue_technician_notice(s, s.get(Job, job_id), "cancelled", key=f"t:{job_id}:2", now=NOW)
        assert other != first
        assert s.get(Message, other[0]).conversation_id == chat.id
        assert s.scalar(select(func.count(Conversation.id))) == 1


def test_a_number_that_wrote_as_a_customer_becomes_the_technicians_chat(db, shop):
    with db.org_session(shop.org_id) as s:
        s.add(Conversation(wa_id=CARLOS_WA, phone="+5491155550101", role=ConversationRole.CUSTOMER,
                           slots={}, last_inbound_at=datetime.now(UTC) - timedelta(days=3)))
    job_id = _job(db, shop)
    with db.org_session(shop.org_id) as s:
        [message_id] = queue_technician_notice(s, s.get(Job, job_id), "assigned", key=f"t:{job_id}")
        chats = list(s.scalars(select(Conversation)))
        assert len(chats) == 1 and s.get(Message, message_id).conversation_id == chats[0].id
        assert chats[0].role == ConversationRole.TECHNICIAN and chats[0].user_id == shop.carlos
