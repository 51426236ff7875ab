"""Close due bursts and sweep what was left behind: the work of the clock process.

`tick` hands every burst whose quiet window (or cap) has passed to a worker; `sweep` picks up
whatever a Redis or worker outage left behind. Neither does slow work.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from redis import Redis
from sqlalchemy import select

from core.db import Database
from core.models import DeliveryStatus, Direction, Message, utcnow
from core.organizations import all_organization_ids
from services.bursts import DUE, BurstClock
from services.dispatch import Dispatcher
from services.queues import DEFAULT, LOW

log = logging.getLogger("campotech.bot.transport")  # the name these lines always had

# Set by the webhook while an organization sends more than its limit: its bursts go to LOW.
BUSY_KEY = "campotech:org-busy:{org_id}"
CLOSED_KEY = "campotech:burst-closed:{burst_id}"


class BurstCloser:
    def __init__(self, db: Database, redis: Redis):
        self.db, self.redis = db, redis
        self.clock = BurstClock(redis)
        self.dispatch = Dispatcher(redis)

    def tick(self, now: float | None = None) -> int:
        """Hand every due burst to a worker; returns how many."""
        now = time.time() if now is None else now
        due = self.clock.claim_due(now)
        for burst in due:
            busy = self.redis.exists(BUSY_KEY.format(org_id=burst.org_id))
            self.redis.set(CLOSED_KEY.format(burst_id=burst.burst_id), repr(now), ex=3600)
            self.dispatch.process_burst(
                burst.org_id, burst.conversation_id, burst.burst_id, queue=LOW if busy else DEFAULT
            )
        return len(due)

    def sweep(self, older_than: float = 30.0) -> dict[str, int]:
        """Re-schedule inbound messages no burst answered and replies never sent.

        Safe to run any time: a re-scheduled burst that finds nothing new does nothing, and a
        re-enqueued send of a message already sent is skipped by the sender.
        """
        cutoff = utcnow() - timedelta(seconds=older_than)
        found = {"bursts": 0, "sends": 0}
        with self.db.system_session() as session:
            org_ids = all_organization_ids(session)
        now = time.time()
        for org_id in org_ids:
            with self.db.org_session(org_id) as session:
                conversations = list(session.scalars(
                    select(Message.conversation_id).where(
                        Message.direction == Direction.INBOUND,
                        Message.processed_at.is_(None),
                        Message.created_at < cutoff,
                    ).group_by(Message.conversation_id)
                ))
                unsent = list(session.scalars(
                    select(Message.id).where(
                        Message.direction == Direction.OUTBOUND,
                        Message.status == DeliveryStatus.QUEUED,
                        Message.created_at < cutoff,
                    )
                ))
            for conversation_id in conversations:
                if self.redis.zscore(DUE, f"{org_id}:{conversation_id}") is None:
                    self.clock.note(org_id, conversation_id, now=now, quiet=0.0, cap=0.0)
                    found["bursts"] += 1
            for message_id in unsent:
                self.dispatch.send(org_id, message_id)
                found["sends"] += 1
        if found["bursts"] or found["sends"]:
            log.warning("sweeper re-scheduled %(bursts)d bursts and %(sends)d sends", found)
        return found
