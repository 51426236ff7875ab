"""JSON log lines carrying the request id and organization id of the work in progress."""

from __future__ import annotations

import contextvars
import json
import logging
import os
import re
import sys
import uuid
from datetime import UTC, datetime

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def request_id_from(header: str | None) -> str:
    """The caller's X-Request-ID when it is a safe token, else a new one."""
    return header if header and _REQUEST_ID.match(header) else uuid.uuid4().hex
org_id_var: contextvars.ContextVar[int | None] = contextvars.ContextVar("org_id", default=None)

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            "request_id": request_id_var.get(),
            "org_id": org_id_var.get(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        record.org_id = org_id_var.get()
        return True


def _not_heyoo_chatter(record: logging.LogRecord) -> bool:
    """heyoo logs every send at INFO through the root logger, customers' phone numbers and all;
    our adapter logs what matters. Its warnings and errors still pass."""
    return record.levelno >= logging.WARNING or f"{os.sep}heyoo{os.sep}" not in record.pathname


def configure_logging(level: str = "INFO", json_lines: bool = True) -> None:
    """Replace the root handler; idempotent so tests and processes can call it again."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_not_heyoo_chatter)
    if json_lines:
        handler.setFormatter(JsonFormatter())
    else:
        handler.addFilter(ContextFilter())
        handler.setFormatter(logging.Formatter(
            "%(asctime)s %(levelname)s %(name)s [req=%(request_id)s org=%(org_id)s] %(message)s"
        ))
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_campotech", False):
            root.removeHandler(old)
    handler._campotech = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
