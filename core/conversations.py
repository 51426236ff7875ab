"""Staff taking a WhatsApp conversation over from the bot, and handing it back.

While `human_takeover` is set, every inbound message is stored and shown to staff but the bot
says nothing (bot/processing.py holds the burst). Handing back clears it with the flow the
person was in, so the bot starts fresh on their next message instead of resuming a question
asked before the person stepped in. Both moves are audited; the back-office calls these.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from core import audit
from core.errors import NotFound
from core.models import Conversation, utcnow


def _get(session: Session, conversation_id: int) -> Conversation:
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        raise NotFound(f"No existe la conversación {conversation_id}.")
    return conversation


def take_over(session: Session, conversation_id: int, actor: str) -> Conversation:
    """A person answers from now on; the bot stays silent in this conversation."""
    conversation = _get(session, conversation_id)
    if not conversation.human_takeover:
        conversation.human_takeover = True
        conversation.needs_person = False  # someone has it
        conversation.updated_at = utcnow()
        audit.record(session, actor=actor, action="conversation.take_over",
                     entity_type="conversation", entity_id=conversation.id)
    return conversation


def hand_back(session: Session, conversation_id: int, actor: str) -> Conversation:
    """The bot answers again, from a clean slate."""
    conversation = _get(session, conversation_id)
    if conversation.human_takeover or conversation.needs_person:
        conversation.human_takeover = False
        conversation.needs_person = False
        conversation.flow = conversation.state = None
        conversation.slots = {}
        conversation.misses = 0
        conversation.expires_at = None
        conversation.updated_at = utcnow()
        audit.record(session, actor=actor, action="conversation.hand_back",
                     entity_type="conversation", entity_id=conversation.id)
    return conversation
