"""Edited and deleted messages, echoes from the business's own WhatsApp Business app and number
changes (#18 items 1-3), from Meta's documented payloads through webhook → burst → flows."""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path

from sqlalchemy import func, select

from bot import simulator
from core import audit
from core.models import Conversation, Customer, Direction, Message
from tests.bot.conftest import CUSTOMER
from tests.factories import add_customer_row

FIXTURES = Path(__file__).resolve().parent.parent / "data" / "webhooks"
NEW_NUMBER = "5491166660000"


def _fixture(name: str, **fields) -> dict:
    """A committed payload made current: a fresh wamid and timestamp (an old one is stored as
    stale, never answered), plus `fields` set on the message or on its edit/revoke part."""
    payload = copy.deepcopy(json.loads((FIXTURES / name).read_text(encoding="utf-8")))
    value = payload["entry"][0]["changes"][0]["value"]
    message = (value.get("messages") or value.get("message_echoes"))[0]
    message["id"] = simulator.new_wamid()
    message["timestamp"] = str(int(time.time()))
    if "original_message_id" in fields:
        message[message["type"]]["original_message_id"] = fields.pop("original_message_id")
    message.update(fields)
    return payload


def _post(harness, payload: dict) -> None:
    response = harness.post(payload)
    assert response.status_code == 200, response.get_data(as_text=True)


def _say(harness, body: str, wa_id: str = CUSTOMER) -> str:
    wamid = simulator.new_wamid()
    harness.say(body, wa_id, wamid=wamid)
    return wamid


def _texts(harness, wa_id: str = CUSTOMER) -> list[str]:
    out = []
    for reply in harness.replies(wa_id):
        p = reply["payload"]
        out.append(p["text"]["body"] if p["type"] == "text" else
                   p.get("interactive", {}).get("body", {}).get("text", ""))
    return out


def _conversation(harness, wa_id: str = CUSTOMER) -> Conversation | None:
    with harness.db.org_session(harness.org_id) as s:
        c = s.scalar(select(Conversation).where(Conversation.wa_id == wa_id))
        if c is not None:
            s.expunge(c)
        return c


def _message(harness, wamid: str) -> Message:
    with harness.db.org_session(harness.org_id) as s:
        m = s.scalar(select(Message).where(Message.wa_message_id == wamid))
        s.expunge(m)
        return m


# ---- item 1: edits and deletions -------------------------------------------------------------

def test_a_text_deleted_inside_the_burst_books_nothing(harness):
    wamid = _say(harness, "se me tapó la pileta, estoy en Gorriti 3400")
    _post(harness, _fixture("revoke.json", original_message_id=wamid))
    harness.work()
    assert harness.replies() == []  # nothing left to answer
    c = _conversation(harness)
    assert c.flow is None and not c.slots
    assert _message(harness, wamid).deleted_at is not None


def test_an_edit_inside_the_burst_replaces_the_original(harness):
    wamid = _say(harness, "se me rompió el termotanque")
    _post(harness, _fixture("edit_text.json", original_message_id=wamid))
    harness.work()
    replies = _texts(harness)
    assert len(replies) == 1  # one burst, one answer: the edit is not a second message
    assert harness.booking()["said"] == "es el calefón, no el termotanque"
    m = _message(harness, wamid)
    assert (m.body, m.original_body) == ("es el calefón, no el termotanque", "se me rompió el termotanque")
    assert m.edited_at is not None


def test_an_edit_after_the_answer_in_a_booking_makes_the_bot_ask(harness):
    wamid = _say(harness, "se me tapó la pileta de la cocina")
    harness.work()
    before = len(_texts(harness))
    assert _conversation(harness).flow == "booking"
    _post(harness, _fixture("edit_text.json", original_message_id=wamid))
    harness.work()
    replies = _texts(harness)
    assert len(replies) == before + 1
    assert "es el calefón, no el termotanque" in replies[-1] and "?" in replies[-1]
    assert _message(harness, wamid).edited_at is not None


def test_a_deletion_after_the_answer_in_a_booking_makes_the_bot_ask(harness):
    wamid = _say(harness, "se me tapó la pileta de la cocina")
    harness.work()
    before = len(_texts(harness))
    _post(harness, _fixture("revoke.json", original_message_id=wamid))
    harness.work()
    replies = _texts(harness)
    assert len(replies) == before + 1 and "borraste" in replies[-1]
    assert _message(harness, wamid).deleted_at is not None


def test_an_edit_after_the_answer_outside_a_flow_is_only_shown_to_staff(harness):
    wamid = _say(harness, "hola")
    harness.work()
    before = len(_texts(harness))
    _post(harness, _fixture("edit_text.json", original_message_id=wamid))
    harness.work()
    assert len(_texts(harness)) == before
    m = _message(harness, wamid)
    assert (m.body, m.original_body) == ("es el calefón, no el termotanque", "hola")


# ---- item 2: echoes from the WhatsApp Business app --------------------------------------------

def test_an_echo_is_a_staff_message_and_silences_the_bot(harness):
    _say(harness, "se me tapó la pileta de la cocina")
    harness.work()
    before = len(_texts(harness))
    echo = _fixture("smb_message_echo_text.json")
    _post(harness, echo)
    _post(harness, echo)  # Meta's redelivery: stored once
    _say(harness, "dale, gracias Roberto")
    harness.work()
    assert len(_texts(harness)) == before  # the bot does not talk over the person
    c = _conversation(harness)
    assert c.human_takeover and not c.needs_person
    with harness.db.org_session(harness.org_id) as s:
        echoed = list(s.scalars(select(Message).where(Message.sent_from == "business_app")))
        assert [(m.direction, m.body) for m in echoed] == [
            (Direction.OUTBOUND, "Hola Marta, soy Roberto. Paso mañana a las 10.")]
        assert audit.verify(s).ok


# ---- item 3: the customer changed number ------------------------------------------------------

def test_a_number_change_moves_the_conversation_and_customer_and_is_not_answered(harness):
    customer_id = add_customer_row(harness.db, harness.org_id, phone="+" + CUSTOMER)
    _say(harness, "hola")
    harness.work()
    before = len(_texts(harness))
    _post(harness, _fixture("system_customer_changed_number.json"))
    harness.work()
    assert len(_texts(harness)) == before and harness.replies(NEW_NUMBER) == []
    assert _conversation(harness) is None
    moved = _conversation(harness, NEW_NUMBER)
    assert moved.phone == "+" + NEW_NUMBER
    with harness.db.org_session(harness.org_id) as s:
        customer = s.get(Customer, customer_id)
        assert (customer.phone, customer.wa_id) == ("+" + NEW_NUMBER, NEW_NUMBER)
    _say(harness, "hola de nuevo", NEW_NUMBER)
    harness.work()
    assert harness.replies(NEW_NUMBER)  # the bot answers the new number, same conversation
    with harness.db.org_session(harness.org_id) as s:
        assert s.scalar(select(func.count(Conversation.id))) == 1


def test_the_newer_user_changed_number_shape_moves_the_conversation_too(harness):
    _say(harness, "hola")
    harness.work()
    _post(harness, _fixture("system_user_changed_number.json"))
    harness.work()
    assert _conversation(harness) is None and _conversation(harness, NEW_NUMBER) is not None


def test_a_number_change_to_a_number_that_already_wrote_merges_the_messages(harness):
    _say(harness, "hola")
    _say(harness, "hola, les escribo desde mi número nuevo", NEW_NUMBER)
    harness.work()
    _post(harness, _fixture("system_customer_changed_number.json"))
    harness.work()
    with harness.db.org_session(harness.org_id) as s:
        new = s.scalar(select(Conversation).where(Conversation.wa_id == NEW_NUMBER))
        bodies = list(s.scalars(select(Message.body).where(Message.conversation_id == new.id,
                                                            Message.direction == Direction.INBOUND)))
        assert "hola" in bodies and "hola, les escribo desde mi número nuevo" in bodies
