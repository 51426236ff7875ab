"""The fault suite's stack: the Procfile under honcho on its own PostgreSQL and redis-server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from redis import Redis

from tests.fakes.graph import FakeGraph
from tests.faults.parts import PostgresCluster, RedisServer
from tests.faults.stack import Stack


@pytest.fixture(scope="module")
def graph(redis_url) -> Iterator[FakeGraph]:
    """Replies are counted on the suite's shared Redis, which no fault touches."""
    fake = FakeGraph(Redis.from_url(redis_url)).start()
    fake.clear()
    try:
        yield fake
    finally:
        fake.clear()
        fake.stop()


@pytest.fixture(scope="module")
def stack(graph, tmp_path_factory) -> Iterator[Stack]:
    pg = PostgresCluster().create()
    redis = RedisServer().start()
    running = Stack(pg, redis, graph.url, tmp_path_factory.mktemp("faults") / "procfile.log")
    try:
        running.prepare()
        running.start()
        yield running
    finally:
        running.stop()
        redis.kill()
        pg.destroy()
