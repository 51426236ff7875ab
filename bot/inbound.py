"""Store what the webhook brought: each message once (its wamid), each status only forwards."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.payloads import InboundMessage, StatusUpdate, WebhookBatch, status_advances
from core.db import Database
from core.errors import ValidationFailed
from core.models import (
    Conversation,
    ConversationRole,
    DeliveryStatus,
    Direction,
    Message,
    Organization,
    Role,
    utcnow,
)
from core.phones import normalize_phone
from core.users import find_by_phone

log = logging.getLogger("campotech.bot.inbound")

# Media we fetch right away: voice notes need a transcript before the burst is answered.
AUDIO_TYPES = frozenset({"audio"})
MEDIA_TYPES = frozenset({"audio", "image", "document", "video", "sticker"})


@dataclass(frozen=True)
class StoredMessage:
    org_id: int
    conversation_id: int
    message_id: int
    type: str
    has_media: bool
    needs_transcript: bool
    answerable: bool  # there is a number to reply to


@dataclass
class ReceiveResult:
    stored: list[StoredMessage] = field(default_factory=list)
    duplicates: int = 0
    unknown_numbers: set[str] = field(default_factory=set)
    statuses_applied: int = 0
    statuses_ignored: int = 0
    # (org_id, message_id, new status, error code) for statuses that changed something
    status_changes: list[tuple[int, int, str, int | None]] = field(default_factory=list)


def org_ids_by_number(db: Database, phone_number_ids: set[str]) -> dict[str, int]:
    """Which organization owns each WhatsApp phone_number_id (read across tenants)."""
    if not phone_number_ids:
        return {}
    with db.system_session() as session:
        rows = session.execute(
            select(Organization.wa_phone_number_id, Organization.id).where(
                Organization.wa_phone_number_id.in_(phone_number_ids)
            )
        )
        return {number: org_id for number, org_id in rows}


def receive(db: Database, batch: WebhookBatch) -> ReceiveResult:
    """Store every message and apply every status of a parsed webhook, one transaction per org."""
    result = ReceiveResult()
    numbers = {m.phone_number_id for m in batch.messages} | {s.phone_number_id for s in batch.statuses}
    orgs = org_ids_by_number(db, numbers)
    result.unknown_numbers = numbers - orgs.keys()
    for number in result.unknown_numbers:
        log.warning("webhook for unknown phone_number_id %s acknowledged and dropped", number)

    messages: dict[int, list[InboundMessage]] = defaultdict(list)
    statuses: dict[int, list[StatusUpdate]] = defaultdict(list)
    for m in batch.messages:
        if m.phone_number_id in orgs:
            messages[orgs[m.phone_number_id]].append(m)
    for s in batch.statuses:
        if s.phone_number_id in orgs:
            statuses[orgs[s.phone_number_id]].append(s)

    for org_id in sorted(messages.keys() | statuses.keys()):
        with db.org_session(org_id) as session:
            for message in messages.get(org_id, []):
                stored = _store_message(session, org_id, message)
                if stored is None:
                    result.duplicates += 1
                else:
                    result.stored.append(stored)
            for status in statuses.get(org_id, []):
                change = _apply_status(session, status)
                if change is None:
                    result.statuses_ignored += 1
                else:
                    result.statuses_applied += 1
                    result.status_changes.append((org_id, *change))
    return result


def _store_message(session: Session, org_id: int, m: InboundMessage) -> StoredMessage | None:
    """The stored row's summary, or None when this wamid was stored before (a redelivery)."""
    if session.scalar(select(Message.id).where(Message.wa_message_id == m.wa_message_id)):
        return None
    conversation = _conversation_for(session, m)
    needs_transcript = m.type in AUDIO_TYPES and m.media is not None
    row = Message(
        conversation_id=conversation.id,
        direction=Direction.INBOUND,
        type=m.type,
        body=m.text,
        media_id=m.media.id if m.media else None,
        media_mime=m.media.mime_type if m.media else None,
        wa_message_id=m.wa_message_id,
        status=DeliveryStatus.RECEIVED,
        wa_timestamp=m.timestamp,
        raw=m.raw,
        transcript_status="pending" if needs_transcript else None,
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        # The same wamid raced in through another request: the other one stored it.
        return None
    conversation.last_inbound_at = max(
        filter(None, [conversation.last_inbound_at, m.timestamp, utcnow()])
    )
    if m.profile_name and conversation.profile_name != m.profile_name:
        conversation.profile_name = m.profile_name[:120]
    return StoredMessage(
        org_id=org_id,
        conversation_id=conversation.id,
        message_id=row.id,
        type=m.type,
        has_media=m.media is not None and m.type in MEDIA_TYPES,
        needs_transcript=needs_transcript,
        answerable=conversation.reply_address is not None,
    )


def _conversation_for(session: Session, m: InboundMessage) -> Conversation:
    key = m.wa_id or f"user:{m.user_id or 'unknown'}"
    conversation = session.scalar(select(Conversation).where(Conversation.wa_id == key))
    if conversation is not None:
        if m.user_id and not conversation.wa_user_id:
            conversation.wa_user_id = m.user_id
        return conversation
    phone = _phone_of(m.wa_id)
    conversation = Conversation(
        wa_id=key, wa_user_id=m.user_id, phone=phone, profile_name=m.profile_name,
        role=_role_for(session, phone), slots={},
    )
    try:
        with session.begin_nested():
            session.add(conversation)
    except IntegrityError:
        # Two webhooks for a new sender at once: use the conversation the other one made.
        conversation = session.scalar(select(Conversation).where(Conversation.wa_id == key))
        if conversation is None:
            raise
    return conversation


def _phone_of(wa_id: str | None) -> str | None:
    if not wa_id:
        return None
    try:
        return normalize_phone(wa_id)
    except ValidationFailed:
        return None


def _role_for(session: Session, phone: str | None) -> ConversationRole:
    user = find_by_phone(session, phone) if phone else None
    if user is None:
        return ConversationRole.CUSTOMER
    if user.role in (Role.OWNER, Role.ADMIN):
        return ConversationRole.OWNER
    return ConversationRole.TECHNICIAN


def _apply_status(session: Session, s: StatusUpdate) -> tuple[int, str, int | None] | None:
    """(message id, status, error code) when the status moved the message forward."""
    row = session.execute(
        select(Message.id, Message.status).where(
            Message.wa_message_id == s.wa_message_id, Message.direction == Direction.OUTBOUND
        )
    ).first()
    if row is None:
        log.info("status %s for unknown message %s ignored", s.status, s.wa_message_id)
        return None
    message_id, current = row
    if not status_advances(str(current), s.status):
        return None
    try:
        new_status = DeliveryStatus(s.status)
    except ValueError:
        return None
    values: dict = {"status": new_status, "status_at": _aware(s.timestamp)}
    error_code = None
    if new_status is DeliveryStatus.FAILED and s.errors:
        error_code = s.errors[0].code
        values["error_code"] = error_code
        values["error_title"] = (s.errors[0].title or "")[:200]
    # Guarded on the status read above, so two racing statuses cannot both win.
    moved = session.execute(
        update(Message).where(Message.id == message_id, Message.status == current).values(**values)
    ).rowcount
    return (message_id, new_status.value, error_code) if moved else None


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=utcnow().tzinfo)
