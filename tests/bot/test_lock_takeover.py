"""A worker killed mid-burst: its conversation lock lapses in seconds and the next burst is answered.

The burst lock is short-lived and renewed by a heartbeat while its burst runs, so a dead
holder's lock is taken over quickly; the database claim still keeps every burst answered once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from core.models import Conversation, Direction, Message
from services.answer_burst import LOCK_TTL_MS
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]


def _lock_key(harness) -> str:
    with harness.db.org_session(harness.org_id) as s:
        conversation_id = s.scalar(select(Conversation.id))
    return f"campotech:lock:conv:{harness.org_id}:{conversation_id}"


def test_a_dead_workers_lock_is_taken_over_and_the_next_burst_answered_once(harness, tmp_path):
    harness.say("hola")
    key = _lock_key(harness)
    # Its logs go to a file: a pipe nobody reads fills up and blocks the worker mid-burst.
    with (tmp_path / "worker.log").open("wb") as log:
        worker = subprocess.Popen([sys.executable, "-m", "workers.worker"], cwd=ROOT,
                                  env=os.environ.copy(), stdout=subprocess.DEVNULL, stderr=log)
    try:
        # Hold the burst's rows: the worker takes the conversation lock, then waits on the claim,
        # which is "mid-burst" for as long as we like.
        with harness.db.org_session(harness.org_id) as s:
            s.execute(select(Message.id).where(Message.direction == Direction.INBOUND).with_for_update())

            def holding():
                harness.closer.tick()
                return harness.redis.pttl(key) > 0

            wait_until(holding, 20, what="the worker to take the burst lock")
            first = harness.redis.pttl(key)
            assert 0 < first <= LOCK_TTL_MS <= 15_000  # a short lease, not minutes
            # ... kept alive while the burst runs: the lease is renewed before it runs out, seen
            # as the time left growing between two looks (compared with the first look alone,
            # a lease read the very millisecond it was set, 5,000 ms, could never be exceeded).
            last = [first]

            def renewed() -> bool:
                left = harness.redis.pttl(key)
                grew, last[0] = left > last[0], left
                return grew

            wait_until(renewed, LOCK_TTL_MS / 1000 + 5, what="the lock's renewal")
            owner = harness.redis.get(key)
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=10)
        # The holder is dead and its lock still stands; the sender writes again.
        assert harness.redis.get(key) == owner
        harness.say("se me rompió el termotanque")
        # In-process workers answer as soon as the dead worker's lease has lapsed (a lock of
        # minutes would keep them deferring past this deadline).
        harness.work(timeout=20)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(timeout=10)
    replies = harness.replies()
    assert len(replies) == 1, replies  # one answer, to both messages
    said = harness.booking()["said"]
    assert "hola" in said and "termotanque" in said
    with harness.db.org_session(harness.org_id) as s:
        bursts = set(s.scalars(select(Message.burst_id).where(Message.direction == Direction.INBOUND)))
    assert len(bursts) == 1 and None not in bursts
