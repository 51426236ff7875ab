"""A customer asking for their invoice or how to pay (`flows/customer_jobs.py` routes the turn):
the latest issued invoice as its PDF, a CUIT written down for a Factura A, the payment options;
and a customer saying they already paid, which the staff who answer the inbox hear to check.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from core import customers, es_ar
from core.billing import invoicing
from core.billing.invoice_links import pdf_filename, pdf_link
from core.billing.payments import OPEN_INVOICE, open_invoice, payment_options, takes_mercadopago
from core.links import conversation_link, invoice_link
from core.messaging import texts
from core.messaging.replies import Document, Reply, Text
from core.models import (
    DocType,
    Invoice,
    InvoiceStatus,
    IvaCondition,
    Job,
    JobEvent,
    JobStatus,
)
from core.organizations import cuit_is_valid
from flows import photos, prices
from flows.customer_cancel import already_cancelled, recently_cancelled
from flows.technician_close import NO_CHARGE
from flows.turn import Turn
from nlu.extract.message_kinds import asks_payment_plan, says_paid
from nlu.extract.names import for_name

ISSUED = (InvoiceStatus.AUTHORIZED, InvoiceStatus.INTERNAL, InvoiceStatus.PENDING)
QUOTE = 300  # characters of the customer's words quoted to staff


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
    if customer is not None and customer.doc_type is not DocType.CUIT \
            and _FOR_A_COMPANY.search(es_ar.folded(turn.text or "")):
        # "la factura la necesito a nombre de mi empresa": made out to it only with its CUIT
        return [Text(texts.render("cust_ask_company_cuit"))]
    invoice = latest_invoice(turn, customer.id) if customer is not None else None
    if customer is not None and (name := for_name(turn.text)) \
            and es_ar.folded(name) != es_ar.folded(customer.name):
        return _in_another_name(turn, name, invoice)
    if invoice is not None and invoice.status is not InvoiceStatus.PENDING \
            and wants_it_redone(turn.text):
        return _redone(turn, invoice)
    if invoice is None and customer is not None and _OWN_NAME.search(es_ar.folded(turn.text or "")):
        # "la factura igual a mi nombre eh, no al de ella": it goes in theirs, said back
        return [Text(texts.render("cust_invoice_own_name", name=customer.name,
                                  number=turn.open_job.number if turn.open_job else None))]
    if invoice is None:
        return [Text(texts.render("cust_invoice_none"))]
    context = invoice_context(turn, invoice)
    if invoice.status is not InvoiceStatus.PENDING:
        return [invoice_document(invoice, context)]
    return [Text(texts.render("cust_invoice", pending=True, **context))]


def latest_invoice(turn: Turn, customer_id: int, statuses=ISSUED) -> Invoice | None:
    """The customer's newest invoice of those statuses."""
    return turn.session.scalar(
        select(Invoice).where(Invoice.customer_id == customer_id, Invoice.status.in_(statuses))
        .order_by(Invoice.id.desc()).limit(1))


def invoice_context(turn: Turn, invoice: Invoice) -> dict:
    """What the invoice messages say of it: its label, article, total and job."""
    job = turn.session.get(Job, invoice.job_id) if invoice.job_id else None
    label = invoicing.label(invoice)
    return {"label": label, "article": "la" if label.startswith("factura") else "el",
            "total": es_ar.pesos(invoice.total or 0), "job_number": job.number if job else None}


def invoice_document(invoice: Invoice, context: dict) -> Document:
    """The invoice's PDF as the customer gets it in the chat."""
    return Document(filename=pdf_filename(invoice), link=pdf_link(invoice),
                    caption=texts.render("cust_invoice_document", **context))


def _in_another_name(turn: Turn, name: str, invoice: Invoice | None) -> list[Reply]:
    """"¿Me la hacés a nombre de mi mamá, Elena Ruiz?": an invoice is redone (or first made) in
    another name by a person, who hears the request with where to do it; never the same PDF
    again as if the name had not been asked."""
    c = turn.conversation
    job = turn.session.get(Job, invoice.job_id) if invoice is not None and invoice.job_id \
        else turn.open_job
    who, phone = turn.writer
    told = turn.tell_staff(texts.render(
        "staff_invoice_name", who=who, phone=phone, name=name,
        number=job.number if job is not None else None,
        text=es_ar.shortened(" ".join(turn.text.split()), QUOTE),
        link=invoice_link(turn.settings, invoice.id) if invoice is not None
        else conversation_link(turn.settings, c.id)))
    return [Text(texts.render("cust_invoice_name", name=name, issued=invoice is not None,
                              told=bool(told)))]


# "la factura tiene mal el CUIT", "salió a nombre mío pero la necesito a nombre de mi marido",
# "no tiene el descuento que arreglamos, corríjanla", "¿me la pueden rehacer?": an invoice issued
# is changed only by cancelling it (a credit note) and issuing another, which a person does
_REDO = re.compile(
    r"\b(?:rehac\w*|rehag\w*|corregi\w*|corrij\w*|correccion|anul\w*|modific\w*|"
    r"(?:cambi|hac|emiti|mand)\w*\s+(?:otra|una\s+nueva|de\s+nuevo\s+la)\s+(?:factura|fc)\b|"
    r"cambia(?:r|rla|la|rme\s+la|me\s+la)\b)"
    r"|\b(?:mal|equivocad\w*|incorrect\w*|erroneo\w*|errores?|no\s+(?:es|coincide|corresponde))\s+"
    r"(?:el\s+|la\s+|los\s+|las\s+)?(?:cuit|cuil|dni|nombre|razon\s+social|direccion|domicilio|importe|monto|"
    r"total|precio|concepto|detalle|condicion)"
    r"|\b(?:cuit|cuil|dni|nombre|razon\s+social|direccion|domicilio|importe|monto|total|concepto)\s+"
    r"(?:esta\s+|estan\s+|vino\s+|salio\s+)?(?:mal|equivocad\w*|incorrect\w*)\b"
    r"|\b(?:salio|esta|figura|vino|viene|la\s+hicieron|la\s+hiciste)\s+a\s+nombre\s+(?:de|mio|mia)\b.*\b(?:pero|y)\b"
    r"|\ba\s+nombre\s+de\s+(?:mi|su)\s+(?:marido|esposa|mujer|esposo|pareja|hij[oa]|mama|madre|papa|padre|"
    r"viejo|vieja|suegr[oa]|herman[oa]|soci[oa]|jefe|inquilin[oa]|duen[oa]|consorcio)\b"
    r"|\bno\s+(?:tiene|figura|aparece|esta)\s+(?:el|la)\s+(?:descuento|bonificacion|rebaja)\b")


_OWN_NAME = re.compile(r"\ba\s+(?:mi\s+nombre|nombre\s+(?:mio|mia))\b")


def wants_it_redone(text: str | None) -> bool:
    """Whether the customer asks to change an invoice already issued (its name, CUIT, amount or
    detail), rather than to get it again."""
    return bool(_REDO.search(es_ar.folded(text or "")))


def _redone(turn: Turn, invoice: Invoice) -> list[Reply]:
    """An issued invoice to change: a person redoes it (credit note and a new one), told with
    the customer's own words and where to do it; the customer hears so, never the same PDF."""
    job = turn.session.get(Job, invoice.job_id) if invoice.job_id else None
    who, phone = turn.writer
    context = invoice_context(turn, invoice)
    told = turn.tell_staff(texts.render(
        "staff_invoice_redo", who=who, phone=phone, label=context["label"],
        number=job.number if job is not None else None,
        text=es_ar.shortened(" ".join(turn.text.split()), QUOTE),
        link=invoice_link(turn.settings, invoice.id)))
    return [Text(texts.render("cust_invoice_redo", told=bool(told), **context))]


_FACTURA_A = re.compile(r"\bfactura\s+(?:tipo\s+)?[\"']?a\b[\"']?(?!\s+(?:nombre|mi|la|el|su|los|las|un|una|cuenta)\b)",
                        re.IGNORECASE)


def asks_factura_a(text: str | None) -> bool:
    """"¿hacen factura A?", "necesito factura tipo A" (not "la factura a nombre de...")."""
    return bool(_FACTURA_A.search(text or ""))


# An invoice made out to a business the customer runs or belongs to (no name given)
_FOR_A_COMPANY = re.compile(
    r"\b(?:a\s+nombre\s+de|para|de)\s+(?:mi|la|nuestra|nuestro|mi\s+propia)\s+"
    r"(?:empresa|sociedad|firma|negocio|local|comercio|consorcio|pyme|srl|estudio|oficina)\b")


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


def mistyped_cuit_in(text: str) -> str | None:
    """A CUIT written in the text whose check digit does not add up ("30-71234567-0": a digit
    mistyped), shown as written, when there is no valid one; None otherwise."""
    if cuit_in(text):
        return None
    found = _CUIT.search(text or "")
    return "-".join(found.groups()) if found else None


def ask_cuit_again(cuit: str) -> list[Reply]:
    """Never kept (AFIP refuses an invoice made out to it), never ignored: asked again."""
    return [Text(texts.render("cust_cuit_invalid", cuit=cuit))]


def save_cuit(turn: Turn, cuit: str) -> list[Reply]:
    """"Necesito factura A, mi CUIT es 30-71234567-1": on file for the next invoices, and AFIP's
    padrón fills in the name and IVA condition (which decide the letter)."""
    customer = turn.customer
    if customer is None:
        return [Text(texts.render("cust_invoice_none"))]
    customers.set_cuit(turn.session, customer.id, cuit, actor=turn.actor)
    resumed = invoicing.resume_waiting_for_cuit(turn.session, customer.id, cuit, actor=turn.actor)
    for invoice_id in resumed:
        invoicing.request_issue(turn.session, invoice_id)  # the Factura A that waited for it
    shown = f"{cuit[:2]}-{cuit[2:10]}-{cuit[10]}"
    issued = latest_invoice(turn, customer.id) if not resumed else None
    if issued is not None and issued.status is not InvoiceStatus.PENDING \
            and wants_it_redone(turn.text):
        # "la necesito a nombre de mi marido, CUIT 20-…": on file for the next ones, and the
        # one issued goes to a person to redo
        return [Text(texts.render("cust_cuit_saved", cuit=shown))] + _redone(turn, issued)
    return [Text(texts.render("cust_cuit_saved", cuit=shown))]


def payment_replies(turn: Turn) -> list[Reply]:
    if says_paid(turn.text):
        return paid_replies(turn)
    if asks_payment_plan(es_ar.folded(turn.text or "")) and (passed := _arrangement(turn)):
        return passed
    customer = turn.customer
    options = payment_options(turn.session, customer) if customer is not None else None
    if ((options is None or options.invoice_id is None) and turn.open_job is None
            and _CALLED_OFF.search(es_ar.folded(turn.text or ""))
            and (called_off := recently_cancelled(turn)) is not None):
        return already_cancelled(turn, called_off)  # "¿tengo que pagar algo por cancelar?"
    if (options is None or options.invoice_id is None) and (free := _done_free(turn)) is not None:
        # "¿cuánto le debo al muchacho?" after a repair under warranty: nothing
        return [Text(texts.render("cust_nothing_owed", number=free.number))]
    if (options is None or options.invoice_id is None) and (cost := _cost_asked(turn)):
        return cost
    if options is None or options.invoice_id is None:
        # Nothing owed yet ("¿aceptan tarjeta? ¿en cuotas?" before a visit): the ways this
        # business takes, not "te paso los datos apenas estén"
        org, mp = turn.org, takes_mercadopago(turn.session)
        if not (mp or org.transfer_alias or org.transfer_cbu):
            return [Text(texts.render("cust_payment_later"))]
        return [Text(texts.render("cust_payment_ways", mp=mp, alias=org.transfer_alias,
                                  cbu=org.transfer_cbu, holder=org.transfer_holder))]
    if not options.any:
        return [Text(texts.render("cust_payment_later"))]
    owed = options.amount
    amount = es_ar.pesos(owed) if isinstance(owed, Decimal | int) and owed > 0 else None
    body = texts.render("cust_payment_options", amount=amount, link=options.link,
                        alias=options.alias, cbu=options.cbu, holder=options.holder)
    return [Text(body, preview_url=bool(options.link))]


FREE_RECENT = timedelta(days=3)


def _done_free(turn: Turn) -> Job | None:
    """The customer's visit closed at no charge in the last few days, if any (and nothing of
    theirs is open since)."""
    customer = turn.customer
    if customer is None or turn.open_job is not None:
        return None
    event = turn.session.scalar(
        select(JobEvent).join(Job, Job.id == JobEvent.job_id).where(
            Job.customer_id == customer.id, JobEvent.to_status == JobStatus.COMPLETED,
            JobEvent.created_at >= turn.now - FREE_RECENT)
        .order_by(JobEvent.created_at.desc()).limit(1))
    if event is None or not (event.data or {}).get(NO_CHARGE):
        return None
    return turn.session.get(Job, event.job_id)


# A visit called off, named in a question about money
_CALLED_OFF = re.compile(r"\b(?:cancel\w*|anul\w*|suspend\w*|de\s*baja)\b")

# How one pays, named in a question about money ("¿cuánto me cobran si pago con tarjeta?"): the
# ways to pay are the answer, not a price
_PAY_WAYS = re.compile(r"\b(?:tarjeta|efectivo|transfer\w*|mercado\s*pago|mp|cuotas|alias|cbu|link"
                       r"|debito|credito|recargo)\b")


def _cost_asked(turn: Turn) -> list[Reply] | None:
    """"¿Cuánto me van a cobrar al final?" with nothing invoiced yet asks the cost, not how to
    pay (the model reads the cobrar/pagar as a payment): what the price book says of the work,
    or how the price is set and what the visit costs."""
    text = turn.text or ""
    if not prices.asks_price(text) or _PAY_WAYS.search(es_ar.folded(text)):
        return None
    return prices.answer(turn, offer_booking=turn.open_job is None)


def _arrangement(turn: Turn) -> list[Reply] | None:
    """"¿Puedo pagar la mitad ahora y la mitad el mes que viene?": paying in parts or later is
    for the business to agree to, so the inbox staff get the words with the conversation's link
    and the customer hears so (not the ways to pay again, as if the question were not read);
    None when there is nobody to tell."""
    name, phone = turn.writer
    office = turn.tell_staff(texts.render(
        "staff_customer_question", name=name, phone=phone,
        text=es_ar.shortened(turn.text, 300), link=conversation_link(turn.settings,
                                                                     turn.conversation.id)))
    if not office:
        return None
    turn.conversation.misses = 0
    return [Text(texts.render("cust_payment_arrangement", name=turn.first_name))]


def paid_replies(turn: Turn) -> list[Reply]:
    """"Ya te transferí", "le pagué al técnico en efectivo": thanks, never the ways to pay again.
    A transfer or cash reaches no webhook, so the staff who answer the inbox hear it, with the
    invoice's page to record it; when nothing is owed any more (Mercado Pago's payment already
    came in, or staff recorded it), the customer hears it is settled and nobody is bothered."""
    customer = turn.customer
    found = open_invoice(turn.session, customer) if customer is not None else None
    if customer is not None and found is None and turn.session.scalar(
            select(Invoice.id).where(Invoice.customer_id == customer.id,
                                     Invoice.status.in_(OPEN_INVOICE)).limit(1)) is not None:
        return [Text(texts.render("cust_payment_claimed", name=turn.first_name, settled=True))]
    invoice, balance = found if found is not None else (None, None)
    job = turn.session.get(Job, invoice.job_id) if invoice is not None and invoice.job_id \
        else turn.open_job
    said = turn.result.amount
    amount = es_ar.pesos(Decimal(str(said))) if said else es_ar.pesos(balance) if balance else None
    c = turn.conversation
    who, phone = turn.writer
    told = turn.tell_staff(texts.render(
        "staff_payment_claimed", who=who, phone=phone, amount=amount,
        number=job.number if job is not None else None,
        text=es_ar.shortened(" ".join(turn.text.split()), QUOTE),
        link=invoice_link(turn.settings, invoice.id) if invoice is not None
        else conversation_link(turn.settings, c.id)))
    photos.expect_payment_proof(turn, job)
    return [Text(texts.render("cust_payment_claimed", name=turn.first_name, settled=False,
                              told=bool(told)))]
