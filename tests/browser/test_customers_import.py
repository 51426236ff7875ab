"""The customers CSV import in a real browser at phone width: an owner uploads a file with one bad
row and reads, in the report, which row was refused and why."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import select

from core.models import Customer
from tests.browser.conftest import owner_shop, sign_in

PASSWORD = "una-clave-bien-larga"
CSV = ("nombre;teléfono;email;dirección;localidad\n"
       "Lucía Fernández;11 4444-0101;lucia@example.com;Av. Rivadavia 5000, 2° A;Caballito\n"
       "Pedro Gómez;11 4444-0102;pedro-arroba-mail;Calle 7 1234;La Plata\n"
       "Rosa Díaz;11 4444-0103;;;\n")


def test_owner_imports_customers_and_sees_the_bad_row(live_app, page, shot, tmp_path):
    org_id = owner_shop(live_app, PASSWORD)
    upload = tmp_path / "clientes.csv"
    upload.write_text(CSV, encoding="utf-8")

    sign_in(page, live_app, "roberto@example.com", PASSWORD)
    page.click("header a:has-text('Clientes')")
    page.click("a:has-text('Importar desde un CSV')")
    page.set_input_files("#file", str(upload))
    page.click("button:has-text('Importar')")
    page.wait_for_selector("#report-title")

    bad = page.locator("tr.import-error")
    assert bad.count() == 1
    assert bad.locator("td").all_inner_texts() == ["3", "email", "Email inválido: pedro-arroba-mail"]
    expect(page.get_by_text("Algunas filas no se importaron.")).to_be_visible()
    stats = page.locator(".stat").all_inner_texts()
    assert stats == ["2", "1", "1"]  # imported, skipped, errors
    shot(page, "backoffice-customers-import")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    with live_app.db.org_session(org_id) as s:
        names = set(s.scalars(select(Customer.name)))
    assert names == {"Lucía Fernández", "Rosa Díaz"}

    # The new customers are there to find, typo and all.
    page.goto(live_app.link("/app/customers?q=fernandes"))
    expect(page.get_by_text("Lucía Fernández")).to_be_visible()
