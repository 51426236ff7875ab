"""Staff take a conversation over (the bot goes silent, messages are kept) and hand it back."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core import audit
from core.errors import NotFound
from core.messaging import conversations
from core.models import AuditEntry, Conversation, Message
from tests.bot.conftest import CUSTOMER


def _conversation(harness) -> Conversation:
    with harness.db.org_session(harness.org_id) as s:
        c = s.scalar(select(Conversation).where(Conversation.wa_id == CUSTOMER))
        s.expunge(c)
        return c


def test_take_over_silences_the_bot_and_hand_back_restores_it(harness):
    harness.say("hola, se me tapó la pileta")
    harness.work()
    asked = len(harness.replies())
    assert asked >= 1 and _conversation(harness).flow == "booking"
    conversation_id = _conversation(harness).id
    with harness.db.org_session(harness.org_id) as s:
        conversations.take_over(s, conversation_id, "user:7")
    harness.say("estoy en Gorriti 3400")
    harness.work()
    assert len(harness.replies()) == asked  # the bot said nothing
    with harness.db.org_session(harness.org_id) as s:
        kept = s.scalars(select(Message.body).where(Message.conversation_id == conversation_id))
        assert "estoy en Gorriti 3400" in list(kept)  # but the message is stored for staff
    with harness.db.org_session(harness.org_id) as s:
        conversations.hand_back(s, conversation_id, "user:7")
    c = _conversation(harness)
    # Back to the bot from a clean slate (the flow only remembers a person just answered).
    assert (c.human_takeover, c.needs_person, c.flow, c.slots) == (False, False, "after_person", {})
    harness.say("hola de nuevo")
    harness.work()
    assert len(harness.replies()) > asked  # the bot answers again
    with harness.db.org_session(harness.org_id) as s:
        actions = list(s.scalars(select(AuditEntry.action).where(
            AuditEntry.entity_type == "conversation")))
        assert actions == ["conversation.take_over", "conversation.hand_back"]
        assert audit.verify(s).ok


def test_take_over_clears_the_needs_a_person_flag_and_unknown_ids_are_refused(harness):
    harness.say("humano")
    harness.work()
    conversation_id = _conversation(harness).id
    assert _conversation(harness).needs_person
    with harness.db.org_session(harness.org_id) as s:
        conversations.take_over(s, conversation_id, "user:7")
        with pytest.raises(NotFound):
            conversations.hand_back(s, 999999, "user:7")
    c = _conversation(harness)
    assert c.human_takeover and not c.needs_person
