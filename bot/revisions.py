"""Updates that change what is already stored: edits, deletions, echoes and number changes.

Called by bot.inbound_store in the webhook's transaction, right after the update itself is stored:
- an `edit` or `revoke` is applied to the message it points at. Inside the open burst (the
  message not answered yet) the edit replaces the text and the deletion drops the message, and
  the update itself is settled (never answered on its own); after the burst was answered the
  message is marked for staff and the update goes to a burst, where the flows decide whether to
  ask (flows/engine.py);
- an echo (what a person typed on the business's WhatsApp Business app) is an outbound staff
  message in the conversation, and the person has taken the conversation over;
- a number change moves the conversation and the customer to the new number, unanswered.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.updates import InboundMessage
from core.messaging import conversations
from core.models import Conversation, DeliveryStatus, Direction, Message, utcnow

log = logging.getLogger("campotech.bot.revisions")

BUSINESS_APP = "business_app"  # messages.sent_from of an echo
SETTLED = "revision"  # burst id of an edit or deletion applied before its message was answered
DELETED = "deleted"  # burst id of a message deleted before it was answered
SYSTEM = "system"  # burst id of a system message: never answered


def apply_revision(session: Session, conversation_id: int, revision_id: int,
                   m: InboundMessage) -> bool:
    """Apply an edit or deletion to the message it points at; whether the revision itself still
    needs a burst (its message was answered already)."""
    now = utcnow()
    target = session.execute(
        select(Message.id, Message.processed_at, Message.burst_id).where(
            Message.conversation_id == conversation_id, Message.direction == Direction.INBOUND,
            Message.wa_message_id == m.revises)
    ).first()
    if target is None:
        # Sent before we stored anything (or to another number): nothing to change, no answer.
        log.info("%s of an unknown message %s settled", m.type, (m.revises or "")[:40])
        _settle(session, revision_id, now)
        return False
    target_id, processed_at, burst_id = target
    open_burst = processed_at is None
    values: dict = {}
    if m.type == "edit":
        values = {"original_body": func.coalesce(Message.original_body, Message.body),
                  "body": m.text, "edited_at": _aware(m.timestamp)}
    else:
        values = {"deleted_at": _aware(m.timestamp)}
        if open_burst:
            values |= {"processed_at": now, "burst_id": DELETED}
    session.execute(update(Message).where(Message.id == target_id).values(**values))
    if open_burst or burst_id in (DELETED, conversations.STALE_BURST):
        _settle(session, revision_id, now)
        return False
    return True


def store_echo(session: Session, m: InboundMessage) -> int | None:
    """The echo as an outbound staff message (its id), or None when it was stored before; the
    person who typed it has the conversation from now on."""
    if session.scalar(select(Message.id).where(Message.wa_message_id == m.wa_message_id)):
        return None
    conversation = conversations.conversation_with(session, m.wa_id or f"user:{m.user_id}")
    message = Message(
        conversation_id=conversation.id, direction=Direction.OUTBOUND, type=m.type, body=m.text,
        media_id=m.media.id if m.media else None, media_mime=m.media.mime_type if m.media else None,
        wa_message_id=m.wa_message_id, status=DeliveryStatus.SENT,
        wa_timestamp=_aware(m.timestamp), status_at=_aware(m.timestamp), raw=m.raw,
        sent_from=BUSINESS_APP, attempts=0,
    )
    session.add(message)
    session.flush()
    conversations.taken_over_from_app(session, conversation)
    return message.id


def change_number(session: Session, conversation_id: int, m: InboundMessage) -> None:
    """The customer's number changed: their conversation and customer follow it."""
    conversation = session.get(Conversation, conversation_id)
    if conversation is None or not m.new_wa_id:
        return
    conversations.move_to_number(session, conversation, m.new_wa_id)


def _settle(session: Session, message_id: int, now: datetime) -> None:
    session.execute(update(Message).where(Message.id == message_id)
                    .values(processed_at=now, burst_id=SETTLED))


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=utcnow().tzinfo)
