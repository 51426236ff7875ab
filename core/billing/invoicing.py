"""Invoicing: from a completed job to an AFIP-authorized invoice (or an internal receipt).

An invoice is an idempotent state machine, safe to run again at any point:

```mermaid
flowchart LR
    done[job completed] --> pending[pending]
    done -- no AFIP certificate --> internal[internal receipt<br/>no válido como factura]
    pending -- number = last authorized + 1, committed --> sent[FECAESolicitar]
    sent -- A --> authorized[authorized: CAE]
    sent -- R / errors --> rejected[rejected: staff told]
    sent -- timeout / AFIP down --> retry[pending, retry with backoff]
    retry -- FECompConsultar finds it --> authorized
    retry -- not there --> sent
```

The number and `requested_at` are committed *before* `FECAESolicitar` goes out. A retry of an
invoice with `requested_at` set first asks AFIP (`FECompConsultar`) whether that number was
authorized, so a timeout after authorization is reconciled and never resent blindly. One
Redis lock per (organization, punto de venta, comprobante type) serializes numbering across
workers; a circuit breaker shared by all workers stops calling AFIP while it is down.

AFIP itself is reached through an `Authorizer` (see `services/afip_gateway.py`, which adapts
`integrations/afip`): this module knows AFIP's rules, not its wire format.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit, counters, deferred, jobs
from core.billing.afip import (
    CBTE_TIPO,
    CENT,
    CONSUMER_FINAL_ID_THRESHOLD,
    DOC_CUIT,
    DOC_NONE,
    iva_breakdown,
    receiver_document,
    receiver_terms,
    split_gross,
)
from core.errors import NotFound, ValidationFailed
from core.models import (
    Customer,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    IvaCondition,
    Job,
    JobStatus,
    Organization,
    PriceBookItem,
    utcnow,
)
from core.settings import Settings
from core.vault import Vault

log = logging.getLogger("campotech.invoicing")

RECEIPT_COUNTER = "receipt:{pdv}"
AFIP_SECRETS = ("afip_certificate", "afip_key")


# ---- creating the invoice ------------------------------------------------------------------

def afip_configured(session: Session, org: Organization, settings: Settings) -> bool:
    """Whether this organization can issue AFIP invoices: a CUIT plus certificate and key."""
    if not org.cuit:
        return False
    vault = Vault(settings.encryption_keys)
    return all(vault.load(session, name) for name in AFIP_SECRETS)


def local_today(org: Organization, now: datetime) -> date:
    try:
        return now.astimezone(ZoneInfo(org.time_zone)).date()
    except Exception:  # noqa: BLE001 - a bad zone name falls back to Buenos Aires
        return now.astimezone(ZoneInfo("America/Argentina/Buenos_Aires")).date()


@dataclass(frozen=True)
class DraftLine:
    description: str
    quantity: Decimal
    amount: Decimal  # what the customer pays for the line, IVA included
    item_id: int | None = None
    iva_rate: Decimal = Decimal(21)


def lines_from_summary(session: Session, summary: dict) -> list[DraftLine]:
    """The technician's confirmed work summary (flows/technician.py slots) as invoice lines."""
    lines: list[DraftLine] = []
    for raw in summary.get("lines") or []:
        item = session.get(PriceBookItem, raw["item_id"]) if raw.get("item_id") else None
        lines.append(DraftLine(
            description=str(raw.get("description") or "Servicio")[:200],
            quantity=Decimal(str(raw.get("quantity") or "1")),
            amount=Decimal(str(raw["amount"])).quantize(CENT),
            item_id=item.id if item else None,
            iva_rate=Decimal(item.iva_rate) if item is not None else Decimal(21),
        ))
    if not lines and summary.get("total"):
        lines.append(DraftLine("Servicio técnico", Decimal(1), Decimal(str(summary["total"]))))
    return lines


def create_for_job(
    session: Session, job: Job, lines: Iterable[DraftLine], *, settings: Settings,
    now: datetime | None = None, actor: str = "system",
) -> Invoice:
    """The job's invoice: pending AFIP authorization, or an internal receipt right away when the
    organization has no AFIP certificate. Idempotent: a job keeps the invoice it has."""
    now = now or utcnow()
    existing = session.scalar(
        select(Invoice).where(Invoice.job_id == job.id,
                              Invoice.status != InvoiceStatus.CANCELLED).limit(1)
    )
    if existing is not None:
        return existing
    lines = list(lines)
    if any(line.amount < 0 for line in lines):
        # Dropping a negative line would charge more than was confirmed: refuse instead.
        raise ValueError("invoice lines cannot be negative")
    lines = [line for line in lines if line.amount > 0]
    if not lines:
        raise ValueError("an invoice needs at least one line with an amount")
    org = session.get(Organization, job.org_id)
    customer = session.get(Customer, job.customer_id)
    today = local_today(org, now)
    doc_tipo, doc_nro = receiver_document(customer)
    receiver_iva = customer.iva_condition if customer else IvaCondition.CONSUMIDOR_FINAL
    configured = afip_configured(session, org, settings)
    terms = receiver_terms(org.iva_condition, receiver_iva)
    started = job.scheduled_start or now
    invoice = Invoice(
        org_id=org.id, job_id=job.id, customer_id=job.customer_id,
        punto_de_venta=org.punto_de_venta, issue_date=today, concepto=2,
        service_from=min(local_today(org, started), today), service_to=today,
        payment_due=today + timedelta(days=settings.payment_link_days),
        receiver_doc_tipo=doc_tipo, receiver_doc_nro=doc_nro,
        receiver_iva_id=terms.condition_id,
    )
    if configured:
        letter = terms.letter
        invoice.letter, invoice.cbte_tipo = letter, CBTE_TIPO[letter]
        invoice.status = InvoiceStatus.PENDING
    else:
        letter = None
        invoice.status = InvoiceStatus.INTERNAL
        invoice.number = counters.next_value(session, RECEIPT_COUNTER.format(pdv=org.punto_de_venta))
    discriminated = letter in ("A", "B")
    for line in lines:
        # A shows net prices (IVA apart); B, C and receipts show what the customer pays.
        shown = split_gross(line.amount, line.iva_rate)[0] if letter == "A" else line.amount
        invoice.lines.append(InvoiceLine(
            org_id=org.id, price_book_item_id=line.item_id, description=line.description,
            quantity=line.quantity,
            unit_price=(shown / line.quantity).quantize(CENT, ROUND_HALF_UP) if line.quantity else shown,
            iva_rate=line.iva_rate if discriminated else Decimal(0), subtotal=shown,
        ))
    _, net_total, iva_total, gross_total = iva_breakdown(letter, invoice.lines)
    invoice.net, invoice.iva, invoice.total = net_total, iva_total, gross_total
    if (letter == "B" and doc_tipo == DOC_NONE and gross_total >= CONSUMER_FINAL_ID_THRESHOLD):
        invoice.status = InvoiceStatus.DRAFT
        invoice.last_error = ("Falta el DNI o CUIT del cliente: AFIP lo pide para facturas a "
                              "consumidor final desde $ 10.000.000.")
    if letter == "A" and doc_tipo != DOC_CUIT:
        invoice.status = InvoiceStatus.DRAFT
        invoice.last_error = WAITS_FOR_CUIT
    session.add(invoice)
    session.flush()
    audit.record(session, actor=actor, action="invoice.create", entity_type="invoice",
                 entity_id=str(invoice.id),
                 data={"job_id": job.id, "status": invoice.status.value, "letter": letter,
                       "total": str(gross_total)})
    return invoice


WAITS_FOR_CUIT = ("Falta el CUIT del cliente: es responsable inscripto o monotributista y le "
                  "corresponde Factura A, que AFIP solo acepta con CUIT. Pedíselo (o corregí su "
                  "condición de IVA en la ficha) y la factura sale sola.")


def waiting_for_cuit(invoice: Invoice) -> bool:
    """A Factura A held until the customer's CUIT is on file."""
    return (invoice.status is InvoiceStatus.DRAFT and invoice.letter == "A"
            and invoice.receiver_doc_tipo != DOC_CUIT)


def resume_waiting_for_cuit(session: Session, customer_id: int, cuit: str,
                            actor: str = "system") -> list[int]:
    """The customer gave their CUIT: the Facturas A held for it become pending (the caller
    requests their issue after committing). Returns their ids."""
    if not (cuit.isdigit() and len(cuit) == 11):
        return []
    resumed = []
    for invoice in session.scalars(
            select(Invoice).where(Invoice.customer_id == customer_id,
                                  Invoice.status == InvoiceStatus.DRAFT,
                                  Invoice.letter == "A").with_for_update()):
        if not waiting_for_cuit(invoice):
            continue
        invoice.receiver_doc_tipo, invoice.receiver_doc_nro = DOC_CUIT, int(cuit)
        invoice.status, invoice.last_error = InvoiceStatus.PENDING, None
        invoice.updated_at = utcnow()
        audit.record(session, actor=actor, action="invoice.cuit_given", entity_type="invoice",
                     entity_id=str(invoice.id), data={"status": invoice.status.value})
        resumed.append(invoice.id)
    return resumed



def label(invoice: Invoice) -> str:
    """"factura B 0001-00000012", "recibo 0001-00000003", or "factura B (pendiente)"."""
    kind = f"factura {invoice.letter}" if invoice.letter else "recibo"
    if invoice.number is None or invoice.status in (InvoiceStatus.PENDING, InvoiceStatus.DRAFT,
                                                     InvoiceStatus.REJECTED):
        return kind
    return f"{kind} {invoice.punto_de_venta:04d}-{invoice.number:08d}"


def request_issue(session: Session, invoice_id: int) -> None:
    """Ask for the invoice to be authorized right after this transaction commits (the
    database's after-commit hook enqueues it); the retry sweeper covers a crash in between."""
    deferred.defer(session, "issue_invoice", invoice_id)


def due_for_retry(session: Session, now: datetime, limit: int = 100) -> list[int]:
    """Pending invoices whose next attempt is due (or never scheduled: a lost hand-off)."""
    return list(session.scalars(
        select(Invoice.id).where(
            Invoice.status == InvoiceStatus.PENDING,
            (Invoice.next_attempt_at.is_(None)) | (Invoice.next_attempt_at <= now),
        ).order_by(Invoice.id).limit(limit)
    ))


def undelivered(session: Session, now: datetime, grace: timedelta = timedelta(minutes=2),
                limit: int = 100) -> list[int]:
    """Issued invoices that never reached the customer, past a grace period for the worker
    that is delivering them right now."""
    return list(session.scalars(
        select(Invoice.id).where(
            Invoice.status.in_((InvoiceStatus.AUTHORIZED, InvoiceStatus.INTERNAL)),
            Invoice.delivered_at.is_(None),
            Invoice.created_at <= now - grace,
        ).order_by(Invoice.id).limit(limit)
    ))


RETRYABLE = (InvoiceStatus.PENDING, InvoiceStatus.REJECTED)


def reopen_for_retry(session: Session, invoice_id: int, actor: str) -> Invoice:
    """Staff pressed "reintentar" (after fixing the customer's data): a rejected invoice goes
    back to pending, unnumbered. A pending one is left as it is: if it was already sent, the
    worker must reconcile its number with AFIP rather than resend it."""
    invoice = session.get(Invoice, invoice_id, with_for_update=True)
    if invoice is None:
        raise NotFound(f"No existe la factura {invoice_id}.")
    if invoice.status not in RETRYABLE:
        raise ValidationFailed(
            "Solo se pueden reintentar facturas que esperan a AFIP o que AFIP rechazó.",
            {"retry": "not retryable"})
    before = invoice.status
    if before is InvoiceStatus.REJECTED:
        invoice.status = InvoiceStatus.PENDING
        invoice.number = invoice.requested_at = invoice.next_attempt_at = None
        invoice.updated_at = utcnow()
    audit.record(session, actor=actor, action="invoice.retry", entity_type="invoice",
                 entity_id=str(invoice.id), data={"from": before.value, "to": invoice.status.value})
    return invoice


def mark_invoiced(session: Session, invoice: Invoice, actor: str = "system") -> None:
    """Move the invoice's job to invoiced once the invoice reached the customer."""
    if invoice.job_id is None:
        return
    job = session.get(Job, invoice.job_id)
    if job is not None and job.status is JobStatus.COMPLETED:
        jobs.transition(session, job.id, JobStatus.INVOICED, actor,
                        note=f"{label(invoice).capitalize()} enviada")
