"""A fake Meta Graph API on 127.0.0.1: the sandbox's own stand-in, served on a real port.

The same code answers `make run`'s sandbox and the tests, so what the tests prove about the wire
format (heyoo's real HTTP calls, Meta's error bodies, media download) holds for the sandbox.
Tests may also register phone number nodes (`add_phone_number`), as "Probar conexión" reads them.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from flask import Flask, jsonify, request
from redis import Redis
from werkzeug.serving import make_server

from bot import sandbox_graph


class FakeGraph:
    def __init__(self, redis: Redis):
        self.redis = redis
        app = Flask("fake_graph")
        app.extensions["campotech.redis"] = redis
        app.register_blueprint(sandbox_graph.bp, url_prefix="/sandbox/graph")
        # Phone number nodes (`GET /{version}/{phone-number-id}?fields=...`), answered before the
        # sandbox's media route, which shares the path shape.
        self.phone_numbers: dict[str, dict] = {}
        app.before_request(self._phone_number_node)
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

    def add_phone_number(self, phone_number_id: str, display_phone_number: str, *,
                         verified_name: str, token: str, quality_rating: str = "GREEN") -> None:
        """A number of a WhatsApp Business account, readable with `token`."""
        self.phone_numbers[phone_number_id] = {
            "display_phone_number": display_phone_number, "verified_name": verified_name,
            "quality_rating": quality_rating, "token": token}

    def _phone_number_node(self):
        parts = request.path.strip("/").split("/")
        if request.method != "GET" or len(parts) != 4 or parts[:2] != ["sandbox", "graph"] \
                or "display_phone_number" not in request.args.get("fields", ""):
            return None
        number = self.phone_numbers.get(parts[3])
        token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not token or (number is not None and token != number["token"]):
            return jsonify(error={"message": "Invalid OAuth access token - Cannot parse access token",
                                  "type": "OAuthException", "code": 190,
                                  "fbtrace_id": "AfakeTrace190"}), 401
        if number is None:
            return jsonify(error={
                "message": (f"Unsupported get request. Object with ID '{parts[3]}' does not exist, "
                            "cannot be loaded due to missing permissions, or does not support this "
                            "operation. Please read the Graph API documentation at "
                            "https://developers.facebook.com/docs/graph-api"),
                "type": "GraphMethodException", "code": 100, "error_subcode": 33,
                "fbtrace_id": "AfakeTrace100"}), 400
        fields = [f for f in request.args["fields"].split(",") if f in number and f != "token"]
        return jsonify(id=parts[3], **{f: number[f] for f in fields})

    def codes(self, to: str | None = None, template: str = "codigo_verificacion") -> list[str]:
        """The one-time codes sent in the authentication template, oldest first."""
        found = []
        for record in self.sent(to=to):
            part = record["payload"].get("template") or {}
            if record["type"] != "template" or part.get("name") != template:
                continue
            body = next(c for c in part["components"] if c["type"] == "body")
            found.append(body["parameters"][0]["text"])
        return found


@pytest.fixture
def fake_graph(redis_url, redisdb) -> Iterator[FakeGraph]:
    graph = FakeGraph(Redis.from_url(redis_url)).start()
    try:
        yield graph
    finally:
        graph.stop()
