"""The webhook the Mercado Pago stand-in posts (`bot/sandbox_mercadopago.py`): to the preference's
`notification_url` on this app only, signed as Mercado Pago signs it with the organization's
webhook secret; how the post went is kept for the checkout's result page.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
import uuid
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlencode, urlsplit

import requests
from flask import current_app

from bot.sandbox_mp_store import COLLECTOR_ID, DELIVERY, save_state
from core.billing import mp_payments
from core.errors import SecretError
from services import app_parts as parts

log = logging.getLogger("campotech.bot.sandbox_mercadopago")

NOTIFY_TIMEOUT = 5.0


def _org_of(notification_url: str) -> int | None:
    values = parse_qs(urlsplit(notification_url).query).get("org") or []
    return int(values[0]) if values and values[0].isdigit() and int(values[0]) < 2**31 else None


def _webhook_secret(org_id: int | None) -> str | None:
    """The secret Mercado Pago would sign with: the organization's, from its vault."""
    if org_id is None:
        return None
    db = parts.db(current_app)
    try:
        with db.org_session(org_id) as session:
            return mp_payments.webhook_secret(session, parts.settings(current_app))
    except SecretError as exc:
        log.warning("sandbox mercadopago: webhook secret of organization %s unreadable: %s", org_id, exc)
        return None


def signed_headers(data_id: str, secret: str | None, *, ts: int | None = None) -> dict[str, str]:
    """The headers Mercado Pago sends with a webhook; `x-signature` only with a secret."""
    request_id = str(uuid.uuid4())
    headers = {"Content-Type": "application/json", "x-request-id": request_id,
               "User-Agent": "MercadoPago WebHook v1.0 payment"}
    if secret:
        ts = int(time.time()) if ts is None else ts
        manifest = f"id:{data_id.lower()};request-id:{request_id};ts:{ts};"
        v1 = hmac.new(secret.encode(), manifest.encode(), hashlib.sha256).hexdigest()
        headers["x-signature"] = f"ts={ts},v1={v1}"
    return headers


def post_webhook(preference: dict, payment: dict, *, action: str) -> dict:
    """Post the payment's webhook to the preference's notification_url; the outcome is kept."""
    target = preference.get("notification_url")
    base = parts.settings(current_app).public_base_url.rstrip("/") + "/"
    data_id = str(payment["id"])
    if not target:
        delivery = {"ok": False, "detail": "la preferencia no tiene notification_url"}
    elif not target.startswith(base):
        # Only this app's own webhook: the stand-in must not post to arbitrary hosts.
        delivery = {"ok": False, "detail": "notification_url fuera de PUBLIC_BASE_URL"}
    else:
        separator = "&" if urlsplit(target).query else "?"
        url = f"{target}{separator}{urlencode({'data.id': data_id, 'type': 'payment'})}"
        body = {"action": action, "api_version": "v1", "data": {"id": data_id},
                "date_created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "id": secrets.randbelow(10**11) + 10**11, "live_mode": False, "type": "payment",
                "user_id": str(COLLECTOR_ID)}
        secret = _webhook_secret(_org_of(target))
        try:
            answer = requests.post(url, data=json.dumps(body), timeout=NOTIFY_TIMEOUT,
                                   headers=signed_headers(data_id, secret))
            delivery = {"ok": 200 <= answer.status_code < 300, "status": answer.status_code,
                        "detail": answer.text[:200]}
        except requests.RequestException as exc:
            delivery = {"ok": False, "detail": exc.__class__.__name__}
        if not secret:
            delivery["detail"] = "el comercio no tiene la clave secreta de webhooks; " + delivery["detail"]
    log.info("sandbox mercadopago: payment %s notified: %s", data_id, delivery)
    save_state(DELIVERY.format(id=data_id), delivery)
    return delivery
