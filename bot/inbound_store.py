"""One inbound message stored the way its kind needs, and one delivery status applied, through
the session: the rows and summaries that `bot.inbound.receive` (which walks a whole delivery,
organization by organization, and falls back item by item) builds its result from.

Apart from `bot.inbound` so that the walk over a delivery and the writes of one item can each be
read whole; the statements themselves are in `bot.inbound_sql`.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot import revisions
from bot.inbound_sql import INT4, statements
from bot.updates import (
    NUMBER_CHANGES,
    REVISION_TYPES,
    InboundMessage,
    StatusUpdate,
    status_advances,
)
from core.errors import ValidationFailed
from core.messaging.conversations import STALE_BURST
from core.messaging.readable import unreadable
from core.models import Conversation, DeliveryStatus, Direction, Message, utcnow
from core.phones import normalize_phone

# The same logger as bot.inbound: one delivery's story reads as one stream.
log = logging.getLogger("campotech.bot.inbound")

# The burst_id of a message too old to answer: stored, processed, never replied to.
STALE = STALE_BURST  # too old to answer: stored processed, never answered

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


SETTLED = object()  # store_kind: stored, and nothing to answer


def store_kind(
    session: Session, org_id: int, m: InboundMessage, *, stale: bool
) -> StoredMessage | object | None:
    """Store one message the way its kind needs (bot.revisions): echoes as staff messages, edits
    and deletions applied to their message, number changes moved; anything else as it came.
    SETTLED when it is stored but not to be answered, None for a redelivery."""
    if m.echo:
        return SETTLED if revisions.store_echo(session, m) is not None else None
    system = m.type == "system"
    stored = _store_message(session, org_id, m, stale=stale,
                            settled=revisions.SYSTEM if system else None)
    if stored is None:
        return None
    if system:
        if m.system_type in NUMBER_CHANGES:
            revisions.change_number(session, stored.conversation_id, m)
        return SETTLED
    if m.type in REVISION_TYPES and m.revises:
        needs_burst = revisions.apply_revision(session, stored.conversation_id, stored.message_id, m)
        return stored if needs_burst or stale else SETTLED
    return stored



def _store_message(
    session: Session, org_id: int, m: InboundMessage, *, stale: bool = False,
    settled: str | None = None,
) -> StoredMessage | None:
    """The stored row's summary, or None when this wamid was stored before (a redelivery).
    A `stale` message is stored already processed (burst "stale"), so no burst answers it; a
    `settled` one too, under that burst id (a system message: "system").

    Two statements, whatever happens: an upsert of the sender's conversation and an insert of
    the message that does nothing on a known wamid. The webhook answers Meta fast, and two
    requests racing on the same sender or the same wamid cannot fail or store twice.
    """
    upsert_conversation, insert_message = statements(session.get_bind().dialect.name)
    row = message_row(org_id, m, stale=stale, settled=settled, now=utcnow())
    conversation_id, wa_id = session.execute(upsert_conversation, row).one()
    message_id = session.execute(insert_message, {**row, "conversation_id": conversation_id}).scalar()
    if message_id is None:
        return None
    _store_typed_extras(session, conversation_id, message_id, m, row["now"])
    return summary(org_id, conversation_id, wa_id, message_id, m,
                    needs_transcript=row["transcript_status"] is not None, stale=stale)


def message_row(org_id: int, m: InboundMessage, *, stale: bool, settled: str | None,
                 now: datetime) -> dict:
    """The bound values of both writes (the session's two statements, or `DirectStore`'s one)."""
    needs_transcript = m.type in AUDIO_TYPES and m.media is not None and not stale
    pin = m.location
    return {
        "org_id": org_id, "wa_id": m.wa_id or f"user:{m.user_id or 'unknown'}",
        "wa_user_id": m.user_id, "phone": _phone_of(m.wa_id),
        "profile_name": (m.profile_name or None) and m.profile_name[:120],
        "seen_at": aware(m.timestamp) if m.timestamp else now, "now": now,
        "type": m.type, "body": m.text,
        "media_id": m.media.id if m.media else None,
        "media_mime": m.media.mime_type if m.media else None,
        "wa_message_id": m.wa_message_id, "wa_timestamp": m.timestamp, "raw": m.raw,
        "reply_id": m.reply_id, "reacted_to": m.reacted_to,
        "latitude": pin.latitude if pin else None, "longitude": pin.longitude if pin else None,
        "place_name": pin.name if pin else None, "place_address": pin.address if pin else None,
        "transcript_status": "pending" if needs_transcript else None,
        "processed_at": now if stale or settled else None,
        "burst_id": STALE if stale else settled, "revises": m.revises,
    }


def summary(org_id: int, conversation_id: int, wa_id: str, message_id: int, m: InboundMessage, *,
             needs_transcript: bool, stale: bool) -> StoredMessage:
    return StoredMessage(
        org_id=org_id,
        conversation_id=conversation_id,
        message_id=message_id,
        type=m.type,
        has_media=m.media is not None and m.type in MEDIA_TYPES and not stale,
        needs_transcript=needs_transcript,
        answerable=not wa_id.startswith("user:"),
    )


def _store_typed_extras(
    session: Session, conversation_id: int, message_id: int, m: InboundMessage, now: datetime
) -> None:
    """What only some kinds carry, written apart so the common path stays two statements: the
    shared contact cards (typed, in `payload`), Meta's error code on a message we cannot read,
    and the Click-to-WhatsApp ad on the conversation (the latest ad the person came from)."""
    extras: dict = {}
    if m.shared_contacts:
        extras["payload"] = {"contacts": [{"name": c.name, "phone": c.phone}
                                          for c in m.shared_contacts]}
    if not m.echo and unreadable(m.type, text=m.text, reply_id=m.reply_id, has_errors=bool(m.errors)):
        code = next((e.get("code") for e in m.errors if isinstance(e.get("code"), int)), None)
        # `None in range(...)` walks the whole range: check the type first.
        extras["error_code"] = code if isinstance(code, int) and code in INT4 else None
        log.warning("message of kind %s cannot be read (Meta's code %s): the sender is told",
                    m.type, code, extra={"message_id": message_id})
    if extras:
        session.execute(update(Message).where(Message.id == message_id).values(**extras))
    if m.referral and not m.echo:
        referral = {**m.referral, "received_at": now.isoformat(), "wa_message_id": m.wa_message_id}
        session.execute(update(Conversation).where(Conversation.id == conversation_id)
                        .values(referral=referral))
        log.info("message came from a Click-to-WhatsApp ad (%s)",
                 str(m.referral.get("source_type"))[:20], extra={"message_id": message_id})


_AR_MOBILE_WA_ID = re.compile(r"549[1-9]\d{9}")


@functools.lru_cache(maxsize=4096)
def _phone_of(wa_id: str | None) -> str | None:
    """The sender's canonical phone. A wa_id is international digits without the '+' (a
    foreign sender's too, so it is never read as an Argentine national number). An Argentine
    mobile, `549` + area + number, is already canonical: it skips the parser, which costs a
    tenth of the webhook's CPU for a first-time sender. Cached: the same senders write again
    and again."""
    if not wa_id:
        return None
    if _AR_MOBILE_WA_ID.fullmatch(wa_id):
        return "+" + wa_id
    try:
        return normalize_phone("+" + wa_id if wa_id.isdigit() else wa_id)
    except ValidationFailed:
        return None


def apply_status(session: Session, s: StatusUpdate) -> tuple[int, str, int | None] | None:
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
    values: dict = {"status": new_status, "status_at": aware(s.timestamp)}
    error_code = None
    if new_status is DeliveryStatus.FAILED and s.errors:
        error_code = s.errors[0].code
        if error_code not in INT4:
            log.warning("status error code %d beyond the column's range dropped", error_code)
            error_code = None
        values["error_code"] = error_code
        values["error_title"] = (s.errors[0].title or "")[:200]
    # Guarded on the status read above, so two racing statuses cannot both win.
    moved = session.execute(
        update(Message).where(Message.id == message_id, Message.status == current).values(**values)
    ).rowcount
    return (message_id, new_status.value, error_code) if moved else None


def aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=utcnow().tzinfo)
