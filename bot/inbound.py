"""Store what the webhook brought: each message once (its wamid), each status only forwards.

This module walks a delivery: it finds each part's organization, stores each organization's part
in one transaction (or one round trip, `DirectStore`), falls back item by item when the database
refuses a value, and tallies the result the webhook schedules bursts from. How one message or
status is written is `bot.inbound_store`'s; the statements are `bot.inbound_sql`'s.
"""

from __future__ import annotations

import contextlib
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from bot.inbound_sql import DirectStore, StoreFailed, status_row
from bot.inbound_store import (
    SETTLED,
    StoredMessage,
    apply_status,
    aware,
    message_row,
    store_kind,
    summary,
)
from bot.updates import REVISION_TYPES, InboundMessage, StatusUpdate, WebhookBatch
from core.db import Database
from core.messaging.readable import unreadable
from core.models import Organization, utcnow

log = logging.getLogger("campotech.bot.inbound")

# Values a column refuses. The parser cleans and sizes every field first (bot.payloads); should
# one still slip through, only its own message or status is set aside, never the delivery.
BAD_VALUE = (DataError, IntegrityError, UnicodeEncodeError)


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
            stale = aware(message.timestamp) < stale_before
            try:
                with _savepoint(session, one_by_one):
                    stored = store_kind(session, org_id, message, stale=stale)
            except BAD_VALUE as exc:
                result.set_aside += 1
                log.warning("message %s (#%d of the delivery) set aside: the database refused it: %s",
                            message.wa_message_id[:40], n, type(getattr(exc, "orig", exc)).__name__)
                continue
            _tally(result, message, stored, stale, stale_before)
        for status in statuses:
            try:
                with _savepoint(session, one_by_one):
                    change = apply_status(session, status)
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
    stale = [aware(m.timestamp) < stale_before for m in messages]
    rows = [message_row(org_id, m, stale=s, settled=None, now=now) for m, s in zip(messages, stale, strict=True)]
    status_rows = [status_row(s, aware(s.timestamp)) for s in statuses]
    stored_rows, moved_rows = direct.store(org_id, rows, status_rows)
    for m, s, row, (conversation_id, wa_id, message_id) in zip(messages, stale, rows, stored_rows, strict=True):
        stored = None if message_id is None else summary(
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


@contextlib.contextmanager
def _savepoint(session: Session, enabled: bool):
    if not enabled:
        yield
        return
    with session.begin_nested():
        yield

