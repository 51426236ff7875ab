"""Redis dies mid-burst: nothing is lost and exactly one reply goes out when it is back."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.models import Message, utcnow
from tests.waiting import wait_until


@pytest.mark.parametrize("redis_kept_its_data", [True, False], ids=["rdb-kept", "data-lost"])
def test_redis_outage_mid_burst_then_exactly_one_reply(harness, redis_proc, redis_kept_its_data):
    harness.say("hola")
    harness.say("pierde la canilla del baño")
    redis_proc.stop()
    try:
        # Meta keeps posting while Redis is down: stored and acknowledged all the same.
        response = harness.say("estoy en gorriti al 3400")
        assert response.status_code == 200
    finally:
        redis_proc.start()
    harness.redis.connection_pool.disconnect()
    with harness.db.org_session(harness.org_id) as s:
        assert s.scalar(select(func.count(Message.id))) == 3
        newest = s.scalar(select(func.max(Message.created_at)))
    # The sweeps below take what is older than now (older_than=0): the clock must have moved on.
    wait_until(lambda: utcnow() > newest, 1, every=0.005, what="the messages to be in the past")
    if redis_kept_its_data:
        # redis-server saved its RDB on shutdown: the open burst is still on the clock.
        assert harness.closer.sweep(older_than=0)["bursts"] == 0
    else:
        # Redis came back empty: the sweeper (run by the clock) finds the unanswered messages.
        harness.redis.flushall()
        assert harness.closer.sweep(older_than=0)["bursts"] == 1
    harness.work()
    assert harness.closer.sweep(older_than=0) == {"bursts": 0, "sends": 0}
    harness.work()
    assert len(harness.replies()) == 1  # exactly one answer, to the whole burst
    said = harness.booking()["said"]  # the whole burst
    assert "canilla" in said and "gorriti" in said


def test_a_reply_stored_but_never_sent_is_sent_by_the_sweeper(harness):
    harness.say("hola")
    harness.redis.flushdb()  # the burst and its jobs vanish with Redis
    harness.closer.sweep(older_than=0)
    harness.work()
    assert len(harness.replies()) == 1
