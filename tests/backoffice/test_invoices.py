"""Invoices: the filtered list a page at a time, its CSV export, AFIP retries and cash or
transfer payments."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal

import pytest
from rq import Queue
from sqlalchemy import select

from backoffice.forms import FormError, parse_amount
from backoffice.invoices_csv import amount_cell, text_cell
from backoffice.paging import PER_PAGE
from core import customers
from core.billing import payments
from core.models import AuditEntry, Invoice, InvoiceStatus, Payment, PaymentMethod, Role, utcnow
from tests.backoffice.conftest import post
from tests.backoffice.pages import link, walk


def _labels(html: str) -> list[str]:
    return re.findall(r'<a href="/app/invoices/\d+"><strong>(.*?)</strong>', html)


def test_list_shows_label_customer_total_balance_status_error_and_pdf(signed_in, shop):
    html = signed_in(Role.VIEWER).get("/app/invoices").get_data(as_text=True)
    assert _labels(html) == ["factura B", "factura B", "factura B 0001-00000012"]  # newest first
    assert "Marta García" in html and "Juan Pérez" in html
    assert "$15.000 · debe $15.000" in html
    assert "autorizada" in html and "esperando a AFIP" in html and "rechazada por AFIP" in html
    assert "AFIP: AFIP dijo: el CUIT del receptor no es válido (código 10015)" in html
    assert html.count('/i/') == 2  # PDFs of the authorized and the pending one, not the rejected
    assert "Reintentar con AFIP" not in html  # a viewer only looks


@pytest.mark.parametrize(("query", "expected"), [
    ("status=pending", ["factura B"]),
    ("status=authorized", ["factura B 0001-00000012"]),
    ("customer=garc", ["factura B 0001-00000012"]),
    ("customer=PÉREZ", ["factura B", "factura B"]),
    ("customer=%25", []),  # a literal %, not a wildcard
    ("from=2026-11-20", ["factura B", "factura B"]),
    ("from=2026-11-11&to=2026-11-20", ["factura B"]),
    ("to=2026-11-10&customer=marta", ["factura B 0001-00000012"]),
])
def test_filters(signed_in, shop, query, expected):
    html = signed_in(Role.DISPATCHER).get(f"/app/invoices?{query}").get_data(as_text=True)
    assert _labels(html) == expected


def test_bad_filters_get_a_message_not_an_error(signed_in, shop):
    client = signed_in(Role.OWNER)
    for query, message in (("status=nada", "Ese estado no existe."),
                           ("from=ayer", "Esa fecha no es válida")):
        response = client.get(f"/app/invoices?{query}")
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert message in html
        assert len(_labels(html)) == 3  # the unfiltered list, with the message above it


# ---- paging ----------------------------------------------------------------------------------

def _ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<a href="/app/invoices/(\d+)"><strong>', html)]


def _add_invoices(shop, customer_name: str, count: int, status: InvoiceStatus = InvoiceStatus.AUTHORIZED,
                  first_number: int = 100, **customer) -> list[int]:
    with shop.db.org_session(shop.org_id) as s:
        customer_id = customers.create_customer(s, {"name": customer_name, **customer}).id
        ids = []
        for n in range(count):
            invoice = Invoice(customer_id=customer_id, letter="B", cbte_tipo=6, punto_de_venta=2,
                              number=first_number + n if status is InvoiceStatus.AUTHORIZED else None,
                              cae=f"7612345678{n:04d}" if status is InvoiceStatus.AUTHORIZED else None,
                              issue_date=date(2026, 9, 1 + n % 28), status=status,
                              net=Decimal("1000.00") + n, iva=Decimal(0), total=Decimal("1000.00") + n)
            s.add(invoice)
            s.flush()
            ids.append(invoice.id)
    return ids


@pytest.fixture
def lucia(shop) -> list[int]:
    """60 authorized invoices of Lucía Fernández (more than a page) and 5 of hers waiting for AFIP."""
    authorized = _add_invoices(shop, "Lucía Fernández", 60)
    with shop.db.org_session(shop.org_id) as s:
        lucia_id = s.get(Invoice, authorized[0]).customer_id
        for n in range(5):
            s.add(Invoice(customer_id=lucia_id, letter="B", cbte_tipo=6, punto_de_venta=2,
                          issue_date=date(2026, 9, 30), status=InvoiceStatus.PENDING,
                          total=Decimal(500 + n), net=Decimal(500 + n)))
    return authorized


def test_the_filtered_list_pages_through_every_invoice_once(signed_in, shop, lucia):
    client = signed_in(Role.VIEWER)
    pages = walk(client, "/app/invoices?customer=lucía&status=authorized")
    seen = [i for page in pages for i in _ids(page)]
    assert seen == sorted(lucia, reverse=True)  # all 60, each once, newest first
    assert [len(_ids(page)) for page in pages] == [PER_PAGE, 10]
    # The filters ride along in both directions, and stay in the form.
    assert link(pages[0], "next") == "/app/invoices?customer=luc%C3%ADa&status=authorized&page=2"
    assert link(pages[1], "prev") == "/app/invoices?customer=luc%C3%ADa&status=authorized"
    assert 'value="lucía"' in pages[1] and '<option value="authorized" selected>' in pages[1]
    assert "Se muestran" not in pages[0]
    # Unfiltered: her 65 and the shop's 3 over two pages, still each exactly once.
    everything = [i for page in walk(client, "/app/invoices") for i in _ids(page)]
    assert len(everything) == len(set(everything)) == 68


@pytest.mark.parametrize("page", ["0", "abc", "99999"])
def test_nonsense_page_numbers_show_the_first_page(signed_in, shop, page):
    response = signed_in(Role.OWNER).get(f"/app/invoices?status=pending&page={page}")
    assert response.status_code == 200
    assert _labels(response.get_data(as_text=True)) == ["factura B"]


def test_a_page_past_the_end_is_empty_with_a_way_back(signed_in, shop):
    html = signed_in(Role.OWNER).get("/app/invoices?customer=juan&page=4").get_data(as_text=True)
    assert _ids(html) == [] and "No hay facturas con esos filtros." not in html
    assert '<a href="/app/invoices?customer=juan">Volver a la primera página</a>' in html


# ---- CSV export -------------------------------------------------------------------------------

def _csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="facturas-')
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel reads the accents right
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline=""), delimiter=";"))


HEADER = ["Fecha", "Tipo y número", "CAE", "Cliente", "CUIT/DNI del cliente", "Condición IVA",
          "Neto", "IVA", "Total", "Cobrado", "Saldo", "Estado"]


def test_export_has_every_matching_invoice_not_only_a_page(signed_in, shop, lucia):
    rows = _csv(signed_in(Role.VIEWER).get("/app/invoices/export.csv?customer=lucía&status=authorized"))
    assert rows[0] == HEADER
    assert len(rows) == 1 + 60
    newest = rows[1]  # newest first, as on the list
    assert newest == ["04/09/2026", "Factura B 0002-00000159", "76123456780059", "Lucía Fernández", "",
                      "Consumidor Final", "1059,00", "0,00", "1059,00", "0,00", "1059,00", "autorizada"]
    assert {r[1] for r in rows[1:]} == {f"Factura B 0002-{100 + n:08d}" for n in range(60)}
    assert all(r[3] == "Lucía Fernández" for r in rows[1:])


def test_export_of_the_shops_invoices_with_document_payment_and_status(signed_in, shop):
    with shop.db.org_session(shop.org_id) as s:
        customers.update_customer(s, 1, {"doc_number": "20-12345678-6", "iva_condition": "monotributo"})
        payments.record_manual_payment(s, s.get(Invoice, shop.authorized), method=PaymentMethod.CASH,
                                       amount=Decimal("5000.50"), actor="test", now=utcnow())
        pending = s.get(Invoice, shop.pending)  # as it was sent to AFIP: Juan's DNI
        pending.receiver_doc_tipo, pending.receiver_doc_nro, pending.receiver_iva_id = 96, 30111222, 5
    client = signed_in(Role.DISPATCHER)
    rows = _csv(client.get("/app/invoices/export.csv"))
    assert rows[1:] == [
        ["21/11/2026", "Factura B", "", "Juan Pérez", "", "Consumidor Final",
         "5000,00", "0,00", "5000,00", "0,00", "0,00", "rechazada por AFIP"],
        ["20/11/2026", "Factura B", "", "Juan Pérez", "DNI 30111222", "Consumidor Final",
         "8000,00", "0,00", "8000,00", "0,00", "8000,00", "esperando a AFIP"],
        ["10/11/2026", "Factura B 0001-00000012", "76123456789012", "Marta García", "CUIT 20-12345678-6",
         "Responsable Monotributo", "15000,00", "0,00", "15000,00", "5000,50", "9999,50", "autorizada"],
    ]
    # The same filters as the list: dates and a status.
    dated = _csv(client.get("/app/invoices/export.csv?from=2026-11-11&to=2026-11-20"))
    assert [r[8] for r in dated[1:]] == ["8000,00"]  # Total
    assert _csv(client.get("/app/invoices/export.csv?status=cancelled")) == [HEADER]


def test_the_list_links_to_the_export_of_what_it_shows(signed_in, shop, lucia):
    html = signed_in(Role.VIEWER).get("/app/invoices?status=authorized&customer=lucía&from=2026-09-02&page=2") \
        .get_data(as_text=True)
    found = re.search(r'<a href="([^"]+)" download>Exportar CSV</a>', html)
    assert found.group(1) == "/app/invoices/export.csv?status=authorized&amp;customer=luc%C3%ADa&amp;from=2026-09-02"
    unfiltered = signed_in(Role.OWNER).get("/app/invoices").get_data(as_text=True)
    assert '<a href="/app/invoices/export.csv" download>Exportar CSV</a>' in unfiltered


def test_export_with_filters_that_make_no_sense_goes_back_to_the_list(signed_in, shop):
    client = signed_in(Role.VIEWER)
    response = client.get("/app/invoices/export.csv?status=nada&customer=juan")
    assert response.status_code == 302
    assert response.headers["Location"] == "/app/invoices?status=nada&customer=juan"
    assert "Ese estado no existe." in client.get(response.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize("name", ['=HYPERLINK("http://evil.example","x")', "+5491155550000",
                                  "-2+3", "@SUM(A1:A9)"])
def test_export_neutralises_cells_that_a_spreadsheet_would_run(signed_in, shop, name):
    _add_invoices(shop, name, 1)
    rows = _csv(signed_in(Role.VIEWER).get("/app/invoices/export.csv?status=authorized"))
    names = [r[3] for r in rows[1:]]
    assert names == ["'" + name, "Marta García"]


@pytest.mark.parametrize(("value", "cell"), [
    ("\t=1+1", "'\t=1+1"), ("\r=1+1", "'\r=1+1"), ("María = la de Flores", "María = la de Flores"),
    ("", ""), (None, ""),
])
def test_text_cells_that_start_like_a_formula_get_an_apostrophe(value, cell):
    assert text_cell(value) == cell


@pytest.mark.parametrize(("amount", "cell"), [
    (Decimal(15000), "15000,00"), (Decimal("1234567.5"), "1234567,50"), (Decimal("0.005"), "0,01"),
    (None, "0,00"),
])
def test_amounts_have_a_decimal_comma_and_no_thousands_separator(amount, cell):
    assert amount_cell(amount) == cell


def test_retry_of_a_pending_invoice_enqueues_issue_invoice(signed_in, shop, pg_db, redisdb):
    response = post(signed_in(Role.ADMIN), f"/app/invoices/{shop.pending}/retry")
    assert response.headers["Location"] == f"/app/invoices/{shop.pending}?done=retry"
    job = Queue("high", connection=redisdb).fetch_job(f"invoice-{shop.pending}")
    assert job.func_name == "workers.tasks.issue_invoice"
    assert job.args == (shop.org_id, shop.pending, True)
    with pg_db.org_session(shop.org_id) as s:
        assert s.get(Invoice, shop.pending).status is InvoiceStatus.PENDING
        assert s.scalar(select(AuditEntry.action).order_by(AuditEntry.seq.desc()).limit(1)) == "invoice.retry"


def test_retry_of_a_rejected_invoice_puts_it_back_to_pending_unnumbered(signed_in, shop, pg_db, redisdb):
    with pg_db.org_session(shop.org_id) as s:
        s.get(Invoice, shop.rejected).number = 7
    client = signed_in(Role.OWNER)
    assert post(client, f"/app/invoices/{shop.rejected}/retry").status_code == 302
    with pg_db.org_session(shop.org_id) as s:
        invoice = s.get(Invoice, shop.rejected)
        assert invoice.status is InvoiceStatus.PENDING
        assert invoice.number is None and invoice.requested_at is None
    assert Queue("high", connection=redisdb).fetch_job(f"invoice-{shop.rejected}") is not None
    html = client.get(f"/app/invoices/{shop.rejected}?done=retry").get_data(as_text=True)
    assert "se la pedimos de nuevo a AFIP" in html


def test_an_authorized_invoice_is_not_retried(signed_in, shop, redisdb):
    response = post(signed_in(Role.OWNER), f"/app/invoices/{shop.authorized}/retry")
    assert response.status_code == 200
    assert "Solo se pueden reintentar" in response.get_data(as_text=True)
    assert Queue("high", connection=redisdb).count == 0


def _balance_and_payments(pg_db, shop):
    with pg_db.org_session(shop.org_id) as s:
        return list(s.scalars(select(Payment).where(Payment.invoice_id == shop.authorized)))


def test_cash_payment_is_recorded_and_the_balance_goes_down(signed_in, shop, pg_db):
    client = signed_in(Role.DISPATCHER)
    path = f"/app/invoices/{shop.authorized}/payments"
    response = post(client, path, amount="10.000,50", method="cash", note="le pagó al técnico")
    assert response.headers["Location"] == f"/app/invoices/{shop.authorized}?done=payment"
    (payment,) = _balance_and_payments(pg_db, shop)
    assert payment.amount == Decimal("10000.50") and payment.method is PaymentMethod.CASH
    assert payment.note == "le pagó al técnico"
    html = client.get(f"/app/invoices/{shop.authorized}?done=payment").get_data(as_text=True)
    assert "el pago quedó registrado" in html
    assert "Falta cobrar: <strong>$4.999,50</strong>" in html
    # The rest by transfer, typed the other way round: the invoice is paid off.
    assert post(client, path, amount="4999.50", method="transfer").status_code == 302
    with pg_db.org_session(shop.org_id) as s:
        assert s.get(Invoice, shop.authorized).paid_at is not None
    html = client.get("/app/invoices?status=authorized").get_data(as_text=True)
    assert "✅ cobrada" in html and "debe $0" not in html
    html = client.get(f"/app/invoices/{shop.authorized}").get_data(as_text=True)
    assert 'id="paid-tag"' in html and "Falta cobrar" not in html


@pytest.mark.parametrize(("amount", "method", "message"), [
    ("quince mil", "cash", "No entendí el monto"),
    ("", "cash", "Escribí el monto."),
    ("0", "cash", "El monto tiene que ser mayor a cero."),
    ("20.000", "cash", "El monto supera lo que se debe de esa factura ($15.000)."),
    ("1000", "mercadopago", "Elegí si fue en efectivo o por transferencia."),
])
def test_bad_payments_re_render_with_the_reason(signed_in, shop, pg_db, amount, method, message):
    response = post(signed_in(Role.OWNER), f"/app/invoices/{shop.authorized}/payments",
                    amount=amount, method=method)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert message in html
    assert f'value="{amount}"' in html  # what they typed stays in the form
    assert _balance_and_payments(pg_db, shop) == []


@pytest.mark.parametrize(("typed", "value"), [
    ("15.000,50", "15000.50"), ("15000.50", "15000.50"), ("15000,5", "15000.5"),
    ("$ 15.000", "15000"), ("1.500.000", "1500000"), ("15,000.50", "15000.50"), ("15.00", "15.00"),
    ("800", "800"),
])
def test_amounts_typed_argentine_or_plain(typed, value):
    assert parse_amount(typed) == Decimal(value)


@pytest.mark.parametrize("typed", ["15.0000", "1,5,0", "15.000.5", "-100", "1e3", "abc"])
def test_amounts_we_do_not_guess(typed):
    with pytest.raises(FormError):
        parse_amount(typed)
