"""The webhook's side of the transport: accept a delivery (store first, then quick Redis
bookkeeping: counts, fairness limits, the senders' burst clocks, media to fetch).

The clock process closes the bursts it starts (`services.burst_closer`). None of it does slow work.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from redis import Redis
from redis.exceptions import NoScriptError, RedisError
from sqlalchemy import select

from bot import changes, events, inbound
from bot.inbound_sql import DirectStore
from bot.updates import WebhookBatch
from core.db import Database
from core.messaging import texts
from core.messaging.outbox import queue_replies
from core.messaging.replies import Text
from core.models import Conversation, DeliveryStatus, Message, Organization
from core.settings import Settings
from integrations.whatsapp_errors import retryable_code
from services.app_parts import Part
from services.burst_closer import BUSY_KEY
from services.bursts import Admission, BurstClock
from services.dispatch import Dispatcher
from services.metrics import PREFIX as METRICS_PREFIX
from services.metrics import Metrics, label_value
from services.ratelimit import SlidingWindow

log = logging.getLogger("campotech.bot.transport")

# The app's one transport (see `web.create_app`), read as TRANSPORT.of(current_app).
TRANSPORT: Part[Transport] = Part("campotech.transport")


@dataclass(frozen=True)
class Timing:
    quiet: float
    cap: float


class Transport:
    def __init__(self, db: Database, redis: Redis, settings: Settings):
        self.db, self.redis, self.settings = db, redis, settings
        self.clock = BurstClock(redis)
        self.dispatch = Dispatcher(redis)
        self.metrics = Metrics(redis)
        self.per_sender = SlidingWindow(redis, "in-sender", settings.inbound_sender_limit, 60,
                                        secret=settings.secret_key)
        self.per_org = SlidingWindow(redis, "in-org", settings.inbound_org_limit, 60,
                                     secret=settings.secret_key)
        self.admission = Admission(
            self.per_org, self.per_sender, BUSY_KEY, f"{METRICS_PREFIX}:campotech_messages_in_total",
            f"{METRICS_PREFIX}:campotech_throttled_total")
        self._numbers: dict[str, tuple[int | None, float]] = {}
        self._timing: dict[int, tuple[Timing, float]] = {}
        # Plain messages skip the session (bot.inbound_sql.DirectStore); PostgreSQL only.
        self.direct = DirectStore(db.engine) if db.engine.dialect.name == "postgresql" else None
        # Whether this process has seen Redis run the burst clock's script (see _run_noting).
        self._scripts_loaded = False

    # -- webhook ---------------------------------------------------------------------------

    def accept(self, batch: WebhookBatch) -> inbound.ReceiveResult:
        """Store everything (the part that must not fail), then schedule; Redis trouble is logged,
        not raised: the sweeper finds the stored messages when Redis is back."""
        result = inbound.receive(self.db, batch, resolve=self._organizations, direct=self.direct)
        try:
            self._schedule(result)
            # Calls, marketing preferences, account and template news (#18 item 4).
            if parsed := changes.parse_events(batch.other_changes):
                events.on_events(self.db, self.redis, parsed, self._organizations)
        except RedisError as exc:
            log.error("redis unavailable after storing %d messages: %s", len(result.stored), exc)
        return result

    def _schedule(self, result: inbound.ReceiveResult) -> None:
        """Count, check the fairness limits and start the burst clocks: one Redis round trip
        per webhook post, however many messages it carries (`BurstClock.admit`)."""
        now = time.time()
        # Each call queues its command in the pipeline it is given, or runs it given None.
        calls: list[Callable] = []
        if result.duplicates:
            calls.append(functools.partial(self.metrics.inc, "campotech_duplicates_total",
                                           amount=result.duplicates))
        answerable = [s for s in result.stored if s.answerable]
        timing = self._timings({s.org_id for s in answerable})
        scripted: dict[int, Callable] = {}  # index in `calls` -> the script call it is
        admitted: dict[int, tuple[int, int]] = {}  # index in `calls` -> (org, conversation)
        for stored in answerable:
            t = timing[stored.org_id]
            quiet = min(t.quiet, self.settings.voice_quiet_seconds) if stored.needs_transcript \
                else t.quiet
            admitted[len(calls)] = (stored.org_id, stored.conversation_id)
            scripted[len(calls)] = functools.partial(
                self.clock.admit, stored.org_id, stored.conversation_id, now=now, quiet=quiet,
                cap=t.cap, windows=self.admission, org_limit=self.settings.inbound_org_limit,
                sender_limit=self.settings.inbound_sender_limit,
                message_type=label_value("type", stored.type))
            calls.append(scripted[len(calls)])
        for stored in result.stored:
            if not stored.answerable:
                # No number to reply to (a username-only sender): the burst job files it at once.
                calls.append(functools.partial(self.metrics.inc, "campotech_messages_in_total",
                                               stored.type))
                scripted[len(calls)] = functools.partial(
                    self.clock.note, stored.org_id, stored.conversation_id, now=now, quiet=0.0,
                    cap=0.0)
                calls.append(scripted[len(calls)])
        if len(calls) == 1 and 0 in scripted:
            # The common post, one new message: its script sent as itself, without a pipeline
            # (whose bookkeeping cost more CPU per post, bench/webhook.py); a Redis that lost the
            # script is given it again by redis-py's Script.
            outcomes = [scripted[0](pipe=None)]
        elif calls:
            pipe = self.redis.pipeline(transaction=False)
            for call in calls:
                call(pipe=pipe)
            outcomes = self._run_scripts(pipe, scripted)
        else:
            outcomes = []
        for index, (org_id, conversation_id) in admitted.items():
            if outcomes[index] in (b"slow", "slow") and self.per_sender.once(f"{org_id}:{conversation_id}"):
                self._slow_down(org_id, conversation_id, now)
        for stored in result.stored:
            if stored.has_media:
                self.dispatch.fetch_media(stored.org_id, stored.message_id)
        for org_id, message_id, status, code in result.status_changes:
            if status == DeliveryStatus.FAILED.value:
                self.metrics.inc("campotech_send_failures_total", str(code or "unknown"))
                if code is not None and retryable_code(code):
                    self._requeue_failed(org_id, message_id)

    def _run_scripts(self, pipe, scripted: dict[int, Callable]) -> list:
        """Run the pipeline without redis-py's `SCRIPT EXISTS` round trip before it, once this
        process has seen its scripts run, and return its results. Should Redis have lost them
        (a restart), a refused script ran nothing: each one refused is queued again on its own
        (which loads the script)."""
        if self._scripts_loaded:
            pipe.scripts.clear()
        results = pipe.execute(raise_on_error=False)
        for outcome in results:
            if isinstance(outcome, Exception) and not isinstance(outcome, NoScriptError):
                raise outcome
        for index, outcome in enumerate(results):
            if isinstance(outcome, NoScriptError):
                again = self.redis.pipeline(transaction=False)
                scripted[index](pipe=again)
                results[index] = again.execute()[0]
        self._scripts_loaded = True
        return results

    # Which organization a phone number belongs to, and its burst timing, change rarely (a
    # settings page): each web process keeps them for a short while instead of asking per post.
    CACHE_SECONDS = 15.0

    def _organizations(self, numbers: set[str]) -> dict[str, int]:
        now = time.monotonic()
        missing = {n for n in numbers if self._numbers.get(n, (None, 0.0))[1] <= now}
        if missing:
            found = inbound.org_ids_by_number(self.db, missing)
            for number in missing:
                self._numbers[number] = (found.get(number), now + self.CACHE_SECONDS)
        return {n: org_id for n in numbers if (org_id := self._numbers[n][0]) is not None}

    def _timings(self, org_ids: set[int]) -> dict[int, Timing]:
        now = time.monotonic()
        missing = {o for o in org_ids if o not in self._timing or self._timing[o][1] <= now}
        if missing:
            with self.db.system_session() as session:
                rows = session.execute(
                    select(Organization.id, Organization.burst_quiet_seconds, Organization.burst_cap_seconds)
                    .where(Organization.id.in_(missing))
                )
                for org_id, quiet, cap in rows:
                    timing = Timing(quiet or self.settings.burst_quiet_seconds,
                                    cap or self.settings.burst_max_seconds)
                    self._timing[org_id] = (timing, now + self.CACHE_SECONDS)
        return {o: self._timing[o][0] for o in org_ids if o in self._timing}

    def _slow_down(self, org_id: int, conversation_id: int, now: float) -> None:
        with self.db.org_session(org_id) as session:
            conversation = session.get(Conversation, conversation_id)
            ids = queue_replies(
                session, conversation, [Text(texts.render("slow_down"))],
                key=f"slow:{conversation_id}:{int(now // 60)}",
            )
        for message_id in ids:
            self.dispatch.send(org_id, message_id)

    def _requeue_failed(self, org_id: int, message_id: int) -> None:
        """Meta said a delivered-then-failed message may be retried: send it again, once more."""
        with self.db.org_session(org_id) as session:
            message = session.get(Message, message_id)
            if message is None or (message.attempts or 0) >= 3:
                return
            message.status = DeliveryStatus.QUEUED
            message.wa_message_id = None
        self.redis.delete(f"campotech:sent:{message_id}")
        self.dispatch.send(org_id, message_id)
