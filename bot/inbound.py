"""Store what the webhook brought: each message once (its wamid), each status only forwards."""

from __future__ import annotations

import contextlib
import functools
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from bot import revisions
from bot.inbound_sql import INT4, DirectStore, StoreFailed, statements, status_row
from bot.updates import (
    NUMBER_CHANGES,
    REVISION_TYPES,
    InboundMessage,
    StatusUpdate,
    WebhookBatch,
    status_advances,
)
from core.db import Database
from core.errors import ValidationFailed
from core.messaging.conversations import STALE_BURST
from core.messaging.readable import unreadable
from core.models import (
    Conversation,
    DeliveryStatus,
    Direction,
    Message,
    Organization,
    utcnow,
)
from core.phones import normalize_phone

log = logging.getLogger("campotech.bot.inbound")

# Values a column refuses. The parser cleans and sizes every field first (bot.payloads); should
# one still slip through, only its own message or status is set aside, never the delivery.
BAD_VALUE = (DataError, IntegrityError, UnicodeEncodeError)
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


@dataclass
class ReceiveResult:
    stored: list[StoredMessage] = field(default_factory=list)
    duplicates: int = 0
    unknown_numbers: set[str] = field(default_factory=set)
    # Stored already processed: older than `inbound_max_age_hours`, not answered as new.
    stale: list[StoredMessage] = field(default_factory=list)
    # Messages and statuses a column refused even after the parser's cleaning (see BAD_VALUE).
    set_aside: int = 0
    statuses_applied: int = 0
    statuses_ignored: int = 0
    # Stored, never answered: echoes of the business app, edits/deletions applied inside the
    # open burst, number changes (bot.revisions).
    settled: int = 0
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


def receive(
    db: Database, batch: WebhookBatch,
    resolve: Callable[[set[str]], dict[str, int]] | None = None,
    max_age_hours: float | None = None, direct: DirectStore | None = None,
) -> ReceiveResult:
    """Store every message and apply every status of a parsed webhook, one transaction per org.

    `resolve` maps phone_number_ids to organizations (default: ask the database each time).
    Messages sent more than `max_age_hours` ago (default: the `inbound_max_age_hours` setting)
    are stored already processed: a delivery Meta retried for a day, or a replayed one, is kept
    for the record but not answered as if the person had just written.

    With `direct` (the webhook), an organization's part whose messages are all plain (no
    echoes, edits, system notices, contact cards, ads or unreadable kinds), statuses included,
    is stored in one round trip on a driver connection; if that fails, through the session.
    """
    result = ReceiveResult()
    numbers = {m.phone_number_id for m in batch.messages} | {s.phone_number_id for s in batch.statuses}
    orgs = resolve(numbers) if resolve else org_ids_by_number(db, numbers)
    result.unknown_numbers = numbers - orgs.keys()
    for number in result.unknown_numbers:
        log.warning("webhook for unknown phone_number_id %s acknowledged and dropped", number)
    if max_age_hours is None:
        max_age_hours = db.settings.inbound_max_age_hours
    stale_before = utcnow() - timedelta(hours=max_age_hours)

    messages: dict[int, list[InboundMessage]] = defaultdict(list)
    statuses: dict[int, list[StatusUpdate]] = defaultdict(list)
    for m in batch.messages:
        if m.phone_number_id in orgs:
            messages[orgs[m.phone_number_id]].append(m)
    for s in batch.statuses:
        if s.phone_number_id in orgs:
            statuses[orgs[s.phone_number_id]].append(s)

    for org_id in sorted(messages.keys() | statuses.keys()):
        args = (db, org_id, messages.get(org_id, []), statuses.get(org_id, []), stale_before)
        part = None
        if direct is not None and all(map(_plain, args[2])):
            try:
                part = _receive_direct(direct, org_id, args[2], args[3], stale_before)
            except StoreFailed as exc:
                log.warning("org %s: direct store failed (%s); storing through the session",
                            org_id, str(exc)[:200])
        try:
            part = part or _receive_for_org(*args)
        except BAD_VALUE as exc:
            # One value the database refused rolled back the organization's whole transaction:
            # do it again one item at a time, so only that item is lost.
            log.warning("org %s: a value was refused (%s); storing item by item",
                        org_id, type(getattr(exc, "orig", exc)).__name__)
            part = _receive_for_org(*args, one_by_one=True)
        result.stored += part.stored
        result.stale += part.stale
        result.duplicates += part.duplicates
        result.set_aside += part.set_aside
        result.statuses_applied += part.statuses_applied
        result.statuses_ignored += part.statuses_ignored
        result.status_changes += part.status_changes
    return result


def _receive_for_org(
    db: Database, org_id: int, messages: list[InboundMessage], statuses: list[StatusUpdate],
    stale_before: datetime, *, one_by_one: bool = False,
) -> ReceiveResult:
    """One organization's part of a delivery in one transaction; `one_by_one`, each item in a
    savepoint of its own, set aside (with a log line) if the database refuses it."""
    result = ReceiveResult()
    with db.org_session(org_id) as session:
        for n, message in enumerate(messages):
            stale = _aware(message.timestamp) < stale_before
            try:
                with _savepoint(session, one_by_one):
                    stored = _store_kind(session, org_id, message, stale=stale)
            except BAD_VALUE as exc:
                result.set_aside += 1
                log.warning("message %s (#%d of the delivery) set aside: the database refused it: %s",
                            message.wa_message_id[:40], n, type(getattr(exc, "orig", exc)).__name__)
                continue
            _tally(result, message, stored, stale, stale_before)
        for status in statuses:
            try:
                with _savepoint(session, one_by_one):
                    change = _apply_status(session, status)
            except BAD_VALUE as exc:
                result.set_aside += 1
                log.warning("status %s set aside: the database refused it: %s", status.status[:20],
                            type(getattr(exc, "orig", exc)).__name__)
                continue
            if change is None:
                result.statuses_ignored += 1
            else:
                result.statuses_applied += 1
                result.status_changes.append((org_id, *change))
    return result


def _tally(result: ReceiveResult, message: InboundMessage, stored: StoredMessage | object | None,
           stale: bool, stale_before: datetime) -> None:
    if stored is None:
        result.duplicates += 1
    elif stored is SETTLED:
        result.settled += 1
    elif stale:
        log.info("message %s is older than %g h (sent %s): stored as processed, not answered",
                 stored.message_id, (utcnow() - stale_before).total_seconds() / 3600,
                 message.timestamp.isoformat())
        result.stale.append(stored)
    else:
        result.stored.append(stored)


def _plain(m: InboundMessage) -> bool:
    """Stored by the two writes alone: nothing of `_store_kind`'s other branches, nothing for
    `_store_typed_extras`."""
    return not (
        m.echo or m.type == "system" or (m.type in REVISION_TYPES and m.revises)
        or m.shared_contacts or m.referral
        or unreadable(m.type, text=m.text, reply_id=m.reply_id, has_errors=bool(m.errors))
    )


def _receive_direct(direct: DirectStore, org_id: int, messages: list[InboundMessage],
                    statuses: list[StatusUpdate], stale_before: datetime) -> ReceiveResult:
    """`_receive_for_org` for plain messages and statuses, in one round trip (`DirectStore`)."""
    result = ReceiveResult()
    now = utcnow()
    stale = [_aware(m.timestamp) < stale_before for m in messages]
    rows = [_message_row(org_id, m, stale=s, settled=None, now=now) for m, s in zip(messages, stale, strict=True)]
    status_rows = [status_row(s, _aware(s.timestamp)) for s in statuses]
    stored_rows, moved_rows = direct.store(org_id, rows, status_rows)
    for m, s, row, (conversation_id, wa_id, message_id) in zip(messages, stale, rows, stored_rows, strict=True):
        stored = None if message_id is None else _summary(
            org_id, conversation_id, wa_id, message_id, m, needs_transcript=row["transcript_status"] is not None,
            stale=s)
        _tally(result, m, stored, s, stale_before)
    for s, row, (found, moved) in zip(statuses, status_rows, moved_rows, strict=True):
        if found is None:
            log.info("status %s for unknown message %s ignored", s.status, s.wa_message_id)
        if moved is None:
            result.statuses_ignored += 1
            continue
        if row["out_of_range"]:
            log.warning("status error code %d beyond the column's range dropped", s.errors[0].code)
        result.statuses_applied += 1
        result.status_changes.append((org_id, moved, row["status"], row["error_code"]))
    return result


SETTLED = object()  # _store_kind: stored, and nothing to answer


def _store_kind(
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


@contextlib.contextmanager
def _savepoint(session: Session, enabled: bool):
    if not enabled:
        yield
        return
    with session.begin_nested():
        yield


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
    row = _message_row(org_id, m, stale=stale, settled=settled, now=utcnow())
    conversation_id, wa_id = session.execute(upsert_conversation, row).one()
    message_id = session.execute(insert_message, {**row, "conversation_id": conversation_id}).scalar()
    if message_id is None:
        return None
    _store_typed_extras(session, conversation_id, message_id, m, row["now"])
    return _summary(org_id, conversation_id, wa_id, message_id, m,
                    needs_transcript=row["transcript_status"] is not None, stale=stale)


def _message_row(org_id: int, m: InboundMessage, *, stale: bool, settled: str | None,
                 now: datetime) -> dict:
    """The bound values of both writes (the session's two statements, or `DirectStore`'s one)."""
    needs_transcript = m.type in AUDIO_TYPES and m.media is not None and not stale
    pin = m.location
    return {
        "org_id": org_id, "wa_id": m.wa_id or f"user:{m.user_id or 'unknown'}",
        "wa_user_id": m.user_id, "phone": _phone_of(m.wa_id),
        "profile_name": (m.profile_name or None) and m.profile_name[:120],
        "seen_at": _aware(m.timestamp) if m.timestamp else now, "now": now,
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


def _summary(org_id: int, conversation_id: int, wa_id: str, message_id: int, m: InboundMessage, *,
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


@functools.lru_cache(maxsize=4096)
def _phone_of(wa_id: str | None) -> str | None:
    """Cached: parsing a number costs ~0.5 ms, and the same senders write again and again."""
    if not wa_id:
        return None
    try:
        return normalize_phone(wa_id)
    except ValidationFailed:
        return None


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


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=utcnow().tzinfo)
