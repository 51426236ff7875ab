"""The whole promise in the sandbox, in a browser, on the seeded demo: a customer books by chat,
the technician closes the job, the customer gets the receipt and a Mercado Pago link, pays on the
local stand-in's checkout page, gets the receipt in the chat, and the back-office shows it paid.

The clock and a worker are turned from the test between steps (as `make run`'s processes would
run them), while Chromium polls the live app like a person watching the simulator."""

from __future__ import annotations

import re
from pathlib import Path

import requests
from sqlalchemy import select

from core.models import Invoice, Job, JobStatus, Organization, User
from core.organizations.demo import DEMO_LOGINS, DEMO_OWNER_PHONE, seed_demo
from tests.background import turn_until
from tests.browser.conftest import sign_in

CUSTOMER = "5491155550000"
VOICE_DONE = Path(__file__).resolve().parent.parent / "data" / "audio" / "terminado.ogg"
OWNER = DEMO_OWNER_PHONE.lstrip("+")


class Loop:
    def __init__(self, live, page, shot):
        self.live, self.page, self.shot = live, page, shot
        self.redis = live.app.extensions["campotech.redis"]
        self.db = live.app.extensions["campotech.db"]

    def texts(self, wa_id: str) -> list[str]:
        answer = requests.get(self.live.link("/sandbox/messages"), params={"wa_id": wa_id}, timeout=5)
        return [m["preview"] for m in answer.json()["messages"]]

    def work_until(self, wa_id: str, words: str, timeout: float = 25.0) -> str:
        """Turn the clock and a worker until the bot has sent `wa_id` a message with `words`."""
        def got() -> str | None:
            found = [t for t in self.texts(wa_id) if words in t]
            return found[-1] if found else None

        try:
            return turn_until(self.live.app, got, timeout, f"{wa_id} to get {words!r}")
        except TimeoutError:
            raise AssertionError(f"{wa_id} never got {words!r}; got {self.texts(wa_id)}") from None

    def be(self, wa_id: str) -> None:
        self.page.select_option("#phone", wa_id)

    def type(self, text: str) -> None:
        self.page.fill("#text", text)
        self.page.click("#send")

    def tap(self, title: str | None = None) -> None:
        """Tap a button of the newest bot message with buttons (the first one without a title)."""
        choices = self.page.locator("#chat .choices").last
        button = choices.locator("button").first if title is None else choices.get_by_role("button", name=title)
        button.click()

    def see(self, words: str) -> None:
        self.page.locator("#chat .msg", has_text=words).last.wait_for()


def test_book_close_invoice_pay_and_see_it_paid(make_live_app, page, shot, tmp_path):
    live = make_live_app(burst_quiet_seconds=0.3, burst_max_seconds=1.5, media_dir=str(tmp_path / "media"))
    seed = seed_demo(live.app.extensions["campotech.db"], live.settings.whatsapp_phone_number_id)
    with live.db.org_session(seed.org_id) as s:
        # Open all day, so the run reads the same at any hour (the demo itself keeps its hours).
        s.get(Organization, seed.org_id).business_hours = {
            d: [["00:00", "23:59"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    loop = Loop(live, page, shot)

    # 1. A customer books by chat.
    page.goto(live.link("/sandbox"))
    loop.be(CUSTOMER)
    page.fill("#name", "Marta García")
    loop.type("se me tapó la pileta de la cocina, estoy en Gorriti 3400, Palermo")
    loop.work_until(CUSTOMER, "¿Qué día te queda bien?")
    loop.see("¿Qué día te queda bien?")
    loop.tap()
    loop.work_until(CUSTOMER, "Gorriti 3400")
    loop.see("Gorriti 3400")
    loop.tap("Confirmar")
    loop.work_until(CUSTOMER, "Quedó agendado el trabajo #")
    loop.see("Quedó agendado")
    shot(page, "sandbox-loop-1-booked")

    # 2. The technician the slot belonged to closes it.
    with live.db.org_session(seed.org_id) as s:
        job = s.scalar(select(Job).order_by(Job.id.desc()))
        tech_wa = s.get(User, job.technician_id).phone.lstrip("+")
    loop.be(tech_wa)
    # by voice note, as technicians do: "Terminé. Destapé la pileta de la cocina. Cobrale quince
    # mil pesos." (espeak-ng; Whisper hears it with slips the extractor tolerates)
    page.set_input_files("#file", str(VOICE_DONE))
    loop.work_until(tech_wa, "$15.000", timeout=60)
    loop.see("$15.000")
    loop.tap("Confirmar")
    loop.work_until(CUSTOMER, "Mercado Pago")
    loop.see("Le mandamos la factura")
    shot(page, "sandbox-loop-2-closed")

    # 3. The customer has the receipt and both ways to pay.
    loop.be(CUSTOMER)
    loop.see("Mercado Pago")
    shot(page, "sandbox-loop-3-invoice")
    pay_text = page.locator("#chat .msg", has_text="Mercado Pago").last.inner_text()
    assert "alias plomeria.demo" in pay_text
    link = re.search(r"https?://\S+/checkout/v1/redirect\?pref_id=\S+", pay_text).group(0)
    assert link.startswith(live.url + "/sandbox/mercadopago/")
    # the link is a link, as on a phone
    anchor = page.locator("#chat .msg", has_text="Mercado Pago").last.locator("a[href*='checkout']")
    assert anchor.get_attribute("href") == link

    # 4. Pays on the stand-in's checkout page.
    page.goto(link)
    page.get_by_text("$15.000").first.wait_for()
    shot(page, "sandbox-loop-4-checkout")
    page.get_by_role("button", name="Pagar").click()
    page.get_by_text("¡Listo! Pagaste $15.000").wait_for()
    assert "entregado (HTTP 200)" in page.locator("#delivery").inner_text()
    shot(page, "sandbox-loop-5-paid")

    # 5. The receipt arrives in the customer's chat; the owner is told.
    loop.work_until(CUSTOMER, "Recibimos tu pago")
    page.goto(live.link("/sandbox"))
    loop.be(CUSTOMER)
    loop.see("Recibimos tu pago")
    shot(page, "sandbox-loop-6-receipt")
    assert any("$15.000" in t for t in loop.texts(OWNER))

    # 6. The back-office shows the invoice paid through Mercado Pago.
    with live.db.org_session(seed.org_id) as s:
        invoice = s.scalar(select(Invoice).order_by(Invoice.id.desc()))
        assert invoice.paid_at is not None
        assert s.get(Job, invoice.job_id).status is JobStatus.PAID
    owner = DEMO_LOGINS[0]
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live, owner.email, owner.password)
    page.goto(live.link(f"/app/invoices/{invoice.id}"))
    payments = page.locator(".card", has_text="Mercado Pago").last
    payments.wait_for()
    assert "$15.000" in payments.inner_text()
    shot(page, "sandbox-loop-7-backoffice")
