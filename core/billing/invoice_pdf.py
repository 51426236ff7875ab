"""The invoice as a PDF: AFIP's printed layout with its QR, readable on a phone.

A Factura A, B or C prints what RG 1415 asks of a printed comprobante (letter and code, issuer
and receiver data, punto de venta and number, dates, lines, totals) plus the CAE and the QR of
RG 4291 (https://www.afip.gob.ar/fe/qr/especificaciones.asp). An internal receipt (no AFIP
certificate) prints "X" and "DOCUMENTO NO VÁLIDO COMO FACTURA"; an invoice still waiting for
AFIP prints "PENDIENTE DE AUTORIZACIÓN AFIP". Neither has a QR.

Text uses fpdf2's core fonts (Windows-1252/latin-1: every Spanish letter, no font file to ship);
anything outside it (an emoji in a WhatsApp name) is replaced, never an error.
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from decimal import Decimal

from fpdf import FPDF
from fpdf.fonts import FontFace
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import es_ar
from core.billing.afip import DOC_CUIT, DOC_DNI
from core.billing.afip_qr import invoice_qr_url, qr_image
from core.billing.invoice_links import pdf_filename
from core.models import Customer, Invoice, InvoiceStatus, IvaCondition, Organization

CBTE_CODE = {"A": 1, "B": 6, "C": 11}

IVA_LABELS = {
    IvaCondition.RESPONSABLE_INSCRIPTO: "Responsable Inscripto",
    IvaCondition.MONOTRIBUTO: "Responsable Monotributo",
    IvaCondition.EXENTO: "IVA Exento",
    IvaCondition.CONSUMIDOR_FINAL: "Consumidor Final",
    IvaCondition.NO_CATEGORIZADO: "Sujeto No Categorizado",
}
# RG 5616 CondicionIVAReceptorId, as stored on the invoice when it went to AFIP.
RECEIVER_IVA_LABELS = {1: "Responsable Inscripto", 4: "IVA Exento", 5: "Consumidor Final",
                       6: "Responsable Monotributo", 7: "Sujeto No Categorizado",
                       13: "Monotributista Social"}
DOC_LABELS = {DOC_CUIT: "CUIT", DOC_DNI: "DNI"}

NOT_AN_INVOICE = "DOCUMENTO NO VÁLIDO COMO FACTURA"
PENDING_AFIP = "PENDIENTE DE AUTORIZACIÓN AFIP"
TRANSPARENCY = "Régimen de Transparencia Fiscal al Consumidor (Ley 27.743) - IVA contenido: {}"

# ---- formatting ----------------------------------------------------------------------------


def _date(value: date | None) -> str:
    return es_ar.short_date(value) if value else ""


_REPLACEMENTS = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "–": "-", "—": "-",
                               "…": "...", "•": "-", "\u00a0": " "})


def _latin1(text: object) -> str:
    """What the core fonts can print: composed accents kept, the rest replaced by "?"."""
    clean = unicodedata.normalize("NFC", str(text if text is not None else "")).translate(_REPLACEMENTS)
    return clean.encode("latin-1", "replace").decode("latin-1")


# ---- what the page says --------------------------------------------------------------------


def _iva_shares(invoice: Invoice) -> list[tuple[Decimal, Decimal]]:
    """(rate, IVA) per rate of a Factura A, by the same rule as its totals and AFIP's request."""
    from core.billing.afip import iva_breakdown

    groups = iva_breakdown(invoice.letter, invoice.lines)[0]
    return [(rate, amount) for rate, (_base, amount) in sorted(groups.items())]


def receiver(invoice: Invoice, customer: Customer | None) -> tuple[str | None, str]:
    """("CUIT: 30-71234567-1" or None, IVA condition) as the invoice stated them to AFIP."""
    doc = None
    if invoice.receiver_doc_tipo in DOC_LABELS and invoice.receiver_doc_nro:
        number = str(invoice.receiver_doc_nro)
        doc_tipo = invoice.receiver_doc_tipo
    elif customer is not None and customer.doc_type and customer.doc_number:
        number = customer.doc_number
        doc_tipo = DOC_CUIT if customer.doc_type == "cuit" else DOC_DNI
    else:
        doc_tipo = None
    if doc_tipo is not None:
        shown = es_ar.cuit(number.zfill(11)) if doc_tipo == DOC_CUIT else number
        doc = f"{DOC_LABELS[doc_tipo]}: {shown}"
    if invoice.receiver_iva_id in RECEIVER_IVA_LABELS:
        condition = RECEIVER_IVA_LABELS[invoice.receiver_iva_id]
    elif customer is not None and customer.iva_condition:
        condition = IVA_LABELS.get(IvaCondition(customer.iva_condition), "Consumidor Final")
    else:
        condition = "Consumidor Final"
    return doc, condition


def _issue_date(invoice: Invoice, zone_name: str | None) -> date | None:
    if invoice.issue_date:
        return invoice.issue_date
    created: datetime | None = invoice.created_at
    if created is None:
        return None
    return es_ar.aware(created).astimezone(es_ar.zone(zone_name)).date()


# Worth a PDF for the customer: authorized, waiting for AFIP (says so), or an internal receipt.
# Drafts, rejected and cancelled invoices are not documents anyone should hold.
PRINTABLE = frozenset({InvoiceStatus.AUTHORIZED, InvoiceStatus.PENDING, InvoiceStatus.INTERNAL})


def load_invoice_pdf(session: Session, invoice_id: int) -> tuple[bytes, str] | None:
    """(PDF bytes, file name) of invoice `invoice_id` in the session's organization, or None
    when it has no such invoice or the invoice is not printable."""
    invoice = session.scalar(select(Invoice).where(Invoice.id == invoice_id))
    if invoice is None or InvoiceStatus(invoice.status) not in PRINTABLE:
        return None
    org = session.get(Organization, invoice.org_id)
    customer = session.get(Customer, invoice.customer_id)
    return render_invoice_pdf(invoice, org, customer), pdf_filename(invoice)


# ---- the document --------------------------------------------------------------------------

MARGIN = 12
WIDTH = 210 - 2 * MARGIN
MIDDLE = 105
INK = (29, 42, 51)
MUTED = (91, 107, 118)
SHADE = (235, 239, 242)


class _Page(FPDF):
    def footer(self) -> None:
        self.set_y(-11)
        self.set_font("Helvetica", "", 8)
        self.set_text_color(*MUTED)
        self.cell(0, 5, f"Pág. {self.page_no()}/{{nb}}", align="R")


def render_invoice_pdf(invoice: Invoice, org: Organization, customer: Customer | None, *,
                       issued_at_zone: str | None = None) -> bytes:
    """The invoice (or internal receipt) as A4 PDF bytes."""
    internal = invoice.status == InvoiceStatus.INTERNAL or not invoice.letter
    letter = "X" if internal else invoice.letter
    # Only a CAE on an authorized invoice makes it valid; anything else waits for AFIP.
    authorized = not internal and invoice.status == InvoiceStatus.AUTHORIZED and bool(invoice.cae)
    qr_url = invoice_qr_url(invoice, org) if authorized else None
    issued = _issue_date(invoice, issued_at_zone or org.time_zone)
    title = "RECIBO" if internal else "FACTURA"
    pdv = f"{invoice.punto_de_venta:04d}"
    number = f"{invoice.number:08d}" if invoice.number is not None else "(a asignar)"

    pdf = _Page(orientation="P", unit="mm", format="A4")
    pdf.set_title(f"{title} {pdv}-{number}")
    pdf.set_author(_latin1(org.name))
    pdf.set_creator("CampoTech")
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(True, margin=16)
    pdf.add_page()
    pdf.set_text_color(*INK)
    pdf.set_draw_color(*INK)

    # Header: issuer on the left, comprobante on the right, the letter box between them.
    top = MARGIN
    pdf.set_font("Helvetica", "B", 8)
    pdf.set_xy(MARGIN, top)
    pdf.cell(WIDTH, 4, "ORIGINAL", align="C")
    box_top = top + 5
    left_w, right_x = MIDDLE - 10 - MARGIN - 2, MIDDLE + 12
    pdf.set_xy(MARGIN + 2, box_top + 3)
    pdf.set_font("Helvetica", "B", 15)
    pdf.multi_cell(left_w, 7, _latin1(org.name), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    issuer_lines = []
    if org.address:
        issuer_lines.append(f"Domicilio: {org.address}")
    issuer_lines.append(f"Condición frente al IVA: {IVA_LABELS.get(IvaCondition(org.iva_condition), '')}")
    for text in issuer_lines:
        pdf.set_x(MARGIN + 2)
        pdf.multi_cell(left_w, 5, _latin1(text), new_x="LMARGIN", new_y="NEXT")
    left_bottom = pdf.get_y()

    pdf.set_xy(right_x, box_top + 3)
    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(WIDTH + MARGIN - right_x, 8, title, new_x="LEFT", new_y="NEXT")
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(0, 6, f"Punto de venta: {pdv}  Comp. Nro: {number}", new_x="LEFT", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    right_lines = [f"Fecha de emisión: {_date(issued)}"]
    if org.cuit:
        right_lines.append(f"CUIT: {es_ar.cuit(org.cuit)}")
    if org.iibb:
        right_lines.append(f"Ingresos Brutos: {org.iibb}")
    if org.activity_start:
        right_lines.append(f"Inicio de actividades: {_date(org.activity_start)}")
    for text in right_lines:
        pdf.cell(0, 5, _latin1(text), new_x="LEFT", new_y="NEXT")
    box_bottom = max(left_bottom, pdf.get_y()) + 3

    pdf.rect(MARGIN, box_top, WIDTH, box_bottom - box_top)
    pdf.set_fill_color(255, 255, 255)
    pdf.rect(MIDDLE - 9, box_top, 18, 17, style="DF")
    pdf.line(MIDDLE, box_top + 17, MIDDLE, box_bottom)
    pdf.set_xy(MIDDLE - 9, box_top + 1)
    pdf.set_font("Helvetica", "B", 26)
    pdf.cell(18, 11, letter, align="C")
    pdf.set_xy(MIDDLE - 9, box_top + 12)
    pdf.set_font("Helvetica", "B", 6.5)
    code = invoice.cbte_tipo or CBTE_CODE.get(letter or "")
    pdf.cell(18, 4, f"COD. {code:02d}" if code and not internal else "", align="C")
    pdf.set_xy(MARGIN, box_bottom)

    # Service period and due date.
    period = []
    if invoice.service_from or invoice.service_to:
        period.append(f"Período facturado desde: {_date(invoice.service_from)}  "
                      f"hasta: {_date(invoice.service_to)}")
    if invoice.payment_due:
        period.append(f"Fecha de vto. para el pago: {_date(invoice.payment_due)}")
    if period:
        pdf.set_font("Helvetica", "", 10)
        pdf.multi_cell(WIDTH, 6, _latin1("    ".join(period)), border=1, padding=(1, 2),
                       new_x="LMARGIN", new_y="NEXT")

    if internal or not authorized:
        pdf.ln(2)
        pdf.set_font("Helvetica", "B", 13)
        pdf.set_fill_color(253, 236, 200)
        pdf.cell(WIDTH, 10, _latin1(NOT_AN_INVOICE if internal else PENDING_AFIP), border=1,
                 align="C", fill=True, new_x="LMARGIN", new_y="NEXT")
        pdf.set_fill_color(255, 255, 255)

    # The customer.
    doc, condition = receiver(invoice, customer)
    name = (customer.name if customer is not None else None) or "Consumidor Final"
    rows = [f"Cliente: {name}"]
    if doc:
        rows.append(doc)
    rows.append(f"Condición frente al IVA: {condition}")
    if customer is not None and customer.addresses:
        rows.append(f"Domicilio: {customer.addresses[0].one_line}")
    pdf.ln(2)
    pdf.set_font("Helvetica", "", 10)
    pdf.multi_cell(WIDTH, 5.5, _latin1("\n".join(rows)), border=1, padding=(1.5, 2),
                   new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)

    _lines_table(pdf, invoice, with_iva=letter == "A")
    _totals(pdf, invoice, letter)
    if authorized:
        _authorization(pdf, invoice, qr_url)
    return bytes(pdf.output())


def _lines_table(pdf: FPDF, invoice: Invoice, *, with_iva: bool) -> None:
    headings = ["Descripción", "Cant.", "Precio unit.", "Subtotal"]
    widths = [96, 18, 36, 36]
    align = ["LEFT", "RIGHT", "RIGHT", "RIGHT"]
    if with_iva:
        headings.insert(3, "IVA")
        widths = [84, 16, 33, 17, 36]
        align.insert(3, "RIGHT")
    pdf.set_font("Helvetica", "", 10)
    with pdf.table(col_widths=widths, text_align=align, line_height=6, padding=1.5,
                   headings_style=FontFace(emphasis="BOLD", fill_color=SHADE),
                   width=WIDTH) as table:
        head = table.row()
        for text in headings:
            head.cell(_latin1(text))
        for line in invoice.lines:
            row = table.row()
            row.cell(_latin1(line.description))
            row.cell(es_ar.quantity(line.quantity))
            row.cell(es_ar.invoice_pesos(line.unit_price))
            if with_iva:
                row.cell(es_ar.percent(Decimal(line.iva_rate)))
            row.cell(es_ar.invoice_pesos(line.subtotal))
    pdf.ln(3)


def _totals(pdf: FPDF, invoice: Invoice, letter: str) -> None:
    rows: list[tuple[str, str]] = []
    if letter == "A":
        rows.append(("Importe neto gravado:", es_ar.invoice_pesos(invoice.net)))
        rows.extend((f"IVA {es_ar.percent(rate)}:", es_ar.invoice_pesos(amount))
                    for rate, amount in _iva_shares(invoice))
    rows.append(("Importe total:", es_ar.invoice_pesos(invoice.total)))
    for i, (label, value) in enumerate(rows):
        last = i == len(rows) - 1
        pdf.set_font("Helvetica", "B" if last else "", 13 if last else 10)
        pdf.set_x(MARGIN + WIDTH - 110)
        pdf.cell(70, 8 if last else 6, label, align="R")
        pdf.cell(40, 8 if last else 6, value, align="R", new_x="LMARGIN", new_y="NEXT")
    if letter == "B":
        pdf.ln(2)
        pdf.set_font("Helvetica", "", 9.5)
        pdf.multi_cell(WIDTH, 4.5, _latin1(TRANSPARENCY.format(es_ar.invoice_pesos(invoice.iva))),
                       new_x="LMARGIN", new_y="NEXT")


def _authorization(pdf: FPDF, invoice: Invoice, qr_url: str | None) -> None:
    size = 34
    if pdf.get_y() + size + 6 > pdf.h - 16:
        pdf.add_page()
    pdf.ln(4)
    top = pdf.get_y()
    pdf.line(MARGIN, top, MARGIN + WIDTH, top)
    text_x = MARGIN
    if qr_url:
        pdf.image(qr_image(qr_url), x=MARGIN, y=top + 2, w=size, h=size)
        text_x = MARGIN + size + 4
    pdf.set_xy(text_x, top + 6)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(0, 6, "Comprobante Autorizado", new_x="LEFT", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(0, 6, _latin1(f"CAE N°: {invoice.cae}"), new_x="LEFT", new_y="NEXT")
    pdf.cell(0, 6, f"Fecha de Vto. de CAE: {_date(invoice.cae_due_date)}", new_x="LEFT",
             new_y="NEXT")
    pdf.set_font("Helvetica", "", 8)
    pdf.set_text_color(*MUTED)
    pdf.multi_cell(WIDTH - (text_x - MARGIN), 4,
                   "Esta factura se puede verificar escaneando el código QR en el sitio de AFIP/ARCA.",
                   new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*INK)
    pdf.set_y(max(pdf.get_y(), top + size + 4))
