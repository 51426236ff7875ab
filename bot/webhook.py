"""`/webhooks/whatsapp`: Meta's handshake, signature check, parse, store, 200 — nothing slow."""

from __future__ import annotations

import hashlib
import hmac
import logging

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
from services import app_parts as parts
from services.metrics import Metrics

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


def _count_rejected(reason: str, amount: int = 1) -> None:
    try:
        Metrics(transport().redis).inc("campotech_webhook_rejected_total", reason, amount=amount)
    except Exception as exc:  # noqa: BLE001 - a metrics hiccup must not turn a 4xx into a 500
        log.debug("rejection not counted: %s", exc)


def _refuse(status: int, reason: str, detail: str):
    log.warning("webhook refused: %s", detail, extra={"reason": reason})
    _count_rejected(reason)
    return {"error": detail}, status


def is_outage(exc: SQLAlchemyError) -> bool:
    """The database is unreachable or gone (worth Meta's retry), not a value it refused."""
    if isinstance(exc, OperationalError | InterfaceError | DisconnectionError | PoolTimeout):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


@bp.post("/webhooks/whatsapp")
def receive():
    if (request.content_length or 0) > MAX_BODY:
        answer, status = _refuse(413, "too_large", "payload too large")
    else:
        answer, status = handle(request.get_data(cache=False), request.headers.get("X-Hub-Signature-256"))
    return jsonify(answer), status


def handle(body: bytes, header: str | None) -> tuple[dict, int]:
    """Check, parse and store one webhook post; the answer for Meta and its HTTP status."""
    settings = parts.settings(current_app)
    if not header:
        return _refuse(401, "unsigned", "missing X-Hub-Signature-256")
    if not signature_valid(settings.whatsapp_app_secret, body, header):
        return _refuse(403, "bad_signature", "signature does not match the app secret")
    try:
        batch = parse_webhook(decode_body(body), strict=False)
    except PayloadError as exc:
        return _refuse(400, "unexpected_shape", str(exc))
    for reason in batch.rejected:
        log.warning("webhook item set aside: %s", reason, extra={"reason": "set_aside"})
    if batch.rejected:
        _count_rejected("set_aside", len(batch.rejected))
        if not batch.messages and not batch.statuses:
            # Nothing in it can be used: Meta's 400 is the honest answer (and the log line above).
            return {"error": "; ".join(batch.rejected[:3])}, 400
    try:
        result = transport().accept(batch)
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
