"""The home page in a real browser, at phone and desktop width: what needs attention (an open
emergency, a chat waiting for a person, an invoice AFIP rejected) on top with counts in the
menu, the week's charts legible and inside the screen, no Content-Security-Policy complaint;
the inbox's "waiting for a person" filter from the attention strip."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from core import jobs
from core.models import Invoice, InvoiceStatus, JobStatus, Payment, PaymentMethod, PaymentStatus
from tests.backoffice.conftest import PASSWORD, email_of, seed_shop
from tests.browser.conftest import sign_in

BA = ZoneInfo("America/Argentina/Buenos_Aires")
DESKTOP = {"viewport": {"width": 1280, "height": 800}, "locale": "es-AR",
           "timezone_id": "America/Argentina/Buenos_Aires"}


def _seed(db) -> None:
    """The back-office shop (Marta waits for a person, Juan's invoice was rejected), plus an
    emergency nobody has gone to and a week of jobs and payments around today."""
    shop = seed_shop(db)
    today = datetime.now(BA).date()
    monday = today - timedelta(days=today.weekday())
    with db.org_session(shop.org_id) as s:
        jobs.create_job(s, {"customer_id": 2, "service": "gas", "urgency": "emergency",
                            "description": "olor a gas en la cocina"})
        statuses = [JobStatus.PAID, JobStatus.COMPLETED, JobStatus.INVOICED, JobStatus.SCHEDULED,
                    JobStatus.EN_ROUTE, JobStatus.CANCELLED, JobStatus.SCHEDULED]
        for n in range(12):
            day = monday + timedelta(days=n % 6)
            start = datetime(day.year, day.month, day.day, 9 + n % 8, tzinfo=BA)
            job = jobs.create_job(s, {"customer_id": 1 + n % 2, "service": "plumbing", "description": "x"})
            job.scheduled_start, job.status = start, statuses[n % len(statuses)]
        for n, amount in enumerate(("15000", "42500", "8000", "120000")):
            day = monday + timedelta(days=n)
            s.add(Payment(customer_id=1, method=PaymentMethod.TRANSFER, status=PaymentStatus.APPROVED,
                          amount=Decimal(amount), paid_at=datetime(day.year, day.month, day.day, 12, tzinfo=BA)))
        for n, amount in enumerate(("23000", "42500", "96000", "120000")):
            s.add(Invoice(customer_id=1, letter="B", cbte_tipo=6, punto_de_venta=1, status=InvoiceStatus.AUTHORIZED,
                          issue_date=monday + timedelta(days=n), total=Decimal(amount), net=Decimal(amount)))


def _check_home(tab, width: int) -> None:
    # Counts in the menu, and the attention sections before anything else.
    assert tab.locator("header a[href='/app/jobs'] .badge").inner_text() == "1"
    assert tab.locator("header a[href='/app/conversations'] .badge").inner_text() == "1"
    assert tab.locator("header a[href='/app/invoices'] .badge").inner_text() == "1"
    tops = [tab.locator(f"#{name}").bounding_box()["y"] for name in ("urgencias", "esperan", "rechazadas", "semana")]
    assert tops == sorted(tops)
    expect(tab.locator("#urgencias")).to_be_visible()
    expect(tab.locator("#esperan").get_by_text("Marta García")).to_be_visible()
    expect(tab.locator("#rechazadas").get_by_text("el CUIT del receptor no es válido", exact=False)).to_be_visible()
    # The charts fit the screen, and their words are not shrunk past reading.
    assert tab.evaluate("document.documentElement.scrollWidth") <= width
    for chart in ("#chart-jobs svg[role=img]", "#chart-money svg[role=img]"):
        box = tab.locator(chart).bounding_box()
        assert box["width"] >= 250 and box["x"] >= 0 and box["x"] + box["width"] <= width
    smallest = tab.evaluate("""() => Math.min(...[...document.querySelectorAll('#semana svg text')]
        .filter(t => t.textContent.trim()).map(t => t.getBoundingClientRect().height))""")
    assert smallest >= 9.5, smallest
    # The text alternative opens without a script.
    tab.get_by_text("Ver los números en una tabla").click()
    expect(tab.locator("#semana table")).to_be_visible()
    assert tab.evaluate("document.documentElement.scrollWidth") <= width


def test_home_shows_what_needs_attention_and_the_week_on_a_phone_and_a_desktop(live_app, page, browser, shot):
    _seed(live_app.db)
    complaints = []
    page.on("console", lambda message: complaints.append(message.text)
            if "Content Security Policy" in message.text else None)
    sign_in(page, live_app, email_of("owner"), PASSWORD)
    _check_home(page, 390)
    shot(page, "home-attention-phone")

    # From the inbox's attention strip to those waiting for a person, filtered by the server.
    page.goto(live_app.link("/app/conversations"))
    page.locator("#primero").get_by_text("espera a una persona").click()
    page.wait_for_url("**/app/conversations?show=waiting")
    expect(page.locator("li.card")).to_have_count(1)
    expect(page.locator("li.card").get_by_text("Marta García")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "inbox-waiting-phone")

    desktop = browser.new_context(**DESKTOP)
    try:
        tab = desktop.new_page()
        tab.set_default_timeout(10_000)
        tab.on("console", lambda message: complaints.append(message.text)
               if "Content Security Policy" in message.text else None)
        sign_in(tab, live_app, email_of("owner"), PASSWORD)
        _check_home(tab, 1280)
        # Side by side on a wide screen.
        jobs_box = tab.locator("#chart-jobs").bounding_box()
        money_box = tab.locator("#chart-money").bounding_box()
        assert abs(jobs_box["y"] - money_box["y"]) < 2 and money_box["x"] > jobs_box["x"]
        shot(tab, "home-attention-desktop")
    finally:
        desktop.close()
    assert complaints == []
