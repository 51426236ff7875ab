"""The Mercado Pago stand-in over real HTTP: the demo's sandbox token sends the SDK's calls to it,
its checkout page pays, and its signed webhook goes through /webhooks/mercadopago, the worker's
re-fetch and the chat, as with Mercado Pago itself. Never served in production."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import requests
from sqlalchemy import select
from werkzeug.serving import make_server

from core import customers, jobs
from core.models import Invoice, Job, JobStatus, Organization
from core.organizations.demo import DEMO_TECHNICIANS, DEMO_TRANSFER, seed_demo
from core.settings import get_settings, load_settings
from core.vault import Vault
from integrations.mercadopago import MercadoPago
from tests.background import turn_until
from tests.bot.conftest import export_env
from tests.factories import newest
from web import create_app

PHONE_NUMBER_ID = "100000000000001"
CUSTOMER, OWNER = "5491155550000", "5491155550100"
TECH = DEMO_TECHNICIANS[0][1].lstrip("+")
PRODUCTION = {"env": "production", "secret_key": "s" * 40, "whatsapp_app_secret": "app-secret",
              "whatsapp_verify_token": "verify-token-xyz", "encryption_key": "k1:" + "A" * 43 + "="}


class Demo:
    def __init__(self, app, url: str, org_id: int):
        self.app, self.url, self.org_id = app, url, org_id
        self.db = app.extensions["campotech.db"]
        self.settings = app.extensions["campotech.settings"]
        self.redis = app.extensions["campotech.redis"]

    def work(self, until, timeout: float = 20.0) -> None:
        """The clock and a worker, turned until `until()` is true."""
        turn_until(self.app, until, timeout, "the sandbox to get there")

    def say(self, wa_id: str, **form) -> None:
        form.setdefault("kind", "text")
        answer = requests.post(f"{self.url}/sandbox/send", data={"wa_id": wa_id, **form}, timeout=5)
        assert answer.status_code == 200, answer.text

    def sent(self, wa_id: str) -> list[dict]:
        return requests.get(f"{self.url}/sandbox/messages", params={"wa_id": wa_id},
                            timeout=5).json()["messages"]

    def texts(self, wa_id: str) -> list[str]:
        return [m["preview"] for m in self.sent(wa_id)]

    def invoice(self) -> Invoice:
        return newest(self.db, self.org_id, Invoice)

    def job(self) -> Job:
        return newest(self.db, self.org_id, Job)


@pytest.fixture
def demo(pg_db, redisdb, tmp_path, monkeypatch) -> Iterator[Demo]:
    """The seeded demo organization served on 127.0.0.1, as `make run` serves it."""
    holder = {}
    server = make_server("127.0.0.1", 0, lambda env, start: holder["app"](env, start), threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    settings = load_settings(
        env="test", database_url=pg_db.settings.database_url, redis_url=pg_db.settings.redis_url,
        system_database_url=pg_db.settings.system_database_url, log_json=False,
        public_base_url=url, whatsapp_phone_number_id=PHONE_NUMBER_ID,
        burst_quiet_seconds=0.2, burst_max_seconds=1.0, media_dir=str(tmp_path / "media"),
    )
    export_env(monkeypatch, settings)
    holder["app"] = app = create_app(settings)
    seed = seed_demo(app.extensions["campotech.db"], PHONE_NUMBER_ID)
    with app.extensions["campotech.db"].org_session(seed.org_id) as s:
        # The demo opens at 08:00: keep the bot's "fuera de horario" out of the texts checked.
        s.get(Organization, seed.org_id).business_hours = {d: [["00:00", "23:59"]] for d in (
            "mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Demo(app, url, seed.org_id)
    finally:
        server.shutdown()
        thread.join(5)
        app.extensions["campotech.db"].dispose()
        get_settings.cache_clear()


def _job_on_site(demo: Demo) -> int:
    from core.models import Role, User

    with demo.db.org_session(demo.org_id) as s:
        customer = customers.create_customer(s, {"name": "Marta García", "phone": "+" + CUSTOMER})
        tech = s.scalar(select(User).where(User.role == Role.TECHNICIAN, User.phone == "+" + TECH))
        start = datetime.now(UTC) - timedelta(hours=1)
        job = jobs.create_job(s, {"customer_id": customer.id, "service": "plumbing",
                                  "description": "pierde el flexible de la cocina",
                                  "technician_id": tech.id, "scheduled_start": start,
                                  "scheduled_end": start + timedelta(hours=2)})
        jobs.transition(s, job.id, JobStatus.ON_SITE, "test")
        return job.id


def _button_id(message: dict, title: str) -> str:
    for button in message["payload"]["interactive"]["action"]["buttons"]:
        if button["reply"]["title"] == title:
            return button["reply"]["id"]
    raise AssertionError(f"no {title!r} button in {message['payload']}")


def test_the_demo_is_paid_on_the_stand_in_and_the_receipt_reaches_the_chat(demo):
    _job_on_site(demo)
    demo.say(CUSTOMER, text="hola, ¿a qué hora terminan?")  # the customer's 24-hour window opens
    demo.work(lambda: len(demo.sent(CUSTOMER)) >= 1)
    demo.say(TECH, text="terminé, cambié el flexible, cobrale 15 lucas")
    demo.work(lambda: any(m["payload"]["type"] == "interactive" for m in demo.sent(TECH)))
    confirm = _button_id(demo.sent(TECH)[-1], "Confirmar")
    demo.say(TECH, kind="button", id=confirm, title="Confirmar")
    demo.work(lambda: any("Mercado Pago" in t for t in demo.texts(CUSTOMER)))

    # The invoice went out with both ways to pay: the stand-in's link and the transfer details.
    pay_text = next(t for t in demo.texts(CUSTOMER) if "Mercado Pago" in t)
    link = re.search(r"https?://\S+", pay_text).group(0)
    assert link.startswith(f"{demo.url}/sandbox/mercadopago/checkout/v1/redirect?pref_id=")
    assert link == demo.invoice().payment_link
    assert f"alias {DEMO_TRANSFER['transfer_alias']}" in pay_text and DEMO_TRANSFER["transfer_cbu"] in pay_text

    page = requests.get(link, timeout=5)
    assert page.status_code == 200 and "$15.000" in page.text
    assert 'value="approved">Pagar</button>' in page.text and 'value="rejected">Rechazar' in page.text
    pref_id = link.split("pref_id=")[1]

    # A refused card: Mercado Pago notifies it too, and nothing is paid.
    refused = requests.post(f"{demo.url}/sandbox/mercadopago/checkout/v1/pay",
                            data={"pref_id": pref_id, "outcome": "rejected"}, timeout=10)
    assert "El pago fue rechazado" in refused.text and "entregado (HTTP 200)" in refused.text
    demo.work(lambda: not demo.redis.llen("rq:queue:default"), timeout=5)
    assert demo.invoice().paid_at is None

    paid = requests.post(f"{demo.url}/sandbox/mercadopago/checkout/v1/pay",
                         data={"pref_id": pref_id, "outcome": "approved"}, timeout=10)
    assert paid.status_code == 200 and "¡Listo! Pagaste $15.000" in paid.text
    # The signed webhook was accepted by the real route (a bad signature would be a 401).
    assert "entregado (HTTP 200)" in paid.text
    demo.work(lambda: any("Recibimos tu pago" in t for t in demo.texts(CUSTOMER)))
    assert any("$15.000" in t for t in demo.texts(OWNER))
    assert demo.invoice().paid_at is not None and demo.job().status is JobStatus.PAID
    # The link now says so instead of charging twice.
    assert "Este pago ya está hecho" in requests.get(link, timeout=5).text


def test_the_stand_in_answers_the_sdk_in_mercado_pagos_shapes(demo):
    with demo.db.org_session(demo.org_id) as s:
        token = Vault(demo.settings.encryption_keys).load(s, "mercadopago_token")
    base = demo.settings.mercadopago_url_for(token)
    assert base == f"{demo.url}/sandbox/mercadopago"
    mp = MercadoPago(token, base_url=base, timeout=5)
    expires = datetime.now(UTC) + timedelta(days=7)
    made = [mp.create_preference(external_reference="inv:1:9", title="Plomería: recibo #9",
                                 amount=Decimal(15000), notification_url=f"{demo.url}/webhooks/mercadopago?org=1",
                                 expires_at=expires, back_urls={"success": f"{demo.url}/"},
                                 idempotency_key="inv-1-9-abc") for _ in range(2)]
    assert made[0] == made[1]  # the same idempotency key, the same preference
    assert mp.check_connection() == "SANDBOX_CAMPOTECH"
    assert mp.get_payment("1234") is None

    auth = {"Authorization": f"Bearer {token}"}
    preference = requests.get(f"{base}/checkout/preferences/{made[0].id}", headers=auth, timeout=5).json()
    assert preference["init_point"] == preference["sandbox_init_point"] == made[0].init_point
    assert preference["items"][0]["unit_price"] == 15000.0 and preference["external_reference"] == "inv:1:9"
    unauthorized = requests.post(f"{base}/checkout/preferences", json={"items": []}, timeout=5)
    assert unauthorized.status_code == 401 and unauthorized.json()["error"] == "unauthorized"
    bad = requests.post(f"{base}/checkout/preferences", json={"items": []}, headers=auth, timeout=5)
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_items"
    assert set(bad.json()) == {"message", "error", "status", "cause"}

    # Paying fills in the payment resource as Mercado Pago documents it.
    requests.post(f"{demo.url}/sandbox/mercadopago/checkout/v1/pay",
                  data={"pref_id": made[0].id, "outcome": "approved"}, timeout=10)
    payment_id = demo.redis.get("campotech:sandbox:mp:approved:" + made[0].id).decode()
    payment = requests.get(f"{base}/v1/payments/{payment_id}", headers=auth, timeout=5).json()
    assert (payment["id"], payment["status"], payment["status_detail"]) == (int(payment_id), "approved", "accredited")
    assert payment["transaction_amount"] == 15000.0 and payment["external_reference"] == "inv:1:9"
    assert payment["date_approved"].endswith("-03:00") and payment["currency_id"] == "ARS"
    assert mp.get_payment(payment_id).status == "approved"


def test_the_demo_is_seeded_with_transfer_details_and_a_sandbox_account(demo):
    with demo.db.org_session(demo.org_id) as s:
        org = s.get(Organization, demo.org_id)
        assert (org.transfer_alias, org.transfer_cbu, org.transfer_holder) == tuple(DEMO_TRANSFER.values())
        vault = Vault(demo.settings.encryption_keys)
        assert vault.load(s, "mercadopago_token").startswith("SANDBOX-")
        assert len(vault.load(s, "mercadopago_webhook_secret")) == 64
    # An expired or unknown link says so, in Spanish.
    missing = requests.get(f"{demo.url}/sandbox/mercadopago/checkout/v1/redirect?pref_id=nope", timeout=5)
    assert missing.status_code == 404 and "No encontramos este pago" in missing.text


def test_never_served_in_production(pg_settings, pg_db, redisdb):
    settings = load_settings(database_url=pg_settings.database_url, redis_url=pg_settings.redis_url,
                             system_database_url=pg_settings.system_database_url, log_json=False,
                             **PRODUCTION)
    assert not settings.mercadopago_sandbox
    # A sandbox token in production goes to Mercado Pago itself, which refuses it.
    assert settings.mercadopago_url_for("SANDBOX-abc") == "https://api.mercadopago.com"
    client = create_app(settings).test_client()
    for path in ("/sandbox/mercadopago/users/me", "/sandbox/mercadopago/checkout/v1/redirect?pref_id=x"):
        assert client.get(path, headers={"Authorization": "Bearer SANDBOX-abc"}).status_code == 404
    assert client.post("/sandbox/mercadopago/checkout/preferences", json={},
                       headers={"Authorization": "Bearer SANDBOX-abc"}).status_code == 404
    get_settings.cache_clear()
