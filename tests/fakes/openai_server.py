"""A fake OpenAI-compatible server on 127.0.0.1, spoken to by the real `openai` client.

It answers `POST /v1/chat/completions` (a chat.completion object whose message content is
what the test configured) and `POST /v1/audio/transcriptions` (multipart in, `{"text": ...}`
out), checks the bearer token, and records every request so tests can assert what was sent.

Behaviours: `reply(content)` sets the chat answer (a dict is sent as JSON, a string as is, to
test malformed answers), `refuse(text)` answers with a refusal, `transcript(text)` sets the
transcription, `delay(seconds)` holds every answer (client timeouts), `fail(status, ...)`
answers with an OpenAI-style error body.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask, jsonify, request

from tests.fakes.served import Served

ERROR_TYPES = {400: "invalid_request_error", 401: "invalid_request_error",
               404: "invalid_request_error", 429: "rate_limit_exceeded", 500: "server_error",
               503: "server_error"}


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    json: dict | None = None  # chat completions
    form: dict[str, str] = field(default_factory=dict)  # transcriptions
    files: dict[str, bytes] = field(default_factory=dict)


class FakeOpenAI(Served):
    def __init__(self, api_key: str | None = "test-key"):
        self.api_key = api_key  # None: accept any (or no) token
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._content: Any = {"intent": "other"}
        self._refusal: str | None = None
        self._transcript = "hola"
        self._delay = 0.0
        self._fault: tuple[int, str, int | None] | None = None  # status, message, count left
        app = Flask("fake_openai")
        app.add_url_rule("/v1/chat/completions", view_func=self._chat, methods=["POST"])
        app.add_url_rule("/v1/audio/transcriptions", view_func=self._transcribe,
                         methods=["POST"])
        self.root = self._serve(app)
        self.url = f"{self.root}/v1"

    # -- what the tests set -----------------------------------------------------------------

    def reply(self, content: dict | str) -> None:
        """The chat answer's message content from now on: a dict goes out as JSON."""
        with self._lock:
            self._content, self._refusal = content, None

    def refuse(self, text: str = "I'm sorry, I cannot help with that.") -> None:
        with self._lock:
            self._refusal = text

    def transcript(self, text: str) -> None:
        with self._lock:
            self._transcript = text

    def delay(self, seconds: float) -> None:
        with self._lock:
            self._delay = seconds

    def fail(self, status: int, message: str = "", *, count: int | None = None) -> None:
        """Answer with HTTP `status` and an OpenAI error body (`count` times, or until reset)."""
        with self._lock:
            self._fault = (status, message or f"fake error {status}", count)

    def reset(self) -> None:
        with self._lock:
            self._fault, self._delay, self._refusal = None, 0.0, None

    # -- what the tests ask -----------------------------------------------------------------

    def chat_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def transcription_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.endswith("/audio/transcriptions")]

    @property
    def last(self) -> Recorded:
        return self.requests[-1]

    # -- the server side --------------------------------------------------------------------

    def _record(self, rec: Recorded) -> None:
        with self._lock:
            self.requests.append(rec)

    def _hold_and_check(self):
        """Apply the delay, the token check and a configured fault; a response or None."""
        with self._lock:
            delay = self._delay
            fault = self._fault
            if fault is not None and fault[2] is not None:
                left = fault[2] - 1
                self._fault = (fault[0], fault[1], left) if left > 0 else None
        if delay:
            self._stopping.wait(delay)
        token = request.headers.get("Authorization")
        if self.api_key is not None and token != f"Bearer {self.api_key}":
            return _error(401, "Incorrect API key provided.", code="invalid_api_key")
        if fault is not None:
            return _error(fault[0], fault[1])
        return None

    def _chat(self):
        body = request.get_json(silent=True)
        self._record(Recorded(request.path, dict(request.headers), json=body))
        failed = self._hold_and_check()
        if failed is not None:
            return failed
        if not isinstance(body, dict) or "messages" not in body or "model" not in body:
            return _error(400, "'messages' and 'model' are required properties")
        with self._lock:
            content, refusal = self._content, self._refusal
        if refusal is not None:
            message = {"role": "assistant", "content": None, "refusal": refusal}
        else:
            text = content if isinstance(content, str) else json.dumps(content,
                                                                        ensure_ascii=False)
            message = {"role": "assistant", "content": text, "refusal": None}
        return jsonify({
            "id": f"chatcmpl-fake{len(self.requests)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body["model"],
            "choices": [{"index": 0, "message": message, "logprobs": None,
                         "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
            "system_fingerprint": "fp_fake",
        })

    def _transcribe(self):
        files = {name: f.read() for name, f in request.files.items()}
        self._record(Recorded(request.path, dict(request.headers),
                              form=request.form.to_dict(), files=files))
        failed = self._hold_and_check()
        if failed is not None:
            return failed
        if "file" not in files or "model" not in request.form:
            return _error(400, "'file' and 'model' are required")
        with self._lock:
            text = self._transcript
        return jsonify({"text": text})


def _error(status: int, message: str, *, code: str | None = None):
    body = {"error": {"message": message, "type": ERROR_TYPES.get(status, "api_error"),
                      "param": None, "code": code}}
    return jsonify(body), status


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI().start()
    try:
        yield server
    finally:
        server.stop()
