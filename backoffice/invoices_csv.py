"""The invoices list as a CSV the accountant opens in Excel set up for Argentina.

Excel in es-AR splits columns on ";" (the "," is the decimal mark), reads "15000,50" as a
number and "10/11/2026" as a date, and only takes the file as UTF-8 when it starts with a BOM.
A cell that starts with "=", "+", "-" or "@" would run as a formula: text we did not write
(a customer's name from WhatsApp) gets a leading apostrophe, so it stays text.
"""

from __future__ import annotations

import csv
import io
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from backoffice.display import INVOICE_STATUS
from core.billing import payments
from core.billing.invoice_pdf import (
    receiver as receiver_as_stated,  # the PDF's rule: what AFIP was told
)
from core.billing.invoicing import label
from core.models import Customer, Invoice, Payment, PaymentStatus

HEADERS = ("Fecha", "Tipo y número", "CAE", "Cliente", "CUIT/DNI del cliente", "Condición IVA",
           "Neto", "IVA", "Total", "Cobrado", "Saldo", "Estado")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CENT = Decimal("0.01")
IDS_PER_QUERY = 1000


def text_cell(value: str | None) -> str:
    """Text as a spreadsheet must show it, never as a formula."""
    text = value or ""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def amount_cell(value: Decimal | None) -> str:
    """15000.5 → "15000,50": decimal comma, no thousands separator (Excel es-AR reads it as a number)."""
    return f"{Decimal(value or 0).quantize(CENT, ROUND_HALF_UP):f}".replace(".", ",")


def _paid(session: Session, invoice_ids: list[int]) -> dict[int, Decimal]:
    """What approved payments hold per invoice, refunds taken off (as `payments.invoice_balance`),
    in a few grouped queries instead of one per invoice."""
    paid: dict[int, Decimal] = {}
    for start in range(0, len(invoice_ids), IDS_PER_QUERY):
        chunk = invoice_ids[start:start + IDS_PER_QUERY]
        paid.update(session.execute(
            select(Payment.invoice_id,
                   func.sum(Payment.amount - func.coalesce(Payment.refunded_amount, 0)))
            .where(Payment.invoice_id.in_(chunk), Payment.status == PaymentStatus.APPROVED)
            .group_by(Payment.invoice_id)).all())
    return paid


def _kind_and_number(invoice: Invoice) -> str:
    text = label(invoice)  # "factura B 0001-00000012", "recibo 0001-00000003", "factura B"
    return text[:1].upper() + text[1:]


def _line(invoice: Invoice, customer: Customer, paid: Decimal) -> list[str]:
    document, iva_condition = receiver_as_stated(invoice, customer)
    total = Decimal(invoice.total or 0)
    balance = max(Decimal(0), total - paid) if invoice.status in payments.OPEN_INVOICE else Decimal(0)
    return [
        invoice.issue_date.strftime("%d/%m/%Y") if invoice.issue_date else "",
        text_cell(_kind_and_number(invoice)),
        text_cell(invoice.cae),
        text_cell(customer.name or "(sin nombre)"),
        text_cell(document.replace(": ", " ") if document else ""),
        text_cell(iva_condition),
        amount_cell(invoice.net),
        amount_cell(invoice.iva),
        amount_cell(total),
        amount_cell(paid),
        amount_cell(balance),
        text_cell(INVOICE_STATUS.get(invoice.status, str(invoice.status))),
    ]


def export_csv(session: Session, invoices: Select) -> tuple[bytes, int]:
    """Every (Invoice, Customer) row of `invoices` as CSV bytes (UTF-8 with BOM), and how many."""
    rows = session.execute(invoices).all()
    paid = _paid(session, [invoice.id for invoice, _customer in rows])
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADERS)
    for invoice, customer in rows:
        writer.writerow(_line(invoice, customer, Decimal(paid.get(invoice.id) or 0)))
    return out.getvalue().encode("utf-8-sig"), len(rows)
