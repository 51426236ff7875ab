"""The whole path as people live it: "terminé, cobrale 15 lucas" → confirmed → AFIP invoice PDF
and Mercado Pago link in the customer's chat → payment → receipt, and the owner told."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from bot import simulator
from core import customers, jobs
from core.billing import price_book
from core.billing.afip_qr import decode_qr_url, invoice_qr_url
from core.models import Invoice, InvoiceStatus, Job, JobStatus, Organization
from core.settings import get_settings
from core.vault import Vault
from tests.billing.conftest import billing_settings, create_inscripto
from tests.bot.conftest import PHONE_NUMBER_ID, Harness, export_env
from tests.bot.test_stories import body_of
from tests.factories import add_technician, newest
from web import create_app

TECH, CUSTOMER, OWNER = "5491155550101", "5491155550000", "5491155550100"
MP_TOKEN, MP_SECRET = "APP_USR-test-token", "mp-webhook-secret"


@pytest.fixture
def shop(pg_db, redisdb, fake_graph, fake_afip, fake_mercadopago, afip_credentials, tmp_path,
         monkeypatch):
    settings = billing_settings(pg_db, fake_graph, fake_afip, fake_mercadopago, tmp_path)
    export_env(monkeypatch, settings)
    org_id = create_inscripto(pg_db, settings, afip_credentials)
    app = create_app(settings)
    harness = Harness(settings, pg_db, app, fake_graph, org_id)
    add_technician(pg_db, org_id, "Carlos Rodríguez", phone="+" + TECH)
    with pg_db.org_session(org_id) as s:
        from core.identity.users import create_user

        create_user(s, {"name": "Roberto Gómez", "role": "owner", "phone": "+" + OWNER})
        price_book.create_item(s, {"name": "Cambio de flexible", "price": "12000",
                                   "service": "plumbing"})
        customer = customers.create_customer(s, {
            "name": "Marta García", "phone": "+" + CUSTOMER, "iva_condition": "consumidor_final",
            "doc_type": "dni", "doc_number": "28123456"})
        start = datetime.now(UTC) - timedelta(hours=1)
        job = jobs.create_job(s, {"customer_id": customer.id, "service": "plumbing",
                                  "description": "pierde el flexible",
                                  "technician_id": _tech_id(s),
                                  "scheduled_start": start, "scheduled_end": start + timedelta(hours=2)})
        jobs.transition(s, job.id, JobStatus.ON_SITE, "test")
    yield harness
    app.extensions["campotech.db"].dispose()
    get_settings.cache_clear()


def _tech_id(session) -> int:
    from core.models import Role, User

    return session.scalar(select(User.id).where(User.role == Role.TECHNICIAN))


def _connect_mercadopago(shop) -> None:
    vault = Vault(shop.settings.encryption_keys)
    with shop.db.org_session(shop.org_id) as s:
        vault.store(s, "mercadopago_token", MP_TOKEN)
        vault.store(s, "mercadopago_webhook_secret", MP_SECRET)


def _finish_job(shop) -> None:
    shop.say("hola, ¿a qué hora terminan?", wa_id=CUSTOMER)  # the customer's 24 h window is open
    shop.work()
    shop.say("terminé, cambié el flexible, cobrale 15 lucas", wa_id=TECH)
    shop.work()
    confirm_id = _button(shop.replies(TECH)[-1], "Confirmar")
    shop.post(simulator.button_reply(PHONE_NUMBER_ID, TECH, confirm_id, "Confirmar"))
    shop.work(settle=0.3)


def _button(sent: dict, title: str) -> str:
    payload = sent["payload"]
    for button in payload["interactive"]["action"]["buttons"]:
        if button["reply"]["title"] == title:
            return button["reply"]["id"]
    raise AssertionError(f"no {title!r} button in {payload}")


def _documents(shop) -> list[dict]:
    return [m for m in shop.replies(CUSTOMER) if m["payload"].get("type") == "document"]


def _texts(shop, wa_id: str) -> list[str]:
    """Texts and templates (the owner never wrote: alerts go as templates outside the window)."""
    return [body_of(m["payload"]) for m in shop.replies(wa_id)
            if m["payload"].get("type") in ("text", "template")]


def _invoice(shop) -> Invoice:
    return newest(shop.db, shop.org_id, Invoice)


def _job(shop) -> Job:
    return newest(shop.db, shop.org_id, Job)


def test_done_to_invoice_and_link_to_payment_and_receipt(shop, fake_afip, fake_mercadopago):
    _connect_mercadopago(shop)
    _finish_job(shop)

    invoice = _invoice(shop)
    assert invoice.status is InvoiceStatus.AUTHORIZED and invoice.letter == "B"
    assert invoice.total == Decimal("15000.00") and invoice.delivered_at is not None
    assert _job(shop).status is JobStatus.INVOICED
    (document,) = _documents(shop)
    doc = document["payload"]["document"]
    assert doc["filename"] == "factura-B-0003-00000001.pdf"
    assert "factura B 0003-00000001" in doc["caption"] and "$15.000" in doc["caption"]
    # Meta fetches the link: it serves the PDF without a login.
    path = doc["link"].split("://", 1)[1].split("/", 1)[1]
    pdf = shop.client.get("/" + path)
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    pay_text = next(t for t in _texts(shop, CUSTOMER) if "Mercado Pago" in t)
    assert invoice.payment_link and invoice.payment_link in pay_text
    qr = decode_qr_url(invoice_qr_url(invoice, _org(shop)))
    assert qr["codAut"] == int(invoice.cae)

    # The customer pays; Mercado Pago notifies us, signed.
    payment_id = fake_mercadopago.add_payment(f"inv:{shop.org_id}:{invoice.id}", Decimal(15000))
    headers, body, query = fake_mercadopago.signed_notification(payment_id, MP_SECRET)
    response = shop.client.post("/webhooks/mercadopago", query_string={"org": shop.org_id, **query},
                                json=body, headers=headers)
    assert response.status_code == 200
    shop.work(settle=0.3)
    assert _job(shop).status is JobStatus.PAID
    assert _invoice(shop).paid_at is not None
    assert any("Recibimos tu pago" in t for t in _texts(shop, CUSTOMER))
    assert any("15.000" in t and "Mercado Pago" in t for t in _texts(shop, OWNER))

    # Mercado Pago repeats the notification: nothing new is sent.
    before = len(shop.graph.sent())
    shop.client.post("/webhooks/mercadopago", query_string={"org": shop.org_id, **query},
                     json=body, headers=headers)
    shop.work(settle=0.3)
    assert len(shop.graph.sent()) == before


def _org(shop) -> Organization:
    with shop.db.org_session(shop.org_id) as s:
        org = s.get(Organization, shop.org_id)
        s.expunge(org)
        return org


def test_without_mercadopago_the_customer_gets_transfer_details(shop):
    with shop.db.org_session(shop.org_id) as s:
        org = s.get(Organization, shop.org_id)
        org.transfer_alias, org.transfer_holder = "plomeria.rapida", "Roberto Gómez"
    _finish_job(shop)
    assert len(_documents(shop)) == 1
    assert any("alias plomeria.rapida" in t and "Roberto Gómez" in t for t in _texts(shop, CUSTOMER))
    assert _invoice(shop).payment_link is None


def test_afip_down_the_owner_is_told_and_the_customer_gets_it_when_afip_is_back(shop, fake_afip):
    fake_afip.down(True)
    _finish_job(shop)
    assert _invoice(shop).status is InvoiceStatus.PENDING
    assert _documents(shop) == []
    assert any("AFIP no está respondiendo" in t for t in _texts(shop, OWNER))
    fake_afip.down(False)
    shop.redis.delete(*shop.redis.keys("campotech:afip:breaker:*") or ["-"])
    from workers import tasks

    tasks.issue_invoice(shop.org_id, _invoice(shop).id, True)
    shop.work(settle=0.3)
    assert _invoice(shop).status is InvoiceStatus.AUTHORIZED
    assert len(_documents(shop)) == 1


def test_afip_rejection_alerts_the_owner_and_sends_nothing_to_the_customer(shop, fake_afip):
    fake_afip.reject_next(10242, "El campo Condicion Frente al IVA del receptor es invalido")
    _finish_job(shop)
    assert _invoice(shop).status is InvoiceStatus.REJECTED
    assert _documents(shop) == []
    alert = next(t for t in _texts(shop, OWNER) if "AFIP rechazó" in t)
    assert "IVA" in alert


def test_without_afip_an_internal_receipt_goes_out(shop):
    with shop.db.org_session(shop.org_id) as s:
        Vault(shop.settings.encryption_keys).delete(s, "afip_certificate")
    _finish_job(shop)
    invoice = _invoice(shop)
    assert (invoice.status, invoice.letter) == (InvoiceStatus.INTERNAL, None)
    (document,) = _documents(shop)
    assert document["payload"]["document"]["filename"] == "recibo-0003-00000001.pdf"
    pdf = shop.client.get("/" + document["payload"]["document"]["link"].split("/", 3)[3])
    assert pdf.status_code == 200

