"""Payments end to end: the service on PostgreSQL, the webhook route, and the RQ task that
fetches the payment from the fake Mercado Pago and tells the customer and owner on WhatsApp."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from rq import Queue
from sqlalchemy import func, select

from core.billing import mp_payments, payments
from core.errors import ValidationFailed
from core.models import (
    AuditEntry,
    Customer,
    Invoice,
    JobStatus,
    Organization,
    Payment,
    PaymentMethod,
    PaymentStatus,
)
from integrations.mercadopago import MercadoPagoError
from services import payment_gateway
from tests.billing.conftest import BASE, CUSTOMER_WA, OWNER_WA, SECRET, Shop
from tests.factories import create_org
from workers.payment_tasks import handle_payment_notification

# ---- checkout links ------------------------------------------------------------------------

def _link(shop: Shop, now: datetime | None = None) -> str | None:
    with shop.db.org_session(shop.org_id) as s:
        mp = payment_gateway.client_for(s, shop.settings)
        invoice = s.get(Invoice, shop.invoice_id)
        return mp_payments.create_payment_link(s, invoice, mp, settings=shop.settings,
                                            now=now or datetime.now(UTC))


def _cash(shop: Shop, amount: str, method=PaymentMethod.CASH) -> payments.PaymentOutcome:
    with shop.db.org_session(shop.org_id) as s:
        invoice = s.get(Invoice, shop.invoice_id)
        return payments.record_manual_payment(s, invoice, method=method, amount=Decimal(amount),
                                              actor="user:1", note="en mano", now=datetime.now(UTC))


def test_payment_link_for_the_balance_is_stored_and_reused(shop):
    now = datetime.now(UTC)
    link = _link(shop, now)

    invoice = shop.invoice()
    assert link == invoice.payment_link
    assert link.startswith("https://www.mercadopago.com.ar/checkout/v1/redirect?pref_id=")
    assert invoice.mp_preference_id in shop.mp.preferences
    assert invoice.payment_link_expires_at == now + timedelta(days=7)
    pref = shop.mp.preferences[invoice.mp_preference_id]
    assert pref["external_reference"] == f"inv:{shop.org_id}:{shop.invoice_id}"
    assert pref["notification_url"] == f"{BASE}/webhooks/mercadopago?org={shop.org_id}"
    assert pref["items"][0]["unit_price"] == 15000.0
    assert pref["back_urls"]["success"] == f"{BASE}/"

    assert _link(shop) == link  # unexpired, same balance: no new preference
    assert len(shop.mp.preference_requests()) == 1

    _cash(shop, "5000")
    new_link = _link(shop)
    assert new_link != link
    assert shop.mp.preferences[shop.invoice().mp_preference_id]["items"][0]["unit_price"] == 10000.0


def test_expired_link_is_replaced(shop):
    first = _link(shop, datetime.now(UTC) - timedelta(days=8))
    assert _link(shop) != first
    assert len(shop.mp.preferences) == 2


def test_a_retry_after_a_crash_reuses_the_preference(shop):
    class Crash(Exception):
        pass

    with pytest.raises(Crash), shop.db.org_session(shop.org_id) as s:
        mp = payment_gateway.client_for(s, shop.settings)
        mp_payments.create_payment_link(s, s.get(Invoice, shop.invoice_id), mp,
                                     settings=shop.settings, now=datetime.now(UTC))
        raise Crash  # the worker died before committing

    assert shop.invoice().payment_link is None
    link = _link(shop)
    assert len(shop.mp.preference_requests()) == 2
    assert len(shop.mp.preferences) == 1
    assert shop.invoice().payment_link == link


def test_no_link_when_nothing_is_owed(shop):
    _cash(shop, "15000")
    assert _link(shop) is None
    assert shop.mp.preference_requests() == []


def test_no_client_without_a_token(pg_db, redis_url):
    org_id = create_org(pg_db, "Sin MP", slug="sin-mp")
    with pg_db.org_session(org_id) as s:
        assert payment_gateway.client_for(s, pg_db.settings) is None


# ---- payment options -----------------------------------------------------------------------

def _options(shop: Shop) -> payments.PaymentOptions | None:
    with shop.db.org_session(shop.org_id) as s:
        return payments.payment_options(s, s.get(Customer, shop.customer_id))


def _set_transfer(shop: Shop, **fields) -> None:
    with shop.db.org_session(shop.org_id) as s:
        org = s.get(Organization, shop.org_id)
        for name, value in fields.items():
            setattr(org, name, value)


def test_payment_options_without_link_or_transfer_details(shop):
    assert _options(shop) is None


def test_payment_options_with_link_and_transfer(shop):
    link = _link(shop)
    _set_transfer(shop, transfer_alias="plomeria.ramos", transfer_cbu="0000003100010000000001",
                  transfer_holder="Roberto Ramos")
    options = _options(shop)
    assert options == payments.PaymentOptions(
        link=link, alias="plomeria.ramos", cbu="0000003100010000000001", holder="Roberto Ramos",
        amount=Decimal("15000.00"), invoice_id=shop.invoice_id)
    assert options.any


def test_payment_options_drop_an_expired_link(shop):
    _link(shop, datetime.now(UTC) - timedelta(days=8))
    _set_transfer(shop, transfer_alias="plomeria.ramos")
    options = _options(shop)
    assert options.link is None
    assert options.alias == "plomeria.ramos"
    assert options.amount == Decimal("15000.00")


def test_payment_options_when_nothing_is_owed(shop):
    _cash(shop, "15000")
    assert _options(shop) is None
    _set_transfer(shop, transfer_alias="plomeria.ramos", transfer_holder="Roberto Ramos")
    options = _options(shop)
    assert (options.alias, options.holder, options.amount, options.link) == (
        "plomeria.ramos", "Roberto Ramos", None, None)


def test_payment_options_show_what_is_left(shop):
    _cash(shop, "4000")
    _set_transfer(shop, transfer_cbu="0000003100010000000001")
    assert _options(shop).amount == Decimal("11000.00")


# ---- manual payments -----------------------------------------------------------------------

@pytest.mark.parametrize(("amount", "method", "message"), [
    ("0", PaymentMethod.CASH, "mayor a cero"),
    ("-10", PaymentMethod.TRANSFER, "mayor a cero"),
    ("15000.01", PaymentMethod.CASH, "supera lo que se debe de esa factura ($15.000)"),
    ("100", PaymentMethod.MERCADOPAGO, "efectivo o por transferencia"),
])
def test_manual_payment_validation(shop, amount, method, message):
    with pytest.raises(ValidationFailed) as err:
        _cash(shop, amount, method)
    assert message in str(err.value)
    assert shop.payments() == []


def test_manual_payments_settle_the_invoice_and_the_job(shop):
    first = _cash(shop, "10000")
    assert (first.kind, first.balance) == ("partial", Decimal("5000.00"))
    assert shop.job_status() is JobStatus.INVOICED
    assert shop.invoice().paid_at is None

    with pytest.raises(ValidationFailed):
        _cash(shop, "5000.01", PaymentMethod.TRANSFER)
    second = _cash(shop, "5000", PaymentMethod.TRANSFER)

    assert (second.kind, second.balance, second.amount) == ("paid", Decimal("0.00"), Decimal("5000.00"))
    assert shop.invoice().paid_at is not None
    assert shop.job_status() is JobStatus.PAID
    with shop.db.org_session(shop.org_id) as s:
        actions = list(s.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)))
    assert actions[-4:] == ["payment.cash", "payment.transfer", "invoice.paid", "job.status"]


# ---- the webhook route ---------------------------------------------------------------------

def _default_jobs(shop: Shop) -> list:
    return Queue("default", connection=shop.redis).get_jobs()


def test_good_notification_is_queued(shop):
    response = shop.notify("1310000042")
    assert response.status_code == 200
    [job] = _default_jobs(shop)
    assert job.func_name == "workers.payment_tasks.handle_payment_notification"
    assert job.args == (shop.org_id, "1310000042")


def test_data_id_from_the_body_when_the_query_lacks_it(shop):
    headers, body, _query = shop.mp.signed_notification("1310000042", SECRET)
    response = shop.client.post("/webhooks/mercadopago", json=body, headers=headers,
                                query_string={"org": shop.org_id})
    assert response.status_code == 200
    assert len(_default_jobs(shop)) == 1


def test_the_signature_decides_nothing_but_the_log(shop, caplog):
    """Every notification is a hint for a fetch: forged, stale or unsigned ones are queued too
    (tests/billing/test_never_missed.py shows they mark nothing paid on their own)."""
    with caplog.at_level(logging.INFO, "campotech.web.mercadopago"):
        assert shop.notify("1310000042", secret="forged").status_code == 200
        assert shop.notify("1310000043", ts=int(time.time()) - 3600).status_code == 200
        _headers, body, query = shop.mp.signed_notification("1310000044", SECRET)
        assert shop.client.post("/webhooks/mercadopago", json=body,
                                query_string={**query, "org": shop.org_id}).status_code == 200
    assert "signature that does not match" in caplog.text
    assert "(signed-late)" in caplog.text and "(unsigned)" in caplog.text
    assert [job.args for job in _default_jobs(shop)] == [
        (shop.org_id, "1310000042"), (shop.org_id, "1310000043"), (shop.org_id, "1310000044")]


def test_malformed_notifications_are_400(shop):
    headers, _body, query = shop.mp.signed_notification("1310000042", SECRET)
    query = {**query, "org": shop.org_id}
    post = shop.client.post
    assert post("/webhooks/mercadopago", data=b"{not json", headers=headers,
                query_string=query).status_code == 400
    assert post("/webhooks/mercadopago", json=["a"], headers=headers,
                query_string=query).status_code == 400
    assert post("/webhooks/mercadopago", json={"type": "payment", "data": {}}, headers=headers,
                query_string={"org": shop.org_id}).status_code == 400
    for org in ("abc", "0", "-3", str(2**40)):
        assert post("/webhooks/mercadopago", json={"type": "payment"}, headers=headers,
                    query_string={**query, "org": org}).status_code == 400
    assert post("/webhooks/mercadopago", json={"type": "payment"}, headers=headers,
                query_string={**query, "data.id": "1;drop"}).status_code == 400
    assert _default_jobs(shop) == []


def test_unknown_organization_is_404_and_one_without_secret_still_fetches(shop, caplog):
    with caplog.at_level(logging.WARNING, "campotech.web.mercadopago"):
        assert shop.notify("1310000042", org_id=9999).status_code == 404
    assert "unknown organization" in caplog.text
    assert _default_jobs(shop) == []
    other = create_org(shop.db, "Otra", slug="otra")
    assert shop.notify("1310000042", org_id=other).status_code == 200
    assert [job.args for job in _default_jobs(shop)] == [(other, "1310000042")]
    assert handle_payment_notification(other, "1310000042")["outcome"] == "no_token"


def test_other_notification_types_are_ignored(shop):
    headers, body, _query = shop.mp.signed_notification("1310000042", SECRET)
    body["type"], body["action"] = "merchant_order", "merchant_order.updated"
    response = shop.client.post("/webhooks/mercadopago", json=body, headers=headers,
                                query_string={"org": shop.org_id, "topic": "merchant_order"})
    assert response.status_code == 200
    assert _default_jobs(shop) == []


# ---- the task, end to end ------------------------------------------------------------------

RECEIPT = "¡Gracias, Marta! 🙌 Recibimos tu pago de $15.000 de la factura B 0001-00000012."


def test_approved_payment_settles_and_tells_customer_and_owner(shop):
    payment_id = shop.pay("15000")

    invoice = shop.invoice()
    assert invoice.paid_at is not None
    assert shop.balance() == 0
    assert shop.job_status() is JobStatus.PAID
    [payment] = shop.payments()
    assert (payment.external_id, payment.status, payment.amount, payment.status_detail) == (
        payment_id, PaymentStatus.APPROVED, Decimal("15000.00"), "accredited")
    assert payment.invoice_id == shop.invoice_id and payment.customer_id == shop.customer_id
    assert payment.raw["id"] == int(payment_id)
    assert shop.texts(CUSTOMER_WA) == [RECEIPT + "\nQuedó todo saldado."]
    assert shop.texts(OWNER_WA) == [
        "💰 Marta García pagó $15.000 por Mercado Pago (factura B 0001-00000012)."]


def test_duplicate_notification_sends_nothing_new(shop):
    payment_id = shop.pay("15000")
    sent_before = len(shop.graph.sent())

    assert shop.notify(payment_id).status_code == 200
    shop.work()
    assert handle_payment_notification(shop.org_id, payment_id)["outcome"] == "unchanged"

    assert len(shop.graph.sent()) == sent_before
    assert len(shop.payments()) == 1


def test_partial_payment_leaves_a_balance(shop):
    shop.pay("10000")

    assert shop.balance() == Decimal("5000.00")
    assert shop.invoice().paid_at is None
    assert shop.job_status() is JobStatus.INVOICED
    [receipt] = shop.texts(CUSTOMER_WA)
    assert "Recibimos tu pago de $10.000" in receipt
    assert "Te queda un saldo de $5.000" in receipt
    assert shop.texts(OWNER_WA) == [
        "💰 Marta García pagó $10.000 por Mercado Pago (factura B 0001-00000012). Todavía debe $5.000."]


def test_refund_reopens_the_balance_and_alerts_the_owner(shop):
    payment_id = shop.pay("15000")
    shop.payment_becomes(payment_id, "refunded")

    assert shop.balance() == Decimal("15000.00")
    assert shop.invoice().paid_at is None
    assert shop.payments()[0].status is PaymentStatus.REFUNDED
    # The job goes back to invoiced: there is money owed on it again.
    assert shop.job_status() is JobStatus.INVOICED
    assert shop.texts(OWNER_WA)[-1] == (
        "⚠️ Mercado Pago devolvió $15.000 del pago de Marta García (factura B 0001-00000012)."
        " Vuelve a quedar un saldo de $15.000.")
    assert len(shop.texts(CUSTOMER_WA)) == 1  # only the receipt


def test_partial_refund_counts_what_is_left(shop):
    payment_id = shop.pay("15000")
    shop.payment_becomes(payment_id, "approved", refunded="5000")

    assert shop.balance() == Decimal("5000.00")
    assert shop.payments()[0].refunded_amount == Decimal("5000.00")
    assert shop.texts(OWNER_WA)[-1].startswith("⚠️ Mercado Pago devolvió $5.000 del pago")


def test_chargeback_reopens_the_balance_and_alerts_the_owner(shop):
    payment_id = shop.pay("15000")
    shop.payment_becomes(payment_id, "charged_back")

    assert shop.balance() == Decimal("15000.00")
    assert shop.payments()[0].status is PaymentStatus.CHARGED_BACK
    assert shop.texts(OWNER_WA)[-1] == (
        "⚠️ Mercado Pago contracargó $15.000 del pago de Marta García (factura B 0001-00000012)."
        " Vuelve a quedar un saldo de $15.000.")


def test_a_dispute_holds_the_money_and_alerts_the_owner_once(shop):
    payment_id = shop.pay("15000")
    shop.payment_becomes(payment_id, "in_mediation")

    assert shop.payments()[0].status is PaymentStatus.IN_MEDIATION
    assert shop.balance() == Decimal("15000.00")  # held by Mercado Pago: not ours until resolved
    assert shop.texts(OWNER_WA)[-1] == (
        "⚠️ Marta García abrió un reclamo en Mercado Pago por $15.000 (factura B 0001-00000012)."
        " Mercado Pago retiene la plata hasta que se resuelva: respondé el reclamo desde tu cuenta"
        " de Mercado Pago. Mientras tanto figura un saldo de $15.000.")
    owner_texts = len(shop.texts(OWNER_WA))

    # Mercado Pago notifies again while the claim is open: no second alert.
    assert shop.notify(payment_id).status_code == 200
    shop.work()
    assert len(shop.texts(OWNER_WA)) == owner_texts

    # Resolved in the seller's favour: paid again.
    shop.payment_becomes(payment_id, "approved")
    assert shop.balance() == Decimal(0)
    assert shop.job_status() is JobStatus.PAID


def test_rejected_payment_pays_nothing(shop):
    shop.pay("15000", status="rejected", status_detail="cc_rejected_insufficient_amount")

    [payment] = shop.payments()
    assert payment.status is PaymentStatus.REJECTED
    assert shop.balance() == Decimal("15000.00")
    assert shop.job_status() is JobStatus.INVOICED
    assert shop.graph.sent() == []


def test_pending_then_approved(shop):
    payment_id = shop.pay("15000", status="in_process", status_detail="pending_review_manual")
    assert shop.payments()[0].status is PaymentStatus.IN_PROCESS
    assert shop.graph.sent() == []

    shop.payment_becomes(payment_id, "approved")
    assert shop.job_status() is JobStatus.PAID
    assert len(shop.texts(CUSTOMER_WA)) == 1


def test_unknown_payment_changes_nothing(shop, caplog):
    with caplog.at_level(logging.WARNING, "campotech.workers.payments"):
        assert shop.notify("1999999999").status_code == 200
        shop.work()
    assert "does not exist at Mercado Pago" in caplog.text
    assert shop.payments() == []
    assert shop.graph.sent() == []


def test_payment_for_another_organization_is_ignored(shop, caplog):
    payment_id = shop.mp.add_payment(f"inv:{shop.org_id + 1}:{shop.invoice_id}", "15000")
    with caplog.at_level(logging.WARNING, "campotech.payments"):
        assert handle_payment_notification(shop.org_id, payment_id)["outcome"] == "unknown"
    assert "not an invoice of organization" in caplog.text
    assert shop.payments() == []
    assert shop.balance() == Decimal("15000.00")


def test_mercadopago_down_raises_for_rq_to_retry(shop):
    payment_id = shop.mp.add_payment(f"inv:{shop.org_id}:{shop.invoice_id}", "15000")
    shop.mp.fail(503, count=1)
    with pytest.raises(MercadoPagoError) as err:
        handle_payment_notification(shop.org_id, payment_id)
    assert err.value.retryable
    assert shop.payments() == []

    assert handle_payment_notification(shop.org_id, payment_id)["outcome"] == "paid"
    with shop.db.org_session(shop.org_id) as s:
        assert s.scalar(select(func.count(Payment.id))) == 1
