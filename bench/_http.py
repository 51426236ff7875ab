"""A keep-alive HTTP connection to a bench's local server that reconnects and retries, and a
webhook delivery signed as Meta signs it."""

from __future__ import annotations

import http.client
import time
from pathlib import Path


class RetryingConnection:
    """HTTP/1.1 to 127.0.0.1:`port`; a request that fails on the socket is retried on a new
    connection, `attempts` times in all, 0.2 s apart."""

    def __init__(self, port: int, attempts: int, timeout: float = 15) -> None:
        self.port, self.attempts, self.timeout = port, attempts, timeout
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict | None = None) -> tuple[int, bytes]:
        for attempt in range(self.attempts):
            try:
                self.conn.request(method, path, body=body, headers=headers or {})
                resp = self.conn.getresponse()
                return resp.status, resp.read()
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
                if attempt == self.attempts - 1:
                    raise
                time.sleep(0.2)
        raise AssertionError("unreachable")


def signed_webhook(payload: dict, secret: str) -> tuple[bytes, dict[str, str]]:
    """A WhatsApp webhook delivery as Meta sends it: the JSON body and its headers, with the
    X-Hub-Signature-256 the app checks against `secret`. POST it to /webhooks/whatsapp."""
    from bot import simulator

    body = simulator.encode(payload)
    return body, {"Content-Type": "application/json",
                  "X-Hub-Signature-256": simulator.sign(secret, body)}


def wait_healthy(port: int, *, timeout: float = 90, log: Path | None = None) -> None:
    """Until the app on 127.0.0.1:`port` answers /healthz; SystemExit after `timeout` seconds
    (workers importing the app on a busy machine take a while), with the tail of its `log`."""
    deadline = time.monotonic() + timeout
    while True:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            return
        except OSError:
            if time.monotonic() > deadline:
                tail = ":\n" + log.read_text()[-3000:] if log is not None else ""
                raise SystemExit("the app did not start" + tail) from None
            time.sleep(0.2)
        finally:
            conn.close()
