"""A technician at a customer's after the close, about her payment: "la señora dice que no le
llegó nada, mandale de nuevo el link", "¿ya pagó?".

The contract has no intent for either (a technician's are notices of his own visits): the first
met the "¿qué necesitás?" buttons while the customer waited with the money in hand, the second
his agenda. The visit is the one he closed last (today or yesterday), or the one his words name:
the ways to pay go to its customer again, with what is left to pay; or he hears whether it is
paid, and how much is left when not."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from core import es_ar
from core.billing.payments import invoice_balance, payment_options
from core.messaging import texts
from core.messaging.replies import Reply, Text
from core.models import ConversationRole, Invoice, Job
from flows.job_lookup import names_job
from flows.technician_jobs import customer_wa_id
from flows.turn import Turn

RECENT = timedelta(days=2)
# "mandale de nuevo el link", "reenviale la factura", "no le llegó el link", "pasale los datos para pagar"
_RESEND = re.compile(
    r"\b(?:manda(?:le|selo|sela)?|reenvia(?:le|selo|sela)?|pasa(?:le|selo|sela)|envia(?:le|selo|sela))\b"
    r"(?:\s+\w+){0,3}?\s+(?:el\s+|la\s+|los\s+)?(?:link|enlace|factura|datos\s+(?:para|de)\s+pag\w+|alias|cbu|qr)\b"
    r"|\bno\s+le\s+(?:llego|llegaron|aparece|aparecio)\s+(?:nada|el\s+link|la\s+factura|el\s+enlace|los\s+datos)\b")
# "¿ya pagó?", "¿pagó la de García?", "¿ya le entró la plata?", "¿me pagaron lo de Paz?"
_PAID_ASKED = re.compile(
    r"^\W*(?:y\s+)?(?:(?:ahora|entonces|al\s+final|che|bueno|y)\W+)*(?:ya\s+)?(?:te\s+|le\s+)?(?:pago|pagaron|abono|transfirio|le\s+entro\s+la\s+plata|entro\s+el\s+pago"
    r"|se\s+acredito)\b|\b(?:ya\s+)?(?:pago|pagaron|abono|transfirio)\s+(?:la|el|lo)\s+de\b")


def handle(turn: Turn) -> list[Reply] | None:
    """The ways to pay sent again, or whether it is paid; None when the words are neither."""
    if turn.role is not ConversationRole.TECHNICIAN or turn.tap is not None or turn.user is None \
            or not turn.text:
        return None
    said = es_ar.folded(turn.text)
    resend = bool(_RESEND.search(said))
    if not resend and not ("?" in turn.text and _PAID_ASKED.search(said)):
        return None
    found = _closed_lately(turn)
    if not found:
        return None
    named = [pair for pair in found if names_job(pair[0], turn.text)]
    job, invoice = (named or found)[0]
    customer = job.customer
    name = (customer.name if customer else None) or "el cliente"
    balance = invoice_balance(turn.session, invoice)
    if not resend or balance <= 0:
        return [Text(texts.render("tech_paid_status", customer=name, number=job.number,
                                  total=es_ar.pesos(invoice.total), owed=es_ar.pesos(balance) if balance > 0 else None))]
    options = payment_options(turn.session, customer) if customer is not None else None
    wa_id = customer_wa_id(job)
    if options is None or not options.any or not wa_id:
        return [Text(texts.render("tech_payment_resend_none", customer=name))]
    turn.notify(wa_id, Text(texts.render(
        "cust_payment_options", amount=es_ar.pesos(options.amount) if options.amount else None,
        link=options.link, alias=options.alias, cbu=options.cbu, holder=options.holder),
        preview_url=bool(options.link)))
    return [Text(texts.render("tech_payment_resent", customer=es_ar.first_name(name) or name,
                              amount=es_ar.pesos(balance)))]


def _closed_lately(turn: Turn) -> list[tuple[Job, Invoice]]:
    """His visits invoiced lately, the latest first, each with its newest invoice."""
    rows = turn.session.execute(
        select(Job, Invoice).join(Invoice, Invoice.job_id == Job.id).options(joinedload(Job.customer))
        .where(Job.technician_id == turn.user.id, Invoice.created_at >= turn.now - RECENT)
        .order_by(Invoice.id.desc()).limit(10)).all()
    seen: set[int] = set()
    found = []
    for job, invoice in rows:
        if job.id not in seen:
            seen.add(job.id)
            found.append((job, invoice))
    return found
