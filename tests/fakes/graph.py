"""A fake Meta Graph API on 127.0.0.1: the sandbox's own stand-in, served on a real port.

The same code answers `make run`'s sandbox and the tests, so what the tests prove about the wire
format (heyoo's real HTTP calls, Meta's error bodies, media download) holds for the sandbox.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from flask import Flask
from redis import Redis
from werkzeug.serving import make_server

from bot import sandbox_graph


class FakeGraph:
    def __init__(self, redis: Redis):
        self.redis = redis
        app = Flask("fake_graph")
        app.extensions["campotech.redis"] = redis
        app.register_blueprint(sandbox_graph.bp, url_prefix="/sandbox/graph")
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.root = f"http://127.0.0.1:{self._server.server_port}"
        self.url = f"{self.root}/sandbox/graph"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> FakeGraph:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(5)

    # -- what the tests ask ---------------------------------------------------------------

    def sent(self, to: str | None = None) -> list[dict]:
        return sandbox_graph.recorded(self.redis, to=to)

    def read_marks(self) -> list[str]:
        return sandbox_graph.read_marks(self.redis)

    def fail_next(self, code: int, *, http_status: int = 400, count: int = 1, title: str = "",
                  to: str | None = None) -> None:
        sandbox_graph.add_fault(self.redis, code=code, http_status=http_status, title=title,
                                count=count, to=to)

    def delay_next(self, ms: int, *, count: int = 1, to: str | None = None) -> None:
        sandbox_graph.add_fault(self.redis, delay_ms=ms, count=count, to=to)

    def upload_media(self, content: bytes, mime: str) -> str:
        return sandbox_graph.store_media(self.redis, content, mime)

    def clear(self) -> None:
        sandbox_graph.clear(self.redis)


@pytest.fixture
def fake_graph(redis_url, redisdb) -> Iterator[FakeGraph]:
    graph = FakeGraph(Redis.from_url(redis_url)).start()
    try:
        yield graph
    finally:
        graph.stop()
