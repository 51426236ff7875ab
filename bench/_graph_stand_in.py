"""A Graph API stand-in for the sends bench (`bench/sends.py`), and the bench's calls to it.

A small asyncio HTTP/1.1 server on 127.0.0.1: `POST /{version}/{phone-number-id}/messages` with a
bearer token gets Meta's response shape after the configured latency — `{"messaging_product":
"whatsapp", "contacts": [{"input", "wa_id"}], "messages": [{"id": "wamid…"}]}` (a mark-as-read
gets `{"success": true}`) — keeping connections alive like Meta does. It counts TCP connections
opened, requests, sends, the most sends it held at once and the arrival time of every send
(`GET /_stats`; `POST /_reset` zeroes them). Apart from the bench so that the server Meta's
side is played by and the measurement of our send path can each be read whole.
"""

from __future__ import annotations

import asyncio
import base64
import http.client
import json
import secrets
import time

REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found"}


class StandIn:
    """What Meta's Cloud API answers for sends and read marks, after `latency` seconds.

    `on_send(to, payload, wamid, at)` and `on_read(at)`, when given, hear each accepted send and
    read mark as it is answered (a bench counting replies where Meta would receive them)."""

    def __init__(self, latency: float, on_send=None, on_read=None):
        self.latency = latency
        self.on_send, self.on_read = on_send, on_read
        self.stats = self._zero()

    @staticmethod
    def _zero() -> dict:
        return {"connections_opened": 0, "requests": 0, "sends": 0, "read_marks": 0, "errors": 0,
                "in_flight": 0, "max_in_flight": 0, "first_arrival": None, "last_answer": None,
                "arrivals": []}

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        counted = False  # a connection counts once it carries a Graph call (not the bench's /_stats)
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                method, target, _version = line.decode("latin-1").split(" ", 2)
                headers = {}
                while (header := await reader.readline()) not in (b"\r\n", b"\n", b""):
                    name, _, value = header.decode("latin-1").partition(":")
                    headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length") or 0))
                if not counted and not target.startswith("/_"):
                    counted = True
                    self.stats["connections_opened"] += 1
                status, answer = await self.route(method, target, headers, body)
                data = json.dumps(answer).encode()
                writer.write(f"HTTP/1.1 {status} {REASONS[status]}\r\nContent-Type: application/json; "
                             f"charset=UTF-8\r\nContent-Length: {len(data)}\r\n\r\n".encode() + data)
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    break
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            pass
        finally:
            writer.close()

    async def route(self, method: str, target: str, headers: dict, body: bytes) -> tuple[int, dict]:
        path = target.split("?", 1)[0].strip("/").split("/")
        if method == "GET" and path == ["_stats"]:
            return 200, self.stats
        if method == "POST" and path == ["_reset"]:
            self.stats = self._zero()
            return 200, self.stats
        self.stats["requests"] += 1
        if not (method == "POST" and len(path) == 3 and path[0].startswith("v") and path[2] == "messages"):
            self.stats["errors"] += 1
            return 404, _error(100, "Unsupported post request.", "GraphMethodException")
        if not headers.get("authorization", "").startswith("Bearer "):
            self.stats["errors"] += 1
            return 401, _error(190, "Invalid OAuth access token - Cannot parse access token")
        try:
            payload = json.loads(body)
        except ValueError:
            payload = None
        if not isinstance(payload, dict) or payload.get("messaging_product") != "whatsapp":
            self.stats["errors"] += 1
            return 400, _error(100, "(#100) Invalid parameter")
        now = time.time()
        if payload.get("status") != "read":
            self.stats["arrivals"].append(now)
        self.stats["first_arrival"] = self.stats["first_arrival"] or now
        self.stats["in_flight"] += 1
        self.stats["max_in_flight"] = max(self.stats["max_in_flight"], self.stats["in_flight"])
        try:
            await asyncio.sleep(self.latency)
        finally:
            self.stats["in_flight"] -= 1
        self.stats["last_answer"] = time.time()
        if payload.get("status") == "read":
            self.stats["read_marks"] += 1
            if self.on_read:
                self.on_read(time.time())
            return 200, {"success": True}
        self.stats["sends"] += 1
        to = str(payload.get("to") or "")
        wamid = "wamid.HBgL" + base64.b64encode(secrets.token_bytes(30)).decode().rstrip("=")
        if self.on_send:
            self.on_send(to, payload, wamid, time.time())
        return 200, {"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": to.lstrip("+")}],
                     "messages": [{"id": wamid}]}


def _error(code: int, message: str, type_: str = "OAuthException") -> dict:
    return {"error": {"message": message, "type": type_, "code": code,
                      "fbtrace_id": base64.b64encode(secrets.token_bytes(9)).decode()}}


def serve(port: int, latency: float) -> None:
    async def main() -> None:
        stand_in = StandIn(latency)
        server = await asyncio.start_server(stand_in.handle, "127.0.0.1", port, backlog=1024)
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def serve_in_thread(latency: float, on_send=None, on_read=None) -> int:
    """The stand-in on a free port, on a daemon thread of this process; returns the port."""
    import threading

    ready = threading.Event()
    port: list[int] = []

    async def main() -> None:
        stand_in = StandIn(latency, on_send, on_read)
        server = await asyncio.start_server(stand_in.handle, "127.0.0.1", 0, backlog=1024)
        port.append(server.sockets[0].getsockname()[1])
        ready.set()
        async with server:
            await server.serve_forever()

    threading.Thread(target=asyncio.run, args=(main(),), name="graph-stand-in", daemon=True).start()
    ready.wait(10)
    return port[0]


def call(port: int, method: str, path: str) -> dict:
    """One request of the bench to the stand-in on `port` (its counters, or their reset)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path)
        return json.loads(conn.getresponse().read())
    finally:
        conn.close()
