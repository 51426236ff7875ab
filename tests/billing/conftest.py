"""The billing suites' fixtures: `billing`, an organization ready to invoice (AFIP credentials in
its vault, a customer, a done job), and `shop`, an organization with a job done and its invoice
delivered, the app, the fake Graph API and the fake Mercado Pago, and an in-process worker."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from core import customers, jobs
from core.billing import payments
from core.db import Database
from core.identity.users import create_user
from core.models import (
    Conversation,
    ConversationRole,
    Customer,
    Invoice,
    InvoiceStatus,
    IvaCondition,
    Job,
    JobStatus,
    Payment,
)
from core.settings import Settings, get_settings
from core.vault import Vault
from tests.background import queues_empty, run_worker
from tests.bot.conftest import PHONE_NUMBER_ID, Harness, export_env, transport_settings
from tests.factories import add_technician, create_org
from tests.waiting import wait_until
from web import create_app

TECH_PHONE = "+5491155550101"
CUSTOMER_PHONE = "+5491155550000"


@dataclass
class Billing:
    db: Database
    settings: Settings
    redis: object
    org_id: int
    customer_id: int
    technician_id: int

    def job(self, *, customer_id: int | None = None) -> int:
        """A job already completed by the technician."""
        start = datetime.now(UTC) - timedelta(hours=2)
        with self.db.org_session(self.org_id) as s:
            job = jobs.create_job(s, {
                "customer_id": customer_id or self.customer_id, "service": "plumbing",
                "description": "pierde el flexible", "technician_id": self.technician_id,
                "scheduled_start": start, "scheduled_end": start + timedelta(hours=2),
            })
            for status in (JobStatus.SCHEDULED, JobStatus.ON_SITE, JobStatus.COMPLETED):
                if job.status is not status:
                    jobs.transition(s, job.id, status, "test")
            return job.id

    def invoice(self, invoice_id: int) -> Invoice:
        with self.db.org_session(self.org_id) as s:
            invoice = s.get(Invoice, invoice_id)
            invoice.lines  # noqa: B018 - loaded before the session closes
            s.expunge(invoice)
            return invoice

    def customer(self, name: str, *, iva: IvaCondition, doc_type: str | None = None,
                 doc_number: str | None = None, phone: str | None = None) -> int:
        with self.db.org_session(self.org_id) as s:
            customer = customers.create_customer(s, {
                "name": name, "phone": phone, "iva_condition": iva.value,
                "doc_type": doc_type, "doc_number": doc_number,
            })
            return customer.id


def create_inscripto(db: Database, settings: Settings, creds) -> int:
    """Plomería Rápida, a Responsable Inscripto (punto de venta 3) with its AFIP certificate and
    key stored, on the test number: its id."""
    org_id = create_org(db, "Plomería Rápida", slug="plomeria-rapida",
                        wa_phone_number_id=PHONE_NUMBER_ID, cuit="20111111112",
                        iva_condition="responsable_inscripto", punto_de_venta=3)
    cert_pem, key_pem = creds
    vault = Vault(settings.encryption_keys)
    with db.org_session(org_id) as s:
        vault.store(s, "afip_certificate", cert_pem.decode())
        vault.store(s, "afip_key", key_pem.decode())
    return org_id


def billing_settings(pg_db, fake_graph, fake_afip, fake_mercadopago, tmp_path, **overrides) -> Settings:
    return transport_settings(
        pg_db.settings, fake_graph.url, str(tmp_path / "media"),
        afip_base_url=fake_afip.url, afip_timeout_seconds=1.0,
        mercadopago_base_url=fake_mercadopago.url,
        invoice_retry_first_seconds=30.0, afip_breaker_failures=3,
        afip_breaker_cooldown_seconds=60.0, **overrides,
    )


@pytest.fixture
def billing(pg_db, redisdb, fake_graph, fake_afip, fake_mercadopago, afip_credentials, tmp_path,
            monkeypatch) -> Iterator[Billing]:
    """A Responsable Inscripto with AFIP credentials, a consumidor final customer with a DNI."""
    settings = billing_settings(pg_db, fake_graph, fake_afip, fake_mercadopago, tmp_path)
    export_env(monkeypatch, settings)
    org_id = create_inscripto(pg_db, settings, afip_credentials)
    technician_id = add_technician(pg_db, org_id, phone=TECH_PHONE)
    billing = Billing(pg_db, settings, redisdb, org_id, 0, technician_id)
    billing.customer_id = billing.customer("Marta García", iva=IvaCondition.CONSUMIDOR_FINAL,
                                           doc_type="dni", doc_number="28123456",
                                           phone=CUSTOMER_PHONE)
    yield billing
    get_settings.cache_clear()


__all__ = ["Billing", "Decimal", "Harness", "billing_settings", "create_inscripto"]


SECRET = "mp-webhook-secret"
CUSTOMER_WA = "5491166660001"
OWNER_WA = "5491155550999"
BASE = "https://campotech.example"


@dataclass
class Shop:
    settings: object
    db: object
    app: object
    graph: object
    mp: object
    org_id: int
    customer_id: int
    job_id: int
    invoice_id: int

    @property
    def client(self):
        return self.app.test_client()

    @property
    def redis(self):
        return self.app.extensions["campotech.redis"]

    def notify(self, payment_id: str, *, secret: str = SECRET, org_id: int | None = None, **kw):
        headers, body, query = self.mp.signed_notification(payment_id, secret, **kw)
        query = {**query, "org": org_id or self.org_id}
        return self.client.post("/webhooks/mercadopago", json=body, headers=headers,
                                query_string=query)

    def post(self, notification) -> int:
        """How the fake Mercado Pago delivers a notification to our `notification_url`."""
        return self.client.post("/webhooks/mercadopago", json=notification.body,
                                headers=notification.headers,
                                query_string={**notification.query, "org": self.org_id}).status_code

    def work(self, timeout: float = 15.0) -> None:
        """An in-process worker, run until nothing is queued (sends included)."""
        wait_until(lambda: run_worker(self.redis) or queues_empty(self.redis), timeout,
                   what="the worker to settle")

    def pay(self, amount="15000", **kw) -> str:
        """Mercado Pago receives a payment for the invoice and notifies us; the worker runs."""
        payment_id = self.mp.add_payment(f"inv:{self.org_id}:{self.invoice_id}", amount, **kw)
        assert self.notify(payment_id).status_code == 200
        self.work()
        return payment_id

    def payment_becomes(self, payment_id: str, status: str, **kw) -> None:
        """Mercado Pago moves a payment to `status` and notifies us; the worker runs."""
        self.mp.set_payment_status(payment_id, status, **kw)
        assert self.notify(payment_id).status_code == 200
        self.work()

    def texts(self, wa_id: str) -> list[str]:
        return [m["preview"] for m in self.graph.sent(to=wa_id)]

    def invoice(self) -> Invoice:
        with self.db.org_session(self.org_id) as s:
            return s.get(Invoice, self.invoice_id)

    def job_status(self) -> JobStatus:
        with self.db.org_session(self.org_id) as s:
            return s.get(Job, self.job_id).status

    def balance(self) -> Decimal:
        with self.db.org_session(self.org_id) as s:
            return payments.invoice_balance(s, s.get(Invoice, self.invoice_id))

    def payments(self) -> list[Payment]:
        with self.db.org_session(self.org_id) as s:
            return list(s.scalars(select(Payment).order_by(Payment.id)))


def _open_shop(db, org_id: int, *, with_token: bool = True, total: str = "15000") -> tuple[int, int, int]:
    """Owner, technician, customer with an open chat, a job done and its invoice delivered."""
    now = datetime.now(UTC)
    with db.org_session(org_id) as s:
        vault = Vault(db.settings.encryption_keys)
        if with_token:
            vault.store(s, "mercadopago_token", "APP_USR-test-token")
            vault.store(s, "mercadopago_webhook_secret", SECRET)
        owner = create_user(s, {"name": "Roberto Ramos", "role": "owner", "phone": f"+{OWNER_WA}"})
        tech = create_user(s, {"name": "Carlos Técnico", "role": "technician", "phone": "+5491155550101"})
        customer = Customer(name="Marta García", phone=f"+{CUSTOMER_WA}", wa_id=CUSTOMER_WA)
        s.add(customer)
        s.flush()
        s.add_all([
            Conversation(wa_id=CUSTOMER_WA, phone=customer.phone, role=ConversationRole.CUSTOMER,
                         customer_id=customer.id, slots={}, last_inbound_at=now),
            Conversation(wa_id=OWNER_WA, phone=owner.phone, role=ConversationRole.OWNER,
                         user_id=owner.id, slots={}, last_inbound_at=now),
        ])
        job = jobs.create_job(s, {"customer_id": customer.id, "service": "plumbing",
                                  "scheduled_start": now - timedelta(hours=3), "technician_id": tech.id})
        jobs.transition(s, job.id, JobStatus.ON_SITE, "test")
        jobs.transition(s, job.id, JobStatus.COMPLETED, "test")
        invoice = Invoice(job_id=job.id, customer_id=customer.id, letter="B", cbte_tipo=6,
                          punto_de_venta=1, number=12, issue_date=date.today(),
                          status=InvoiceStatus.AUTHORIZED, total=Decimal(total),
                          net=Decimal(total), delivered_at=now)
        s.add(invoice)
        s.flush()
        jobs.transition(s, job.id, JobStatus.INVOICED, "test")
        return customer.id, job.id, invoice.id


@pytest.fixture
def shop(pg_db, redisdb, fake_graph, fake_mercadopago, tmp_path, monkeypatch):
    settings = transport_settings(pg_db.settings, fake_graph.url, str(tmp_path / "media"),
                                  mercadopago_base_url=fake_mercadopago.url, public_base_url=BASE)
    export_env(monkeypatch, settings)
    org_id = create_org(pg_db, "Plomería Rápida", slug="plomeria-rapida",
                        wa_phone_number_id=PHONE_NUMBER_ID)
    customer_id, job_id, invoice_id = _open_shop(pg_db, org_id)
    app = create_app(settings)
    yield Shop(settings, pg_db, app, fake_graph, fake_mercadopago, org_id, customer_id, job_id,
               invoice_id)
    app.extensions["campotech.db"].dispose()
    get_settings.cache_clear()
