"""The WhatsApp adapter's connections: one kept-alive session per process, shared by every client
built from settings, so sends stop opening a TCP (and TLS) connection each (#20)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from core.settings import load_settings
from integrations.whatsapp import WhatsAppClient

PHONE_NUMBER_ID = "100000000000777"


class _Graph(BaseHTTPRequestHandler):
    """`POST /{version}/{phone-number-id}/messages` answered in Meta's shape, over HTTP/1.1
    keep-alive; the server counts the connections it accepted."""

    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        with self.server.lock:
            self.server.connections += 1
        super().setup()

    def do_POST(self) -> None:
        payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with self.server.lock:
            self.server.sends += 1
            n = self.server.sends
        body = json.dumps({"messaging_product": "whatsapp",
                           "contacts": [{"input": payload["to"], "wa_id": payload["to"]}],
                           "messages": [{"id": f"wamid.TEST{n}"}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def graph() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Graph)
    server.daemon_threads = True
    server.lock, server.connections, server.sends = threading.Lock(), 0, 0
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def _settings(server, threads: int):
    return load_settings(env="test", whatsapp_access_token="EAAG-test",
                         whatsapp_phone_number_id=PHONE_NUMBER_ID, whatsapp_send_threads=threads,
                         whatsapp_graph_url=f"http://127.0.0.1:{server.server_port}")


def test_clients_built_per_send_share_kept_alive_connections(graph):
    settings = _settings(graph, threads=4)
    wamids = [WhatsAppClient.from_settings(settings).send_text(f"54911{n:08d}", "hola")
              for n in range(20)]  # a send job builds its client per message
    assert len(set(wamids)) == 20 and graph.sends == 20
    assert graph.connections == 1


def test_sends_from_many_threads_reuse_at_most_a_pool_of_connections(graph):
    settings = _settings(graph, threads=8)

    def send(n: int) -> str:
        return WhatsAppClient.from_settings(settings).send_text(f"54911{n:08d}", "hola")

    with ThreadPoolExecutor(8) as pool:
        wamids = list(pool.map(send, range(80)))
    assert len(set(wamids)) == 80 and graph.sends == 80
    assert graph.connections <= 8
