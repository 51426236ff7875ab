"""The public tracking page as a customer's phone shows it: status, technician, ETA, nothing private."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from core import customers, jobs
from core.jobs import tracking
from core.models import JobStatus
from tests.factories import add_technician, create_org

MARTA = {
    "name": "Marta García",
    "phone": "+54 9 11 6666-0001",
    "addresses": [{"street": "Av. Avellaneda", "number": "2150", "unit": "3° B",
                   "locality": "Flores", "province": "CABA"}],
}
PRIVATE = ("Marta", "García", "Avellaneda", "2150", "Flores", "6666", "Rodríguez", "5555",
           "pierde el flexible")


def _job_en_route(db, org_id: int, start: datetime) -> int:
    tech_id = add_technician(db, org_id, name="Carlos Rodríguez", phone="+5491155550101")
    with db.org_session(org_id) as s:
        customer = customers.create_customer(s, MARTA)
        job = jobs.create_job(s, {"customer_id": customer.id, "address_id": customer.addresses[0].id,
                                  "service": "plumbing", "description": "pierde el flexible",
                                  "technician_id": tech_id})
        jobs.schedule(s, job.id, start, None, "user:1")
        jobs.transition(s, job.id, JobStatus.EN_ROUTE, "user:1", eta_minutes=25)
        return job.id


def test_customer_follows_a_job_en_route_and_a_tampered_link_is_a_friendly_404(
        live_app, page, shot):
    org = create_org(live_app.db, "Plomería Ramos", "plomeria-ramos")
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    job_id = _job_en_route(live_app.db, org, start)
    token = tracking.tracking_token(live_app.settings, org, job_id)
    url = tracking.tracking_url(live_app.settings, token)
    assert url.startswith(live_app.url + "/t/")  # the link a customer gets opens this server

    response = page.goto(url)
    assert response.status == 200
    expect(page).to_have_title(re.compile(r"^Trabajo #\d+$"))
    expect(page.locator(".status")).to_have_text("En camino")
    expect(page.locator(".eta")).to_have_text(re.compile(r"^Llega en 2[45] minutos$"))
    expect(page.get_by_text("Te visita Carlos")).to_be_visible()
    window = tracking.format_window(start, start + timedelta(hours=2),
                                    ZoneInfo("America/Argentina/Buenos_Aires"))
    expect(page.get_by_text(window)).to_be_visible()
    expect(page.locator(".bar li.now")).to_have_text("En camino")
    expect(page.locator(".bar li.done")).to_have_count(3)
    shown = page.locator("body").inner_text()
    for private in PRIVATE:
        assert private not in shown, private
    # Readable on a phone: nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "tracking-en-camino")

    i = 8
    tampered = token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1:]
    response = page.goto(tracking.tracking_url(live_app.settings, tampered))
    assert response.status == 404
    expect(page.locator(".status")).to_have_text("No encontramos este trabajo")
    expect(page.get_by_text("escribinos por WhatsApp")).to_be_visible()
    assert "En camino" not in page.locator("body").inner_text()
    shot(page, "tracking-not-found")
