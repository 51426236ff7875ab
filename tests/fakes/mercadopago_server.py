"""A fake Mercado Pago API on 127.0.0.1, spoken to by the real `mercadopago` SDK.

It answers `POST /checkout/preferences` (honouring `x-idempotency-key`: the same key gives back
the same preference), `GET /v1/payments/<id>`, `GET /v1/payments/search` (filters
`external_reference` and `status`, `sort`/`criteria`, `limit`/`offset`; answers `{paging: {total,
limit, offset}, results: [...]}` as Mercado Pago documents it) and `GET /users/me`, checks the
bearer token, and records every request.

Notifications, in both styles Mercado Pago sends to a preference's `notification_url`:
`signed_notification` (Webhooks: `?data.id=&type=payment`, `x-signature: ts=,v1=`, `x-request-id`,
a JSON body `{type, action, data: {id}}`) and `ipn_notification` (IPN: `?id=&topic=payment` or
`topic=merchant_order`, a `{resource, topic}` body, no signature to check). `deliver(post, ...)`
sends them through a callable and keeps those not answered 2xx; `redeliver(post)` sends those
again exactly as first sent — same `x-request-id`, same `ts` — as Mercado Pago's retries do.

Behaviours: `add_payment(...)` and `set_payment_status(...)` shape the payments the API
returns, `fail(status, count=...)` answers with a Mercado Pago error body, `delay(seconds)`
holds every answer (client timeouts), `reset()` clears faults and delays.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from flask import Flask, jsonify, request

from tests.fakes.served import Served

AR = timezone(timedelta(hours=-3))
COLLECTOR_ID = 202809963
ERRORS = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
          429: "too_many_requests", 500: "internal_error", 502: "bad_gateway",
          503: "service_unavailable"}


@dataclass
class Notification:
    """One notification as Mercado Pago sends it; `answers` are the HTTP statuses it got."""

    style: str  # "webhook" (signed) or "ipn"
    headers: dict[str, str]
    body: dict
    query: dict[str, str]
    answers: list[int] = field(default_factory=list)

    @property
    def delivered(self) -> bool:
        return bool(self.answers) and 200 <= self.answers[-1] < 300


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    json: dict | None = None


def _stamp(when: datetime) -> str:
    return when.astimezone(AR).isoformat(timespec="milliseconds")


class FakeMercadoPago(Served):
    def __init__(self, access_token: str | None = "APP_USR-test-token"):
        self.access_token = access_token  # None: accept any token
        self.requests: list[Recorded] = []
        self.preferences: dict[str, dict] = {}
        self.payments: dict[str, dict] = {}
        self._by_key: dict[str, str] = {}
        self._ids = itertools.count(1_310_000_001)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._delay = 0.0
        self._fault: tuple[int, int | None] | None = None  # status, count left
        self.undelivered: list[Notification] = []
        app = Flask("fake_mercadopago")
        app.add_url_rule("/checkout/preferences", view_func=self._create_preference,
                         methods=["POST"])
        app.add_url_rule("/v1/payments/search", view_func=self._search_payments)
        app.add_url_rule("/v1/payments/<payment_id>", view_func=self._get_payment)
        app.add_url_rule("/users/me", view_func=self._me)
        self.url = self._serve(app)

    # -- what the tests set -----------------------------------------------------------------

    def add_payment(self, external_reference: str | None, amount: Decimal | float | str, *,
                    status: str = "approved", status_detail: str = "accredited",
                    refunded: Decimal | float | str = 0,
                    payment_method_id: str = "account_money") -> str:
        """A payment the API will return; its id (as Mercado Pago's numeric ids, in a string)."""
        now = datetime.now(UTC)
        payment_id = str(next(self._ids))
        with self._lock:
            self.payments[payment_id] = {
                "id": int(payment_id),
                "status": status,
                "status_detail": status_detail,
                "transaction_amount": float(Decimal(str(amount))),
                "transaction_amount_refunded": float(Decimal(str(refunded))),
                "currency_id": "ARS",
                "external_reference": external_reference,
                "description": "Pago de factura",
                "date_created": _stamp(now),
                "date_approved": _stamp(now) if status == "approved" else None,
                "date_last_updated": _stamp(now),
                "money_release_date": None,
                "payment_method_id": payment_method_id,
                "payment_type_id": "account_money" if payment_method_id == "account_money"
                else "credit_card",
                "operation_type": "regular_payment",
                "installments": 1,
                "live_mode": False,
                "collector_id": COLLECTOR_ID,
                "payer": {"id": "1234567890", "email": "test_user_123@testuser.com",
                          "type": "customer"},
                "refunds": [],
                "metadata": {},
            }
        return payment_id

    def set_payment_status(self, payment_id: str, status: str, *, status_detail: str | None = None,
                           refunded: Decimal | float | str | None = None) -> None:
        now = datetime.now(UTC)
        with self._lock:
            payment = self.payments[payment_id]
            payment["status"] = status
            payment["status_detail"] = status_detail or {
                "approved": "accredited", "refunded": "refunded", "charged_back": "settled",
                "in_mediation": "in_process", "rejected": "cc_rejected_other_reason",
                "cancelled": "expired", "in_process": "pending_review_manual",
                "pending": "pending_waiting_payment"}.get(status, status)
            if status == "approved" and payment["date_approved"] is None:
                payment["date_approved"] = _stamp(now)
            if refunded is not None:
                payment["transaction_amount_refunded"] = float(Decimal(str(refunded)))
            elif status == "refunded":
                payment["transaction_amount_refunded"] = payment["transaction_amount"]
            payment["date_last_updated"] = _stamp(now)

    def delay(self, seconds: float) -> None:
        with self._lock:
            self._delay = seconds

    def fail(self, status: int, count: int | None = None) -> None:
        """Answer with HTTP `status` and an error body (`count` times, or until reset)."""
        with self._lock:
            self._fault = (status, count)

    def reset(self) -> None:
        with self._lock:
            self._fault, self._delay = None, 0.0

    def signed_notification(self, payment_id: str, secret: str, ts: int | None = None,
                            *, action: str = "payment.updated") -> tuple[dict, dict, dict]:
        """(headers, body, query) of the webhook Mercado Pago would post for this payment."""
        ts = int(time.time()) if ts is None else ts
        request_id = str(uuid.uuid4())
        data_id = payment_id.lower() if payment_id.isalnum() else payment_id
        manifest = f"id:{data_id};request-id:{request_id};ts:{ts};"
        v1 = hmac.new(secret.encode(), manifest.encode(), hashlib.sha256).hexdigest()
        headers = {"x-signature": f"ts={ts},v1={v1}", "x-request-id": request_id,
                   "Content-Type": "application/json"}
        body = {
            "action": action,
            "api_version": "v1",
            "data": {"id": payment_id},
            "date_created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "id": next(self._ids),
            "live_mode": False,
            "type": "payment",
            "user_id": str(COLLECTOR_ID),
        }
        return headers, body, {"data.id": payment_id, "type": "payment"}

    def ipn_notification(self, resource_id: str, *, topic: str = "payment"
                         ) -> tuple[dict, dict, dict]:
        """(headers, body, query) of an IPN: `?id=&topic=`, nothing our secret could verify."""
        resource = (resource_id if topic == "payment"
                    else f"https://api.mercadolibre.com/{topic}s/{resource_id}")
        headers = {"Content-Type": "application/json", "x-request-id": str(uuid.uuid4())}
        return headers, {"resource": resource, "topic": topic}, {"id": resource_id, "topic": topic}

    def notifications(self, payment_id: str, secret: str, *, ts: int | None = None,
                      styles: tuple[str, ...] = ("webhook", "ipn")) -> list[Notification]:
        """What Mercado Pago sends for one payment event: a signed webhook and an IPN."""
        made = []
        for style in styles:
            if style == "webhook":
                headers, body, query = self.signed_notification(payment_id, secret, ts)
            else:
                headers, body, query = self.ipn_notification(payment_id)
            made.append(Notification(style, headers, body, query))
        return made

    def deliver(self, post: Callable[[Notification], int], payment_id: str, secret: str, *,
                ts: int | None = None, styles: tuple[str, ...] = ("webhook", "ipn")
                ) -> list[Notification]:
        """Send a payment's notifications through `post` (-> HTTP status); keep the failed ones."""
        sent = self.notifications(payment_id, secret, ts=ts, styles=styles)
        for notification in sent:
            self._send(post, notification)
        return sent

    def redeliver(self, post: Callable[[Notification], int]) -> list[Notification]:
        """Send every notification not yet answered 2xx again, unchanged (original `ts`)."""
        with self._lock:
            pending, self.undelivered = self.undelivered, []
        for notification in pending:
            self._send(post, notification)
        return pending

    def _send(self, post: Callable[[Notification], int], notification: Notification) -> None:
        notification.answers.append(post(notification))
        if not notification.delivered:
            with self._lock:
                self.undelivered.append(notification)

    # -- what the tests ask -----------------------------------------------------------------

    def preference_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.path == "/checkout/preferences"]

    @property
    def last(self) -> Recorded:
        return self.requests[-1]

    # -- the server side --------------------------------------------------------------------

    def _hold_and_check(self):
        """Record the request, apply the delay, the token check and a fault; a response or None."""
        with self._lock:
            self.requests.append(Recorded(request.method, request.path, dict(request.headers),
                                          request.get_json(silent=True)))
            delay, fault = self._delay, self._fault
            if fault is not None and fault[1] is not None:
                left = fault[1] - 1
                self._fault = (fault[0], left) if left > 0 else None
        if delay:
            self._stopping.wait(delay)
        token = request.headers.get("Authorization")
        if self.access_token is not None and token != f"Bearer {self.access_token}":
            return _error(401, "invalid access token", "unauthorized")
        if fault is not None:
            return _error(fault[0], f"fake error {fault[0]}")
        return None

    def _create_preference(self):
        failed = self._hold_and_check()
        if failed is not None:
            return failed
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not body.get("items"):
            return _error(400, "items needed", "invalid_items")
        key = request.headers.get("x-idempotency-key")
        with self._lock:
            if key and key in self._by_key:
                return jsonify(self.preferences[self._by_key[key]]), 201
            pref_id = f"{COLLECTOR_ID}-{uuid.uuid4()}"
            preference = {
                **body,
                "id": pref_id,
                "collector_id": COLLECTOR_ID,
                "client_id": "6295877106812064",
                "date_created": _stamp(datetime.now(UTC)),
                "operation_type": "regular_payment",
                "init_point": f"https://www.mercadopago.com.ar/checkout/v1/redirect?pref_id={pref_id}",
                "sandbox_init_point":
                    f"https://sandbox.mercadopago.com.ar/checkout/v1/redirect?pref_id={pref_id}",
            }
            self.preferences[pref_id] = preference
            if key:
                self._by_key[key] = pref_id
        return jsonify(preference), 201

    def _get_payment(self, payment_id: str):
        failed = self._hold_and_check()
        if failed is not None:
            return failed
        with self._lock:
            payment = self.payments.get(payment_id)
        if payment is None:
            return jsonify({"message": "Payment not found", "error": "not_found", "status": 404,
                            "cause": [{"code": 2000, "description": "Payment not found",
                                       "data": None}]}), 404
        return jsonify(payment)

    def _search_payments(self):
        failed = self._hold_and_check()
        if failed is not None:
            return failed
        args = request.args
        try:
            limit = int(args.get("limit", 30))
            offset = int(args.get("offset", 0))
        except ValueError:
            return _error(400, "limit and offset must be numbers")
        if not 0 < limit <= 1000 or offset < 0:
            return _error(400, "invalid limit or offset")
        with self._lock:
            found = [dict(p) for p in self.payments.values()
                     if all(str(p.get(name)) == args[name] for name in ("external_reference", "status")
                            if name in args)]
        if args.get("sort", "date_created") in ("date_created", "date_approved", "date_last_updated"):
            key = args.get("sort", "date_created")
            found.sort(key=lambda p: (p.get(key) or "", p["id"]),
                       reverse=args.get("criteria", "asc") == "desc")
        return jsonify({"paging": {"total": len(found), "limit": limit, "offset": offset},
                        "results": found[offset:offset + limit]})

    def _me(self):
        failed = self._hold_and_check()
        if failed is not None:
            return failed
        return jsonify({"id": COLLECTOR_ID, "nickname": "TESTPLOMERIA", "site_id": "MLA",
                        "country_id": "AR", "email": "test_user_123@testuser.com"})


def _error(status: int, message: str, error: str | None = None):
    return jsonify({"message": message, "error": error or ERRORS.get(status, "error"),
                    "status": status, "cause": []}), status


@pytest.fixture
def fake_mercadopago() -> Iterator[FakeMercadoPago]:
    server = FakeMercadoPago().start()
    try:
        yield server
    finally:
        server.stop()
