"""Sign-up in a real browser at phone width: the form, the WhatsApp code (read back from the
fake Graph API), and the home page with the "Primeros pasos" checklist."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from rq import Queue, SimpleWorker


def _work(redis) -> None:
    SimpleWorker([Queue("high", connection=redis)], connection=redis).work(burst=True)


def test_a_new_business_signs_up_and_meets_its_checklist(make_live_app, page, shot, fake_graph, redisdb):
    live = make_live_app(whatsapp_access_token="platform-token", whatsapp_graph_url=fake_graph.url)
    page.goto(live.link("/app/login"))
    page.click("text=Creá tu cuenta")
    page.wait_for_url(re.compile(r"/app/signup$"))
    page.fill("#business_name", "Electricidad Gómez")
    page.select_option("#trade", "electrical")
    page.fill("#owner_name", "Martín Gómez")
    page.fill("#email", "martin@electricidadgomez.com.ar")
    page.fill("#password", "corta")
    page.fill("#phone", "11 5555-0188")
    page.click("button:has-text('Crear mi cuenta')")
    expect(page.get_by_text("La contraseña tiene que tener al menos 10 caracteres.")).to_be_visible()
    shot(page, "signup")
    page.fill("#password", "una-clave-bien-larga")
    page.click("button:has-text('Crear mi cuenta')")
    page.wait_for_url(re.compile(r"/app/signup/verify$"))
    expect(page.get_by_text("+54 9 11 ••••-0188")).to_be_visible()

    _work(redisdb)
    [code] = fake_graph.codes(to="5491155550188")
    page.fill("#code", code)
    page.click("button:has-text('Confirmar')")
    page.wait_for_url(re.compile(r"/app/?$"))
    expect(page.get_by_text("¡Hola, Martín!")).to_be_visible()
    expect(page.get_by_text("Primeros pasos")).to_be_visible()
    expect(page.get_by_text("0 de 6 listos")).to_be_visible()
    page.click("button:has-text('Está bien así')")
    page.wait_for_url(re.compile(r"/app/?$"))
    expect(page.get_by_text("1 de 6 listos")).to_be_visible()
    assert page.locator("[data-step='hours'][data-done='yes']").count() == 1
    shot(page, "onboarding")
