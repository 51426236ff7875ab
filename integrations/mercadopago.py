"""Mercado Pago adapter: Checkout Pro preferences, payments (get, search) and webhook signatures.

The only module that imports `mercadopago`. The SDK's base URL is private, so calls go through
`_Transport`, an `HttpClient` that swaps the host (production, or a fake in tests), applies our
timeout and does not retry: RQ retries the job instead, with the same idempotency key.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import mercadopago
import requests
from mercadopago.config import RequestOptions
from mercadopago.http import HttpClient
from mercadopago.webhook import InvalidWebhookSignatureError, WebhookSignatureValidator

log = logging.getLogger("campotech.integrations.mercadopago")

SDK_BASE_URL = "https://api.mercadopago.com"  # what the SDK prefixes to every path
CENT = Decimal("0.01")
# Expiry dates go out in Argentine time, as Mercado Pago's own examples write them.
AR_TZ = ZoneInfo("America/Argentina/Buenos_Aires")


class MercadoPagoError(Exception):
    """A call that failed; `retryable` when trying again later may work (5xx, 429, timeouts)."""

    def __init__(self, message: str, *, status: int | None = None, retryable: bool = False):
        super().__init__(message)
        self.status = status
        self.retryable = retryable


@dataclass(frozen=True)
class Preference:
    id: str
    init_point: str


@dataclass(frozen=True)
class MPPayment:
    id: str
    status: str
    status_detail: str | None
    transaction_amount: Decimal
    refunded_amount: Decimal
    external_reference: str | None
    date_approved: datetime | None
    payment_method_id: str | None
    raw: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)

    @classmethod
    def from_api(cls, body: dict[str, Any]) -> MPPayment:
        approved = body.get("date_approved")
        return cls(
            id=str(body["id"]),
            status=str(body.get("status") or "pending"),
            status_detail=body.get("status_detail"),
            transaction_amount=_money(body.get("transaction_amount")),
            refunded_amount=_money(body.get("transaction_amount_refunded")),
            external_reference=body.get("external_reference") or None,
            date_approved=datetime.fromisoformat(approved) if approved else None,
            payment_method_id=body.get("payment_method_id"),
            raw=body,
        )


def _money(value: Any) -> Decimal:
    # JSON numbers arrive as floats; str() keeps the two decimals Mercado Pago sends.
    return Decimal(str(value or 0)).quantize(CENT)


class _Transport(HttpClient):
    """The SDK's HTTP client pointed at `base_url`, with a hard timeout and no hidden retries."""

    def __init__(self, base_url: str, timeout: float):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def request(self, method, url, maxretries=None, retry_on=None, backoff_factor=None, **kwargs):
        if url.startswith(SDK_BASE_URL):
            url = self.base_url + url[len(SDK_BASE_URL):]
        kwargs["timeout"] = self.timeout
        try:
            answer = requests.request(method, url, **kwargs)
        except requests.Timeout as exc:
            raise MercadoPagoError(f"{method} {url}: timed out", retryable=True) from exc
        except requests.RequestException as exc:
            raise MercadoPagoError(f"{method} {url}: {exc.__class__.__name__}", retryable=True) from exc
        body = None
        if answer.status_code != 204 and answer.content:
            try:
                body = answer.json()
            except ValueError:
                raise MercadoPagoError(f"{method} {url}: answer is not JSON", status=answer.status_code,
                                       retryable=answer.status_code >= 500) from None
        return {"status": answer.status_code, "response": body}


def _check(result: dict, what: str) -> dict:
    status = result["status"]
    if 200 <= status < 300 and isinstance(result["response"], dict):
        return result["response"]
    body = result["response"] if isinstance(result["response"], dict) else {}
    message = body.get("message") or body.get("error") or "no message"
    raise MercadoPagoError(f"{what}: HTTP {status}: {message}", status=status,
                           retryable=status >= 500 or status == 429)


class MercadoPago:
    """One organization's Mercado Pago account, reached with its access token."""

    def __init__(self, access_token: str, *, base_url: str = SDK_BASE_URL, timeout: float = 10.0):
        self._token = access_token
        self._timeout = float(timeout)
        self._sdk = mercadopago.SDK(access_token, http_client=_Transport(base_url, timeout),
                                    request_options=self._options())

    def _options(self, idempotency_key: str | None = None) -> RequestOptions:
        headers = {"x-idempotency-key": idempotency_key} if idempotency_key else None
        return RequestOptions(access_token=self._token, connection_timeout=float(self._timeout),
                              custom_headers=headers)

    def create_preference(
        self, *, external_reference: str, title: str, amount: Decimal, notification_url: str,
        expires_at: datetime, back_urls: dict[str, str] | None, idempotency_key: str,
        payer_phone: str | None = None,
    ) -> Preference:
        """A Checkout Pro link for one item in pesos; the same key never makes a second one."""
        if expires_at.tzinfo is None:
            raise ValueError("expires_at needs a time zone")
        body: dict[str, Any] = {
            "items": [{"id": external_reference, "title": title[:250], "quantity": 1,
                       "currency_id": "ARS", "unit_price": float(Decimal(amount).quantize(CENT))}],
            "external_reference": external_reference,
            "notification_url": notification_url,
            "expires": True,
            "expiration_date_to": expires_at.astimezone(AR_TZ).isoformat(timespec="milliseconds"),
            "statement_descriptor": "CAMPOTECH",
        }
        if back_urls:
            body["back_urls"] = back_urls
            body["auto_return"] = "approved"
        if payer_phone:
            digits = "".join(ch for ch in payer_phone if ch.isdigit())
            body["payer"] = {"phone": {"area_code": "", "number": digits}}
        with warnings.catch_warnings():
            # The SDK calls notification_url deprecated, but only it routes each organization's
            # notifications to its own `?org=` (one Mercado Pago app serves every tenant).
            warnings.filterwarnings("ignore", message="notification_url is deprecated")
            result = self._sdk.preference().create(body, request_options=self._options(idempotency_key))
        answer = _check(result, "create preference")
        return Preference(id=str(answer["id"]), init_point=str(answer["init_point"]))

    def get_payment(self, payment_id: str) -> MPPayment | None:
        """The payment as Mercado Pago has it now, or None when it does not exist."""
        result = self._sdk.payment().get(payment_id)
        if result["status"] == 404:
            return None
        return MPPayment.from_api(_check(result, f"get payment {payment_id}"))

    def search_payments(self, external_reference: str, *, page_size: int = 50,
                        max_pages: int = 10) -> list[MPPayment]:
        """Every payment made for `external_reference`, newest first (`/v1/payments/search`)."""
        found: list[MPPayment] = []
        offset = 0
        for _page in range(max_pages):
            filters = {"external_reference": external_reference, "sort": "date_created",
                       "criteria": "desc", "limit": page_size, "offset": offset}
            answer = _check(self._sdk.payment().search(filters), f"search payments {external_reference}")
            results = answer.get("results") or []
            found.extend(MPPayment.from_api(item) for item in results if isinstance(item, dict))
            paging = answer.get("paging") or {}
            offset += len(results)
            if not results or offset >= int(paging.get("total") or 0):
                break
        return found

    def check_connection(self) -> str:
        """The account's nickname; raises MercadoPagoError when the token is refused."""
        answer = _check(self._sdk.user().get(), "users/me")
        return str(answer.get("nickname") or answer.get("id"))


def verify_signature(
    *, x_signature: str | None, x_request_id: str | None, data_id: str, secret: str,
    tolerance_seconds: int | None = 300,
) -> bool:
    """Whether a webhook's `x-signature` was made with `secret` for this data.id (and, unless
    `tolerance_seconds` is None, recently: a retry carries its first delivery's timestamp)."""
    if not secret:
        return False
    normalized = data_id.lower() if data_id.isalnum() else data_id
    try:
        WebhookSignatureValidator.validate(x_signature, x_request_id, normalized, secret,
                                           tolerance_seconds=tolerance_seconds)
    except InvalidWebhookSignatureError as exc:
        log.info("webhook signature refused: %s", exc.reason.value,
                 extra={"mp_request_id": x_request_id})
        return False
    return True
