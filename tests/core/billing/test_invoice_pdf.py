"""The invoice PDF: every field AFIP asks of a printed comprobante, and a QR that decodes."""

from __future__ import annotations

import io
import json
from datetime import date
from decimal import Decimal

import pypdf
import pytest
import zxingcpp

from core import customers
from core.billing.afip import iva_breakdown
from core.billing.afip_qr import afip_qr_payload, afip_qr_url, decode_qr_url, qr_image
from core.billing.invoice_pdf import render_invoice_pdf
from core.es_ar import cuit as format_cuit
from core.es_ar import invoice_pesos as format_pesos
from core.models import Customer, Invoice, InvoiceLine, InvoiceStatus, Organization

ISSUED = date(2026, 11, 25)
CAE = "70417054367476"
RI_ISSUER = {"cuit": "20123456786", "iva_condition": "responsable_inscripto",
             "iibb": "901-123456-7", "activity_start": date(2015, 3, 1),
             "address": "Av. Rivadavia 1234, Caballito, CABA"}
MONO_ISSUER = {"cuit": "27287654303", "iva_condition": "monotributo", "iibb": "27287654303",
               "activity_start": date(2019, 8, 12), "address": "Calle 7 N° 845, La Plata"}
CONSORCIO = {"name": "Consorcio Güemes 4321", "phone": "+5491166660001", "doc_type": "cuit",
             "doc_number": "30712345671", "iva_condition": "responsable_inscripto",
             "addresses": [{"street": "Güemes", "number": "4321", "locality": "Palermo"}]}
MARTA = {"name": "Marta Núñez", "phone": "+5491166660002", "doc_type": "dni",
         "doc_number": "12345678", "addresses": [{"street": "Av. Avellaneda", "number": "2150",
                                                  "unit": "3° B", "locality": "Flores"}]}
ANON = {"name": None, "phone": "+5491166660003"}
A_LINES = [("Cambio de flexible de cocina", "1", "10000", "21"),
           ("Caño de cobre 1/2\" (metro)", "2", "1500", "10.5")]
B_LINES = [("Destapación de cañería con máquina", "1", "15000", "21")]
C_LINES = [("Visita y diagnóstico", "1", "5000", "0"), ("Reparación de termotanque", "1", "3500", "0")]


def seed_invoice(db, org_id: int, customer: dict, lines, *, letter: str | None,
                 status: InvoiceStatus = InvoiceStatus.AUTHORIZED, number: int | None = 12,
                 doc: tuple[int, int] | None = None, iva_id: int = 5, qr_data: str | None = None,
                 cae: str | None = CAE) -> int:
    """An invoice row as core.billing.invoicing leaves it, totals by its own rule."""
    with db.org_session(org_id) as s:
        cust = customers.create_customer(s, customer)
        invoice = Invoice(
            org_id=org_id, customer_id=cust.id, letter=letter,
            cbte_tipo={"A": 1, "B": 6, "C": 11}.get(letter), punto_de_venta=1, number=number,
            issue_date=ISSUED, service_from=date(2026, 11, 20), service_to=ISSUED,
            payment_due=date(2026, 12, 2), status=status,
            cae=cae if status == InvoiceStatus.AUTHORIZED else None,
            cae_due_date=date(2026, 12, 5) if status == InvoiceStatus.AUTHORIZED else None,
            receiver_doc_tipo=doc[0] if doc else 99, receiver_doc_nro=doc[1] if doc else 0,
            receiver_iva_id=iva_id, qr_data=qr_data,
        )
        for description, qty, unit, rate in lines:
            quantity, price = Decimal(qty), Decimal(unit)
            invoice.lines.append(InvoiceLine(
                org_id=org_id, description=description, quantity=quantity, unit_price=price,
                iva_rate=Decimal(rate) if letter in ("A", "B") else Decimal(0),
                subtotal=quantity * price))
        _, invoice.net, invoice.iva, invoice.total = iva_breakdown(letter, invoice.lines)
        s.add(invoice)
        s.flush()
        return invoice.id


def render(db, org_id: int, invoice_id: int) -> bytes:
    with db.org_session(org_id) as s:
        invoice = s.get(Invoice, invoice_id)
        return render_invoice_pdf(invoice, s.get(Organization, org_id),
                                  s.get(Customer, invoice.customer_id))


def pdf_text(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def pdf_qr_payloads(pdf: bytes) -> list[dict]:
    """Every QR in the PDF's embedded images, decoded down to AFIP's JSON."""
    found = []
    for page in pypdf.PdfReader(io.BytesIO(pdf)).pages:
        for image in page.images:
            for code in zxingcpp.read_barcodes(image.image):
                found.append(decode_qr_url(code.text))
    return found


def assert_in_order(text: str, *parts: str) -> None:
    at = 0
    for part in parts:
        found = text.find(part, at)
        assert found >= 0, f"{part!r} not found after position {at} in:\n{text}"
        at = found + len(part)


# --- helpers -------------------------------------------------------------------------------


@pytest.mark.parametrize(("amount", "text"), [
    (Decimal(0), "$ 0,00"), (Decimal("0.5"), "$ 0,50"), (Decimal(999), "$ 999,00"),
    (Decimal(15000), "$ 15.000,00"), (Decimal("1234567.891"), "$ 1.234.567,89"),
    (Decimal("10.005"), "$ 10,01"), (Decimal(-2500), "-$ 2.500,00"), (120000, "$ 120.000,00"),
])
def test_format_pesos(amount, text):
    assert format_pesos(amount) == text


def test_format_cuit():
    assert format_cuit("20123456786") == "20-12345678-6"
    assert format_cuit(30712345671) == "30-71234567-1"
    assert format_cuit("20-12345678-6") == "20-12345678-6"
    assert format_cuit("123") == "123"
    assert format_cuit(None) == ""


def test_qr_payload_follows_afips_spec_and_round_trips():
    payload = afip_qr_payload(
        issue_date=ISSUED, cuit="20123456786", pto_vta=1, cbte_tipo=6, number=12,
        total=Decimal("15000.00"), currency="PES", rate=Decimal(1), doc_tipo=96,
        doc_nro=12345678, cae=CAE)
    assert payload == {"ver": 1, "fecha": "2026-11-25", "cuit": 20123456786, "ptoVta": 1,
                       "tipoCmp": 6, "nroCmp": 12, "importe": 15000.00, "moneda": "PES",
                       "ctz": 1, "tipoDocRec": 96, "nroDocRec": 12345678, "tipoCodAut": "E",
                       "codAut": 70417054367476}
    assert list(payload) == ["ver", "fecha", "cuit", "ptoVta", "tipoCmp", "nroCmp", "importe",
                             "moneda", "ctz", "tipoDocRec", "nroDocRec", "tipoCodAut", "codAut"]
    url = afip_qr_url(payload)
    assert url.startswith("https://www.afip.gob.ar/fe/qr/?p=ey")
    assert " " not in url and "\n" not in url
    assert decode_qr_url(url) == payload
    # Consumidor final without a document: no receiver fields at all.
    anonymous = afip_qr_payload(
        issue_date=ISSUED, cuit="20123456786", pto_vta=2, cbte_tipo=6, number=7,
        total=Decimal("1234.5"), currency="PES", rate=Decimal(1), doc_tipo=99, doc_nro=0, cae=CAE)
    assert "tipoDocRec" not in anonymous and "nroDocRec" not in anonymous
    assert anonymous["importe"] == 1234.5
    assert decode_qr_url(afip_qr_url(anonymous)) == anonymous
    with pytest.raises(ValueError):
        decode_qr_url("https://www.afip.gob.ar/fe/qr/?p=%%%")


def test_qr_image_decodes_to_the_url():
    url = afip_qr_url({"ver": 1, "fecha": "2026-11-25", "cuit": 20123456786, "codAut": 1})
    assert [code.text for code in zxingcpp.read_barcodes(qr_image(url))] == [url]


# --- the documents -------------------------------------------------------------------------


def _issuer_qr(tipo_cmp: int, nro_cmp: int, importe: float,
               doc: tuple[int, int] | None = None) -> dict:
    """The QR payload AFIP's spec asks of the responsable inscripto issuer's comprobante, in
    the spec's key order; the receiver's document only when the invoice names one."""
    payload = {"ver": 1, "fecha": "2026-11-25", "cuit": 20123456786, "ptoVta": 1,
               "tipoCmp": tipo_cmp, "nroCmp": nro_cmp, "importe": importe, "moneda": "PES", "ctz": 1}
    if doc is not None:
        payload |= {"tipoDocRec": doc[0], "nroDocRec": doc[1]}
    return payload | {"tipoCodAut": "E", "codAut": 70417054367476}


def test_factura_a_from_ri_to_ri_with_cuit(db, make_org):
    org = make_org("Plomería Ñandú SRL", **RI_ISSUER)
    invoice_id = seed_invoice(db, org, CONSORCIO, A_LINES, letter="A", doc=(80, 30712345671),
                              iva_id=1)
    pdf = render(db, org, invoice_id)
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf)
    assert_in_order(text, "ORIGINAL", "Plomería Ñandú SRL", "Domicilio: Av. Rivadavia 1234, Caballito, CABA",
                    "Condición frente al IVA: Responsable Inscripto", "FACTURA",
                    "Punto de venta: 0001 Comp. Nro: 00000012", "Fecha de emisión: 25/11/2026",
                    "CUIT: 20-12345678-6", "Ingresos Brutos: 901-123456-7",
                    "Inicio de actividades: 01/03/2015", "A", "COD. 01",
                    "Período facturado desde: 20/11/2026 hasta: 25/11/2026",
                    "Fecha de vto. para el pago: 02/12/2026",
                    "Cliente: Consorcio Güemes 4321", "CUIT: 30-71234567-1",
                    "Condición frente al IVA: Responsable Inscripto",
                    "Domicilio: Güemes 4321, Palermo",
                    "Descripción Cant. Precio unit. IVA Subtotal",
                    "Cambio de flexible de cocina 1 $ 10.000,00 21% $ 10.000,00",
                    'Caño de cobre 1/2" (metro) 2 $ 1.500,00 10,5% $ 3.000,00',
                    "Importe neto gravado: $ 13.000,00", "IVA 10,5%: $ 315,00",
                    "IVA 21%: $ 2.100,00", "Importe total: $ 15.415,00",
                    "Comprobante Autorizado", "CAE N°: 70417054367476",
                    "Fecha de Vto. de CAE: 05/12/2026")
    for absent in ("NO VÁLIDO", "PENDIENTE", "Transparencia"):
        assert absent not in text
    assert pdf_qr_payloads(pdf) == [_issuer_qr(1, 12, 15415.0, doc=(80, 30712345671))]


def test_factura_b_to_consumidor_final_with_dni(db, make_org):
    org = make_org("Plomería Ramos", **RI_ISSUER)
    invoice_id = seed_invoice(db, org, MARTA, B_LINES, letter="B", doc=(96, 12345678))
    text = pdf_text(pdf := render(db, org, invoice_id))
    assert_in_order(text, "Plomería Ramos", "FACTURA", "Punto de venta: 0001 Comp. Nro: 00000012",
                    "Fecha de emisión: 25/11/2026", "CUIT: 20-12345678-6", "B", "COD. 06",
                    "Cliente: Marta Núñez", "DNI: 12345678",
                    "Condición frente al IVA: Consumidor Final",
                    "Domicilio: Av. Avellaneda 2150, 3° B, Flores",
                    "Descripción Cant. Precio unit. Subtotal",
                    "Destapación de cañería con máquina 1 $ 15.000,00 $ 15.000,00",
                    "Importe total: $ 15.000,00",
                    "Régimen de Transparencia Fiscal al Consumidor (Ley 27.743) - IVA contenido: "
                    "$ 2.603,31",
                    "CAE N°: 70417054367476", "Fecha de Vto. de CAE: 05/12/2026")
    assert "Importe neto gravado" not in text and "IVA 21%" not in text
    assert pdf_qr_payloads(pdf) == [_issuer_qr(6, 12, 15000.0, doc=(96, 12345678))]


def test_factura_b_to_consumidor_final_without_document(db, make_org):
    org = make_org("Plomería Ramos", **RI_ISSUER)
    invoice_id = seed_invoice(db, org, ANON, B_LINES, letter="B", number=13)
    text = pdf_text(pdf := render(db, org, invoice_id))
    assert_in_order(text, "Comp. Nro: 00000013", "COD. 06", "Cliente: Consumidor Final",
                    "Condición frente al IVA: Consumidor Final", "Importe total: $ 15.000,00")
    assert "DNI" not in text and text.count("CUIT") == 1  # only the issuer's
    assert pdf_qr_payloads(pdf) == [_issuer_qr(6, 13, 15000.0)]  # no receiver's document


def test_factura_c_from_monotributo_uses_the_stored_qr_payload(db, make_org):
    org = make_org("Electricidad Paz", **MONO_ISSUER)
    stored = {"ver": 1, "fecha": "2026-11-25", "cuit": 27287654303, "ptoVta": 1, "tipoCmp": 11,
              "nroCmp": 12, "importe": 8500.0, "moneda": "PES", "ctz": 1, "tipoDocRec": 96,
              "nroDocRec": 12345678, "tipoCodAut": "E", "codAut": 70417054367476}
    invoice_id = seed_invoice(db, org, MARTA, C_LINES, letter="C", doc=(96, 12345678),
                              qr_data=json.dumps(stored, separators=(",", ":")))
    text = pdf_text(pdf := render(db, org, invoice_id))
    assert_in_order(text, "Electricidad Paz", "Domicilio: Calle 7 N° 845, La Plata",
                    "Condición frente al IVA: Responsable Monotributo", "FACTURA",
                    "Punto de venta: 0001 Comp. Nro: 00000012", "CUIT: 27-28765430-3",
                    "Ingresos Brutos: 27287654303", "Inicio de actividades: 12/08/2019",
                    "C", "COD. 11", "Cliente: Marta Núñez", "DNI: 12345678",
                    "Descripción Cant. Precio unit. Subtotal",
                    "Visita y diagnóstico 1 $ 5.000,00 $ 5.000,00",
                    "Reparación de termotanque 1 $ 3.500,00 $ 3.500,00",
                    "Importe total: $ 8.500,00", "CAE N°: 70417054367476")
    for absent in ("Importe neto gravado", "IVA contenido", "IVA 21%", "NO VÁLIDO"):
        assert absent not in text
    assert pdf_qr_payloads(pdf) == [stored]


def test_internal_receipt_is_not_an_invoice(db, make_org):
    org = make_org("Cerrajería Sola", iva_condition="monotributo", address="Mitre 55, Quilmes")
    invoice_id = seed_invoice(db, org, MARTA, C_LINES, letter=None,
                              status=InvoiceStatus.INTERNAL, number=3, doc=(96, 12345678))
    text = pdf_text(pdf := render(db, org, invoice_id))
    assert_in_order(text, "Cerrajería Sola", "RECIBO", "Punto de venta: 0001 Comp. Nro: 00000003",
                    "Fecha de emisión: 25/11/2026", "X", "DOCUMENTO NO VÁLIDO COMO FACTURA",
                    "Cliente: Marta Núñez", "Importe total: $ 8.500,00")
    assert text.count("FACTURA") == 1  # only in "no válido como factura"
    for absent in ("COD.", "CAE", "Comprobante Autorizado", "Transparencia"):
        assert absent not in text
    assert pdf_qr_payloads(pdf) == []
    assert all(not page.images for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def test_pending_invoice_says_so_and_has_no_qr(db, make_org):
    org = make_org("Plomería Ramos", **RI_ISSUER)
    invoice_id = seed_invoice(db, org, MARTA, B_LINES, letter="B", status=InvoiceStatus.PENDING,
                              number=None, doc=(96, 12345678))
    text = pdf_text(pdf := render(db, org, invoice_id))
    assert_in_order(text, "FACTURA", "Comp. Nro: (a asignar)", "B", "COD. 06",
                    "PENDIENTE DE AUTORIZACIÓN AFIP", "Cliente: Marta Núñez",
                    "Importe total: $ 15.000,00")
    assert "CAE" not in text and "Comprobante Autorizado" not in text
    assert all(not page.images for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def test_text_outside_latin1_and_long_invoices_still_render(db, make_org):
    org = make_org("Gas “Seguro” — 24 hs 🔥", **RI_ISSUER)
    customer = {**MARTA, "name": "Marta 😀 Núñez"}
    lines = [(f"Ítem {i}: revisión de artefacto a gas — “tiro balanceado”", "1", "1000", "21")
             for i in range(60)]
    invoice_id = seed_invoice(db, org, customer, lines, letter="B", doc=(96, 12345678))
    pdf = render(db, org, invoice_id)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 2
    text = pdf_text(pdf)
    assert_in_order(text, 'Gas "Seguro" - 24 hs ?', "Cliente: Marta ? Núñez",
                    'Ítem 59: revisión de artefacto a gas - "tiro balanceado"',
                    "Importe total: $ 60.000,00", "CAE N°: 70417054367476")
    assert len(pdf_qr_payloads(pdf)) == 1
