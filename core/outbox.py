"""Replies stored as queued outbound messages, each once per idempotency key.

The burst processing, alerts, invoice delivery and staff replies from the back-office all put
messages here; `bot/outbound.py` sends them (inside RQ jobs) through the WhatsApp adapter.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import Conversation, DeliveryStatus, Direction, Message
from core.replies import Reply


def queue_replies(
    session: Session, conversation: Conversation, replies: Sequence[Reply], *, key: str
) -> list[int]:
    """Store replies as queued outbound messages; the same `key` never stores them twice."""
    ids: list[int] = []
    for n, reply in enumerate(replies):
        idem = f"{key}:{n}"
        existing = session.scalar(select(Message.id).where(Message.idempotency_key == idem))
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
