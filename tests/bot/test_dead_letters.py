"""A stored message that cannot be processed is set aside after bounded tries (a dead letter):
the sweeper leaves it alone, the queue page shows it, and the sender's next messages are answered."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from bot import simulator
from core.messaging import texts
from core.models import DeliveryStatus, Direction, Message, Role
from services import queue_health
from tests.backoffice.conftest import add_staff, email_of, login
from tests.bot.conftest import CUSTOMER, PHONE_NUMBER_ID

# A tap that makes processing raise on every try. Every message shape we know of is handled
# (an id past the database's integers was the last real one: flows.buttons now refuses it), so
# the failure is injected where a future bug would be: in reading the tap.
POISON = "rate:12:5"


class PoisonError(ValueError):
    pass


@pytest.fixture
def poisoned(monkeypatch):
    from flows import engine

    real = engine.decode

    def decode(raw):
        if raw == POISON:
            raise PoisonError("a bug in reading this tap")
        return real(raw)

    monkeypatch.setattr(engine, "decode", decode)


def _unprocessed(harness) -> list[Message]:
    with harness.db.org_session(harness.org_id) as s:
        return list(s.scalars(select(Message).where(Message.direction == Direction.INBOUND,
                                                    Message.processed_at.is_(None))))


def _said(reply: dict) -> str:
    payload = reply["payload"]
    return payload["text"]["body"] if payload["type"] == "text" else payload["interactive"]["body"]["text"]


def _odd_interactive(content) -> dict:
    payload = simulator.message(PHONE_NUMBER_ID, CUSTOMER, "interactive", {})
    payload["entry"][0]["changes"][0]["value"]["messages"][0]["interactive"] = content
    return payload


def test_a_message_that_always_fails_is_set_aside_and_the_sender_answered(harness, poisoned):
    limit = harness.settings.inbound_max_attempts
    harness.say("hola")
    assert harness.post(simulator.button_reply(PHONE_NUMBER_ID, CUSTOMER, POISON, "5")).status_code == 200
    harness.work()  # one burst fails; its messages are retried one by one; the bad one gives up

    with harness.db.org_session(harness.org_id) as s:
        poison = s.scalar(select(Message).where(Message.reply_id == POISON))
        assert poison.processed_at is not None and poison.status is DeliveryStatus.FAILED
        assert poison.attempts == limit  # bounded: tried no more than the setting says
        assert poison.error_title == "dead letter: PoisonError"  # the kind, not the words
        hello = s.scalar(select(Message).where(Message.body == "hola"))
        assert hello.processed_at is not None and hello.status is not DeliveryStatus.FAILED
    assert _unprocessed(harness) == []
    assert harness.closer.sweep(older_than=0)["bursts"] == 0  # nothing left to re-queue
    texts_sent = [_said(r) for r in harness.replies()]
    assert texts.render("message_set_aside") in texts_sent  # the sender is asked to say it again
    assert len(texts_sent) == 2  # and "hola" was answered on its own

    # The sender is not blocked: the next message gets its answer, once.
    harness.say("se me rompió el termotanque")
    harness.work()
    assert len(harness.replies()) == 3 and _unprocessed(harness) == []
    with harness.db.org_session(harness.org_id) as s:
        total, shown = queue_health.dead_letters(s)
    assert total == 1 and [d.message_id for d in shown] == [poison.id]

    # Staff see it on the queue page, with a count.
    add_staff(harness.db, harness.org_id, Role.OWNER, "Roberto Ramos", "+5491155550199")
    client = harness.client
    assert login(client, email_of(Role.OWNER)).status_code == 302
    html = client.get("/app/queues").get_data(as_text=True)
    assert re.search(r'id="dead-letter-count" data-count="1"', html)
    assert f'data-message="{poison.id}"' in html and f"{limit} intentos" in html


def test_interactive_that_is_not_an_object_does_not_block_the_sender(harness):
    # Signed and stored, answered 200: neither this nor the sender's next message may hang.
    for content in ("not an object", {"type": "button_reply", "button_reply": "not an object"},
                    {"type": ["list_reply"], "list_reply": ["x"]}):
        assert harness.post(_odd_interactive(content)).status_code == 200
    harness.work()
    harness.say("hola, se me rompió el termotanque")
    harness.work()
    assert harness.replies() and _unprocessed(harness) == []
    assert harness.closer.sweep(older_than=0)["bursts"] == 0
