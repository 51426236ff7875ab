"""Conversations through the real path (signed webhook → burst → worker → flows → fake Graph API):
the menu and its buttons, global commands, a person after two misses, "¿cuándo vienen?" with a
working tracking link, and the owner's summary and debts on demand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot import simulator
from core import customers, jobs
from core.identity.users import create_user
from core.models import Conversation
from tests.bot.conftest import CUSTOMER, PHONE_NUMBER_ID
from tests.factories import add_technician

OWNER = "5491155550100"


def _last(harness, wa_id: str = CUSTOMER) -> dict:
    return harness.replies(wa_id)[-1]["payload"]


def _body(payload: dict) -> str:
    return payload["text"]["body"] if payload["type"] == "text" else payload["interactive"]["body"]["text"]


def test_a_greeting_gets_the_menu_and_its_buttons_work(harness):
    harness.say("hola!!")
    harness.work()
    menu = _last(harness)
    assert menu["type"] == "interactive" and menu["interactive"]["type"] == "button"
    titles = [b["reply"]["title"] for b in menu["interactive"]["action"]["buttons"]]
    assert titles == ["Pedir un servicio", "¿Cuándo vienen?", "Hablar con alguien"]
    harness.post(simulator.button_reply(PHONE_NUMBER_ID, CUSTOMER, "menu:new_job", "Pedir un servicio"))
    harness.work()
    assert _body(_last(harness)).startswith("Dale 🙌 Contame qué pasó")


def test_two_misunderstandings_in_a_row_bring_a_person(harness):
    harness.say("asdf qwerty")
    harness.work()
    first = _last(harness)
    assert _body(first).startswith("Perdón, no te entendí") and first["type"] == "interactive"
    harness.say("zzzz")
    harness.work()
    assert _body(_last(harness)).startswith("Te paso con una persona")
    with harness.db.org_session(harness.org_id) as s:
        conversation = s.scalar(select(Conversation))
        assert conversation.needs_person and conversation.misses == 0


def test_global_commands(harness):
    for said, expected in (("Menú", "¿En qué te puedo ayudar?"), ("cancelar", "Listo, lo dejamos acá"),
                           ("hablar con una persona", "Te paso con una persona")):
        harness.say(said)
        harness.work()
        assert expected in _body(_last(harness)), said


def test_when_are_you_coming_answers_with_the_job_and_a_working_tracking_link(harness):
    _, number = _marta_job(harness, "en_route", eta_minutes=20)
    harness.say("hola, ¿cuándo vienen?")
    harness.work()
    body = _body(_last(harness))
    assert f"Tu trabajo #{number}: En camino" in body and "Va Carlos" in body
    assert "Rodríguez" not in body
    url = body.split("Seguilo acá: ")[1].split()[0]
    page = harness.client.get(url.split("127.0.0.1:8000", 1)[-1])
    assert page.status_code == 200 and "Carlos" in page.get_data(as_text=True)


def test_a_customer_without_jobs_is_told_so_kindly(harness):
    harness.say("¿cuándo vienen?")
    harness.work()
    assert "No encuentro un trabajo abierto" in _body(_last(harness))


def test_the_owner_asks_for_the_summary_and_who_owes(harness):
    with harness.db.org_session(harness.org_id) as s:
        create_user(s, {"name": "Roberto Gómez", "role": "owner", "phone": "+" + OWNER,
                        "email": "duenio@example.com", "password": "una-clave-larga"})
    harness.say("pasame el resumen", wa_id=OWNER)
    harness.work()
    assert "Resumen" in _body(_last(harness, OWNER))
    harness.say("quién me debe?", wa_id=OWNER)
    harness.work()
    assert "Nadie te debe" in _body(_last(harness, OWNER))


def test_a_technician_on_the_way_moves_the_job_and_the_customer_hears_it(harness):
    tech_wa = "5491155550101"
    job_id, _ = _marta_job(harness)
    harness.say("voy para lo de García, llego en 20", wa_id=tech_wa)
    harness.work()
    assert "García" in _body(_last(harness, tech_wa)) or "Marta" in _body(_last(harness, tech_wa))
    to_customer = harness.replies(CUSTOMER)
    assert to_customer, "the customer was not told"
    told = to_customer[-1]["payload"]
    text = _body(told) if told["type"] != "template" else " ".join(
        p["text"] for c in told["template"]["components"] for p in c["parameters"])
    assert "Carlos" in text and "/t/" in text
    with harness.db.org_session(harness.org_id) as s:
        from core.models import Job

        assert s.get(Job, job_id).status.value == "en_route"


def test_a_photo_from_a_technician_on_site_is_kept_with_the_job(harness):
    tech_wa = "5491155550101"
    job_id, number = _marta_job(harness, "en_route", "on_site")
    photo = harness.graph.upload_media(b"\xff\xd8\xff\xe0" + bytes(3000), "image/jpeg")
    harness.post(simulator.image(PHONE_NUMBER_ID, tech_wa, photo))
    harness.work()
    assert _body(_last(harness, tech_wa)) == f"📸 Guardé la foto en el trabajo #{number}."
    with harness.db.org_session(harness.org_id) as s:
        from core.models import JobEvent

        event = s.scalar(select(JobEvent).where(JobEvent.job_id == job_id, JobEvent.kind == "photo"))
        assert event is not None and event.data["type"] == "image"


def test_a_booking_left_idle_for_a_day_expires_politely(harness):
    add_technician(harness.db, harness.org_id)
    harness.say("se me rompió el termotanque")
    harness.work()
    with harness.db.org_session(harness.org_id) as s:
        conversation = s.scalar(select(Conversation))
        assert conversation.flow == "booking"
        conversation.expires_at = datetime.now(UTC) - timedelta(minutes=1)
    harness.say("hola")
    harness.work()
    texts = [_body(r["payload"]) for r in harness.replies()[-2:]]
    assert any(t.startswith("La charla anterior quedó en pausa") for t in texts)
    with harness.db.org_session(harness.org_id) as s:
        assert s.scalar(select(Conversation)).flow is None


def test_a_technician_closes_a_job_with_a_message_and_a_button(harness):
    tech_wa = "5491155550101"
    with harness.db.org_session(harness.org_id) as s:
        from core.billing.price_book import create_item

        create_item(s, {"name": "Cambio de flexible", "price": "12000", "service": "plumbing"})
    job_id, _ = _marta_job(harness, "en_route", "on_site")
    harness.say("hola")  # the customer wrote today: free-form messages can reach them
    harness.work()
    harness.say("terminé, cambié el flexible, cobrale 15 lucas", wa_id=tech_wa)
    harness.work()
    summary = _last(harness, tech_wa)
    assert summary["type"] == "interactive" and "$15.000" in _body(summary)
    [confirm] = [b for b in summary["interactive"]["action"]["buttons"] if b["reply"]["title"] == "Confirmar"]
    harness.post(simulator.button_reply(PHONE_NUMBER_ID, tech_wa, confirm["reply"]["id"], "Confirmar"))
    harness.work()
    with harness.db.org_session(harness.org_id) as s:
        from core.models import Job

        # Completed, then invoiced: without AFIP the customer got an internal receipt.
        assert s.get(Job, job_id).status.value == "invoiced"
    # The customer is thanked, gets the receipt, and only then is asked for stars.
    kinds = [m["payload"]["type"] for m in harness.replies()]
    assert kinds[-2:] == ["document", "interactive"], kinds
    stars = [m["payload"] for m in harness.replies() if m["payload"]["type"] == "interactive"][-1]
    assert stars["type"] == "interactive" and stars["interactive"]["type"] == "list"
    rows = [r for sec in stars["interactive"]["action"]["sections"] for r in sec["rows"]]
    five = rows[-1]
    harness.post(simulator.list_reply(PHONE_NUMBER_ID, CUSTOMER, five["id"], five["title"]))
    harness.work()
    with harness.db.org_session(harness.org_id) as s:
        from core.models import JobEvent

        rating = s.scalar(select(JobEvent).where(JobEvent.job_id == job_id, JobEvent.kind == "rating"))
        assert rating.data == {"stars": 5}


def _scheduled_job(harness, tech_phone="+5491155550101"):
    start = (datetime.now(UTC) + timedelta(days=2)).replace(hour=12, minute=0, second=0, microsecond=0)
    return _marta_job(harness, start=start, tech_phone=tech_phone)[0]


def _marta_job(harness, *states: str, start: datetime | None = None, eta_minutes: int = 5,
               tech_phone: str = "+5491155550101") -> tuple[int, int]:
    """Carlos Rodríguez's plumbing job at Marta García's (the harness's customer), two hours
    from `start` (an hour from now by default), walked through `states`: (id, number)."""
    tech = add_technician(harness.db, harness.org_id, "Carlos Rodríguez", tech_phone)
    with harness.db.org_session(harness.org_id) as s:
        customer = customers.create_customer(s, {"name": "Marta García", "phone": "+" + CUSTOMER})
        job = jobs.create_job(s, {"customer_id": customer.id, "service": "plumbing", "technician_id": tech})
        start = start or datetime.now(UTC) + timedelta(hours=1)
        jobs.schedule(s, job.id, start, start + timedelta(hours=2), "user:1")
        for state in states:
            jobs.transition(s, job.id, state, "user:1",
                            eta_minutes=eta_minutes if state == "en_route" else None)
        return job.id, job.number


def test_a_customer_reschedules_with_a_slot_button_and_a_confirmation(harness):
    job_id = _scheduled_job(harness)
    harness.say("necesito cambiar el día de la visita")
    harness.work()
    offer = _last(harness)
    [(slot_id, title), *_] = [(b["reply"]["id"], b["reply"]["title"])
                              for b in offer["interactive"]["action"]["buttons"]]
    assert slot_id.startswith("resched:slot:")
    harness.post(simulator.button_reply(PHONE_NUMBER_ID, CUSTOMER, slot_id, title))
    harness.work()
    confirm = _last(harness)
    ids = [b["reply"]["id"] for b in confirm["interactive"]["action"]["buttons"]]
    assert ids == ["resched:yes", "resched:no"]
    harness.post(simulator.button_reply(PHONE_NUMBER_ID, CUSTOMER, "resched:yes", "Confirmar cambio"))
    harness.work()
    with harness.db.org_session(harness.org_id) as s:
        from core.models import Job

        chosen = datetime.fromisoformat(slot_id.split(":", 3)[3])
        assert s.get(Job, job_id).scheduled_start == chosen


def test_a_customer_cancels_after_confirming(harness):
    job_id = _scheduled_job(harness)
    harness.say("quiero cancelar la visita, ya lo arreglé")
    harness.work()
    ids = [b["reply"]["id"] for b in _last(harness)["interactive"]["action"]["buttons"]]
    assert ids == ["cancel:yes", "cancel:no"]
    harness.post(simulator.button_reply(PHONE_NUMBER_ID, CUSTOMER, "cancel:yes", "Sí, cancelar"))
    harness.work()
    with harness.db.org_session(harness.org_id) as s:
        from core.models import Job

        assert s.get(Job, job_id).status.value == "cancelled"


def test_payment_without_a_configured_method_is_answered_warmly(harness):
    harness.say("cómo les pago?")
    harness.work()
    assert "pago" in _body(_last(harness)).lower()
