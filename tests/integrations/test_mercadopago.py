"""The Mercado Pago adapter against the fake API over real HTTP, and webhook signatures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from integrations.mercadopago import MercadoPago, MercadoPagoError, verify_signature

SECRET = "webhook-secret-123"


@pytest.fixture
def mp(fake_mercadopago) -> MercadoPago:
    return MercadoPago(fake_mercadopago.access_token, base_url=fake_mercadopago.url, timeout=2.0)


def _preference(mp: MercadoPago, key: str = "key-1", back_urls=None):
    return mp.create_preference(
        external_reference="inv:1:7", title="Plomería: factura B 0001-00000012",
        amount=Decimal("15000.00"), notification_url="https://app.example/webhooks/mercadopago?org=1",
        expires_at=datetime(2025, 3, 10, 15, 0, tzinfo=UTC), back_urls=back_urls,
        idempotency_key=key, payer_phone="+5491166660001",
    )


def test_create_preference_sends_one_ars_item_that_expires(mp, fake_mercadopago):
    pref = _preference(mp, back_urls={"success": "https://app.example/"})

    assert pref.init_point == (
        f"https://www.mercadopago.com.ar/checkout/v1/redirect?pref_id={pref.id}")
    sent = fake_mercadopago.last
    assert sent.headers["Authorization"] == "Bearer APP_USR-test-token"
    assert sent.headers["X-Idempotency-Key"] == "key-1"
    body = sent.json
    assert body["items"] == [{"id": "inv:1:7", "title": "Plomería: factura B 0001-00000012",
                              "quantity": 1, "currency_id": "ARS", "unit_price": 15000.0}]
    assert body["external_reference"] == "inv:1:7"
    assert body["expires"] is True
    assert body["expiration_date_to"] == "2025-03-10T12:00:00.000-03:00"
    assert body["auto_return"] == "approved"
    assert body["notification_url"].endswith("?org=1")


def test_no_auto_return_without_back_urls(mp, fake_mercadopago):
    _preference(mp)
    assert "auto_return" not in fake_mercadopago.last.json
    assert "back_urls" not in fake_mercadopago.last.json


def test_same_idempotency_key_gives_one_preference(mp, fake_mercadopago):
    first = _preference(mp, key="inv-1-7-15000.00-first")
    again = _preference(mp, key="inv-1-7-15000.00-first")
    other = _preference(mp, key="inv-1-7-9000.00-first")

    assert again == first
    assert other.id != first.id
    assert len(fake_mercadopago.preferences) == 2
    assert len(fake_mercadopago.preference_requests()) == 3


def test_get_payment(mp, fake_mercadopago):
    payment_id = fake_mercadopago.add_payment("inv:1:7", "15000", refunded="500")

    payment = mp.get_payment(payment_id)

    assert payment.id == payment_id
    assert payment.status == "approved"
    assert payment.status_detail == "accredited"
    assert payment.transaction_amount == Decimal("15000.00")
    assert payment.refunded_amount == Decimal("500.00")
    assert payment.external_reference == "inv:1:7"
    assert payment.date_approved is not None and payment.date_approved.tzinfo is not None
    assert payment.payment_method_id == "account_money"
    assert payment.raw["id"] == int(payment_id)


def test_unknown_payment_is_none(mp):
    assert mp.get_payment("999") is None


def test_bad_token_is_not_retryable(fake_mercadopago):
    mp = MercadoPago("APP_USR-wrong", base_url=fake_mercadopago.url)
    with pytest.raises(MercadoPagoError) as err:
        mp.check_connection()
    assert err.value.status == 401
    assert err.value.retryable is False


def test_check_connection_answers_the_nickname(mp):
    assert mp.check_connection() == "TESTPLOMERIA"


@pytest.mark.parametrize("status", [500, 503, 429])
def test_server_errors_and_throttling_are_retryable(mp, fake_mercadopago, status):
    fake_mercadopago.fail(status, count=1)
    with pytest.raises(MercadoPagoError) as err:
        mp.get_payment("1")
    assert err.value.status == status
    assert err.value.retryable is True
    assert mp.get_payment("1") is None  # the fault was used up: one call, no hidden retries


def test_client_errors_are_final(mp, fake_mercadopago):
    fake_mercadopago.fail(400, count=1)
    with pytest.raises(MercadoPagoError) as err:
        _preference(mp)
    assert (err.value.status, err.value.retryable) == (400, False)


def test_timeout_is_retryable(fake_mercadopago):
    mp = MercadoPago(fake_mercadopago.access_token, base_url=fake_mercadopago.url, timeout=0.2)
    fake_mercadopago.delay(2)  # a good answer, only late: the timeout, not the answer, decides
    with pytest.raises(MercadoPagoError) as err:
        mp.get_payment("1")
    assert err.value.retryable is True
    assert err.value.status is None


def test_naive_expiry_is_refused(mp):
    with pytest.raises(ValueError):
        mp.create_preference(external_reference="inv:1:1", title="x", amount=Decimal(1),
                             notification_url="https://x", expires_at=datetime(2025, 1, 1),
                             back_urls=None, idempotency_key="k")


# ---- signatures ----------------------------------------------------------------------------

def test_good_signature(fake_mercadopago):
    headers, _body, query = fake_mercadopago.signed_notification("1310000042", SECRET)
    assert verify_signature(x_signature=headers["x-signature"], x_request_id=headers["x-request-id"],
                            data_id=query["data.id"], secret=SECRET)


def test_uppercase_alphanumeric_id_is_lowercased(fake_mercadopago):
    headers, _body, _query = fake_mercadopago.signed_notification("ABC123", SECRET)
    assert verify_signature(x_signature=headers["x-signature"], x_request_id=headers["x-request-id"],
                            data_id="ABC123", secret=SECRET)


def test_forged_signature(fake_mercadopago):
    headers, _body, query = fake_mercadopago.signed_notification("1310000042", "someone-else")
    assert not verify_signature(x_signature=headers["x-signature"],
                                x_request_id=headers["x-request-id"], data_id=query["data.id"],
                                secret=SECRET)


def test_signature_for_another_payment(fake_mercadopago):
    headers, _body, _query = fake_mercadopago.signed_notification("1310000042", SECRET)
    assert not verify_signature(x_signature=headers["x-signature"],
                                x_request_id=headers["x-request-id"], data_id="1310000043",
                                secret=SECRET)


def test_stale_signature(fake_mercadopago):
    old = int((datetime.now(UTC) - timedelta(minutes=10)).timestamp())
    headers, _body, query = fake_mercadopago.signed_notification("1310000042", SECRET, ts=old)
    assert not verify_signature(x_signature=headers["x-signature"],
                                x_request_id=headers["x-request-id"], data_id=query["data.id"],
                                secret=SECRET)
    assert verify_signature(x_signature=headers["x-signature"], x_request_id=headers["x-request-id"],
                            data_id=query["data.id"], secret=SECRET, tolerance_seconds=3600)


@pytest.mark.parametrize("signature", [None, "", "garbage", "ts=123"])
def test_missing_or_malformed_signature(signature):
    assert not verify_signature(x_signature=signature, x_request_id="r-1", data_id="1",
                                secret=SECRET)


# ---- search --------------------------------------------------------------------------------

def test_search_payments_by_external_reference_pages_through(mp, fake_mercadopago):
    ids = [fake_mercadopago.add_payment("inv:1:7", amount) for amount in ("100", "200", "300")]
    fake_mercadopago.add_payment("inv:1:8", "999")

    found = mp.search_payments("inv:1:7", page_size=2)

    assert [p.id for p in found] == ids[::-1]  # newest first
    assert {p.external_reference for p in found} == {"inv:1:7"}
    searches = [r for r in fake_mercadopago.requests if r.path == "/v1/payments/search"]
    assert len(searches) == 2  # two pages of two
    assert mp.search_payments("inv:9:9") == []
