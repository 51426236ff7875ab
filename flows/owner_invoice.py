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


def handle(turn: Turn) -> list[Reply] | None:
    """The invoice sent again, or who to send it to; None when the words ask no such thing."""
    from flows import owner_assign  # both reach the engine, which imports this module
    from flows.customer_billing import invoice_context, invoice_document, latest_invoice

    said = turn.said
    if not said or not _RESEND.search(said) or not (_INVOICE.search(said) or "reenvia" in said):
        return None
    words = [w for w in re.findall(r"[a-zñ]+", said) if len(w) > 2 and w not in _NOT_NAMES]
    found: dict[int, Customer] = {}
    for word in words:
        for customer in customers_named(turn.session, word):
            if word in es_ar.folded(customer.name or "").split():
                found[customer.id] = customer
    if not found and (job := owner_assign.last_job(turn)) is not None and job.customer is not None:
        found[job.customer.id] = job.customer
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
