"""`/webhooks/whatsapp`: Meta's handshake, signature check, parse, store, 200 — nothing slow."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging

from flask import Blueprint, Response, current_app, jsonify, request
from sqlalchemy.exc import SQLAlchemyError

from bot.metrics import Metrics
from bot.payloads import PayloadError, parse_webhook
from bot.transport import Transport

log = logging.getLogger("campotech.bot.webhook")
bp = Blueprint("whatsapp_webhook", __name__)

MAX_BODY = 3 * 1024 * 1024  # Meta's payloads are small; anything this big is not from Meta


def transport() -> Transport:
    return current_app.extensions["campotech.transport"]


def signature_valid(secret: str, body: bytes, header: str | None) -> bool:
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256=").strip().lower())


@bp.get("/webhooks/whatsapp")
def verify() -> Response | tuple[str, int]:
    settings = current_app.extensions["campotech.settings"]
    mode = request.args.get("hub.mode")
    token = request.args.get("hub.verify_token", "")
    challenge = request.args.get("hub.challenge", "")
    if mode == "subscribe" and hmac.compare_digest(token.encode(), settings.whatsapp_verify_token.encode()):
        return Response(challenge, mimetype="text/plain")
    log.warning("webhook verification refused (mode=%s)", mode)
    return "forbidden", 403


def _refuse(status: int, reason: str, detail: str):
    log.warning("webhook refused: %s", detail, extra={"reason": reason})
    try:
        Metrics(transport().redis).inc("campotech_webhook_rejected_total", reason)
    except Exception as exc:  # noqa: BLE001 - a metrics hiccup must not turn a 4xx into a 500
        log.debug("rejection not counted: %s", exc)
    return {"error": detail}, status


@bp.post("/webhooks/whatsapp")
def receive():
    if (request.content_length or 0) > MAX_BODY:
        answer, status = _refuse(413, "too_large", "payload too large")
    else:
        answer, status = handle(request.get_data(cache=False), request.headers.get("X-Hub-Signature-256"))
    return jsonify(answer), status


def handle(body: bytes, header: str | None) -> tuple[dict, int]:
    """Check, parse and store one webhook post; the answer for Meta and its HTTP status."""
    settings = current_app.extensions["campotech.settings"]
    if not header:
        return _refuse(401, "unsigned", "missing X-Hub-Signature-256")
    if not signature_valid(settings.whatsapp_app_secret, body, header):
        return _refuse(403, "bad_signature", "signature does not match the app secret")
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return _refuse(400, "malformed", f"body is not JSON: {exc}")
    try:
        batch = parse_webhook(payload)
    except PayloadError as exc:
        return _refuse(400, "unexpected_shape", str(exc))
    try:
        result = transport().accept(batch)
    except SQLAlchemyError as exc:
        # Nothing was stored: a 503 makes Meta deliver it again later (it retries for days).
        log.error("webhook could not store the payload: %s", exc)
        return {"error": "storage unavailable, retry later"}, 503
    return {
        "stored": len(result.stored), "duplicates": result.duplicates,
        "statuses": result.statuses_applied, "unknown_numbers": sorted(result.unknown_numbers),
    }, 200
