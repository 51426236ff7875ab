"""A dispatcher creates a job by hand and assigns it, in a real browser at phone width."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import select

from core import customers
from core.identity.users import create_user
from core.models import Job
from tests.browser.conftest import sign_in
from tests.factories import create_org

PASSWORD = "una-clave-bien-larga"


def test_create_and_assign_a_job(live_app, page, shot):
    org_id = create_org(live_app.db, "Plomería Rápida", slug="plomeria-rapida")
    with live_app.db.org_session(org_id) as s:
        create_user(s, {"name": "Lucía Fernández", "role": "dispatcher",
                        "email": "lucia@example.com", "password": PASSWORD})
        tech = create_user(s, {"name": "Carlos Rodríguez", "role": "technician",
                               "phone": "+5491155550101"})
        tech_id = tech.id
        marta = customers.create_customer(s, {"name": "Marta García", "phone": "+5491155550000"})
        marta_id = marta.id

    sign_in(page, live_app, "lucia@example.com", PASSWORD)

    page.goto(live_app.link("/app/jobs/new"))
    page.select_option("#customer_id", str(marta_id))
    page.select_option("#service", "plumbing")
    page.fill("#description", "Pierde agua el flexible de la cocina")
    page.click("button:has-text('Crear trabajo')")
    page.wait_for_url(re.compile(r"/app/jobs/\d+"))
    page.select_option("form[action$='/assign'] #technician_id", str(tech_id))
    page.click("button:has-text('Asignar')")
    page.wait_for_load_state()
    expect(page.get_by_text("Carlos").first).to_be_visible()
    shot(page, "backoffice-job")
    with live_app.db.org_session(org_id) as s:
        job = s.scalar(select(Job))
        assert (job.customer_id, job.technician_id) == (marta_id, tech_id)
        assert job.description == "Pierde agua el flexible de la cocina"
    page.goto(live_app.link("/app/jobs"))
    expect(page.get_by_text("Marta García").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "backoffice-jobs")
