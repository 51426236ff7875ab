"""Answer a closed burst: claim its messages, hand them to the flows, queue the replies."""

from __future__ import annotations

import logging
import math
import os
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from redis import Redis
from redis.exceptions import LockError, RedisError
from redis.lock import Lock
from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

import flows.registry  # noqa: F401 - loaded with this module: else the first burst imports every flow
from core.db import Database
from core.messaging import texts
from core.messaging.conversations import conversation_with, refresh_role
from core.messaging.outbox import queue_replies
from core.messaging.readable import unreadable
from core.messaging.replies import Reply, Text
from core.models import Conversation, DeliveryStatus, Direction, Message, Organization, utcnow
from core.settings import Settings
from flows import engine
from flows.burst import Burst, BurstItem, Pin
from services.bursts import BurstClock
from services.dispatch import Dispatcher
from services.metrics import Metrics
from services.panic import PanicSwitch
from services.send_reply import Ready, prepare_burst_replies, still_queued

log = logging.getLogger("campotech.bot.processing")  # the name these lines always had

TRANSCRIPT_POLL = 0.25  # seconds between looks while a voice note is being transcribed
# The conversation lock is a short lease renewed by a heartbeat while its burst runs: a worker
# that dies mid-burst lets go within seconds. Exactly-once never rests on it (the claim does).
LOCK_TTL_MS = 5_000
HEARTBEAT_SECONDS = LOCK_TTL_MS / 1000 / 4
RETRY_SECONDS = 1.0  # a failed burst is looked at again after this many seconds per try
# The database or Redis being away is an outage, retried without end; anything else a stored
# message makes processing raise counts against it.
OUTAGES = (OperationalError, InterfaceError, PoolTimeout, RedisError)


class _ClaimLost(Exception):
    pass


class _Leases:
    """Keeps the leases of the locks its bursts hold alive, from one thread per process: a
    burst registers its lock while it runs (a thread started and joined per burst cost more
    than the rest of the lock's work). Dies with the process, and so do the leases."""

    def __init__(self):
        self._held: dict[int, list] = {}  # id(lock) -> [lock, monotonic time of its last lease]
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None
        self._pid = 0

    @contextmanager
    def __call__(self, lock: Lock) -> Iterator[None]:
        """Keep `lock`'s lease alive while the block runs."""
        self.hold(lock)
        try:
            yield
        finally:
            self.let_go(lock)

    def hold(self, lock: Lock) -> None:
        with self._changed:
            if self._thread is None or self._pid != os.getpid():  # none yet, or a forked child
                self._pid = os.getpid()
                self._thread = threading.Thread(target=self._beat, name="burst-lock-heartbeat",
                                                daemon=True)
                self._thread.start()
            self._held[id(lock)] = [lock, time.monotonic()]
            self._changed.notify()

    def let_go(self, lock: Lock) -> None:
        with self._changed:
            self._held.pop(id(lock), None)

    def _beat(self) -> None:
        while True:
            with self._changed:
                self._changed.wait(HEARTBEAT_SECONDS / 2 if self._held else None)
                due = [entry for entry in self._held.values()
                       if time.monotonic() - entry[1] >= HEARTBEAT_SECONDS]
            for entry in due:
                lock = entry[0]
                try:
                    lock.reacquire()
                    entry[1] = time.monotonic()
                except LockError:
                    with self._changed:
                        lost = self._held.pop(id(lock), None) is not None
                    if lost:  # not a burst that just ended and released it
                        log.warning("burst lock %s was lost while its burst ran", lock.name)
                except RedisError as exc:  # try again at the next beat; the claim still holds
                    log.warning("burst lock %s not renewed: %s", lock.name, exc)


_heartbeat = _Leases()


@dataclass
class BurstOutcome:
    status: str  # answered, nothing_new, waiting, busy, unanswerable, held, failed
    reply_ids: list[int] = field(default_factory=list)
    message_ids: list[int] = field(default_factory=list)
    mark_read_id: int | None = None
    # What the burst's own replies (the first of `reply_ids`) need to go out, from the
    # transaction that stored them (`send_reply.prepare_burst_replies`); notices after them, and
    # any reply when this is None, are read back by their sender.
    ready: list[Ready] | None = None


def answer_and_send(
    db: Database, redis: Redis, settings: Settings, org_id: int, conversation_id: int, burst_id: str
) -> BurstOutcome:
    """Answer one closed burst, then enqueue its replies' sends and the blue ticks."""
    outcome = answer_burst(db, redis, settings, org_id, conversation_id, burst_id)
    # What the flows deferred (invoices wait on AFIP) was enqueued when the burst committed.
    dispatch = Dispatcher(redis)
    read = outcome.mark_read_id if outcome.status == "answered" else None
    # The replies go out in order, from this process when it can send on threads of its own,
    # else in one job; the blue ticks go with the first reply's send, over its client: no job
    # of their own.
    dispatch.send_in_order(org_id, outcome.reply_ids, mark_read=read, here=True, ready=outcome.ready)
    if read and not outcome.reply_ids:
        dispatch.mark_read(org_id, read)
    if outcome.status not in ("waiting", "busy"):
        Metrics(redis).inc("campotech_bursts_total", outcome.status)
    return outcome


def answer_burst(
    db: Database, redis: Redis, settings: Settings, org_id: int, conversation_id: int, burst_id: str
) -> BurstOutcome:
    """Exactly one reply per burst, even with racing workers: a Redis lock serializes the
    conversation and the database claim (`processed_at IS NULL`) decides who answers.

    A burst that raises is counted against its messages and looked at again shortly; a message
    that fails on its own `inbound_max_attempts` times is set aside (a dead letter) so that the
    sender's next messages are answered.
    """
    clock = BurstClock(redis)
    # Not thread-local: the heartbeat thread renews the lease with this worker's token.
    lock = redis.lock(f"campotech:lock:conv:{org_id}:{conversation_id}", timeout=LOCK_TTL_MS / 1000,
                      thread_local=False)
    if not lock.acquire(blocking=False):
        clock.defer(org_id, conversation_id, burst_id, time.time() + 1.0)
        return BurstOutcome("busy")
    attempted: list[int] = []
    try:
        with _heartbeat(lock):
            return _process_locked(db, redis, settings, clock, org_id, conversation_id, burst_id,
                                   attempted)
    except _ClaimLost:
        return BurstOutcome("nothing_new")
    except OUTAGES:
        raise
    except Exception as exc:
        if not attempted:
            raise
        # Deliberately caught: a message that makes processing raise must not be retried without
        # end, nor hold back the sender's next ones. Counted here, then set aside when it fails
        # on its own too often.
        log.exception("burst %s failed", burst_id, extra={"burst": burst_id, "messages": len(attempted)})
        return _count_failure(db, settings, clock, org_id, conversation_id, burst_id, attempted, exc)
    finally:
        try:
            lock.release()
        except Exception:  # noqa: BLE001 - an expired lock is fine: the DB claim still holds
            log.warning("burst lock for conversation %s expired before release", conversation_id)


def _process_locked(
    db: Database, redis: Redis, settings: Settings, clock: BurstClock,
    org_id: int, conversation_id: int, burst_id: str, attempted: list[int],
) -> BurstOutcome:
    with db.org_session(org_id) as session:
        # One look at the conversation's messages answers three questions: did a try of this
        # burst already store its replies, what is still unanswered, and is a reply of the
        # conversation still waiting to go (the burst's first reply goes after it).
        key = f"burst:{burst_id}:"
        found = list(session.scalars(
            select(Message).where(or_(
                Message.idempotency_key.like(f"{key}%"),
                and_(Message.conversation_id == conversation_id,
                     Message.direction == Direction.INBOUND, Message.processed_at.is_(None)),
                still_queued(conversation_id),
            )).order_by(Message.wa_timestamp, Message.id)
        ))
        already = sorted(m.id for m in found if (m.idempotency_key or "").startswith(key))
        if already:
            # A retry of a burst that was answered before the worker died: re-send, not re-answer.
            return BurstOutcome("answered", reply_ids=already)
        rows = [m for m in found if m.direction is Direction.INBOUND]
        earlier_queued = max((m.id for m in found if m.direction is Direction.OUTBOUND), default=None)
        if not rows:
            return BurstOutcome("nothing_new")
        first_arrival = min(r.created_at for r in rows)
        waited = (utcnow() - first_arrival).total_seconds()
        if any(r.transcript_status == "pending" for r in rows) and waited < settings.transcript_wait_seconds:
            clock.defer(org_id, conversation_id, burst_id, time.time() + TRANSCRIPT_POLL)
            return BurstOutcome("waiting")
        if len(rows) > 1 and any(r.attempts for r in rows):
            # A try of these messages failed: answer the oldest on its own, so one that cannot be
            # processed is found and set aside without the others; the rest is a new burst.
            rows = rows[:1]
            clock.defer(org_id, conversation_id, uuid.uuid4().hex, time.time())

        ids = [r.id for r in rows]
        attempted[:] = ids
        claimed = session.execute(
            update(Message)
            .where(Message.id.in_(ids), Message.processed_at.is_(None))
            .values(processed_at=utcnow(), burst_id=burst_id),
            # nothing reads the loaded rows' claim back: no looking for them in the session
            execution_options={"synchronize_session": False},
        ).rowcount
        if claimed != len(ids):
            raise _ClaimLost  # another worker answered some of them; roll ours back

        # The conversation and the organization in one statement. The organization is held for
        # the whole burst: the flows read it too, and the session's identity map keeps an
        # object only while something refers to it (it was fetched twice per burst).
        conversation, org = session.execute(
            select(Conversation, Organization).join(Organization, Organization.id == Conversation.org_id)
            .where(Conversation.id == conversation_id)
        ).one()
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
                notify=lambda wa_id, reply, key=None: notices.append((wa_id, reply, key)),
            )
        # The burst's key was looked for above (`already`): none of these is stored yet.
        reply_ids = queue_replies(session, conversation, replies, key=f"burst:{burst_id}", fresh=True)
        # Messages the flows send to someone else (the customer when a technician is on the way,
        # the owner on an emergency), under the same burst key: a retry never sends them twice.
        for n, (wa_id, reply, key) in enumerate(notices):
            target = conversation_with(session, wa_id)
            # a notice with its own key (a visit's reminder) is looked for under it first
            reply_ids += queue_replies(session, target, [reply],
                                       key=key or f"burst:{burst_id}:notice:{n}", fresh=key is None)
        log.info(
            "burst answered",
            extra={"burst": burst_id, "messages": len(ids), "replies": len(reply_ids),
                   "org": org.slug if org else org_id},
        )
        last_text = next((r for r in reversed(rows) if r.wa_message_id), None)
        ready = prepare_burst_replies(
            session, settings, org_id, conversation, replies, reply_ids[:len(replies)],
            key=f"burst:{burst_id}", read_wamid=last_text.wa_message_id if last_text else None,
            earlier_queued=earlier_queued)
        return BurstOutcome("answered", reply_ids=reply_ids, message_ids=ids,
                            mark_read_id=last_text.id if last_text else None, ready=ready)


def _count_failure(
    db: Database, settings: Settings, clock: BurstClock, org_id: int, conversation_id: int,
    burst_id: str, ids: list[int], exc: Exception,
) -> BurstOutcome:
    """One more failed try for each message of the burst. A message that failed alone
    `inbound_max_attempts` times becomes a dead letter: processed, marked failed with the reason,
    and the sender is asked to say it again."""
    reason = f"dead letter: {_reason(exc)}"[:200]
    dead: list[int] = []
    reply_ids: list[int] = []
    with db.org_session(org_id) as session:
        rows = list(session.scalars(
            select(Message).where(Message.id.in_(ids), Message.processed_at.is_(None))
            .order_by(Message.id).with_for_update()
        ))
        for row in rows:
            row.attempts = (row.attempts or 0) + 1
            # Only a message that failed on its own is to blame; in company it is retried alone.
            if len(ids) == 1 and row.attempts >= settings.inbound_max_attempts:
                row.processed_at, row.burst_id = utcnow(), burst_id
                row.status, row.error_title = DeliveryStatus.FAILED, reason
                dead.append(row.id)
        tries = max((r.attempts for r in rows), default=0)
        conversation = session.get(Conversation, conversation_id)
        if dead and conversation is not None and conversation.reply_address and not conversation.human_takeover:
            reply_ids = queue_replies(session, conversation, [Text(texts.render("message_set_aside"))],
                                      key=f"dead:{dead[0]}")
    if dead:
        log.error("message set aside after %d failed tries", tries,
                  extra={"burst": burst_id, "message_ids": dead, "reason": reason})
    # Whatever is left is looked at again: at once after a dead letter (the others are a new
    # burst), after a growing pause before the next try of this one.
    if dead:
        clock.defer(org_id, conversation_id, uuid.uuid4().hex, time.time())
    else:
        clock.defer(org_id, conversation_id, burst_id, time.time() + RETRY_SECONDS * max(tries, 1))
    return BurstOutcome("failed", reply_ids=reply_ids, message_ids=dead)


def _reason(exc: Exception) -> str:
    """The exception's kind, never its text: database errors carry the message's own words."""
    inner = getattr(exc, "orig", None)
    return type(inner if isinstance(inner, Exception) else exc).__name__


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _finite(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _item(row: Message) -> BurstItem:
    # Only the typed columns the webhook filled (bot.payloads validated them); never `row.raw`.
    # Rows stored before a validation existed may still hold odd values: read them defensively.
    pin = None
    if _finite(row.latitude) and _finite(row.longitude) and abs(row.latitude) <= 90 and abs(row.longitude) <= 180:
        pin = Pin(float(row.latitude), float(row.longitude), _text(row.place_name), _text(row.place_address))
    text = _text(row.transcript if row.type == "audio" else row.body)
    media_error = None
    if row.transcript_status == "rejected" or (row.media_id and row.type != "audio" and row.error_title):
        media_error = row.error_title
    contacts: tuple[tuple[str | None, str | None], ...] = ()
    if row.type == "contacts":
        cards = (row.payload or {}).get("contacts") if isinstance(row.payload, dict) else None
        contacts = tuple((_text(c.get("name")), _text(c.get("phone")))
                         for c in cards or [] if isinstance(c, dict))
        text = None  # read as contacts (bot.payloads), not as the person's words
    return BurstItem(
        message_id=row.id, type=row.type or "unknown", at=row.wa_timestamp, text=text,
        reply_id=_text(row.reply_id),
        pin=pin, media_path=row.media_path, transcript_status=row.transcript_status,
        media_error=media_error, contacts=contacts,
        unreadable=unreadable(row.type or "unknown", text=text, reply_id=_text(row.reply_id),
                              has_errors=row.error_code is not None) and row.type != "contacts",
    )
