"""The scheduler and the worker ride out a Redis outage in place: one line when it starts, one
when it ends, and back to work; SIGTERM still stops them cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue, Worker
from rq.cron import CronScheduler

from tests.faults.parts import RedisServer
from tests.faults.stack import ROOT
from tests.waiting import wait_until

pytestmark = pytest.mark.faults


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    """A redis-server of this test's own, which the test kills (the suite's is shared)."""
    server = RedisServer().start()
    yield server
    server.kill()


class Process:
    def __init__(self, module: str, redis: RedisServer, tmp_path: Path) -> None:
        self.log_path = tmp_path / f"{module}.log"
        env = {k: v for k, v in os.environ.items() if k not in {"SYSTEM_DATABASE_URL"}}
        env.update(ENV="test", LOG_JSON="false", REDIS_URL=redis.url, PYTHONUNBUFFERED="1",
                   DATABASE_URL=f"sqlite:///{tmp_path / 'campotech.db'}")
        with self.log_path.open("wb") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", module], cwd=ROOT, env=env,
                                         stdout=out, stderr=subprocess.STDOUT)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def lines(self, text: str) -> list[str]:
        return [line for line in self.log().splitlines() if text in line]

    def running(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"exited with {self.proc.returncode}:\n{self.log()[-3000:]}")
        return True

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError(f"did not stop on SIGTERM:\n{self.log()[-3000:]}") from None
        return self.proc.returncode


def _outage(process: Process, redis: RedisServer) -> None:
    """Kill Redis (its data goes with it), wait until the process noticed, start Redis again."""
    redis.kill()
    wait_until(lambda: process.running() and process.lines("redis unavailable"), 15,
               what="the outage to be logged")
    redis.start()


def test_the_scheduler_rides_out_a_redis_outage(own_redis, tmp_path):
    scheduler = Process("workers.scheduler", own_redis, tmp_path)
    connection = Redis.from_url(own_redis.url)
    try:
        wait_until(lambda: scheduler.running() and CronScheduler.all(connection), 30,
                   what="the scheduler to register")
        _outage(scheduler, own_redis)
        # Redis came back empty: the scheduler registers again, by itself, in the same process.
        wait_until(lambda: scheduler.running() and CronScheduler.all(connection), 15,
                   what="the scheduler to register again")
        wait_until(lambda: scheduler.lines("redis is back"), 15,
                   what="the end of the outage to be logged")
        assert len(scheduler.lines("redis unavailable")) == 1, scheduler.log()
    finally:
        code = scheduler.stop()
    assert code == 0, scheduler.log()


def test_the_worker_rides_out_redis_lost_in_the_middle_of_a_job(own_redis, tmp_path):
    worker = Process("workers.worker", own_redis, tmp_path)
    connection = Redis.from_url(own_redis.url)
    try:
        wait_until(lambda: worker.running() and Worker.all(connection), 30,
                   what="the worker to register")
        job = Queue("high", connection=connection).enqueue("time.sleep", 1.0)
        wait_until(lambda: job.get_status(refresh=True) == "started", 15, what="the job to start")
        # rq's loop quits when Redis is gone as the job finishes; ours starts it again.
        _outage(worker, own_redis)
        after = Queue("high", connection=connection).enqueue("workers.tasks.noop")
        wait_until(lambda: worker.running() and after.get_status(refresh=True) == "finished", 30,
                   what="a job after the outage to run")
        wait_until(lambda: worker.lines("redis is back"), 15,
                   what="the end of the outage to be logged")
        assert len(worker.lines("redis unavailable")) == 1, worker.log()
        assert not worker.lines("could not connect to Redis"), worker.log()
    finally:
        code = worker.stop()
    assert code == 0, worker.log()
