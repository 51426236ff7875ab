"""Replies stored as queued outbound messages, each once per idempotency key.

The burst processing, alerts, invoice delivery and staff replies from the back-office all put
messages here; `services/send_reply.py` sends them (inside RQ jobs) through the WhatsApp adapter.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.messaging.replies import Reply
from core.models import (
    Conversation,
    ConversationRole,
    Customer,
    DeliveryStatus,
    Direction,
    Message,
)
from core.phones import wa_id_for


def queue_replies(
    session: Session, conversation: Conversation, replies: Sequence[Reply], *, key: str,
    fresh: bool = False,
) -> list[int]:
    """Store replies as queued outbound messages; the same `key` never stores them twice.

    `fresh`: the caller has already made sure nothing was stored under `key` in this
    transaction (a burst looks for its key before answering, under its claim), so the look per
    reply is skipped; a duplicate would still fail on the key's unique index."""
    ids: list[int] = []
    for n, reply in enumerate(replies):
        idem = f"{key}:{n}"
        existing = None if fresh else session.scalar(
            select(Message.id).where(Message.idempotency_key == idem))
        if existing:
            ids.append(existing)
            continue
        row = Message(
            conversation_id=conversation.id,
            direction=Direction.OUTBOUND,
            type=reply.kind,
            body=reply.preview()[:4096],
            payload=reply.to_dict(),
            status=DeliveryStatus.QUEUED,
            idempotency_key=idem,
            attempts=0,
        )
        session.add(row)
        session.flush()
        ids.append(row.id)
    return ids


def customer_conversation(session: Session, customer: Customer | None) -> Conversation | None:
    """The customer's WhatsApp conversation, started by us if they never wrote; None when we
    have no number to write to."""
    if customer is None:
        return None
    wa_id = customer.wa_id or (wa_id_for(customer.phone) if customer.phone else None)
    if not wa_id:
        return None
    conversation = session.scalar(select(Conversation).where(Conversation.wa_id == wa_id))
    if conversation is None:
        conversation = Conversation(wa_id=wa_id, phone=customer.phone,
                                    role=ConversationRole.CUSTOMER, customer_id=customer.id,
                                    slots={})
        session.add(conversation)
        session.flush()
    return conversation
