"""`GET /i/<token>.pdf`: the invoice PDF without a login, only for its own organization."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pypdf
import pytest

from core.billing.invoice_links import make_token, pdf_link
from core.jobs import tracking
from core.models import Invoice, InvoiceStatus
from tests.core.billing.test_invoice_pdf import (
    B_LINES,
    MARTA,
    RI_ISSUER,
    pdf_qr_payloads,
    pdf_text,
    seed_invoice,
)
from tests.factories import create_org
from web import create_app


@pytest.fixture
def client(pg_db):
    app = create_app(pg_db.settings)
    app.testing = True
    return app.test_client()


@pytest.fixture
def orgs(pg_db):
    """Two organizations, each with an authorized Factura B 0001-00000012."""
    ramos = create_org(pg_db, "Plomería Ramos", "plomeria-ramos", **RI_ISSUER)
    otra = create_org(pg_db, "Gasista Otro", "gasista-otro", **{**RI_ISSUER, "cuit": "30712345671"})
    return {
        "ramos": (ramos, seed_invoice(pg_db, ramos, MARTA, B_LINES, letter="B", doc=(96, 12345678))),
        "otra": (otra, seed_invoice(pg_db, otra, MARTA, B_LINES, letter="B", doc=(96, 12345678))),
    }


def _path(settings, org_id: int, invoice_id: int, **kwargs) -> str:
    return f"/i/{make_token(settings, org_id, invoice_id, **kwargs)}.pdf"


def _set_status(pg_db, org_id: int, invoice_id: int, status: InvoiceStatus) -> None:
    with pg_db.org_session(org_id) as s:
        s.get(Invoice, invoice_id).status = status


def test_the_link_serves_the_pdf_inline_without_login(pg_db, client, orgs):
    org_id, invoice_id = orgs["ramos"]
    with pg_db.org_session(org_id) as s:
        link = pdf_link(s.get(Invoice, invoice_id), pg_db.settings)
    response = client.get(link.removeprefix(pg_db.settings.public_base_url.rstrip("/")))
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == 'inline; filename="factura-B-0001-00000012.pdf"'
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Robots-Tag"] == "noindex"
    text = pdf_text(response.data)
    assert "Plomería Ramos" in text and "Comp. Nro: 00000012" in text
    assert "CUIT: 20-12345678-6" in text and "Importe total: $ 15.000,00" in text
    assert pdf_qr_payloads(response.data)[0]["cuit"] == 20123456786
    assert len(pypdf.PdfReader(io.BytesIO(response.data)).pages) == 1


def test_internal_receipts_and_pending_invoices_are_served(pg_db, client, orgs):
    org_id, invoice_id = orgs["ramos"]
    _set_status(pg_db, org_id, invoice_id, InvoiceStatus.PENDING)
    response = client.get(_path(pg_db.settings, org_id, invoice_id))
    assert response.status_code == 200
    assert "PENDIENTE DE AUTORIZACIÓN AFIP" in pdf_text(response.data)
    receipt = seed_invoice(pg_db, org_id, {**MARTA, "phone": "+5491166660009"}, B_LINES,
                           letter=None, status=InvoiceStatus.INTERNAL, number=3)
    response = client.get(_path(pg_db.settings, org_id, receipt))
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'inline; filename="recibo-0001-00000003.pdf"'
    assert "DOCUMENTO NO VÁLIDO COMO FACTURA" in pdf_text(response.data)


@pytest.mark.parametrize("status", [InvoiceStatus.DRAFT, InvoiceStatus.CANCELLED,
                                    InvoiceStatus.REJECTED])
def test_drafts_cancelled_and_rejected_invoices_are_not_found(pg_db, client, orgs, status):
    org_id, invoice_id = orgs["ramos"]
    _set_status(pg_db, org_id, invoice_id, status)
    response = client.get(_path(pg_db.settings, org_id, invoice_id))
    assert response.status_code == 404
    assert "No encontramos esta factura" in response.get_data(as_text=True)


def test_another_organizations_invoice_is_not_found(pg_db, client, orgs):
    ramos, _ = orgs["ramos"]
    _, theirs = orgs["otra"]
    response = client.get(_path(pg_db.settings, ramos, theirs))
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert b"%PDF" not in response.data
    assert client.get(_path(pg_db.settings, ramos, 999_999)).status_code == 404


def test_expired_link_is_gone(pg_db, client, orgs):
    org_id, invoice_id = orgs["ramos"]
    old = datetime.now(UTC) - timedelta(days=91)
    response = client.get(_path(pg_db.settings, org_id, invoice_id, now=old))
    assert response.status_code == 410
    assert "Este enlace venció" in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"


def test_bad_tampered_or_foreign_tokens_are_not_found(pg_db, client, orgs):
    org_id, invoice_id = orgs["ramos"]
    token = make_token(pg_db.settings, org_id, invoice_id)
    tampered = token[:10] + ("A" if token[10] != "A" else "B") + token[11:]
    other_key = make_token(pg_db.settings.model_copy(update={"secret_key": "x"}), org_id, invoice_id)
    tracking_token = tracking.tracking_token(pg_db.settings, org_id, invoice_id)
    for path in (f"/i/{tampered}.pdf", f"/i/{other_key}.pdf", f"/i/{tracking_token}.pdf",
                 f"/i/{token}", f"/i/{token}.png", "/i/", "/i/x/../y.pdf", "/i/%00.pdf"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.headers["X-Robots-Tag"] == "noindex"
