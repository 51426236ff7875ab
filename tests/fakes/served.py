"""What every fake HTTP server shares: a Flask app served on 127.0.0.1 (a free port) from a
daemon thread, started and stopped by its fixture; `_stopping` wakes handlers that delay."""

from __future__ import annotations

import threading
from typing import Self

from flask import Flask
from werkzeug.serving import make_server


class Served:
    _stopping: threading.Event

    def _serve(self, app: Flask) -> str:
        """Bind `app` to a free port and return its root URL; `start` serves it."""
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)
        return f"http://127.0.0.1:{self._server.server_port}"

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._stopping.is_set():
            return
        self._stopping.set()  # wakes delayed or held answers
        self._server.shutdown()
        self._thread.join(5)
        self._server.server_close()
