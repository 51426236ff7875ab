"""`/webhooks/whatsapp`: Meta's handshake, signature check, parse, store, 200 — nothing slow.

Meta's posts are answered by `WebhookFastPath`, a WSGI layer in front of Flask: the post is
read, checked, stored and answered without Flask's request and response objects, blueprints
and hooks, which cost more per post than storing it (`bench/webhook.py`). Everything else,
Meta's GET handshake included, goes through Flask as before.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from http import HTTPStatus

from flask import Blueprint, Response, current_app, jsonify, request
from sqlalchemy.exc import (
    DBAPIError,
    DisconnectionError,
    InterfaceError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout

from bot.payload_fields import PayloadError
from bot.payloads import decode_body, parse_webhook
from bot.transport import TRANSPORT, Transport
from core.logging import org_id_var, request_id_from, request_id_var
from core.settings import Settings
from services import app_parts as parts

log = logging.getLogger("campotech.bot.webhook")
bp = Blueprint("whatsapp_webhook", __name__)

MAX_BODY = 3 * 1024 * 1024  # Meta's payloads are small; anything this big is not from Meta


def transport() -> Transport:
    return TRANSPORT.of(current_app)


def signature_valid(secret: str, body: bytes, header: str | None) -> bool:
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256=").strip().lower())


@bp.get("/webhooks/whatsapp")
def verify() -> Response | tuple[str, int]:
    settings = parts.settings(current_app)
    mode = request.args.get("hub.mode")
    token = request.args.get("hub.verify_token", "")
    challenge = request.args.get("hub.challenge", "")
    if mode == "subscribe" and hmac.compare_digest(token.encode(), settings.whatsapp_verify_token.encode()):
        return Response(challenge, mimetype="text/plain")
    log.warning("webhook verification refused (mode=%s)", mode)
    return "forbidden", 403


def _count_rejected(transport: Transport, reason: str, amount: int = 1) -> None:
    try:
        transport.metrics.inc("campotech_webhook_rejected_total", reason, amount=amount)
    except Exception as exc:  # noqa: BLE001 - a metrics hiccup must not turn a 4xx into a 500
        log.debug("rejection not counted: %s", exc)


def _refuse(transport: Transport, status: int, reason: str, detail: str):
    log.warning("webhook refused: %s", detail, extra={"reason": reason})
    _count_rejected(transport, reason)
    return {"error": detail}, status


def is_outage(exc: SQLAlchemyError) -> bool:
    """The database is unreachable or gone (worth Meta's retry), not a value it refused."""
    if isinstance(exc, OperationalError | InterfaceError | DisconnectionError | PoolTimeout):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


@bp.post("/webhooks/whatsapp")
def receive():
    """The same as `WebhookFastPath` for a post it hands to Flask (a body without a length)."""
    if (request.content_length or 0) > MAX_BODY:
        answer, status = _refuse(transport(), 413, "too_large", "payload too large")
    else:
        answer, status = handle(request.get_data(cache=False), request.headers.get("X-Hub-Signature-256"),
                                parts.settings(current_app), transport())
    return jsonify(answer), status


def handle(body: bytes, header: str | None, settings: Settings,
           transport: Transport) -> tuple[dict, int]:
    """Check, parse and store one webhook post; the answer for Meta and its HTTP status."""
    if not header:
        return _refuse(transport, 401, "unsigned", "missing X-Hub-Signature-256")
    if not signature_valid(settings.whatsapp_app_secret, body, header):
        return _refuse(transport, 403, "bad_signature", "signature does not match the app secret")
    try:
        batch = parse_webhook(decode_body(body), strict=False)
    except PayloadError as exc:
        return _refuse(transport, 400, "unexpected_shape", str(exc))
    for reason in batch.rejected:
        log.warning("webhook item set aside: %s", reason, extra={"reason": "set_aside"})
    if batch.rejected:
        _count_rejected(transport, "set_aside", len(batch.rejected))
        if not batch.messages and not batch.statuses:
            # Nothing in it can be used: Meta's 400 is the honest answer (and the log line above).
            return {"error": "; ".join(batch.rejected[:3])}, 400
    try:
        result = transport.accept(batch)
    except SQLAlchemyError as exc:
        if not is_outage(exc):
            raise
        # Nothing was stored: a 503 makes Meta deliver it again later (it retries for days).
        log.error("webhook could not store the payload: %s", getattr(exc, "orig", None) or exc)
        return {"error": "storage unavailable, retry later"}, 503
    return {
        "stored": len(result.stored), "duplicates": result.duplicates, "stale": len(result.stale),
        "rejected": len(batch.rejected) + result.set_aside,
        "statuses": result.statuses_applied, "unknown_numbers": sorted(result.unknown_numbers),
    }, 200


# ---- the fast path -------------------------------------------------------------------------

PATH = "/webhooks/whatsapp"
http_log = logging.getLogger("campotech.http")


class WebhookFastPath:
    """WSGI middleware: a POST to `PATH` with a Content-Length is answered here, the same way
    `receive` answers it (same checks, statuses, bodies, log lines and headers), without Flask;
    any other request goes to Flask. The settings and the transport are the Flask app's own,
    read per post (a test may swap them)."""

    def __init__(self, flask_app):
        self.flask_app, self.app = flask_app, flask_app.wsgi_app

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") != PATH or environ.get("REQUEST_METHOD") != "POST":
            return self.app(environ, start_response)
        try:
            length = int(environ.get("CONTENT_LENGTH") or "")
        except ValueError:  # chunked, or no length: Flask's reader copes with it
            return self.app(environ, start_response)
        settings = parts.settings(self.flask_app)
        transport = TRANSPORT.of(self.flask_app)
        started = time.perf_counter()
        request_id = request_id_from(environ.get("HTTP_X_REQUEST_ID"))
        request_token, org_token = request_id_var.set(request_id), org_id_var.set(None)
        try:
            if length > MAX_BODY:
                answer, status = _refuse(transport, 413, "too_large", "payload too large")
            else:
                body = environ["wsgi.input"].read(length) if length > 0 else b""
                try:
                    answer, status = handle(body, environ.get("HTTP_X_HUB_SIGNATURE_256"),
                                            settings, transport)
                except Exception:  # what Flask would do: log it, answer 500
                    log.exception("webhook post failed")
                    answer, status = {"error": "internal error"}, 500
            payload = (json.dumps(answer, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
                       + "\n").encode()
            start_response(f"{status} {HTTPStatus(status).phrase}", [
                ("Content-Type", "application/json"), ("Content-Length", str(len(payload))),
                ("X-Request-ID", request_id), ("X-Content-Type-Options", "nosniff"),
            ])
            http_log.info("request", extra={"method": "POST", "path": PATH, "status": status,
                                            "ms": round((time.perf_counter() - started) * 1000, 1)})
            return [payload]
        finally:
            request_id_var.reset(request_token)
            org_id_var.reset(org_token)
