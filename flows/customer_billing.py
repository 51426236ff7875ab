"""A customer asking for their invoice or how to pay (`flows/customer_jobs.py` routes the turn):
the latest issued invoice as its PDF, a CUIT written down for a Factura A, the payment options.
"""

from __future__ import annotations

import re
from decimal import Decimal

from sqlalchemy import select

from core import customers, es_ar
from core.billing import invoicing
from core.billing.invoice_links import pdf_filename, pdf_link
from core.billing.payments import payment_options
from core.messaging import texts
from core.messaging.replies import Document, Reply, Text
from core.models import (
    DocType,
    Invoice,
    InvoiceStatus,
    IvaCondition,
    Job,
)
from core.organizations import cuit_is_valid
from flows.turn import Turn

ISSUED = (InvoiceStatus.AUTHORIZED, InvoiceStatus.INTERNAL, InvoiceStatus.PENDING)


def invoice_replies(turn: Turn) -> list[Reply]:
    customer, factura_a = turn.customer, asks_factura_a(turn.text)
    if factura_a and turn.org.iva_condition is not IvaCondition.RESPONSABLE_INSCRIPTO:
        # "¿hacen factura A?" to a monotributista (or an exento): only a C can be issued
        return [Text(texts.render("cust_invoice_only_c",
                                  exento=turn.org.iva_condition is IvaCondition.EXENTO))]
    if customer is None and factura_a:
        # asked before hiring: yes, with the CUIT once there is a job to invoice
        return [Text(texts.render("cust_invoice_a_yes"))]
    if customer is not None and _cuit_needed(turn, customer):
        return [Text(texts.render("cust_ask_cuit"))]
    invoice = None
    if customer is not None:
        invoice = turn.session.scalar(
            select(Invoice).where(Invoice.customer_id == customer.id, Invoice.status.in_(ISSUED))
            .order_by(Invoice.id.desc()).limit(1)
        )
    if invoice is None:
        return [Text(texts.render("cust_invoice_none"))]
    job = turn.session.get(Job, invoice.job_id) if invoice.job_id else None
    label = invoicing.label(invoice)
    context = {"label": label, "article": "la" if label.startswith("factura") else "el",
               "total": es_ar.pesos(invoice.total or 0),
               "job_number": job.number if job else None}
    if invoice.status is not InvoiceStatus.PENDING:
        return [Document(filename=pdf_filename(invoice), link=pdf_link(invoice),
                         caption=texts.render("cust_invoice_document", **context))]
    return [Text(texts.render("cust_invoice", pending=True, **context))]


_FACTURA_A = re.compile(r"\bfactura\s+(?:tipo\s+)?[\"']?a\b[\"']?(?!\s+(?:nombre|mi|la|el|su|los|las|un|una|cuenta)\b)",
                        re.IGNORECASE)


def asks_factura_a(text: str | None) -> bool:
    """"¿hacen factura A?", "necesito factura tipo A" (not "la factura a nombre de...")."""
    return bool(_FACTURA_A.search(text or ""))


def _cuit_needed(turn: Turn, customer) -> bool:
    """No CUIT on file, and a Factura A is asked for or is waiting for it (AFIP takes an A only
    with the CUIT)."""
    if customer.doc_type is DocType.CUIT:
        return False
    if asks_factura_a(turn.text):
        return True
    return any(invoicing.waiting_for_cuit(invoice) for invoice in turn.session.scalars(
        select(Invoice).where(Invoice.customer_id == customer.id,
                              Invoice.status == InvoiceStatus.DRAFT)))


_CUIT = re.compile(r"(?<!\d)(\d{2})[-\s.]?(\d{8})[-\s.]?(\d)(?!\d)")


def cuit_in(text: str) -> str | None:
    """A valid CUIT written in the text ("30-71234567-1", "30712345671"), if any."""
    for match in _CUIT.finditer(text or ""):
        digits = "".join(match.groups())
        if cuit_is_valid(digits):
            return digits
    return None


def save_cuit(turn: Turn, cuit: str) -> list[Reply]:
    """"Necesito factura A, mi CUIT es 30-71234567-1": on file for the next invoices, and AFIP's
    padrón fills in the name and IVA condition (which decide the letter)."""
    customer = turn.customer
    if customer is None:
        return [Text(texts.render("cust_invoice_none"))]
    customers.set_cuit(turn.session, customer.id, cuit, actor=turn.actor)
    for invoice_id in invoicing.resume_waiting_for_cuit(turn.session, customer.id, cuit,
                                                        actor=turn.actor):
        invoicing.request_issue(turn.session, invoice_id)  # the Factura A that waited for it
    shown = f"{cuit[:2]}-{cuit[2:10]}-{cuit[10]}"
    return [Text(texts.render("cust_cuit_saved", cuit=shown))]


def payment_replies(turn: Turn) -> list[Reply]:
    customer = turn.customer
    options = payment_options(turn.session, customer) if customer is not None else None
    if options is None or not options.any:
        return [Text(texts.render("cust_payment_later"))]
    owed = options.amount
    amount = es_ar.pesos(owed) if isinstance(owed, Decimal | int) and owed > 0 else None
    body = texts.render("cust_payment_options", amount=amount, link=options.link,
                        alias=options.alias, cbu=options.cbu, holder=options.holder)
    return [Text(body, preview_url=bool(options.link))]
