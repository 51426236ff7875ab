"""Priority without starvation: the general worker takes the high queue first, but one dequeue
in FAIR_TURN starts from a lower queue, so a rush that keeps the high queue full never holds the
lower ones (a busy organization's bursts, housekeeping) for the whole rush (#20)."""

from __future__ import annotations

import itertools
import logging

from rq import Queue
from rq.registry import FinishedJobRegistry

from services.queues import DEFAULT, HIGH, LOW, WORKER_QUEUES
from workers.outage import Outage
from workers.worker import FAIR_TURN, Worker


def _worker(redisdb) -> Worker:
    worker = Worker([Queue(name, connection=redisdb) for name in WORKER_QUEUES], connection=redisdb)
    log = logging.getLogger("test")
    worker.outage, worker.database = Outage("redis", log), Outage("database", log)
    return worker


def _order(redisdb) -> list[str]:
    """Every finished job's id, in the order it ended."""
    ended = []
    for name in WORKER_QUEUES:
        queue = Queue(name, connection=redisdb)
        for job_id in FinishedJobRegistry(name, connection=redisdb).get_job_ids():
            ended.append((queue.fetch_job(job_id).ended_at, job_id))
    return [job_id for _, job_id in sorted(ended)]


def test_lower_queues_get_a_turn_while_the_high_queue_is_full(redisdb):
    for n in range(4 * FAIR_TURN):
        Queue(HIGH, connection=redisdb).enqueue("workers.tasks.noop", job_id=f"high-{n}")
    for n in range(2):
        Queue(DEFAULT, connection=redisdb).enqueue("workers.tasks.noop", job_id=f"default-{n}")
        Queue(LOW, connection=redisdb).enqueue("workers.tasks.noop", job_id=f"low-{n}")

    _worker(redisdb).work(burst=True)

    order = _order(redisdb)
    assert len(order) == 4 * FAIR_TURN + 4
    last_high = max(i for i, job_id in enumerate(order) if job_id.startswith("high"))
    # Both lower queues were served before the high queue ran dry ...
    assert any(job_id.startswith("low") for job_id in order[:last_high])
    assert any(job_id.startswith("default") for job_id in order[:last_high])
    # ... and the high queue still had most turns: never two lower jobs in a row while it waited.
    for first, second in itertools.pairwise(order[:last_high]):
        assert first.startswith("high") or second.startswith("high"), order
    # Each queue keeps its own order.
    for prefix in ("high", "default", "low"):
        mine = [job_id for job_id in order if job_id.startswith(prefix)]
        assert mine == sorted(mine, key=lambda j: int(j.split("-")[1]))


def test_with_only_one_queue_busy_its_jobs_run_in_order(redisdb):
    for n in range(3 * FAIR_TURN):
        Queue(LOW, connection=redisdb).enqueue("workers.tasks.noop", job_id=f"low-{n}")
    _worker(redisdb).work(burst=True)
    assert _order(redisdb) == [f"low-{n}" for n in range(3 * FAIR_TURN)]
