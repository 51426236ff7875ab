"""A payment is never missed (#18 item 9): both notification styles Mercado Pago sends, each
taken as a hint and checked against the API, and a reconciliation that finds what no
notification told — against the fake Mercado Pago over HTTP, PostgreSQL and Redis."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from rq import Queue

from core.billing import mp_payments
from core.models import Invoice, JobStatus, PaymentStatus
from services import payment_gateway
from tests.billing.conftest import CUSTOMER_WA, SECRET, Shop
from workers import payment_tasks
from workers.scheduler import build_scheduler

RECEIPT = "¡Gracias, Marta! 🙌 Recibimos tu pago de $15.000 de la factura B 0001-00000012."


def _open_link(shop: Shop) -> str:
    with shop.db.org_session(shop.org_id) as s:
        mp = payment_gateway.client_for(s, shop.settings)
        return mp_payments.create_payment_link(s, s.get(Invoice, shop.invoice_id), mp,
                                            settings=shop.settings, now=datetime.now(UTC))


def _reference(shop: Shop) -> str:
    return f"inv:{shop.org_id}:{shop.invoice_id}"


def _searches(shop: Shop) -> list:
    return [r for r in shop.mp.requests if r.path == "/v1/payments/search"]


def test_a_lost_notification_is_found_by_reconciliation(shop):
    _open_link(shop)
    shop.mp.add_payment(_reference(shop), "15000")  # paid; Mercado Pago's notification is lost

    summary = payment_tasks.reconcile_payments()
    assert summary == {"organizations": 1, "searched": 1, "fetches": 1, "failed": 0}
    shop.work()

    assert shop.invoice().paid_at is not None
    assert shop.job_status() is JobStatus.PAID
    assert shop.texts(CUSTOMER_WA) == [RECEIPT + "\nQuedó todo saldado."]
    # Nothing left to look for: a paid invoice is not searched again, nothing is sent twice.
    assert payment_tasks.reconcile_payments()["searched"] == 0
    assert len(_searches(shop)) == 1
    assert len(shop.graph.sent(to=CUSTOMER_WA)) == 1


def test_reconciliation_fetches_only_what_changed_and_runs_every_two_minutes(shop):
    _open_link(shop)
    pending = shop.mp.add_payment(_reference(shop), "15000", status="in_process",
                                  status_detail="pending_review_manual")
    assert payment_tasks.reconcile_payments()["fetches"] == 1
    shop.work()
    assert [p.status for p in shop.payments()] == [PaymentStatus.IN_PROCESS]
    assert payment_tasks.reconcile_payments()["fetches"] == 0  # we hold the API's state

    shop.mp.set_payment_status(pending, "approved")  # approved; that notification lost too
    assert payment_tasks.reconcile_payments()["fetches"] == 1
    shop.work()
    assert shop.job_status() is JobStatus.PAID
    [search] = _searches(shop)[-1:]
    assert search.headers["Authorization"] == "Bearer APP_USR-test-token"

    [job] = [j for j in build_scheduler(shop.redis).get_jobs()
             if j.func_name == "workers.payment_tasks.reconcile_payments"]
    assert job.cron == "*/2 * * * *"


def test_an_ipn_is_acted_on(shop):
    payment_id = shop.mp.add_payment(_reference(shop), "15000")
    [ipn] = shop.mp.deliver(shop.post, payment_id, SECRET, styles=("ipn",))
    assert ipn.query == {"id": payment_id, "topic": "payment"}
    assert "x-signature" not in ipn.headers and ipn.answers == [200]
    shop.work()
    assert shop.job_status() is JobStatus.PAID
    assert shop.texts(CUSTOMER_WA) == [RECEIPT + "\nQuedó todo saldado."]


def test_both_styles_for_one_payment_give_one_receipt(shop):
    payment_id = shop.mp.add_payment(_reference(shop), "15000")
    sent = shop.mp.deliver(shop.post, payment_id, SECRET)
    assert [(n.style, n.answers) for n in sent] == [("webhook", [200]), ("ipn", [200])]
    shop.work()
    assert len(shop.payments()) == 1
    assert shop.texts(CUSTOMER_WA) == [RECEIPT + "\nQuedó todo saldado."]


def test_a_retried_webhook_with_its_old_timestamp_is_acted_on(shop):
    payment_id = shop.mp.add_payment(_reference(shop), "15000")
    first_try = int(time.time()) - 3600  # we were down an hour ago; Mercado Pago retries now
    [webhook] = shop.mp.deliver(lambda _n: 503, payment_id, SECRET, ts=first_try,
                                styles=("webhook",))
    assert shop.mp.undelivered == [webhook]
    signature = webhook.headers["x-signature"]

    assert shop.mp.redeliver(shop.post) == [webhook]
    assert webhook.answers == [503, 200]
    assert webhook.headers["x-signature"] == signature == f"ts={first_try},v1={signature[-64:]}"
    shop.work()
    assert shop.job_status() is JobStatus.PAID


def test_forged_or_unsigned_bodies_mark_nothing_paid_without_the_api(shop):
    pending = shop.mp.add_payment(_reference(shop), "15000", status="pending",
                                  status_detail="pending_waiting_payment")
    forged = {"type": "payment", "action": "payment.updated",
              "data": {"id": pending, "status": "approved", "transaction_amount": 15000}}
    for body, headers in ((forged, {}), (forged, {"x-signature": "ts=1,v1=" + "0" * 64})):
        assert shop.client.post("/webhooks/mercadopago", json=body, headers=headers,
                                query_string={"org": shop.org_id}).status_code == 200
    # An IPN for a payment Mercado Pago never made, and one of another organization's invoice.
    missing = shop.post(shop.mp.notifications("1999999999", SECRET, styles=("ipn",))[0])
    elsewhere = shop.mp.add_payment(f"inv:{shop.org_id + 1}:{shop.invoice_id}", "15000")
    assert missing == shop.post(shop.mp.notifications(elsewhere, SECRET, styles=("ipn",))[0]) == 200
    shop.work()

    assert [(p.external_id, p.status) for p in shop.payments()] == [(pending, PaymentStatus.PENDING)]
    assert shop.invoice().paid_at is None
    assert shop.job_status() is JobStatus.INVOICED
    assert shop.graph.sent() == []


def test_hints_are_rate_limited_per_payment(shop):
    answers = [shop.notify("1310000042").json["fetch"] for _ in range(8)]
    assert answers == ["queued"] * 5 + ["deferred"] + ["coalesced"] * 2
    assert shop.notify("1310000043").json["fetch"] == "queued"  # another payment: its own budget
    default = Queue("default", connection=shop.redis)
    assert len(default.get_jobs()) == 6
    assert default.scheduled_job_registry.count == 1


def test_a_flood_of_made_up_ids_is_capped_per_organization(shop, monkeypatch):
    monkeypatch.setattr(payment_gateway, "ORG_FETCHES_PER_WINDOW", 3)
    answers = [shop.notify(str(1310000100 + n)).json["fetch"] for n in range(5)]
    assert answers == ["queued"] * 3 + ["dropped"] * 2
    assert len(Queue("default", connection=shop.redis).get_jobs()) == 3


def test_merchant_order_notifications_are_acknowledged(shop):
    _headers, body, query = shop.mp.ipn_notification("7654321", topic="merchant_order")
    assert body["resource"].endswith("/merchant_orders/7654321")
    response = shop.client.post("/webhooks/mercadopago", json=body,
                                query_string={**query, "org": shop.org_id})
    assert (response.status_code, response.json) == (200, {"ignored": "merchant_order"})
    assert Queue("default", connection=shop.redis).get_jobs() == []
