"""Customers: fuzzy search, one customer's jobs, invoices and chat, and the CSV import."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from backoffice.customers import DETAIL_PER_PAGE
from backoffice.paging import PER_PAGE
from backoffice.uploads import MAX_UPLOAD, UPLOAD_ERRORS
from core import customers, jobs
from core.billing import payments
from core.models import Customer, Invoice, InvoiceStatus, PaymentMethod, Role, utcnow
from core.phones import normalize_phone
from tests.backoffice.conftest import post
from tests.backoffice.pages import link, walk
from tests.backoffice.uploads import assert_refused, upload

GOOD_CSV = ("nombre;teléfono;dirección;localidad;CUIT;condición IVA\n"
            "Lucía Fernández;11 4444-0101;Av. Rivadavia 5000, 2° A;Caballito;20-12345678-6;"
            "responsable inscripto\n"
            "Pedro Gómez;11 4444-0102;Calle 7 1234;La Plata;;\n")
BAD_ROW_CSV = ("nombre,telefono,email\n"
               "Lucía Fernández,11 4444-0101,lucia@example.com\n"
               "Pedro Gómez,11 4444-0102,<b>no-es-un-mail</b>\n"
               "Rosa Díaz,11 4444-0103,\n")


def _customer_id(shop, name: str) -> int:
    with shop.db.org_session(shop.org_id) as s:
        return s.scalar(select(Customer.id).where(Customer.name == name))


def _names(html: str) -> list[str]:
    return re.findall(r'<a href="/app/customers/\d+">\s*<div class="between">\s*'
                      r'<strong class="wrap">(.*?)</strong>', html)


def _count(shop) -> int:
    with shop.db.org_session(shop.org_id) as s:
        return s.scalar(select(func.count(Customer.id)))


def _upload(client, data: bytes, filename: str = "clientes.csv", mimetype: str = "text/csv"):
    return upload(client, "/app/customers/import", data, filename, mimetype)


# ---- search and list -----------------------------------------------------------------------

def test_list_shows_every_customer_with_phone_and_open_balance(signed_in, shop):
    html = signed_in(Role.VIEWER).get("/app/customers").get_data(as_text=True)
    assert sorted(_names(html)) == ["Juan Pérez", "Marta García"]
    assert "11 6666-0001" in html
    assert "debe $15.000" in html  # Marta's authorized invoice
    assert "debe $8.000" in html  # Juan's pending one; the rejected $5.000 is not owed
    assert "Importar desde un CSV" not in html  # a viewer only looks


@pytest.mark.parametrize(("query", "expected"), [
    ("garsia", ["Marta García"]),  # a typo and no accent
    ("MARTA", ["Marta García"]),
    ("perez", ["Juan Pérez"]),
    ("11 6666-0002", ["Juan Pérez"]),  # phone as people write it
    ("avellaneda", ["Marta García"]),  # her address
    ("zzzz", []),
])
def test_search_by_fuzzy_name_phone_or_address(signed_in, shop, query, expected):
    with shop.db.org_session(shop.org_id) as s:
        customers.add_address(s, _customer_id(shop, "Marta García"),
                              {"street": "Av. Avellaneda", "number": "2150", "locality": "Flores"})
    response = signed_in(Role.DISPATCHER).get("/app/customers", query_string={"q": query})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert _names(html) == expected
    if not expected:
        assert f"No encontramos clientes para «{query}»" in html


def test_a_query_is_shown_back_escaped(signed_in, shop):
    html = signed_in(Role.OWNER).get("/app/customers?q=<script>x</script>").get_data(as_text=True)
    assert "<script>x</script>" not in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html


# ---- paging --------------------------------------------------------------------------------

def _ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<li class="card">\s*<a href="/app/customers/(\d+)">', html)]


def _add_customers(shop, names: list[str]) -> list[int]:
    with shop.db.org_session(shop.org_id) as s:
        return [customers.create_customer(s, {"name": name}).id for name in names]


def test_the_whole_list_a_page_at_a_time_newest_first(signed_in, shop):
    added = _add_customers(shop, [f"Cliente {n:03d}" for n in range(120)])
    pages = walk(signed_in(Role.VIEWER), "/app/customers")
    assert len(pages) == 3  # 122 customers, 50 a page
    seen = [i for page in pages for i in _ids(page)]
    assert seen == sorted([1, 2, *added], reverse=True)  # each exactly once, newest first
    assert [len(_ids(page)) for page in pages] == [PER_PAGE, PER_PAGE, 22]
    assert "Se muestran" not in pages[0]
    assert "Página 2" in pages[1]
    assert link(pages[1], "prev") == "/app/customers" and link(pages[2], "prev") == "/app/customers?page=2"


def test_search_results_page_through_namesakes_exactly_once(signed_in, shop):
    """60 customers with the very same name rank as a tie: paging must not depend on where the
    database happens to keep them, even when some are edited between two pages."""
    namesakes = _add_customers(shop, ["Ana Gómez"] * 60)
    others = _add_customers(shop, [f"Luis Gómez {n:02d}" for n in range(40)])
    client = signed_in(Role.DISPATCHER)
    first = client.get("/app/customers?q=gomez").get_data(as_text=True)
    next_url = link(first, "next")
    assert next_url == "/app/customers?q=gomez&page=2"  # the search stays on the next page
    # Edits move rows around in PostgreSQL's heap, so an unordered read would come back shuffled.
    with shop.db.org_session(shop.org_id) as s:
        for customer_id in reversed(namesakes):
            customers.update_customer(s, customer_id, {"notes": "llamar antes de ir"})
    rest = walk(client, next_url)
    seen = [i for page in [first, *rest] for i in _ids(page)]
    assert sorted(seen) == sorted(namesakes + others)
    assert len(seen) == len(set(seen)) == 100
    assert len(rest) == 1 and "Página 2" in rest[0]
    assert link(rest[0], "prev") == "/app/customers?q=gomez"
    # Closest names first: every "Ana Gómez" (2 words) before the "Luis Gómez NN" (3 words).
    assert set(seen[:60]) == set(namesakes)


@pytest.mark.parametrize("page", ["0", "abc", "-1", "99999"])
def test_nonsense_page_numbers_show_the_first_page(signed_in, shop, page):
    response = signed_in(Role.OWNER).get(f"/app/customers?page={page}")
    assert response.status_code == 200
    assert sorted(_names(response.get_data(as_text=True))) == ["Juan Pérez", "Marta García"]


def test_a_page_past_the_end_is_empty_with_a_way_back(signed_in, shop):
    for url, back in (("/app/customers?page=7", "/app/customers"),
                      ("/app/customers?q=marta&page=3", "/app/customers?q=marta")):
        response = signed_in(Role.OWNER).get(url)
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert _ids(html) == []
        assert "No hay nada en la página" in html
        assert f'<a href="{back}">Volver a la primera página</a>' in html
        assert "Todavía no hay clientes cargados" not in html and "No encontramos clientes" not in html


def test_a_customers_jobs_and_invoices_page_on_their_own(signed_in, shop):
    extra = DETAIL_PER_PAGE + 5
    with shop.db.org_session(shop.org_id) as s:
        rosa = customers.create_customer(s, {"name": "Rosa Díaz"}).id
        job_numbers = [jobs.create_job(s, {"customer_id": rosa, "service": "plumbing",
                                           "description": f"visita {n}"}).number for n in range(extra)]
        invoice_ids = []
        for n in range(extra):
            invoice = Invoice(customer_id=rosa, letter="B", cbte_tipo=6, punto_de_venta=1, number=100 + n,
                              issue_date=date(2026, 10, 1), status=InvoiceStatus.AUTHORIZED,
                              total=Decimal(1000), net=Decimal(1000))
            s.add(invoice)
            s.flush()
            invoice_ids.append(invoice.id)
    client = signed_in(Role.VIEWER)
    base = f"/app/customers/{rosa}"

    def job_numbers_in(html: str) -> list[int]:
        return [int(n) for n in re.findall(r'<tr><td><a href="/app/jobs/\d+">#(\d+)</a></td>', html)]

    def invoice_ids_in(html: str) -> list[int]:
        return [int(n) for n in re.findall(r'<td><a href="/app/invoices/(\d+)">', html)]

    first = client.get(base).get_data(as_text=True)
    assert job_numbers_in(first) == sorted(job_numbers, reverse=True)[:DETAIL_PER_PAGE]
    assert invoice_ids_in(first) == sorted(invoice_ids, reverse=True)[:DETAIL_PER_PAGE]
    assert f'href="{base}?jobs_page=2#trabajos"' in first
    assert f'href="{base}?invoices_page=2#facturas"' in first
    # The second page of invoices keeps the jobs where they were, and the other way round.
    both = client.get(f"{base}?jobs_page=2&invoices_page=2").get_data(as_text=True)
    assert job_numbers_in(both) == sorted(job_numbers, reverse=True)[DETAIL_PER_PAGE:]
    assert invoice_ids_in(both) == sorted(invoice_ids, reverse=True)[DETAIL_PER_PAGE:]
    assert f'href="{base}?invoices_page=2#trabajos"' in both  # back to jobs page 1
    assert f'href="{base}?jobs_page=2#facturas"' in both  # back to invoices page 1
    beyond = client.get(f"{base}?jobs_page=9").get_data(as_text=True)
    assert job_numbers_in(beyond) == [] and "Todavía no tiene trabajos." not in beyond
    assert f'<a href="{base}#trabajos">Volver a la primera página</a>' in beyond
    assert len(invoice_ids_in(beyond)) == DETAIL_PER_PAGE


# ---- one customer --------------------------------------------------------------------------

def test_detail_shows_data_addresses_jobs_invoices_balance_and_chat(signed_in, shop):
    marta = _customer_id(shop, "Marta García")
    with shop.db.org_session(shop.org_id) as s:
        customers.update_customer(s, marta, {"doc_number": "20-12345678-6",
                                             "iva_condition": "monotributo"})
        customers.add_address(s, marta, {"street": "Av. Avellaneda", "number": "2150",
                                         "unit": "3° B", "locality": "Flores"})
        payments.record_manual_payment(s, s.get(Invoice, shop.authorized), method=PaymentMethod.CASH,
                                       amount=Decimal(5000), actor="test", now=utcnow())
    html = signed_in(Role.OWNER).get(f"/app/customers/{marta}").get_data(as_text=True)
    assert "<h1 class=\"wrap\">Marta García</h1>" in html
    assert "11 6666-0001" in html
    assert "CUIT 20123456786" in html and "Responsable Monotributo" in html
    assert "Av. Avellaneda 2150, 3° B, Flores" in html
    assert "#1" in html and "sin agendar" in html and "pierde el flexible" in html
    assert f'<a href="/app/invoices/{shop.authorized}">factura B 0001-00000012</a>' in html
    assert "10/11/2026 · autorizada" in html
    assert re.search(r"Total adeudado</span>\s*<strong class=\"num\">\$10\.000</strong>", html)
    assert "Hola, se me rompió el flexible" in html
    assert "🎤 Avenida Avellaneda 2150, tercero B" in html
    assert f'href="/app/conversations/{shop.marta_chat}"' in html
    # Juan's invoices and chat are his, not hers.
    assert f"/app/invoices/{shop.pending}" not in html and "Mañana entre 9 y 12." not in html


def test_a_customer_without_jobs_invoices_or_chat(signed_in, shop):
    with shop.db.org_session(shop.org_id) as s:
        rosa = customers.create_customer(s, {"name": "Rosa Díaz"}).id
    html = signed_in(Role.DISPATCHER).get(f"/app/customers/{rosa}").get_data(as_text=True)
    assert "Todavía no tiene trabajos." in html
    assert "Todavía no tiene facturas." in html
    assert "Este cliente todavía no nos escribió por WhatsApp." in html
    assert "Teléfono: sin cargar" in html and "Consumidor Final" in html
    assert re.search(r"Total adeudado</span>\s*<strong class=\"num\">\$0</strong>", html)


def test_a_viewer_reads_the_customer_but_not_the_chat(signed_in, shop):
    marta = _customer_id(shop, "Marta García")
    html = signed_in(Role.VIEWER).get(f"/app/customers/{marta}").get_data(as_text=True)
    assert "factura B 0001-00000012" in html
    assert "Hola, se me rompió el flexible" not in html
    assert "/app/conversations/" not in html


def test_an_unknown_customer_is_a_spanish_404(signed_in, shop):
    response = signed_in(Role.OWNER).get("/app/customers/99999")
    assert response.status_code == 404
    assert "No encontramos esa página" in response.get_data(as_text=True)


# ---- CSV import ----------------------------------------------------------------------------

def test_import_of_a_good_file(signed_in, shop):
    response = _upload(signed_in(Role.ADMIN), GOOD_CSV.encode())
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert re.search(r'<span class="stat">2</span><span class="muted">importados</span>', html)
    assert re.search(r'<span class="stat">0</span><span class="muted">salteados</span>', html)
    assert "Listo: se importaron todas las filas." in html
    with shop.db.org_session(shop.org_id) as s:
        lucia = s.scalar(select(Customer).where(Customer.name == "Lucía Fernández"))
        assert lucia.phone == normalize_phone("11 4444-0101")
        assert lucia.doc_number == "20123456786"
        assert lucia.addresses[0].one_line == "Av. Rivadavia 5000, 2° A, Caballito"
    assert _count(shop) == 4


def test_import_in_excel_windows_encoding(signed_in, shop):
    body = "nombre;teléfono\nNúñez Hermanos;11 4444-0104\n".encode("cp1252")
    html = _upload(signed_in(Role.OWNER), body, mimetype="application/vnd.ms-excel").get_data(as_text=True)
    assert re.search(r'<span class="stat">1</span><span class="muted">importados</span>', html)
    assert _customer_id(shop, "Núñez Hermanos") is not None


def test_import_reports_the_bad_row_with_its_number_and_reason_escaped(signed_in, shop):
    html = _upload(signed_in(Role.DISPATCHER), BAD_ROW_CSV.encode()).get_data(as_text=True)
    assert re.search(r'<span class="stat">2</span><span class="muted">importados</span>', html)
    assert re.search(r'<span class="stat">1</span><span class="muted">salteados</span>', html)
    assert "Algunas filas no se importaron." in html
    row = re.search(r'<tr class="import-error"><td>(\d+)</td><td class="wrap">(.*?)</td>'
                    r'<td class="wrap">(.*?)</td></tr>', html)
    assert row.groups() == ("3", "email", "Email inválido: &lt;b&gt;no-es-un-mail&lt;/b&gt;")
    assert "<b>no-es-un-mail</b>" not in html
    assert _customer_id(shop, "Pedro Gómez") is None
    assert _customer_id(shop, "Rosa Díaz") is not None


def test_import_without_a_name_column_says_so(signed_in, shop):
    html = _upload(signed_in(Role.OWNER), b"telefono\n11 4444-0101\n").get_data(as_text=True)
    assert "Falta la columna &#39;nombre&#39;." in html
    assert _count(shop) == 2


@pytest.mark.parametrize(("filename", "mimetype", "body", "reason"), [
    ("clientes.csv", "text/csv", b"nombre\n" + b"x" * MAX_UPLOAD, "size"),
    ("clientes.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
     b"nombre\nAna\n", "type"),
    ("clientes.csv", "image/png", b"nombre\nAna\n", "type"),
    ("clientes.txt", "text/plain", b"nombre\nAna\n", "type"),
    ("clientes.csv", "text/csv", b"PK\x03\x04\x00\x00binary", "binary"),
    ("clientes.csv", "text/csv", b"", "missing"),
])
def test_uploads_that_are_refused(signed_in, shop, filename, mimetype, body, reason):
    assert_refused(_upload(signed_in(Role.OWNER), body, filename, mimetype), reason)
    assert _count(shop) == 2


def test_a_post_without_a_file_asks_for_one(signed_in, shop):
    html = post(signed_in(Role.OWNER), "/app/customers/import").get_data(as_text=True)
    assert UPLOAD_ERRORS["missing"] in html


def test_a_viewer_cannot_import(signed_in, shop):
    client = signed_in(Role.VIEWER)
    assert client.get("/app/customers/import").status_code == 403
    response = _upload(client, GOOD_CSV.encode())
    assert response.status_code == 403
    assert "No tenés permiso para ver esto." in response.get_data(as_text=True)
    assert _count(shop) == 2


def test_the_import_page_for_staff(signed_in, shop):
    html = signed_in(Role.DISPATCHER).get("/app/customers/import").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in html and 'accept=".csv,text/csv"' in html
    assert "Archivo CSV (hasta 1 MB)" in html
