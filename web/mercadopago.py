"""`/webhooks/mercadopago`: read a Mercado Pago notification as a hint, queue the payment's
re-fetch, 200.

Both styles Mercado Pago posts to a preference's `notification_url` are accepted: Webhooks
(`?data.id=&type=payment`, a JSON body `{type, data: {id}}`, signed with `x-signature`) and IPN
(`?id=&topic=payment`, whose signature cannot be checked). Nothing here is trusted: the worker
reads the payment from Mercado Pago's API and acts only on what the API says, so an unsigned IPN,
a retry still carrying its first delivery's timestamp, or a forged body is safe to take as a
hint. The signature is checked for the log only. Fetches are rate-limited per payment id
(services/payment_gateway.py), and a scheduled reconciliation finds what no notification told.
"""

from __future__ import annotations

import logging
import time

from flask import Blueprint, current_app, jsonify, request
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from core.billing import mp_payments
from core.errors import SecretError
from core.models import Organization
from integrations.mercadopago import verify_signature
from services import app_parts as parts
from services.payment_gateway import queue_payment_fetch

log = logging.getLogger("campotech.web.mercadopago")
bp = Blueprint("mercadopago_webhook", __name__)

MAX_BODY = 64 * 1024
# A signature older than this is still acted on (we fetch); the log says it was a late retry.
FRESH_SECONDS = 300


def _refuse(status: int, detail: str, **extra):
    log.warning("mercadopago webhook refused: %s", detail, extra=extra)
    return jsonify({"error": detail}), status


def _notification(body: dict) -> tuple[str | None, object, str]:
    """(kind, resource id, style) from the query string and body, in either style."""
    args = request.args
    data = body.get("data")
    if "data.id" in args or isinstance(data, dict):
        kind = body.get("type") or args.get("type") or args.get("topic")
        data_id = args.get("data.id") or (data.get("id") if isinstance(data, dict) else None)
        return kind, data_id, "webhook"
    kind = args.get("topic") or body.get("topic") or args.get("type") or body.get("type")
    resource = body.get("resource")
    data_id = args.get("id") or (resource if isinstance(resource, (str, int)) else None)
    return kind, data_id, "ipn"


def _signature_state(secret: str | None, data_id: str) -> str:
    """signed, signed-late (a retry with its first timestamp), unsigned, no-secret or bad."""
    x_signature = request.headers.get("x-signature")
    if not x_signature:
        return "unsigned"
    if not secret:
        return "no-secret"
    if not verify_signature(x_signature=x_signature, x_request_id=request.headers.get("x-request-id"),
                            data_id=data_id, secret=secret, tolerance_seconds=None):
        return "bad"
    ts = dict(part.strip().split("=", 1) for part in x_signature.split(",") if "=" in part).get("ts", "")
    late = ts.isdigit() and abs(time.time() - int(ts)) > FRESH_SECONDS
    return "signed-late" if late else "signed"


@bp.post("/webhooks/mercadopago")
def receive():
    org_id = request.args.get("org", type=int)
    if org_id is None or not 0 < org_id < 2**31:
        return _refuse(400, "missing or malformed org parameter")
    if (request.content_length or 0) > MAX_BODY:
        return _refuse(413, "payload too large", org_id=org_id)
    body = request.get_json(silent=True) if request.get_data(cache=True) else {}
    if not isinstance(body, dict):
        return _refuse(400, "body is not a JSON object", org_id=org_id)
    kind, data_id, style = _notification(body)
    if kind != "payment":
        # merchant_order (IPN or webhook) and the rest: a payment of ours has its own
        # notification, and reconciliation finds it if that one never comes.
        log.info("mercadopago %s notification of type %r acknowledged", style, kind,
                 extra={"org_id": org_id})
        return jsonify({"ignored": kind}), 200
    if data_id is None or not str(data_id).strip():
        return _refuse(400, "notification without a payment id", org_id=org_id)
    data_id = str(data_id).strip()
    if not data_id.isalnum() or len(data_id) > 64:
        return _refuse(400, "malformed payment id", org_id=org_id)

    settings = parts.settings(current_app)
    db = parts.db(current_app)
    try:
        with db.system_session() as session:
            known = session.get(Organization, org_id) is not None
        if not known:
            return _refuse(404, "unknown organization", org_id=org_id)
        with db.org_session(org_id) as session:
            secret = mp_payments.webhook_secret(session, settings)
    except SecretError as exc:
        log.error("mercadopago webhook secret of organization %s unreadable: %s", org_id, exc)
        secret = None
    except SQLAlchemyError as exc:
        log.error("mercadopago webhook: database unavailable: %s", exc.__class__.__name__)
        return jsonify({"error": "try again later"}), 503
    signature = _signature_state(secret, data_id)
    if signature == "bad":
        log.warning("mercadopago notification for payment %s with a signature that does not match;"
                    " taken as a hint only", data_id,
                    extra={"org_id": org_id, "mp_request_id": request.headers.get("x-request-id")})
    try:
        outcome = queue_payment_fetch(parts.redis(current_app), org_id, data_id)
    except RedisError as exc:
        # Not a 200: Mercado Pago keeps the notification and sends it again.
        log.error("mercadopago notification for payment %s not queued: %s", data_id, exc)
        return jsonify({"error": "try again later"}), 503
    log.info("mercadopago %s for payment %s (%s): fetch %s", style, data_id, signature, outcome,
             extra={"org_id": org_id})
    return jsonify({"queued": data_id, "fetch": outcome}), 200
