"""Booking through the real path: a first burst becomes a scheduled job, asking only what is
missing, with slots as buttons; returning customers; emergencies alert the staff at once."""

from __future__ import annotations

from sqlalchemy import select

from bot import simulator
from core import customers
from core.identity.users import create_user
from core.models import Conversation, Job, JobStatus, Urgency
from tests.bot.conftest import CUSTOMER, PHONE_NUMBER_ID
from tests.factories import add_technician

OWNER = "5491155550100"


def _payloads(harness, wa_id=CUSTOMER):
    return [r["payload"] for r in harness.replies(wa_id)]


def _body(p: dict) -> str:
    if p["type"] == "template":  # outside the 24-hour window: the approved template carries it
        return " ".join(x["text"] for c in p["template"]["components"] for x in c["parameters"])
    return p["text"]["body"] if p["type"] == "text" else p["interactive"]["body"]["text"]


def _buttons(p: dict) -> list[tuple[str, str]]:
    return [(b["reply"]["id"], b["reply"]["title"]) for b in p["interactive"]["action"]["buttons"]]


def _tap(harness, button_id: str, title: str, wa_id: str = CUSTOMER) -> None:
    harness.post(simulator.button_reply(PHONE_NUMBER_ID, wa_id, button_id, title))
    harness.work()


def test_a_first_burst_becomes_a_scheduled_job(harness):
    tech = add_technician(harness.db, harness.org_id, "Carlos Rodríguez", "+5491155550101")
    harness.say("hola", name="Marta García")
    harness.say("se me tapó la pileta de la cocina, no baja nada")
    harness.say("estoy en Gorriti al 3400, Palermo")
    harness.work()
    offer = _payloads(harness)[-1]
    assert "¿Qué día te queda bien?" in _body(offer)
    slots = _buttons(offer)
    assert 2 <= len(slots) <= 3 and all(len(title) <= 20 for _, title in slots)
    slot_id, slot_title = slots[0]
    _tap(harness, slot_id, slot_title)
    confirm = _payloads(harness)[-1]
    body = _body(confirm)
    assert "Destapación" in body and "Gorriti 3400" in body and slot_title in body
    _tap(harness, "booking:confirm", "Confirmar")
    done = _body(_payloads(harness)[-1])
    assert done.startswith("¡Listo! ✅ Quedó agendado el trabajo #")
    with harness.db.org_session(harness.org_id) as s:
        job = s.scalar(select(Job))
        assert job.status is JobStatus.SCHEDULED and job.technician_id == tech
        assert job.customer.name == "Marta García" and job.customer.phone == "+" + CUSTOMER
        assert job.address.street == "Gorriti" and job.address.number == "3400"
        assert "pileta" in job.description
        conversation = s.scalar(select(Conversation).where(Conversation.wa_id == CUSTOMER))
        assert conversation.flow is None and conversation.customer_id == job.customer_id


def test_only_the_missing_things_are_asked_one_at_a_time(harness):
    add_technician(harness.db, harness.org_id)
    harness.say("necesito un plomero, pierde la canilla del baño")
    harness.work()
    assert _body(_payloads(harness)[-1]).startswith("¿En qué dirección es?")
    harness.say("Av. Rivadavia 4500 3B, Caballito")
    harness.work()
    assert "¿Qué día te queda bien?" in _body(_payloads(harness)[-1])
    with harness.db.org_session(harness.org_id) as s:
        c = s.scalar(select(Conversation))
        assert c.flow == "booking" and c.state == "slot"
        assert c.slots["address"]["street"] == "Av. Rivadavia"


def test_a_returning_customer_is_offered_the_last_address(harness):
    add_technician(harness.db, harness.org_id)
    with harness.db.org_session(harness.org_id) as s:
        customers.create_customer(s, {"name": "Marta García", "phone": "+" + CUSTOMER,
                                      "addresses": [{"street": "Gorriti", "number": "3400"}]})
    harness.say("hola, se me rompió el termotanque de nuevo")
    harness.work()
    ask = _payloads(harness)[-1]
    assert _body(ask) == "¿Es en Gorriti 3400?"  # on file, no visit there yet: not "como la última vez"
    _tap(harness, "address:same", "Sí, es ahí")
    assert "¿Qué día te queda bien?" in _body(_payloads(harness)[-1])


def test_two_misunderstood_answers_bring_a_person(harness):
    add_technician(harness.db, harness.org_id)
    harness.say("se me rompió el termotanque, estoy en Gorriti 3400")
    harness.work()
    for _ in range(2):
        harness.say("jajaja")
        harness.work()
    assert _body(_payloads(harness)[-1]).startswith("Te paso con una persona")
    with harness.db.org_session(harness.org_id) as s:
        c = s.scalar(select(Conversation))
        assert c.needs_person and c.flow == "handover"  # quiet until a person answers


def test_an_emergency_gets_safety_advice_a_job_at_once_and_the_staff_alerted(harness):
    add_technician(harness.db, harness.org_id, "Carlos Rodríguez", "+5491155550101")
    with harness.db.org_session(harness.org_id) as s:
        create_user(s, {"name": "Roberto Gómez", "role": "owner", "phone": "+" + OWNER,
                        "email": "duenio@example.com", "password": "una-clave-larga"})
    harness.say("HOLA hay olor a gas en toda la casa!! estoy en Gorriti 3400")
    harness.work()
    texts = [_body(p) for p in _payloads(harness)]
    assert any(t.startswith("⚠️ Mientras tanto: cerrá la llave de paso del gas") for t in texts)
    assert any("Ya cargué la urgencia: trabajo #" in t for t in texts)
    # The owner never wrote to the bot: the alert goes as the approved template.
    alerts = _payloads(harness, OWNER)
    assert alerts and all(p["type"] == "template" for p in alerts)
    assert any(_body(p).startswith("🚨") for p in alerts)
    with harness.db.org_session(harness.org_id) as s:
        job = s.scalar(select(Job))
        assert job.urgency is Urgency.EMERGENCY and job.service == "gas"


def test_cancelar_leaves_the_booking(harness):
    add_technician(harness.db, harness.org_id)
    harness.say("se me rompió el termotanque")
    harness.work()
    harness.say("cancelar")
    harness.work()
    assert _body(_payloads(harness)[-1]).startswith("Listo, lo dejamos acá")
    with harness.db.org_session(harness.org_id) as s:
        assert s.scalar(select(Conversation)).flow is None
