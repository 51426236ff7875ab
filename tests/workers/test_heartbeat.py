"""The worker's heartbeat (#20): rq beats before every dequeue in three round trips; ours beats
in one, at most every HEARTBEAT_EVERY seconds while Redis answers, and at once when it was away."""

from __future__ import annotations

import logging

import pytest
from rq import Queue

from services.queues import WORKER_QUEUES
from workers.outage import Outage
from workers.worker import HEARTBEAT_EVERY, Worker


def _worker(redis) -> Worker:
    worker = Worker([Queue(name, connection=redis) for name in WORKER_QUEUES], connection=redis)
    log = logging.getLogger("test")
    worker.outage, worker.database = Outage("redis", log), Outage("database", log)
    return worker


def test_a_busy_worker_beats_once_in_a_while_not_before_every_job(redisdb):
    worker = _worker(redisdb)
    worker.register_birth()
    worker.heartbeat()
    assert redisdb.hget(worker.key, "last_heartbeat")
    assert 0 < redisdb.ttl(worker.key) <= worker.worker_ttl + 60

    redisdb.hdel(worker.key, "last_heartbeat")
    for _ in range(20):  # twenty dequeues in a rush
        worker.heartbeat()
    assert redisdb.hget(worker.key, "last_heartbeat") is None

    worker._beat_at -= HEARTBEAT_EVERY  # a while later
    worker.heartbeat()
    assert redisdb.hget(worker.key, "last_heartbeat")


def test_after_an_outage_the_worker_beats_at_once(redisdb):
    worker = _worker(redisdb)
    worker.register_birth()
    worker.heartbeat()
    redisdb.hdel(worker.key, "last_heartbeat")
    worker.outage.failed("connection lost")
    worker.heartbeat()  # Redis answers again: the beat goes, the outage is over
    assert redisdb.hget(worker.key, "last_heartbeat")
    assert not worker.outage.down


def test_a_beat_with_its_own_timeout_always_goes(redisdb):
    worker = _worker(redisdb)
    worker.register_birth()
    worker.heartbeat()
    worker.heartbeat(timeout=900)
    assert redisdb.ttl(worker.key) > worker.worker_ttl + 60


def test_rq_suspend_is_looked_for_once_a_second_and_still_stops_a_worker(redisdb):
    from rq.exceptions import StopRequested
    from rq.suspension import resume, suspend

    from workers.worker import SUSPENSION_EVERY

    worker = _worker(redisdb)
    worker.check_for_suspension(burst=True)  # not suspended: goes on
    suspend(redisdb)
    try:
        worker.check_for_suspension(burst=True)  # looked a moment ago: not yet
        worker._suspension_checked_at -= SUSPENSION_EVERY
        with pytest.raises(StopRequested):  # a second later: a suspended worker stops
            worker.check_for_suspension(burst=True)
    finally:
        resume(redisdb)
