"""Dates read day first in a real browser, whatever the browser's own language: Chromium's date
input shows mm/dd/yyyy (and its time input "02:00 PM") on an English browser even on a page in
es-AR, so the back-office's date and hour fields are dd/mm/aaaa and hh:mm text the server reads."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from playwright.sync_api import expect
from sqlalchemy import select

from core import customers, jobs
from core.identity.users import create_user
from core.models import Job
from tests.browser.conftest import PHONE, sign_in
from tests.factories import create_org

PASSWORD = "una-clave-bien-larga"
BUENOS_AIRES = ZoneInfo("America/Argentina/Buenos_Aires")


def test_a_visit_is_scheduled_and_shown_day_first_on_an_english_browser(live_app, browser, shot):
    org_id = create_org(live_app.db, "Plomería Rápida", slug="plomeria-rapida")
    with live_app.db.org_session(org_id) as s:
        create_user(s, {"name": "Lucía Fernández", "role": "dispatcher",
                        "email": "lucia@example.com", "password": PASSWORD})
        marta = customers.create_customer(s, {"name": "Marta García", "phone": "+5491155550000"})
        job_id = jobs.create_job(s, {"customer_id": marta.id, "service": "plumbing",
                                     "description": "Pierde el flexible"}, "system").id

    # A phone whose browser speaks American English: the case the native date input gets wrong.
    context = browser.new_context(**{**PHONE, "locale": "en-US"})
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        sign_in(page, live_app, "lucia@example.com", PASSWORD)
        page.goto(live_app.link(f"/app/jobs/{job_id}"))
        day = page.locator("#day")
        assert day.get_attribute("type") == "text" and day.get_attribute("placeholder") == "dd/mm/aaaa"
        day.fill("13/11/2026")
        page.fill("#start", "14:00")
        page.click("button:has-text('Agendar')")
        page.wait_for_url(re.compile(r"done=scheduled"))

        assert page.locator("#day").input_value() == "13/11/2026"  # what the person sees in the box
        assert page.locator("#start").input_value() == "14:00"  # the 24-hour clock, not "02:00 PM"
        assert page.locator("input[type=date], input[type=time]").count() == 0
        expect(page.get_by_text("Agendado para el vie 13/11 14:00 a 16:00")).to_be_visible()
        expect(page.get_by_text("13/11 14:00–16:00").first).to_be_visible()
        shot(page, "backoffice-dates-job")
        with live_app.db.org_session(org_id) as s:
            start = s.scalar(select(Job.scheduled_start).where(Job.id == job_id))
        assert start == datetime(2026, 11, 13, 14, 0, tzinfo=BUENOS_AIRES)

        page.goto(live_app.link("/app/jobs?view=agenda&date=2026-11-13"))
        assert page.locator("#date").input_value() == "13/11/2026"
        expect(page.get_by_role("heading", name="13/11/2026")).to_be_visible()
        expect(page.get_by_text("Marta García").first).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        shot(page, "backoffice-dates-agenda")
    finally:
        context.close()
