"""An owner adds a technician with split shifts and the technician sets a password from the link,
in a real browser at phone width."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from core.models import User
from tests.browser.conftest import PHONE, owner_shop, sign_in

PASSWORD = "una-clave-bien-larga"
TECH_PASSWORD = "flexible-de-cocina-40"


def test_owner_adds_a_technician_who_then_signs_in(live_app, page, browser, shot):
    org_id = owner_shop(live_app, PASSWORD)

    sign_in(page, live_app, "roberto@example.com", PASSWORD)

    page.goto(live_app.link("/app/team"))
    page.click("button:has-text('Agregar persona')")
    page.wait_for_url(re.compile(r"/app/team/new\??$"))
    page.fill("#name", "Carlos Rodríguez")
    page.select_option("#role", "technician")
    page.fill("#phone", "11 15 5555-0101")
    page.fill("#email", "carlos@example.com")
    page.check("input[name=on_call]")
    for day in ("mon", "tue", "wed", "thu", "fri"):
        page.fill(f"input[name=h-{day}-0-start]", "08:00")
        page.fill(f"input[name=h-{day}-0-end]", "12:00")
        page.fill(f"input[name=h-{day}-1-start]", "16:00")
        page.fill(f"input[name=h-{day}-1-end]", "20:00")
    page.click("button:has-text('Agregar al equipo')")
    page.wait_for_load_state()
    expect(page.get_by_text("Listo, Carlos Rodríguez ya es parte del equipo.")).to_be_visible()
    expect(page.get_by_text("Mandáselo por WhatsApp")).to_be_visible()
    link = page.input_value("#link")
    assert link.startswith(live_app.url + "/app/password/")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_app.url)
    page.click("button:has-text('Copiar')")
    page.get_by_text("¡Copiado!").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == link
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "team_member")

    with live_app.db.org_session(org_id) as s:
        carlos = s.query(User).filter_by(email="carlos@example.com").one()
        assert carlos.working_hours["mon"] == [["08:00", "12:00"], ["16:00", "20:00"]]
        assert carlos.working_hours["sat"] == [] and carlos.on_call

    page.goto(live_app.link("/app/team"))
    expect(page.get_by_text("Carlos Rodríguez")).to_be_visible()
    expect(page.get_by_text("sin contraseña todavía")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "team")

    # The technician opens the link on their own phone: no session, no cookies.
    phone = browser.new_context(**PHONE)
    try:
        tab = phone.new_page()
        tab.goto(link)
        expect(tab.get_by_text("¡Hola, Carlos Rodríguez! Elegí tu contraseña")).to_be_visible()
        tab.fill("#password", TECH_PASSWORD)
        tab.fill("#confirm", TECH_PASSWORD)
        tab.click("button:has-text('Guardar contraseña')")
        tab.wait_for_url(re.compile(r"/app/login\?listo=clave$"))
        expect(tab.get_by_text("¡Listo! Ya tenés tu contraseña")).to_be_visible()
        tab.fill("#email", "carlos@example.com")
        tab.fill("#password", TECH_PASSWORD)
        tab.click("button:has-text('Entrar')")
        tab.wait_for_url(re.compile(r"/app/?$"))
        expect(tab.locator("header").get_by_role("link", name="Trabajos", exact=True)).to_be_visible()
        assert tab.get_by_role("link", name="Equipo").count() == 0

        tab.goto(link)  # a second time: already used
        expect(tab.get_by_text("Este enlace ya se usó")).to_be_visible()
    finally:
        phone.close()
