"""A local stand-in for Mercado Pago: what the demo pays through when no real account is set up.

Served outside production only (`settings.mercadopago_sandbox`), at `/sandbox/mercadopago`, for
organizations whose token is a sandbox one (`settings.mercadopago_url_for`). It speaks the part
of Mercado Pago's public API our adapter calls, in Mercado Pago's documented shapes, through the
real SDK:

- `POST /checkout/preferences` (bearer token; `x-idempotency-key` gives back the same
  preference) → the preference with `id`, `init_point`, `sandbox_init_point`;
  `GET /checkout/preferences/<id>`;
- `GET /v1/payments/<id>` → the payment resource (`status`, `status_detail`,
  `external_reference`, `transaction_amount`, `date_approved`, ...), or Mercado Pago's 404;
- `GET /users/me` → the account, so "Probar conexión" works.

And the buyer's side: `init_point` opens a checkout page with "Pagar" and "Rechazar". Either
creates a payment and posts Mercado Pago's webhook to the preference's `notification_url`, signed
as Mercado Pago signs it (`x-signature: ts=…,v1=HMAC-SHA256(secret, "id:…;request-id:…;ts:…;")`
with the organization's webhook secret), so `/webhooks/mercadopago`, the worker's re-fetch of
the payment and the chat messages run exactly as in production. State lives in Redis
(`bot/sandbox_mp_store.py`); the webhook is posted by `bot/sandbox_mp_webhook.py`.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, url_for

from bot.sandbox_mp_store import (
    APPROVED,
    CLIENT_ID,
    COLLECTOR_ID,
    DELIVERY,
    FIRST_PAYMENT_ID,
    IDEMPOTENCY,
    KEEP_SECONDS,
    PAYMENT,
    PAYMENT_IDS,
    PAYMENT_PREFERENCE,
    PREFERENCE,
    load_state,
    save_state,
    stamp,
)
from bot.sandbox_mp_webhook import post_webhook
from core.es_ar import pesos
from services import app_parts as parts

log = logging.getLogger("campotech.bot.sandbox_mercadopago")
bp = Blueprint("sandbox_mercadopago", __name__)

OUTCOMES = {
    # outcome → (status, status_detail, payment_method_id, payment_type_id), as Mercado Pago
    # reports an account-money payment and a card refused by the issuer.
    "approved": ("approved", "accredited", "account_money", "account_money"),
    "rejected": ("rejected", "cc_rejected_other_reason", "visa", "credit_card"),
}


class ApiError(Exception):
    """An answer in Mercado Pago's error shape: message, error, status, cause."""

    def __init__(self, status: int, message: str, error: str):
        super().__init__(message)
        self.status, self.message, self.error = status, message, error


@bp.errorhandler(ApiError)
def _api_error(err: ApiError):
    return jsonify(message=err.message, error=err.error, status=err.status, cause=[]), err.status


def _bearer() -> None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer ") or not header[7:].strip():
        raise ApiError(401, "invalid_token", "unauthorized")


# -- the API ----------------------------------------------------------------------------------

@bp.post("/checkout/preferences")
def create_preference():
    _bearer()
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "invalid body", "bad_request")
    items = _checked_items(body.get("items"))
    for name in ("notification_url",):
        if body.get(name) is not None and not _is_url(body[name]):
            raise ApiError(400, f"{name} attribute must be url valid", "invalid_" + name)
    back_urls = body.get("back_urls") or {}
    if body.get("auto_return") and not _is_url(back_urls.get("success")):
        raise ApiError(400, "auto_return invalid. back_url.success must be defined", "invalid_auto_return")
    key = request.headers.get("x-idempotency-key")
    redis = parts.redis(current_app)
    if key:
        known = redis.get(IDEMPOTENCY.format(key=key))
        if known:
            preference = load_state(PREFERENCE.format(id=known.decode()))
            if preference is not None:
                return jsonify(preference), 201
    pref_id = f"{COLLECTOR_ID}-{uuid.uuid4()}"
    checkout = parts.settings(current_app).public_base_url.rstrip("/") + url_for(".checkout") + "?pref_id=" + pref_id
    preference = {
        "additional_info": body.get("additional_info") or "",
        "auto_return": body.get("auto_return") or "",
        "back_urls": {"failure": back_urls.get("failure") or "", "pending": back_urls.get("pending") or "",
                      "success": back_urls.get("success") or ""},
        "binary_mode": bool(body.get("binary_mode", False)),
        "client_id": CLIENT_ID,
        "collector_id": COLLECTOR_ID,
        "date_created": stamp(datetime.now(UTC)),
        "date_of_expiration": None,
        "expiration_date_from": body.get("expiration_date_from"),
        "expiration_date_to": body.get("expiration_date_to"),
        "expires": bool(body.get("expires", False)),
        "external_reference": body.get("external_reference") or "",
        "id": pref_id,
        "init_point": checkout,
        "items": items,
        "marketplace": "NONE",
        "marketplace_fee": 0,
        "metadata": body.get("metadata") or {},
        "notification_url": body.get("notification_url"),
        "operation_type": "regular_payment",
        "payer": body.get("payer") or {},
        "payment_methods": body.get("payment_methods") or {
            "default_card_id": None, "default_payment_method_id": None,
            "excluded_payment_methods": [{"id": ""}], "excluded_payment_types": [{"id": ""}],
            "installments": None, "default_installments": None},
        "sandbox_init_point": checkout,
        "site_id": "MLA",
        "statement_descriptor": body.get("statement_descriptor"),
    }
    save_state(PREFERENCE.format(id=pref_id), preference)
    if key:
        redis.set(IDEMPOTENCY.format(key=key), pref_id, ex=KEEP_SECONDS)
    return jsonify(preference), 201


def _checked_items(items: Any) -> list[dict]:
    if not isinstance(items, list) or not items:
        raise ApiError(400, "items needed", "invalid_items")
    checked = []
    for item in items:
        if not isinstance(item, dict):
            raise ApiError(400, "items needed", "invalid_items")
        try:
            price = Decimal(str(item.get("unit_price")))
            quantity = int(item.get("quantity", 1))
        except (InvalidOperation, TypeError, ValueError):
            raise ApiError(400, "unit_price must be a number", "invalid_unit_price") from None
        if not price.is_finite() or price <= 0:
            raise ApiError(400, "unit_price invalid", "invalid_unit_price")
        if quantity < 1:
            raise ApiError(400, "quantity invalid", "invalid_quantity")
        checked.append({"id": str(item.get("id") or ""), "category_id": item.get("category_id") or "",
                        "currency_id": item.get("currency_id") or "ARS",
                        "description": item.get("description") or "",
                        "picture_url": item.get("picture_url") or "",
                        "title": str(item.get("title") or ""), "quantity": quantity,
                        "unit_price": float(price)})
    return checked


def _is_url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    split = urlsplit(value)
    return split.scheme in ("http", "https") and bool(split.netloc)


@bp.get("/checkout/preferences/<pref_id>")
def get_preference(pref_id: str):
    _bearer()
    preference = load_state(PREFERENCE.format(id=pref_id))
    if preference is None:
        raise ApiError(404, "preference not found", "not_found")
    return jsonify(preference)


@bp.get("/v1/payments/<payment_id>")
def get_payment(payment_id: str):
    _bearer()
    payment = load_state(PAYMENT.format(id=payment_id)) if payment_id.isdigit() else None
    if payment is None:
        raise ApiError(404, "Payment not found", "not_found")
    return jsonify(payment)


@bp.get("/users/me")
def me():
    _bearer()
    return jsonify(id=COLLECTOR_ID, nickname="SANDBOX_CAMPOTECH", site_id="MLA", country_id="AR",
                   email="sandbox@campotech.local", first_name="Mercado Pago", last_name="de prueba")


# -- the buyer's side -------------------------------------------------------------------------

def _total(preference: dict) -> Decimal:
    return sum((Decimal(str(i["unit_price"])) * i["quantity"] for i in preference["items"]),
               Decimal(0)).quantize(Decimal("0.01"))


def _expired(preference: dict) -> bool:
    until = preference.get("expiration_date_to")
    if not preference.get("expires") or not until:
        return False
    try:
        return datetime.fromisoformat(until) <= datetime.now(UTC)
    except ValueError:
        return False


def _approved_payment(pref_id: str) -> dict | None:
    paid = parts.redis(current_app).get(APPROVED.format(pref=pref_id))
    return load_state(PAYMENT.format(id=paid.decode())) if paid else None


@bp.get("/checkout/v1/redirect")
def checkout():
    pref_id = request.args.get("pref_id", "")
    preference = load_state(PREFERENCE.format(id=pref_id)) if pref_id else None
    if preference is None:
        return _unknown()
    state = "paid" if _approved_payment(pref_id) else "expired" if _expired(preference) else "open"
    return render_template("sandbox_checkout.html", state=state, preference=preference,
                           title=preference["items"][0]["title"], total=pesos(_total(preference)),
                           payment=_approved_payment(pref_id))


@bp.post("/checkout/v1/pay")
def pay():
    pref_id = request.form.get("pref_id", "")
    outcome = request.form.get("outcome", "")
    preference = load_state(PREFERENCE.format(id=pref_id)) if pref_id else None
    if preference is None or outcome not in OUTCOMES:
        return _unknown()
    if _approved_payment(pref_id) or _expired(preference):
        return redirect(url_for(".checkout", pref_id=pref_id), code=303)
    payment = _new_payment(preference, outcome)
    redis = parts.redis(current_app)
    redis.set(PAYMENT_PREFERENCE.format(id=payment["id"]), pref_id, ex=KEEP_SECONDS)
    if outcome == "approved":
        redis.set(APPROVED.format(pref=pref_id), str(payment["id"]), ex=KEEP_SECONDS)
    post_webhook(preference, payment, action="payment.created")
    return redirect(url_for(".result", payment_id=payment["id"]), code=303)


def _new_payment(preference: dict, outcome: str) -> dict:
    status, detail, method, kind = OUTCOMES[outcome]
    redis = parts.redis(current_app)
    redis.setnx(PAYMENT_IDS, FIRST_PAYMENT_ID)
    payment_id = int(redis.incr(PAYMENT_IDS))
    now = stamp(datetime.now(UTC))
    total = float(_total(preference))
    approved = status == "approved"
    payment = {
        "id": payment_id,
        "date_created": now,
        "date_approved": now if approved else None,
        "date_last_updated": now,
        "date_of_expiration": None,
        "money_release_date": now if approved else None,
        "operation_type": "regular_payment",
        "issuer_id": None if method == "account_money" else "310",
        "payment_method_id": method,
        "payment_type_id": kind,
        "status": status,
        "status_detail": detail,
        "currency_id": preference["items"][0]["currency_id"],
        "description": preference["items"][0]["title"],
        "live_mode": False,
        "collector_id": COLLECTOR_ID,
        "payer": {"id": str(2_000_000_000 + payment_id % 1_000_000), "type": None,
                  "email": f"test_user_{payment_id % 100_000}@testuser.com",
                  "identification": {"type": "DNI", "number": "12345678"},
                  "phone": (preference.get("payer") or {}).get("phone") or {"area_code": None, "number": None},
                  "first_name": None, "last_name": None, "entity_type": None},
        "metadata": preference.get("metadata") or {},
        "additional_info": {"items": [
            {"id": i["id"], "title": i["title"], "quantity": str(i["quantity"]),
             "unit_price": str(i["unit_price"])} for i in preference["items"]]},
        "order": {"type": "mercadopago", "id": str(9_000_000_000 + payment_id % 1_000_000)},
        "external_reference": preference.get("external_reference") or None,
        "transaction_amount": total,
        "transaction_amount_refunded": 0,
        "coupon_amount": 0,
        "installments": 1,
        "transaction_details": {"net_received_amount": total if approved else 0,
                                "total_paid_amount": total, "overpaid_amount": 0,
                                "installment_amount": total, "external_resource_url": None,
                                "financial_institution": None, "payment_method_reference_id": None},
        "fee_details": [],
        "captured": True,
        "binary_mode": preference.get("binary_mode", False),
        "statement_descriptor": preference.get("statement_descriptor"),
        "notification_url": preference.get("notification_url"),
        "processing_mode": "aggregator",
        "refunds": [],
    }
    save_state(PAYMENT.format(id=payment_id), payment)
    return payment


@bp.get("/checkout/v1/result")
def result():
    payment_id = request.args.get("payment_id", "")
    payment = _stored_payment(payment_id)
    if payment is None:
        return _unknown()
    preference = _preference_of(payment)
    delivery = load_state(DELIVERY.format(id=payment_id)) or {}
    approved = payment["status"] == "approved"
    back = (preference or {}).get("back_urls", {}).get("success" if approved else "failure")
    if back:
        query = {"collection_id": payment["id"], "collection_status": payment["status"],
                 "payment_id": payment["id"], "status": payment["status"],
                 "external_reference": payment.get("external_reference") or "null",
                 "payment_type": payment["payment_type_id"], "merchant_order_id": payment["order"]["id"],
                 "preference_id": (preference or {}).get("id", ""), "site_id": "MLA",
                 "processing_mode": "aggregator", "merchant_account_id": "null"}
        back += ("&" if urlsplit(back).query else "?") + urlencode(query)
    return render_template("sandbox_checkout.html", state="approved" if approved else "rejected",
                           payment=payment, preference=preference, delivery=delivery, back=back,
                           title=payment["description"], total=pesos(Decimal(str(payment["transaction_amount"]))))


def _stored_payment(payment_id: str) -> dict | None:
    """The stand-in's payment by the id a page sent back; None for one it never made."""
    return load_state(PAYMENT.format(id=payment_id)) if payment_id.isdigit() else None


def _unknown():
    return render_template("sandbox_checkout.html", state="unknown"), 404


def _preference_of(payment: dict) -> dict | None:
    pref_id = parts.redis(current_app).get(PAYMENT_PREFERENCE.format(id=payment["id"]))
    return load_state(PREFERENCE.format(id=pref_id.decode())) if pref_id else None


@bp.post("/checkout/v1/notify")
def notify_again():
    """Post the webhook again (the app was down, the secret was missing): a developer's retry."""
    payment_id = request.form.get("payment_id", "")
    payment = _stored_payment(payment_id)
    if payment is None:
        return _unknown()
    post_webhook({"notification_url": payment.get("notification_url")}, payment, action="payment.updated")
    return redirect(url_for(".result", payment_id=payment_id), code=303)
