"""Answer a closed burst: claim its messages, hand them to the flows, queue the replies."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from redis import Redis
from sqlalchemy import select, update

from bot.bursts import BurstClock
from bot.outbound import queue_replies
from bot.panic import PanicSwitch
from core import deferred, texts
from core.conversations import conversation_with, refresh_role
from core.db import Database
from core.models import Conversation, Direction, Message, Organization, utcnow
from core.replies import Reply, Text
from core.settings import Settings
from flows import engine
from flows.burst import Burst, BurstItem, Pin

log = logging.getLogger("campotech.bot.processing")

TRANSCRIPT_POLL = 0.25  # seconds between looks while a voice note is being transcribed
LOCK_TTL_MS = 120_000


class _ClaimLost(Exception):
    pass


@dataclass
class BurstOutcome:
    status: str  # answered, nothing_new, waiting, busy, unanswerable
    reply_ids: list[int] = field(default_factory=list)
    message_ids: list[int] = field(default_factory=list)
    mark_read_id: int | None = None
    # Tasks the flows asked for once this commits: [("issue_invoice", (invoice_id,)), ...]
    deferred: list[tuple[str, tuple]] = field(default_factory=list)


def process_burst(
    db: Database, redis: Redis, settings: Settings, org_id: int, conversation_id: int, burst_id: str
) -> BurstOutcome:
    """Exactly one reply per burst, even with racing workers: a Redis lock serializes the
    conversation and the database claim (`processed_at IS NULL`) decides who answers."""
    clock = BurstClock(redis)
    lock = redis.lock(f"campotech:lock:conv:{org_id}:{conversation_id}", timeout=LOCK_TTL_MS / 1000)
    if not lock.acquire(blocking=False):
        clock.defer(org_id, conversation_id, burst_id, time.time() + 1.0)
        return BurstOutcome("busy")
    try:
        return _process_locked(db, redis, settings, clock, org_id, conversation_id, burst_id)
    except _ClaimLost:
        return BurstOutcome("nothing_new")
    finally:
        try:
            lock.release()
        except Exception:  # noqa: BLE001 - an expired lock is fine: the DB claim still holds
            log.warning("burst lock for conversation %s expired before release", conversation_id)


def _process_locked(
    db: Database, redis: Redis, settings: Settings, clock: BurstClock,
    org_id: int, conversation_id: int, burst_id: str,
) -> BurstOutcome:
    with db.org_session(org_id) as session:
        already = list(session.scalars(
            select(Message.id).where(
                Message.idempotency_key.like(f"burst:{burst_id}:%")
            ).order_by(Message.id)
        ))
        if already:
            # A retry of a burst that was answered before the worker died: re-send, not re-answer.
            return BurstOutcome("answered", reply_ids=already)
        rows = list(session.scalars(
            select(Message).where(
                Message.conversation_id == conversation_id,
                Message.direction == Direction.INBOUND,
                Message.processed_at.is_(None),
            ).order_by(Message.wa_timestamp, Message.id)
        ))
        if not rows:
            return BurstOutcome("nothing_new")
        first_arrival = min(r.created_at for r in rows)
        waited = (utcnow() - first_arrival).total_seconds()
        if any(r.transcript_status == "pending" for r in rows) and waited < settings.transcript_wait_seconds:
            clock.defer(org_id, conversation_id, burst_id, time.time() + TRANSCRIPT_POLL)
            return BurstOutcome("waiting")

        ids = [r.id for r in rows]
        claimed = session.execute(
            update(Message)
            .where(Message.id.in_(ids), Message.processed_at.is_(None))
            .values(processed_at=utcnow(), burst_id=burst_id)
        ).rowcount
        if claimed != len(ids):
            raise _ClaimLost  # another worker answered some of them; roll ours back

        conversation = session.get(Conversation, conversation_id)
        refresh_role(session, conversation)
        if conversation.reply_address is None:
            return BurstOutcome("unanswerable", message_ids=ids)
        if conversation.human_takeover:
            # Staff are answering this person themselves: store, do not speak over them.
            return BurstOutcome("held", message_ids=ids)

        burst = Burst(org_id, conversation_id, burst_id, tuple(_item(r) for r in rows))
        panic = PanicSwitch(redis, settings)
        notices: list[tuple[str, Reply]] = []
        if panic.active(org_id):
            replies = [Text(texts.render("panic"))]
        else:
            replies = engine.handle_burst(
                session, conversation, burst, settings,
                notify=lambda wa_id, reply: notices.append((wa_id, reply)),
            )
        reply_ids = queue_replies(session, conversation, replies, key=f"burst:{burst_id}")
        # Messages the flows send to someone else (the customer when a technician is on the way,
        # the owner on an emergency), under the same burst key: a retry never sends them twice.
        for n, (wa_id, reply) in enumerate(notices):
            target = conversation_with(session, wa_id)
            reply_ids += queue_replies(session, target, [reply], key=f"burst:{burst_id}:notice:{n}")
        org = session.get(Organization, org_id)
        log.info(
            "burst answered",
            extra={"burst": burst_id, "messages": len(ids), "replies": len(reply_ids),
                   "org": org.slug if org else org_id},
        )
        last_text = next((r.id for r in reversed(rows) if r.wa_message_id), None)
        return BurstOutcome("answered", reply_ids=reply_ids, message_ids=ids, mark_read_id=last_text,
                            deferred=deferred.take(session))


def _item(row: Message) -> BurstItem:
    # Only the typed columns the webhook filled (bot.payloads validated them); never `row.raw`.
    pin = None
    if row.latitude is not None and row.longitude is not None:
        pin = Pin(row.latitude, row.longitude, row.place_name, row.place_address)
    text = row.transcript if row.type == "audio" else row.body
    media_error = None
    if row.transcript_status == "rejected" or (row.media_id and row.type != "audio" and row.error_title):
        media_error = row.error_title
    return BurstItem(
        message_id=row.id, type=row.type, at=row.wa_timestamp, text=text, reply_id=row.reply_id,
        pin=pin, media_path=row.media_path, transcript_status=row.transcript_status,
        media_error=media_error,
    )
