"""Kill Redis, the worker and PostgreSQL under load with the real Procfile processes running:
every customer is answered exactly once and every process is still there afterwards."""

from __future__ import annotations

import pytest

from tests.faults.stack import ROLES, Outcome, postgres_outage, redis_outage, worker_killed

pytestmark = pytest.mark.faults


def _check(result: Outcome, stack) -> None:
    report = f"{result.as_dict()}\n--- Procfile log (tail) ---\n{stack.log()[-4000:]}"
    assert result.lost == 0, report
    assert result.doubled == 0, report
    assert all(result.alive.values()), report


def _lines(stack, role: str, text: str) -> list[str]:
    return [line for line in stack.log().splitlines()
            if f"{role}.1" in line.split("|", 1)[0] and text in line]


def test_redis_killed_mid_load(stack, graph):
    result = redis_outage(stack, graph)
    _check(result, stack)
    # Every process rode the outage out in place: none had to be restarted.
    assert result.restarted == [], result.as_dict()
    # One line when Redis went away, per process that noticed, not one per retry.
    for role in ("worker", "scheduler", "clock"):
        assert len(_lines(stack, role, "redis unavailable")) <= 1, stack.log()[-4000:]
    assert "could not connect to Redis" not in stack.log()


def test_worker_killed_mid_load(stack, graph):
    result = worker_killed(stack, graph)
    _check(result, stack)
    # Only the worker was replaced, by its supervisor, with a log line saying so.
    assert result.restarted == ["worker"], result.as_dict()
    assert result.left_behind == [], result.as_dict()  # its rq scheduler child died with it
    assert "worker: exited with status -9" in stack.log()


def test_postgresql_killed_mid_load(stack, graph):
    result = postgres_outage(stack, graph)
    _check(result, stack)
    assert result.restarted == [], result.as_dict()
    # Meta's deliveries during the outage were refused (and retried), never lost.
    assert set(result.webhook_statuses) <= {200, 503}, result.as_dict()
    # The worker's jobs failing meanwhile are one outage, not a traceback each.
    for role in ("worker", "clock"):
        assert len(_lines(stack, role, "database unavailable")) <= 1, stack.log()[-4000:]
    assert not _lines(stack, "worker", "OperationalError) connection failed")


def test_the_procfile_keeps_every_process_under_a_supervisor(stack):
    processes = stack.processes()
    assert set(processes.supervisors) == set(ROLES)
