"""The invoice link a customer gets by WhatsApp, fetched by the browser from the live server."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pypdf

from core import customers, jobs
from core.billing import invoicing
from core.billing.invoice_links import pdf_link
from core.billing.invoicing import DraftLine
from core.models import InvoiceStatus, JobStatus
from tests.factories import add_technician, create_org

S = JobStatus
MONO_ISSUER = {"cuit": "27287654303", "iva_condition": "monotributo", "iibb": "27287654303",
               "address": "Calle 7 N° 845, La Plata"}
MARTA = {"name": "Marta García", "phone": "+5491166660001",
         "addresses": [{"street": "Av. Avellaneda", "number": "2150", "locality": "Flores",
                        "province": "CABA"}]}


def _receipt_link(live_app) -> str:
    """A completed job invoiced by an organization without an AFIP certificate: a receipt."""
    org = create_org(live_app.db, "Gasista Pérez", "gasista-perez", **MONO_ISSUER)
    tech_id = add_technician(live_app.db, org, name="Carlos Rodríguez")
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
    with live_app.db.org_session(org) as s:
        customer = customers.create_customer(s, MARTA)
        job = jobs.create_job(s, {"customer_id": customer.id, "address_id": customer.addresses[0].id,
                                  "service": "gas", "description": "revisar la estufa",
                                  "technician_id": tech_id})
        jobs.schedule(s, job.id, start, None, "user:1")
        for status in (S.EN_ROUTE, S.ON_SITE, S.COMPLETED):
            jobs.transition(s, job.id, status, "user:1")
        invoice = invoicing.create_for_job(
            s, job, [DraftLine("Revisión de estufa", Decimal(1), Decimal("15000.00"))],
            settings=live_app.settings)
        assert invoice.status == InvoiceStatus.INTERNAL and invoice.letter is None
        return pdf_link(invoice, live_app.settings)


def test_the_receipt_link_serves_a_pdf_to_the_browser(live_app, page):
    url = _receipt_link(live_app)
    assert url.startswith(live_app.url + "/i/") and url.endswith(".pdf")

    response = page.request.get(url)
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == 'inline; filename="recibo-0001-00000001.pdf"'
    body = response.body()
    assert body.startswith(b"%PDF")
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(body)).pages)
    assert "Gasista Pérez" in text and "DOCUMENTO NO VÁLIDO COMO FACTURA" in text

    missing = page.request.get(url.replace("/i/", "/i/x"))
    assert missing.status == 404 and "No encontramos esta factura" in missing.text()
