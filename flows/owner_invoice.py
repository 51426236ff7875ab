"""The owner asking for a customer's invoice to be sent again: "che, Bustos me llamó, dice que
no le llegó la factura, reenviásela", "mandale de nuevo la factura a la señora Paz".

The customer's latest issued invoice goes to their chat as its PDF (the same document the
customer gets by asking), never a new invoice; the owner hears what was sent. The customer is
the one the words name, or the one of the visit just talked about; several who fit are named
back to choose."""

from __future__ import annotations

import re

from core import es_ar
from core.customers.search import customers_named
from core.links import invoice_link
from core.messaging import texts
from core.messaging.outbox import customer_conversation
from core.messaging.replies import Reply, Text
from core.models import Customer, InvoiceStatus
from flows.turn import Turn

SENT = (InvoiceStatus.AUTHORIZED, InvoiceStatus.INTERNAL)  # with a PDF to send again
# "reenviásela", "mandale de nuevo la factura", "no le llegó la factura", "pasale la factura"
_RESEND = re.compile(
    r"\b(?:reenvia(?:le|sela|la|les)?|reenviar)\b"
    r"|\b(?:manda|pasa|envia)(?:le|sela)\s+(?:de\s+nuevo\s+|otra\s+vez\s+)?(?:la\s+)?(?:factura|boleta|comprobante)"
    r"|\bmanda(?:le|sela)\s+(?:de\s+nuevo|otra\s+vez)\b")
_INVOICE = re.compile(r"\b(?:factura|boleta|comprobante|recibo)\b")
_NOT_NAMES = frozenset({
    "che", "reenviasela", "reenviale", "reenvia", "reenviar", "mandale", "mandasela", "pasale",
    "factura", "boleta", "comprobante", "recibo", "llego", "llamo", "dice", "que", "porfa", "favor",
    "nuevo", "otra", "vez", "senora", "senor", "sra", "don", "dona", "cliente", "clienta", "mail",
    "whatsapp", "por", "para", "les", "una", "los", "las", "del", "con", "tampoco", "todavia",
})


# a discount on what was billed: "hacele un 10% de descuento", "bajale 2 lucas a lo de Paz"
_DISCOUNT = re.compile(r"\b(?:descuento|rebaja|bonificacion|bonificale|rebajale)\b")
_PERCENT = re.compile(r"(?<!\d)(\d{1,2})\s*(?:%|por\s+ciento)")


def _discount(turn: Turn, found: list[Customer], said: str) -> list[Reply] | None:
    """A discount asked on a customer's invoice already out: AFIP's invoice cannot change, so
    the owner hears what it takes (a credit note for the difference, in AFIP's portal for now)
    with the figures and the invoice's page; never a changed total nobody can back. None when
    no one customer with an unpaid invoice fits (the price book's or a visit's discount is
    another flow's)."""
    from flows.customer_billing import invoice_context, latest_invoice

    if len(found) != 1:
        return None
    customer = found[0]
    invoice = latest_invoice(turn, customer.id, SENT)
    if invoice is None or not invoice.total:
        return None
    percent = _PERCENT.search(turn.text or "")  # folding drops the "%"
    off = (invoice.total * int(percent.group(1)) / 100).quantize(1) if percent else None
    context = invoice_context(turn, invoice)
    return [Text(texts.render("owner_invoice_discount", name=customer.name, off=es_ar.pesos(off) if off else None,
                              left=es_ar.pesos(invoice.total - off) if off else None,
                              link=invoice_link(turn.settings, invoice.id), **context))]


def handle(turn: Turn) -> list[Reply] | None:
    """The invoice sent again, or who to send it to; None when the words ask no such thing."""
    from flows import owner_assign  # both reach the engine, which imports this module
    from flows.customer_billing import invoice_context, invoice_document, latest_invoice

    said = turn.said
    discount = _DISCOUNT.search(said) if said else None
    if not said or not (discount or _RESEND.search(said) and (_INVOICE.search(said) or "reenvia" in said)):
        return None
    words = [w for w in re.findall(r"[a-zñ]+", said) if len(w) > 2 and w not in _NOT_NAMES]
    found: dict[int, Customer] = {}
    for word in words:
        for customer in customers_named(turn.session, word):
            if word in es_ar.folded(customer.name or "").split():
                found[customer.id] = customer
    if not found and (job := owner_assign.last_job(turn)) is not None and job.customer is not None:
        found[job.customer.id] = job.customer
    if discount is not None:
        return _discount(turn, list(found.values()), said)
    if not found:
        return [Text(texts.render("owner_invoice_which", names=[]))]
    if len(found) > 1:
        return [Text(texts.render("owner_invoice_which", names=[c.name for c in found.values()]))]
    customer = next(iter(found.values()))
    invoice = latest_invoice(turn, customer.id, SENT)
    if invoice is None:
        return [Text(texts.render("owner_invoice_none", name=customer.name))]
    conversation = customer_conversation(turn.session, customer)
    if conversation is None:
        return [Text(texts.render("relay_no_number", name=customer.name))]
    context = invoice_context(turn, invoice)
    turn.notify(conversation.wa_id, invoice_document(invoice, context))
    return [Text(texts.render("owner_invoice_sent", name=customer.name, **context))]
