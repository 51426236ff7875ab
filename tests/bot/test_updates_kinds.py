"""Every other kind of WhatsApp update (#18 items 4-6), from Meta's documented payload shapes in
tests/data/webhooks/kinds/, through the real webhook, burst worker, flows and fake Graph API."""

from __future__ import annotations

import copy
import json
import logging
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot import simulator
from core import customers, jobs
from core.identity.users import create_user
from core.models import Conversation, Customer, DeliveryStatus, Direction, Job, JobEvent, Message
from services.periodic import send_reminders
from tests.bot.conftest import CUSTOMER, PHONE_NUMBER_ID
from tests.factories import add_technician

KINDS = Path(__file__).resolve().parents[1] / "data" / "webhooks" / "kinds"
OWNER = "5491155550100"
BUENOS_AIRES = ZoneInfo("America/Argentina/Buenos_Aires")
JPEG = b"\xff\xd8\xff\xe0" + bytes(200)


def fixture(name: str) -> dict:
    return json.loads((KINDS / name).read_text(encoding="utf-8"))


def fresh(payload: dict, *, media_id: str | None = None) -> dict:
    """The fixture as if sent now: a new wamid and timestamp on each message (a stored fixture's
    date is days old, and old messages are stored without an answer), the uploaded media id."""
    payload = copy.deepcopy(payload)
    for entry in payload["entry"]:
        for change in entry["changes"]:
            for message in change["value"].get("messages", []):
                message["id"], message["timestamp"] = simulator.new_wamid(), str(int(time.time()))
                if media_id and isinstance(message.get(message["type"]), dict):
                    message[message["type"]]["id"] = media_id
    return payload


def _post(harness, payload: dict) -> None:
    response = harness.post(payload)
    assert response.status_code == 200, response.get_data(as_text=True)


def _bodies(harness, wa_id: str = CUSTOMER) -> list[str]:
    out = []
    for sent in harness.replies(wa_id):
        p = sent["payload"]
        if p["type"] == "template":
            out.append(" ".join(x["text"] for c in p["template"]["components"] for x in c["parameters"]))
        else:
            out.append(p["text"]["body"] if p["type"] == "text" else p["interactive"]["body"]["text"])
    return out


def _add_owner(harness) -> None:
    with harness.db.org_session(harness.org_id) as s:
        create_user(s, {"name": "Roberto Gómez", "role": "owner", "phone": "+" + OWNER,
                        "email": "duenio@example.com", "password": "una-clave-larga"})


def _conversation(harness, wa_id: str = CUSTOMER) -> Conversation:
    with harness.db.org_session(harness.org_id) as s:
        c = s.scalar(select(Conversation).where(Conversation.wa_id == wa_id))
        s.expunge(c)
        return c


# ---- item 6: a failed status is retried only for codes Meta calls transient ---------------------

def test_a_failed_status_130472_experiment_is_final_not_resent(harness):
    harness.say("hola")
    harness.work()
    with harness.db.org_session(harness.org_id) as s:
        out = s.scalar(select(Message).where(Message.direction == Direction.OUTBOUND))
    payload = fixture("status_failed_experiment.json")
    status = payload["entry"][0]["changes"][0]["value"]["statuses"][0]
    status["id"], status["timestamp"] = out.wa_message_id, str(int(time.time()))
    _post(harness, payload)
    harness.work()
    assert len(harness.replies()) == 1  # not sent again
    with harness.db.org_session(harness.org_id) as s:
        m = s.get(Message, out.id)
        assert (m.status, m.error_code) == (DeliveryStatus.FAILED, 130472)


# ---- item 4: calls, marketing preferences, account and template news ----------------------------

def test_a_missed_call_reaches_the_owner_and_the_customer_gets_written_once(harness):
    _add_owner(harness)
    _post(harness, fixture("call_missed.json"))
    _post(harness, fixture("call_missed.json"))  # Meta delivers again: nothing new
    _post(harness, fixture("call_completed_business.json"))  # a call that happened: nothing
    harness.work()
    [to_customer] = _bodies(harness)
    assert "te escribimos por acá" in to_customer
    [to_owner] = _bodies(harness, OWNER)
    assert "Llamada perdida de Marta García (+54 9 11 5555-0000)" in to_owner


def test_marketing_stop_and_resume_are_kept_and_reminders_honour_them(harness):
    tech = add_technician(harness.db, harness.org_id, "Carlos Rodríguez", "+5491155550101")
    with harness.db.org_session(harness.org_id) as s:
        marta = customers.create_customer(s, {"name": "Marta García", "phone": "+" + CUSTOMER}).id
        tomorrow = datetime.now(BUENOS_AIRES).date() + timedelta(days=1)
        start = datetime.combine(tomorrow, datetime.min.time().replace(hour=10), tzinfo=BUENOS_AIRES)
        jobs.create_job(s, {"customer_id": marta, "service": "plumbing", "technician_id": tech,
                            "scheduled_start": start, "scheduled_end": start + timedelta(hours=2)})
    stop = fixture("user_preferences_marketing.json")
    _post(harness, stop)
    with harness.db.org_session(harness.org_id) as s:
        customer = s.get(Customer, marta)
        assert customer.marketing_opt_out is True
        assert customer.marketing_opt_out_at == datetime.fromtimestamp(1765000000, UTC)
    at_18 = datetime.combine(datetime.now(BUENOS_AIRES).date(),
                             datetime.min.time().replace(hour=18), tzinfo=BUENOS_AIRES)
    assert send_reminders(harness.db, harness.redis, harness.settings, at_18) == 0

    resume = copy.deepcopy(stop)
    pref = resume["entry"][0]["changes"][0]["value"]["user_preferences"][0]
    pref.update(value="resume", timestamp=1765000100, detail="User requested to resume marketing messages")
    _post(harness, resume)
    _post(harness, stop)  # the older stop, delivered late, does not undo the resume
    with harness.db.org_session(harness.org_id) as s:
        assert s.get(Customer, marta).marketing_opt_out is False
    assert send_reminders(harness.db, harness.redis, harness.settings, at_18) == 1


def test_account_restrictions_bans_and_template_trouble_alert_the_owner(harness, caplog):
    _add_owner(harness)
    caplog.set_level(logging.INFO, "campotech")
    for name in ("account_update_restriction.json", "account_update_disabled.json",
                 "template_status_paused.json", "template_quality_red.json",
                 "account_update_partner_added.json", "template_status_approved.json"):
        _post(harness, fixture(name))
    _post(harness, fixture("account_update_restriction.json"))  # redelivered: one alert
    harness.work()
    alerts = _bodies(harness, OWNER)
    assert len(alerts) == 4, alerts
    restriction, disabled, paused, red = alerts
    assert "restringió la cuenta: no podés iniciar conversaciones" in restriction
    assert "deshabilitó la cuenta" in disabled
    assert '"seguimiento_servicio" quedó pausada' in paused
    assert "calidad baja" in red
    assert "AccountEvent PARTNER_ADDED noted" in caplog.text
    assert "TemplateEvent APPROVED noted" in caplog.text


def test_other_changes_we_do_not_act_on_are_logged(harness, caplog):
    caplog.set_level(logging.INFO, "campotech")
    payload = simulator.envelope(PHONE_NUMBER_ID, {})
    payload["entry"][0]["changes"][0] = {"field": "phone_number_quality_update",
                                         "value": {"event": "FLAGGED", "current_limit": "TIER_1K"}}
    _post(harness, payload)
    assert "webhook change phone_number_quality_update (FLAGGED) not acted on" in caplog.text


def test_messages_we_cannot_read_are_logged_and_the_customer_is_told(harness, caplog):
    caplog.set_level(logging.INFO, "campotech")
    for name in ("unsupported_fresh.json", "order.json", "interactive_errored.json"):
        _post(harness, fresh(fixture(name)))
        harness.work()
    unsupported, order, errored = _bodies(harness)
    assert "Me llegó un mensaje que no puedo leer desde acá" in unsupported
    assert "Recibí tu pedido del catálogo, pero no lo puedo leer" in order
    assert "no puedo leer" in errored
    assert "message of kind unsupported cannot be read (Meta's code 131051)" in caplog.text
    assert "message of kind order cannot be read" in caplog.text


# ---- item 5: media without a caption, contact cards, Click-to-WhatsApp ads ------------------------

def test_a_photo_alone_is_asked_about_and_joins_the_booking_that_follows(harness):
    add_technician(harness.db, harness.org_id)
    media_id = harness.graph.upload_media(JPEG, "image/jpeg")
    _post(harness, fresh(fixture("image_no_caption.json"), media_id=media_id))
    harness.work()
    [asked] = _bodies(harness)
    assert asked.startswith("¡Gracias por la foto! ¿De qué se trata?")
    assert "no te entendí" not in asked
    harness.say("pierde agua la canilla de la cocina")
    harness.work()
    with harness.db.org_session(harness.org_id) as s:
        photo = s.scalar(select(Message.id).where(Message.type == "image"))
    c = _conversation(harness)
    assert c.flow == "booking" and c.slots["media"] == [photo] and c.misses == 0


def test_a_video_or_a_pdf_alone_are_asked_about(harness):
    for name, what in (("video_no_caption.json", "el video"), ("document_no_caption.json", "el archivo")):
        _post(harness, fresh(fixture(name), media_id=harness.graph.upload_media(b"%PDF-1.4 x", "application/pdf")))
        harness.work()
        assert _bodies(harness)[-1].startswith(f"¡Gracias por {what}! ¿De qué se trata?")


def test_photos_and_a_contact_during_a_booking_are_kept_and_the_booking_goes_on(harness):
    tech = add_technician(harness.db, harness.org_id, "Carlos Rodríguez", "+5491155550101")
    harness.say("hola", name="Marta García")
    harness.say("se me tapó la pileta de la cocina, no baja nada")
    harness.work()
    asked = _bodies(harness)[-1]
    assert asked.startswith("¿En qué dirección es?")
    media_id = harness.graph.upload_media(JPEG, "image/jpeg")
    _post(harness, fresh(fixture("image_no_caption.json"), media_id=media_id))
    harness.work()
    saved, again = _bodies(harness)[-2:]
    assert saved == "Listo, sumé la foto al pedido 👍" and again == asked  # no "no te entendí"
    _post(harness, fresh(fixture("contacts_card.json")))
    harness.work()
    card, again = _bodies(harness)[-2:]
    assert card == "Anoté el contacto: Carlos Gómez (+54 9 11 5555-0003)." and again == asked
    assert _conversation(harness).misses == 0

    harness.say("estoy en Gorriti al 3400, Palermo")
    harness.work()
    offer = harness.replies()[-1]["payload"]
    slot_id, title = next((b["reply"]["id"], b["reply"]["title"])
                          for b in offer["interactive"]["action"]["buttons"])
    harness.post(simulator.button_reply(PHONE_NUMBER_ID, CUSTOMER, slot_id, title))
    harness.work()
    harness.post(simulator.button_reply(PHONE_NUMBER_ID, CUSTOMER, "booking:confirm", "Confirmar"))
    harness.work()
    assert _bodies(harness)[-1].startswith("¡Listo! ✅ Quedó agendado el trabajo #")
    with harness.db.org_session(harness.org_id) as s:
        job = s.scalar(select(Job))
        photo = s.scalar(select(Message.id).where(Message.type == "image"))
        events = list(s.scalars(select(JobEvent).where(JobEvent.job_id == job.id, JobEvent.kind == "photo")))
        assert [e.data["message_id"] for e in events] == [photo]
        assert "pileta" in job.description and "Contacto: Carlos Gómez +54 9 11 5555-0003" in job.description
        assert job.technician_id == tech


def test_a_contact_card_is_read_as_a_contact_not_as_words(harness):
    _post(harness, fresh(fixture("contacts_card.json")))
    harness.work()
    [reply] = _bodies(harness)
    assert reply.startswith("Recibí el contacto de Carlos Gómez (+54 9 11 5555-0003).")
    assert _conversation(harness).slots["contact"] == {"name": "Carlos Gómez", "phone": "+54 9 11 5555-0003"}


def test_click_to_whatsapp_ad_data_is_kept_on_the_conversation(harness):
    _post(harness, fresh(fixture("referral_text.json")))
    harness.work()
    referral = _conversation(harness).referral
    assert referral["source_type"] == "ad" and referral["source_id"] == "120214141414141414"
    assert referral["headline"] == "Plomero en el día" and referral["ctwa_clid"].startswith("ARAkLkA8")
    assert referral["wa_message_id"].startswith("wamid.")
    assert len(_bodies(harness)) == 1  # and the message itself is answered as usual
    with harness.db.org_session(harness.org_id) as s:
        assert s.scalar(select(Message.body).where(Message.direction == Direction.INBOUND)).startswith("Hola, vi")
