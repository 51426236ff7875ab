"""The price book pages: search to quote, create and edit items, archive, CSV import and export."""

from __future__ import annotations

import csv
import html as htmllib
import io
import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.billing import price_book
from core.models import AuditEntry, PriceBookItem, Role, Service
from tests.backoffice.conftest import add_staff, login, post
from tests.backoffice.uploads import assert_refused, upload
from tests.factories import create_org

FLEX = "Flexible mallado 40 cm"  # seed_shop's item 1, PL-FLEX40, $9.500, plumbing
BAD_ROW_CSV = ("código;nombre;precio;rubro;IVA\n"
               "EL-TOMA;Colocación de tomacorriente;8.500,50;electricidad;21\n"
               "GS-VIS;Visita de gasista;quince lucas;gas;10,5\n"
               "PL-DESTAPE;Destapación de cañería;25.000;plomería;\n")


def _names(html: str) -> list[str]:
    found = re.findall(r'<strong class="wrap item-name">(.*?)</strong>', html)
    return [htmllib.unescape(n) for n in found]


def _add(shop, **fields) -> int:
    with shop.db.org_session(shop.org_id) as s:
        return price_book.create_item(s, {"price": "1000", **fields}).id


def _item(shop, **where) -> PriceBookItem | None:
    with shop.db.org_session(shop.org_id) as s:
        stmt = select(PriceBookItem)
        for name, value in where.items():
            stmt = stmt.where(getattr(PriceBookItem, name) == value)
        return s.scalar(stmt)


def _count(shop) -> int:
    with shop.db.org_session(shop.org_id) as s:
        return s.scalar(select(func.count(PriceBookItem.id)))


def _actions(shop) -> list[tuple[str, str]]:
    with shop.db.org_session(shop.org_id) as s:
        return [tuple(r) for r in s.execute(
            select(AuditEntry.action, AuditEntry.actor)
            .where(AuditEntry.action.like("price_book%")).order_by(AuditEntry.seq))]


def _upload(client, data: bytes, filename: str = "precios.csv", mimetype: str = "text/csv"):
    return upload(client, "/app/price-book/import", data, filename, mimetype)


def _form(**fields) -> dict:
    return {"code": "", "name": "", "description": "", "service": "", "unit": "unidad",
            "price": "", "iva_rate": "21", **fields}


def _field_error(html: str, field: str) -> str | None:
    found = re.search(rf'<p class="error" role="alert" id="{field}-error">(.*?)</p>', html)
    return htmllib.unescape(found.group(1)) if found else None


# ---- the list ------------------------------------------------------------------------------

def test_the_list_shows_price_iva_unit_code_and_trade(signed_in, shop):
    _add(shop, name="Visita de gasista", price="20.000,50", iva_rate="10,5", unit="visita",
         service="gas")
    html = signed_in(Role.DISPATCHER).get("/app/price-book").get_data(as_text=True)
    assert _names(html) == [FLEX, "Visita de gasista"]
    assert '<strong class="num item-price">$9.500</strong>' in html
    assert '<span class="tag item-code">PL-FLEX40</span>' in html
    assert "Plomería" in html and "por unidad · IVA 21 % incluido" in html
    assert "$20.000,50" in html and "por visita · IVA 10,5 % incluido" in html
    # A dispatcher quotes from the list but does not change it.
    assert "Nuevo ítem" not in html and "/edit" not in html and "/archive" not in html
    assert 'href="/app/price-book/export.csv"' in html


@pytest.mark.parametrize(("query", "expected"), [
    ("CANERIA", ["Destapación de cañería"]),  # no accent, no ñ, upper case
    ("destapacion caneria", ["Destapación de cañería"]),
    ("pl-flex", [FLEX]),  # the code, part of it
    ("flex 40", [FLEX]),
    ("tomacorriente", []),
])
def test_search_by_name_or_code_ignores_accents_and_case(signed_in, shop, query, expected):
    _add(shop, name="Destapación de cañería", code="PL-DEST")
    html = signed_in(Role.VIEWER).get("/app/price-book", query_string={"q": query}).get_data(
        as_text=True)
    assert _names(html) == expected
    if not expected:
        assert f"No encontramos ítems para «{query}»" in html


def test_a_typo_finds_the_closest_items_and_says_so(signed_in, shop):
    html = signed_in(Role.OWNER).get("/app/price-book?q=flexibel").get_data(as_text=True)
    assert _names(html) == [FLEX]
    assert "No encontramos «flexibel» tal cual; estos ítems se parecen." in html


def test_filter_by_trade(signed_in, shop):
    _add(shop, name="Colocación de tomacorriente", service="electricidad")
    _add(shop, name="Mano de obra por hora")
    client = signed_in(Role.ADMIN)
    html = client.get("/app/price-book?service=electrical").get_data(as_text=True)
    assert _names(html) == ["Colocación de tomacorriente"]
    assert '<option value="electrical" selected>' in html
    html = client.get("/app/price-book?service=plumbing&q=tomacorriente").get_data(as_text=True)
    assert _names(html) == []
    assert "No encontramos ítems para «tomacorriente» en ese rubro." in html
    # A trade that does not exist shows every item rather than an error.
    assert len(_names(client.get("/app/price-book?service=nope").get_data(as_text=True))) == 3


def test_archived_items_are_hidden_until_asked_for(signed_in, shop):
    old = _add(shop, name="Cuerito de canilla")
    with shop.db.org_session(shop.org_id) as s:
        price_book.archive_item(s, old)
    client = signed_in(Role.OWNER)
    assert _names(client.get("/app/price-book").get_data(as_text=True)) == [FLEX]
    html = client.get("/app/price-book?archived=1").get_data(as_text=True)
    assert _names(html) == ["Cuerito de canilla", FLEX]
    assert '<span class="tag alert">archivado</span>' in html
    assert f'action="/app/price-book/{old}/restore"' in html
    assert 'name="archived" value="1"' in html and " checked>" in html


def test_long_lists_are_paged_keeping_the_filters(signed_in, shop):
    with shop.db.org_session(shop.org_id) as s:
        for n in range(55):
            price_book.create_item(s, {"name": f"Repuesto {n:02d}", "price": "100",
                                       "service": "plumbing"})
    client = signed_in(Role.DISPATCHER)
    first = client.get("/app/price-book?service=plumbing").get_data(as_text=True)
    assert len(_names(first)) == 50
    assert 'href="/app/price-book?service=plumbing&amp;page=2" rel="next"' in first
    second = client.get("/app/price-book?service=plumbing&page=2").get_data(as_text=True)
    assert _names(second) == [f"Repuesto {n}" for n in range(49, 55)]
    assert "Página 2" in second and 'rel="prev"' in second and 'rel="next"' not in second


# ---- create and edit -----------------------------------------------------------------------

def test_create_an_item_with_an_argentine_price(signed_in, shop):
    client = signed_in(Role.ADMIN)
    response = post(client, "/app/price-book/new", **_form(
        code="EL-TOMA", name="Colocación de tomacorriente", price="$ 15.000,50",
        iva_rate="10,5", service="electrical", unit="boca", description="Con tapa"))
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/app/price-book?q=Colocaci")
    item = _item(shop, code="EL-TOMA")
    assert (item.name, item.price, item.iva_rate, item.service, item.unit, item.description) == (
        "Colocación de tomacorriente", Decimal("15000.50"), Decimal("10.50"), Service.ELECTRICAL,
        "boca", "Con tapa")
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Listo, el ítem quedó en la lista de precios." in html
    assert _names(html) == ["Colocación de tomacorriente"]
    assert ("price_book_item.create", f"user:{shop.users[Role.ADMIN]}") in _actions(shop)


def test_the_new_item_form(signed_in, shop):
    html = signed_in(Role.OWNER).get("/app/price-book/new").get_data(as_text=True)
    assert 'action="/app/price-book/new"' in html
    assert '<option value="21" selected>21 %</option>' in html
    assert 'id="unit" name="unit" maxlength="20" value="unidad"' in html
    assert "Agregar a la lista" in html


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"name": "Cambio de cuerito", "price": "quince lucas"}, "price",
     "Precio inválido: 'quince lucas'. Escribilo como 15000, 15.000 o 15.000,50."),
    ({"name": "Cambio de cuerito", "price": "15,000"}, "price",
     "Precio ambiguo: '15,000'. Escribí 15000 o 15,00."),
    ({"name": "Cambio de cuerito", "price": "0"}, "price",
     "El precio tiene que ser mayor que cero."),
    ({"name": "", "price": "15.000"}, "name", "Falta el nombre del ítem."),
    ({"name": "Cambio de cuerito", "price": "100", "iva_rate": "19"}, "iva_rate",
     "Alícuota de IVA inválida: 19. Usá 0, 10,5, 21 o 27."),
    ({"name": "Cambio de cuerito", "price": "100", "code": "pl-flex40"}, "code",
     "Ya existe un ítem con el código pl-flex40: Flexible mallado 40 cm."),
])
def test_a_refused_item_is_shown_again_with_the_reason_in_spanish(signed_in, shop, fields, field,
                                                                   message):
    response = post(signed_in(Role.OWNER), "/app/price-book/new",
                    **_form(description="Con <b>cuerito</b> nuevo", **fields))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert _field_error(html, field) == message
    assert "Revisá los campos marcados." in html
    # What the person typed is still there, as text.
    assert "Con &lt;b&gt;cuerito&lt;/b&gt; nuevo</textarea>" in html
    if fields["name"]:
        assert f'value="{fields["name"]}"' in html
    assert _count(shop) == 1


def test_an_empty_form_lists_every_missing_field(signed_in, shop):
    html = post(signed_in(Role.ADMIN), "/app/price-book/new").get_data(as_text=True)
    assert _field_error(html, "name") == "Falta el nombre del ítem."
    assert _field_error(html, "price") == "Falta el precio."
    assert _count(shop) == 1


def test_a_code_of_an_archived_item_says_how_to_get_it_back(signed_in, shop):
    with shop.db.org_session(shop.org_id) as s:
        price_book.archive_item(s, 1)
    html = post(signed_in(Role.OWNER), "/app/price-book/new",
                **_form(name="Otro flexible", price="100", code="PL-FLEX40")).get_data(as_text=True)
    assert _field_error(html, "code") == ("El código PL-FLEX40 ya es de un ítem archivado "
                                          "(Flexible mallado 40 cm); reactivalo o usá otro código.")


def test_edit_shows_the_item_and_saves_the_changes(signed_in, shop):
    client = signed_in(Role.OWNER)
    html = client.get("/app/price-book/1/edit").get_data(as_text=True)
    assert 'action="/app/price-book/1/edit"' in html
    assert 'value="PL-FLEX40"' in html and f'value="{FLEX}"' in html
    assert 'id="price" name="price" inputmode="decimal" required value="9.500"' in html
    assert '<option value="plumbing" selected>' in html
    response = post(client, "/app/price-book/1/edit", **_form(
        code="PL-FLEX50", name="Flexible mallado 50 cm", price="10.250,75", service="plumbing",
        unit="unidad", iva_rate="21"))
    assert response.status_code == 302
    item = _item(shop, id=1)
    assert (item.code, item.name, item.price) == ("PL-FLEX50", "Flexible mallado 50 cm",
                                                  Decimal("10250.75"))
    assert "Listo, guardamos los cambios." in client.get(response.headers["Location"]).get_data(
        as_text=True)
    assert ("price_book_item.update", f"user:{shop.users[Role.OWNER]}") in _actions(shop)


def test_edit_refuses_a_taken_code_and_changes_nothing(signed_in, shop):
    other = _add(shop, name="Cuerito", code="PL-CUER")
    response = post(signed_in(Role.ADMIN), f"/app/price-book/{other}/edit",
                    **_form(code="PL-FLEX40", name="Cuerito de 1/2", price="1000"))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert _field_error(html, "code") == ("Ya existe un ítem con el código PL-FLEX40: "
                                          "Flexible mallado 40 cm.")
    assert 'value="Cuerito de 1/2"' in html  # kept as typed
    item = _item(shop, id=other)
    assert (item.code, item.name) == ("PL-CUER", "Cuerito")


def test_an_unknown_item_is_a_spanish_404(signed_in, shop):
    client = signed_in(Role.OWNER)
    for response in (client.get("/app/price-book/999/edit"),
                     post(client, "/app/price-book/999/edit", **_form(name="X y Z", price="1")),
                     post(client, "/app/price-book/999/archive")):
        assert response.status_code == 404
        assert "No encontramos esa página" in response.get_data(as_text=True)


# ---- archive and restore -------------------------------------------------------------------

def test_archive_and_restore_are_audited(signed_in, shop):
    client = signed_in(Role.ADMIN)
    response = post(client, "/app/price-book/1/archive")
    assert response.status_code == 302
    assert _item(shop, id=1).archived is True
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Listo, archivamos el ítem" in html and _names(html) == []
    response = post(client, "/app/price-book/1/restore")
    assert _item(shop, id=1).archived is False
    assert "Listo, el ítem volvió a la lista de precios." in client.get(
        response.headers["Location"]).get_data(as_text=True)
    admin = f"user:{shop.users[Role.ADMIN]}"
    assert _actions(shop)[-2:] == [("price_book_item.archive", admin),
                                   ("price_book_item.restore", admin)]


def test_archive_needs_the_forms_csrf_token(signed_in, shop):
    response = signed_in(Role.OWNER).post("/app/price-book/1/archive", data={})
    assert response.status_code == 400
    assert _item(shop, id=1).archived is False


@pytest.mark.parametrize("role", [Role.VIEWER, Role.DISPATCHER])
def test_readers_cannot_change_the_price_book(signed_in, shop, role):
    client = signed_in(role)
    html = client.get("/app/price-book").get_data(as_text=True)
    assert _names(html) == [FLEX]
    assert "Editar" not in html and "Archivar" not in html and "Importar" not in html
    for path, data in (("/app/price-book/1/archive", {}),
                       ("/app/price-book/1/edit", _form(name="Hackeado", price="1")),
                       ("/app/price-book/new", _form(name="Nuevo", price="1"))):
        response = post(client, path, **data)
        assert response.status_code == 403
        assert "No tenés permiso para ver esto." in response.get_data(as_text=True)
    assert _upload(client, BAD_ROW_CSV.encode()).status_code == 403
    item = _item(shop, id=1)
    assert (item.name, item.archived, _count(shop)) == (FLEX, False, 1)


def test_a_technician_does_not_see_the_price_book(signed_in, shop):
    client = signed_in(Role.TECHNICIAN)
    assert client.get("/app/price-book").status_code == 403
    assert client.get("/app/price-book/export.csv").status_code == 403
    assert 'href="/app/price-book"' not in client.get("/app/jobs").get_data(as_text=True)


def test_user_typed_text_is_escaped_everywhere(signed_in, shop):
    evil = '<script>alert("precio")</script>'
    item = _add(shop, name=evil, code="<b>X</b>", description=evil, unit="<i>u</i>")
    client = signed_in(Role.OWNER)
    for path in ("/app/price-book", f"/app/price-book/{item}/edit", f"/app/price-book?q={evil}"):
        page = client.get(path).get_data(as_text=True)
        assert "<script>" not in page and "<b>X</b>" not in page and "<i>u</i>" not in page, path
    assert "&lt;script&gt;" in client.get("/app/price-book").get_data(as_text=True)


# ---- CSV import ----------------------------------------------------------------------------

def test_import_reports_the_bad_row_and_keeps_the_good_ones(signed_in, shop):
    response = _upload(signed_in(Role.OWNER), BAD_ROW_CSV.encode())
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert re.search(r'<span class="stat">2</span><span class="muted">importados</span>', html)
    assert re.search(r'<span class="stat">1</span><span class="muted">salteados</span>', html)
    assert "Algunas filas no se importaron." in html
    rows = re.findall(r'<tr class="import-error"><td>(\d+)</td><td class="wrap">(.*?)</td>'
                      r'<td class="wrap">(.*?)</td></tr>', html)
    reason = "Precio inválido: &#39;quince lucas&#39;. Escribilo como 15000, 15.000 o 15.000,50."
    assert rows == [("3", "precio", reason)]
    assert _item(shop, code="GS-VIS") is None
    assert _item(shop, code="EL-TOMA").price == Decimal("8500.50")
    destape = _item(shop, code="PL-DESTAPE")
    assert (destape.service, destape.iva_rate) == (Service.PLUMBING, Decimal("21.00"))
    assert ("price_book.import", f"user:{shop.users[Role.OWNER]}") in _actions(shop)


def test_import_refuses_a_code_already_in_the_price_book(signed_in, shop):
    html = _upload(signed_in(Role.ADMIN),
                   b"codigo,nombre,precio\npl-flex40,Otro flexible,100\n").get_data(
        as_text=True)
    assert "Ya existe un ítem con el código pl-flex40: Flexible mallado 40 cm." in html
    assert _count(shop) == 1


def test_import_without_a_price_column_says_so(signed_in, shop):
    html = _upload(signed_in(Role.OWNER), b"nombre\nCuerito\n").get_data(as_text=True)
    assert "Falta la columna &#39;precio&#39;." in html
    assert _count(shop) == 1


@pytest.mark.parametrize(("filename", "mimetype", "body", "reason"), [
    ("precios.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
     b"nombre;precio\nCuerito;100\n", "type"),
    ("precios.csv", "text/csv", b"PK\x03\x04\x00\x00binary", "binary"),
    ("precios.csv", "text/csv", b"", "missing"),
])
def test_uploads_that_are_refused(signed_in, shop, filename, mimetype, body, reason):
    assert_refused(_upload(signed_in(Role.OWNER), body, filename, mimetype), reason)
    assert _count(shop) == 1


def test_the_import_page_links_to_an_example_that_imports_cleanly(signed_in, shop):
    client = signed_in(Role.ADMIN)
    html = client.get("/app/price-book/import").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in html and 'accept=".csv,text/csv"' in html
    assert 'href="/app/price-book/example.csv"' in html
    example = client.get("/app/price-book/example.csv")
    assert example.mimetype == "text/csv"
    assert "attachment" in example.headers["Content-Disposition"]
    text = example.get_data(as_text=True)
    assert text.startswith("\ufeffcódigo;nombre;descripción;rubro;unidad;precio;IVA\r\n")
    page = _upload(client, example.get_data()).get_data(as_text=True)
    assert "Listo: se importaron todas las filas." in page
    assert re.search(r'<span class="stat">4</span><span class="muted">importados</span>', page)
    assert "No reconocemos la columna" not in page
    assert _item(shop, code="GS-VISITA").iva_rate == Decimal("10.50")


# ---- CSV export ----------------------------------------------------------------------------

def test_export_then_import_into_another_shop_gives_the_same_price_book(app, signed_in, shop):
    _add(shop, code="GS-VIS", name="Visita de gasista; matriculado", price="20.000,50",
         iva_rate="10,5", unit="visita", service="gas", description='Incluye "prueba"\ny ticket')
    _add(shop, name="Mano de obra por hora", price="12000", iva_rate="0", unit="hora")
    _add(shop, code="AA-CARGA", name="Carga de gas refrigerante", price="1.500.000,99",
         iva_rate="27", service="hvac")
    archived = _add(shop, name="Cuerito viejo", price="10")
    with shop.db.org_session(shop.org_id) as s:
        price_book.archive_item(s, archived)
    response = signed_in(Role.VIEWER).get("/app/price-book/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert 'filename="lista-de-precios.csv"' in response.headers["Content-Disposition"]
    exported = response.get_data()
    assert b"Cuerito viejo" not in exported  # only what is on sale today

    other_org = create_org(shop.db, "Gas del Sur", "gas-del-sur")
    add_staff(shop.db, other_org, Role.OWNER, "Sofía Sur", "+5491155559999",
              email="sofia@gasdelsur.com.ar")
    client = app.test_client()
    assert login(client, "sofia@gasdelsur.com.ar").status_code == 302
    html = _upload(client, exported).get_data(as_text=True)
    assert "Listo: se importaron todas las filas." in html

    def book(org_id: int) -> list[tuple]:
        with shop.db.org_session(org_id) as s:
            return [(i.code, i.name, i.description, i.service, i.unit, i.price, i.iva_rate)
                    for i in price_book.list_items(s)]

    assert len(book(shop.org_id)) == 4
    assert book(other_org) == book(shop.org_id)


def test_export_defuses_cells_a_spreadsheet_would_run(signed_in, shop):
    _add(shop, name="=HYPERLINK(\"http://x\")", description="+54 11 y algo", code="@X")
    text = signed_in(Role.OWNER).get("/app/price-book/export.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))
    assert rows[0] == ["código", "nombre", "descripción", "rubro", "unidad", "precio", "IVA"]
    assert ["'@X", "'=HYPERLINK(\"http://x\")", "'+54 11 y algo", "", "unidad", "1000,00",
            "21"] in rows
    assert ["PL-FLEX40", FLEX, "", "Plomería", "unidad", "9500,00", "21"] in rows
