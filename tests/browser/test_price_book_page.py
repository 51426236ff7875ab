"""The price book in a real browser at phone width: an owner adds an item by hand, imports a CSV
with one bad row, reads in the report which row was refused and why, and finds the new items."""

from __future__ import annotations

from decimal import Decimal

from playwright.sync_api import expect
from sqlalchemy import select

from core.models import PriceBookItem
from tests.browser.conftest import owner_shop, sign_in

PASSWORD = "una-clave-bien-larga"
CSV = ("código;nombre;rubro;unidad;precio;IVA\n"
       "EL-TOMA;Colocación de tomacorriente;electricidad;boca;8.500,50;21\n"
       "GS-VIS;Visita de gasista;gas;visita;quince lucas;10,5\n"
       "PL-DESTAPE;Destapación de cañería;plomería;unidad;25.000;\n")


def test_owner_creates_an_item_and_imports_a_csv_with_a_bad_row(live_app, page, shot, tmp_path):
    org_id = owner_shop(live_app, PASSWORD)
    upload = tmp_path / "precios.csv"
    upload.write_text(CSV, encoding="utf-8")

    sign_in(page, live_app, "roberto@example.com", PASSWORD)
    page.click("header summary:has-text('Más')")
    page.click("header a:has-text('Precios')")
    expect(page.get_by_text("Todavía no hay ítems cargados.")).to_be_visible()

    # By hand: first a price the form refuses, then the right one; what was typed stays.
    page.click("a:has-text('Nuevo ítem')")
    page.fill("#name", "Flexible mallado 40 cm")
    page.fill("#code", "PL-FLEX40")
    page.select_option("#service", "plumbing")
    page.fill("#price", "quince lucas")
    page.click("button:has-text('Agregar a la lista')")
    assert page.locator("#price-error").inner_text() == (
        "Precio inválido: 'quince lucas'. Escribilo como 15000, 15.000 o 15.000,50.")
    assert page.input_value("#name") == "Flexible mallado 40 cm"
    page.fill("#price", "9.500")
    page.click("button:has-text('Agregar a la lista')")
    page.wait_for_selector("text=Listo, el ítem quedó en la lista de precios.")
    assert page.locator(".item-name").all_inner_texts() == ["Flexible mallado 40 cm"]
    assert page.locator(".item-price").all_inner_texts() == ["$9.500"]

    page.goto(live_app.link("/app/price-book"))
    page.click("a:has-text('Importar desde un CSV')")
    page.set_input_files("#file", str(upload))
    page.click("button:has-text('Importar')")
    page.wait_for_selector("#report-title")

    bad = page.locator("tr.import-error")
    assert bad.count() == 1
    assert bad.locator("td").all_inner_texts() == [
        "3", "precio", "Precio inválido: 'quince lucas'. Escribilo como 15000, 15.000 o 15.000,50."]
    expect(page.get_by_text("Algunas filas no se importaron.")).to_be_visible()
    assert page.locator(".stat").all_inner_texts() == ["2", "1", "1"]  # imported, skipped, errors
    shot(page, "price_book")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    with live_app.db.org_session(org_id) as s:
        prices = dict(s.execute(select(PriceBookItem.code, PriceBookItem.price)).all())
    assert prices == {"PL-FLEX40": Decimal("9500.00"), "EL-TOMA": Decimal("8500.50"),
                      "PL-DESTAPE": Decimal("25000.00")}

    # The list, searched without the accent, as a dispatcher would while quoting on the phone.
    page.click("a:has-text('Ver la lista de precios')")
    page.fill("#q", "destapacion")
    page.click("button:has-text('Buscar')")
    expect(page.locator(".item-name")).to_have_text(["Destapación de cañería"])
    expect(page.get_by_text("por unidad · IVA 21 % incluido")).to_be_visible()
    page.goto(live_app.link("/app/price-book"))
    shot(page, "price_book_list")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
