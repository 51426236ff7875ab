"""`/webhooks/mercadopago`: check Mercado Pago's signature, enqueue the payment's re-fetch, 200."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify, request
from redis.exceptions import RedisError
from rq import Queue, Retry
from sqlalchemy.exc import SQLAlchemyError

from core import payments
from core.errors import SecretError
from core.models import Organization
from integrations.mercadopago import verify_signature
from web import db_of, redis_of

log = logging.getLogger("campotech.web.mercadopago")
bp = Blueprint("mercadopago_webhook", __name__)

TASK = "workers.payment_tasks.handle_payment_notification"
# Mercado Pago down or slow: try again for about half an hour, then the job lands in failed.
RETRY = Retry(max=5, interval=[10, 30, 60, 300, 900])
MAX_BODY = 64 * 1024


def _refuse(status: int, detail: str, **extra):
    log.warning("mercadopago webhook refused: %s", detail, extra=extra)
    return jsonify({"error": detail}), status


@bp.post("/webhooks/mercadopago")
def receive():
    org_id = request.args.get("org", type=int)
    if org_id is None or not 0 < org_id < 2**31:
        return _refuse(400, "missing or malformed org parameter")
    if (request.content_length or 0) > MAX_BODY:
        return _refuse(413, "payload too large", org_id=org_id)
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return _refuse(400, "body is not a JSON object", org_id=org_id)
    kind = body.get("type") or request.args.get("type") or request.args.get("topic")
    if kind != "payment":
        log.info("mercadopago notification of type %r ignored", kind, extra={"org_id": org_id})
        return jsonify({"ignored": kind}), 200
    data = body.get("data")
    data_id = request.args.get("data.id") or (data.get("id") if isinstance(data, dict) else None)
    if data_id is None or not str(data_id).strip():
        return _refuse(400, "notification without data.id", org_id=org_id)
    data_id = str(data_id).strip()
    if not data_id.isalnum() or len(data_id) > 64:
        return _refuse(400, "malformed data.id", org_id=org_id)

    settings = current_app.extensions["campotech.settings"]
    db = db_of(current_app)
    try:
        with db.system_session() as session:
            known = session.get(Organization, org_id) is not None
        if not known:
            return _refuse(404, "unknown organization", org_id=org_id)
        with db.org_session(org_id) as session:
            secret = payments.webhook_secret(session, settings)
    except SecretError as exc:
        log.error("mercadopago webhook secret of organization %s unreadable: %s", org_id, exc)
        return jsonify({"error": "webhook secret unavailable"}), 503
    except SQLAlchemyError as exc:
        log.error("mercadopago webhook: database unavailable: %s", exc.__class__.__name__)
        return jsonify({"error": "try again later"}), 503
    if not secret:
        return _refuse(404, "organization has no Mercado Pago webhook secret", org_id=org_id)
    if not verify_signature(x_signature=request.headers.get("x-signature"),
                            x_request_id=request.headers.get("x-request-id"),
                            data_id=data_id, secret=secret):
        return _refuse(401, "bad, missing or stale signature", org_id=org_id,
                       mp_request_id=request.headers.get("x-request-id"))
    try:
        Queue("default", connection=redis_of(current_app)).enqueue(
            TASK, org_id, data_id, retry=RETRY, job_timeout=60, failure_ttl=7 * 86400,
        )
    except RedisError as exc:
        # Not a 200: Mercado Pago keeps the notification and sends it again.
        log.error("mercadopago notification for payment %s not queued: %s", data_id, exc)
        return jsonify({"error": "try again later"}), 503
    log.info("mercadopago payment %s queued", data_id, extra={"org_id": org_id})
    return jsonify({"queued": data_id}), 200
