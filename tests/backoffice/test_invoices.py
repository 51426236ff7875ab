"""Invoices: the filtered list, AFIP retries and cash or transfer payments."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from rq import Queue
from sqlalchemy import select

from backoffice.forms import FormError, parse_amount
from core.models import AuditEntry, Invoice, InvoiceStatus, Payment, PaymentMethod, Role
from tests.backoffice.conftest import post


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
    assert "debe $0" in html


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
