"""The audit trail and the queues page in a real browser at phone width: an owner reads the trail
(chain intact), finds one of their failed jobs and puts it back in the queue."""

from __future__ import annotations

from playwright.sync_api import expect
from rq import Queue, SimpleWorker
from rq.registry import FailedJobRegistry

from core import customers
from core.identity.users import create_user
from tests.browser.conftest import sign_in
from tests.factories import create_org

PASSWORD = "una-clave-bien-larga"


def send_reminder(org_id: int, customer_id: int) -> None:
    """Fails the way a send does when Meta is down."""
    raise ConnectionError("Meta no respondió (503)")


def test_owner_reads_the_trail_and_retries_a_failed_job(live_app, page, shot, redisdb):
    org_id = create_org(live_app.db, "Plomería Rápida", slug="plomeria-rapida")
    with live_app.db.org_session(org_id) as s:
        owner = create_user(s, {"name": "Roberto Gómez", "role": "owner", "email": "roberto@example.com",
                                "password": PASSWORD, "phone": "+5491155550100"})
        customer = customers.create_customer(s, {"name": "Lucía Fernández", "phone": "+5491144440101"},
                                             actor=f"user:{owner.id}")
        customer_id = customer.id
    Queue("high", connection=redisdb).enqueue(send_reminder, org_id, customer_id, job_id="reminder-1")
    SimpleWorker([Queue("high", connection=redisdb)], connection=redisdb).work(burst=True)
    assert "reminder-1" in FailedJobRegistry("high", connection=redisdb)

    sign_in(page, live_app, "roberto@example.com", PASSWORD)

    page.click("header summary:has-text('Más')")

    page.click("header a:has-text('Auditoría')")
    expect(page.locator("#chain-status p").first).to_have_text("La cadena está íntegra: 3 registros verificados ✓")
    newest = page.locator(".audit-entry").first
    assert "Alta de cliente" in newest.inner_text() and "Roberto Gómez" in newest.inner_text()
    assert newest.locator("a.entity").get_attribute("href") == f"/app/customers/{customer_id}"
    shot(page, "audit")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.click("header summary:has-text('Más')")

    page.click("header a:has-text('Colas')")
    card = page.locator(".failed-job")
    expect(card).to_have_count(1)
    assert "ConnectionError: Meta no respondió (503)" in card.inner_text()
    shot(page, "queues")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    card.locator("button:has-text('Reintentar')").click()
    page.wait_for_selector("text=Listo: la tarea volvió a la cola.")
    expect(page.locator(".failed-job")).to_have_count(0)
    assert page.locator('td[data-queue="high"][data-count="queued"]').inner_text() == "1"
    assert "reminder-1" in Queue("high", connection=redisdb).job_ids

    page.click("header summary:has-text('Más')")

    page.click("header a:has-text('Auditoría')")
    assert "Reintentó una tarea fallida" in page.locator(".audit-entry").first.inner_text()
    assert page.locator("#chain-status p").first.inner_text() == "La cadena está íntegra: 4 registros verificados ✓"
