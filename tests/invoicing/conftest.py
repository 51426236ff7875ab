"""An organization ready to invoice: AFIP credentials in its vault, a customer, a done job."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from core import customers, jobs
from core.db import Database
from core.models import Invoice, IvaCondition, JobStatus
from core.settings import Settings, get_settings
from core.vault import Vault
from tests.bot.conftest import PHONE_NUMBER_ID, Harness, export_env, transport_settings
from tests.factories import add_technician, create_org

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


def store_afip_credentials(db: Database, settings: Settings, org_id: int, creds) -> None:
    cert_pem, key_pem = creds
    vault = Vault(settings.encryption_keys)
    with db.org_session(org_id) as s:
        vault.store(s, "afip_certificate", cert_pem.decode())
        vault.store(s, "afip_key", key_pem.decode())


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
    org_id = create_org(pg_db, "Plomería Rápida", slug="plomeria-rapida",
                        wa_phone_number_id=PHONE_NUMBER_ID, cuit="20111111112",
                        iva_condition="responsable_inscripto", punto_de_venta=3)
    store_afip_credentials(pg_db, settings, org_id, afip_credentials)
    technician_id = add_technician(pg_db, org_id, phone=TECH_PHONE)
    billing = Billing(pg_db, settings, redisdb, org_id, 0, technician_id)
    billing.customer_id = billing.customer("Marta García", iva=IvaCondition.CONSUMIDOR_FINAL,
                                           doc_type="dni", doc_number="28123456",
                                           phone=CUSTOMER_PHONE)
    yield billing
    get_settings.cache_clear()


__all__ = ["Billing", "Decimal", "Harness", "billing_settings", "store_afip_credentials"]
