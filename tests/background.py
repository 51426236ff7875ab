"""What runs in the background in production, run in the test's own process: the clock that
closes bursts, and an RQ worker in burst mode."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from rq import Queue, SimpleWorker

from services.burst_closer import BurstCloser
from services.bursts import DUE
from services.queues import QUEUE_NAMES
from tests.waiting import wait_until

T = TypeVar("T")


def run_worker(redis) -> None:
    """A worker on every queue, in burst mode: each job queued or due now, then it returns."""
    queues = [Queue(q, connection=redis) for q in QUEUE_NAMES]
    SimpleWorker(queues, connection=redis).work(burst=True, with_scheduler=True)


def turn(app) -> None:
    """One turn of the clock and of a worker."""
    redis = app.extensions["campotech.redis"]
    BurstCloser(app.extensions["campotech.db"], redis).tick()
    run_worker(redis)


def turn_until(app, condition: Callable[[], T], timeout: float, what: str) -> T:
    """Turn the clock and a worker until `condition()` holds; returns what it returned."""
    return wait_until(lambda: turn(app) or condition(), timeout, what=what)


def queues_empty(redis) -> bool:
    """Nothing queued or scheduled (retries included) on any queue."""
    queues = [Queue(q, connection=redis) for q in QUEUE_NAMES]
    return not any(q.count or q.scheduled_job_registry.count for q in queues)


def idle(redis) -> bool:
    """Nothing due on the burst clock, and the queues empty."""
    return not redis.zcard(DUE) and queues_empty(redis)
