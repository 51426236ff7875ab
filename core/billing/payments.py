"""Payments: invoice balances, settling an invoice and its job, manual payments, what is owed.

Mercado Pago's checkout links and notifications are in `core/billing/mp_payments.py`.

A `Payment` row is one actual payment: a Mercado Pago payment (its id in `external_id`) or cash
or a transfer recorded by staff. The checkout link lives on the invoice. An invoice's balance
is its total minus what approved payments still hold (amount minus refunds); when it reaches
zero the invoice is paid and its job moves to paid through the jobs state machine.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import audit, es_ar, jobs
from core.errors import InvalidTransition, ValidationFailed
from core.models import (
    Customer,
    Invoice,
    InvoiceStatus,
    Job,
    JobStatus,
    Organization,
    OrgSecret,
    Payment,
    PaymentMethod,
    PaymentStatus,
    utcnow,
)
from core.tenancy import current_org_id

log = logging.getLogger("campotech.payments")

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
# Invoices a customer may owe on (the same set the chat flow shows).
OPEN_INVOICE = (InvoiceStatus.AUTHORIZED, InvoiceStatus.INTERNAL, InvoiceStatus.PENDING)
P = PaymentStatus
ACTOR_MP = "mercadopago"


@dataclass(frozen=True)
class PaymentOptions:
    """Ways to pay, any of them optional; `amount` is what is owed, when known."""

    link: str | None = None  # Mercado Pago checkout link
    alias: str | None = None  # transfer alias ("plomeria.ramos")
    cbu: str | None = None  # 22 digits (CBU or CVU)
    holder: str | None = None  # the account's holder, shown so the customer can check it
    amount: Decimal | None = None
    invoice_id: int | None = None

    @property
    def any(self) -> bool:
        """Whether there is something to pay with."""
        return bool(self.link or self.alias or self.cbu)


@dataclass(frozen=True)
class PaymentOutcome:
    """What one payment event changed.

    kind: unchanged, paid (balance now zero), partial (money in, balance left), refunded,
    charged_back, disputed (the buyer opened a claim: Mercado Pago holds the money), rejected,
    pending (nothing moved yet), unknown (not one of our invoices).
    """

    kind: str
    invoice_id: int | None = None
    customer_id: int | None = None
    amount: Decimal = ZERO  # the money this event is about
    balance: Decimal = ZERO  # what the invoice still owes afterwards
    payment_id: int | None = None


# ---- balances ------------------------------------------------------------------------------

def _held(payment: Payment) -> Decimal:
    """What a payment counts towards its invoice: approved money not refunded."""
    if payment.status is not P.APPROVED:
        return ZERO
    return max(ZERO, Decimal(payment.amount) - Decimal(payment.refunded_amount or 0))


def invoice_balance(session: Session, invoice: Invoice) -> Decimal:
    """The invoice's total minus what approved payments hold; never below zero."""
    paid = session.scalar(
        select(func.coalesce(func.sum(Payment.amount - func.coalesce(Payment.refunded_amount, 0)), 0))
        .where(Payment.invoice_id == invoice.id, Payment.status == P.APPROVED)
    )
    return max(ZERO, (Decimal(invoice.total or 0) - Decimal(paid or 0)).quantize(CENT))


def settle(session: Session, invoice: Invoice, actor: str, now: datetime) -> Decimal:
    """Mark the invoice paid (and its job) when nothing is owed; reopen it when money went back."""
    balance = invoice_balance(session, invoice)
    if balance <= 0 and invoice.paid_at is None:
        invoice.paid_at = now
        invoice.updated_at = now
        audit.record(session, actor=actor, action="invoice.paid", entity_type="invoice",
                     entity_id=invoice.id, data={"total": invoice.total})
        _job_paid(session, invoice, actor)
    elif balance > 0 and invoice.paid_at is not None:
        invoice.paid_at = None
        invoice.updated_at = now
        audit.record(session, actor=actor, action="invoice.reopened", entity_type="invoice",
                     entity_id=invoice.id, data={"balance": balance})
        _job_reopened(session, invoice)
    session.flush()
    return balance


def _job_paid(session: Session, invoice: Invoice, actor: str) -> None:
    job = session.get(Job, invoice.job_id) if invoice.job_id else None
    if job is None:
        return
    # A job paid before the invoice reached the chat goes through invoiced first.
    path = {JobStatus.COMPLETED: (JobStatus.INVOICED, JobStatus.PAID), JobStatus.INVOICED: (JobStatus.PAID,)}
    for target in path.get(job.status, ()):
        jobs.transition(session, job.id, target, actor, note="Pago recibido")
    if job.status is not JobStatus.PAID:
        log.warning("invoice %s is paid but job %s stays %s", invoice.id, job.id, job.status)


def _job_reopened(session: Session, invoice: Invoice) -> None:
    job = session.get(Job, invoice.job_id) if invoice.job_id else None
    if job is None or job.status is not JobStatus.PAID:
        return
    try:
        jobs.check_transition(job.status, JobStatus.INVOICED)
    except InvalidTransition:
        # The state machine keeps paid final; the invoice's balance and audit say it reopened.
        log.warning("invoice %s owes money again but job %s stays paid (final state)",
                    invoice.id, job.id)
        return
    jobs.transition(session, job.id, JobStatus.INVOICED, ACTOR_MP, note="Pago devuelto")


# ---- cash and transfers --------------------------------------------------------------------

def record_manual_payment(session: Session, invoice: Invoice, *, method: PaymentMethod,
                          amount: Decimal, actor: str, note: str | None = None,
                          now: datetime) -> PaymentOutcome:
    """Cash or a transfer that staff saw arrive, for at most what the invoice still owes."""
    method = PaymentMethod(method)
    if method not in (PaymentMethod.CASH, PaymentMethod.TRANSFER):
        raise ValidationFailed("Acá solo se cargan pagos en efectivo o por transferencia.",
                               {"method": "invalid"})
    if invoice.status not in OPEN_INVOICE:
        raise ValidationFailed("Esa factura no está emitida; no se le pueden cargar pagos.",
                               {"invoice_id": "invalid"})
    try:
        amount = Decimal(str(amount)).quantize(CENT)
    except ArithmeticError:
        raise ValidationFailed("El monto no es un número.", {"amount": "invalid"}) from None
    if not amount.is_finite() or amount <= 0:
        raise ValidationFailed("El monto tiene que ser mayor a cero.", {"amount": "invalid"})
    session.refresh(invoice, with_for_update=True)
    balance = invoice_balance(session, invoice)
    if amount > balance:
        raise ValidationFailed(f"El monto supera lo que se debe de esa factura ({es_ar.pesos(balance)}).",
                               {"amount": "too_much"})
    payment = Payment(invoice_id=invoice.id, job_id=invoice.job_id, customer_id=invoice.customer_id,
                      method=method, status=P.APPROVED, amount=amount, paid_at=now, note=note,
                      updated_at=now)
    session.add(payment)
    session.flush()
    audit.record(session, actor=actor, action=f"payment.{method.value}", entity_type="payment",
                 entity_id=payment.id, data={"invoice_id": invoice.id, "amount": amount, "note": note})
    balance = settle(session, invoice, actor, now)
    return PaymentOutcome("paid" if balance <= 0 else "partial", invoice.id, invoice.customer_id,
                          amount, balance, payment.id)


# ---- what the customer sees ----------------------------------------------------------------

def open_invoice(session: Session, customer: Customer) -> tuple[Invoice, Decimal] | None:
    """The customer's most recent issued invoice that still owes money, with its balance."""
    recent = session.scalars(
        select(Invoice).where(Invoice.customer_id == customer.id, Invoice.status.in_(OPEN_INVOICE))
        .order_by(Invoice.id.desc()).limit(20)
    )
    for invoice in recent:
        balance = invoice_balance(session, invoice)
        if balance > 0:
            return invoice, balance
    return None


def takes_mercadopago(session: Session) -> bool:
    """Whether the current organization has connected Mercado Pago (its links take credit and
    debit cards and account money)."""
    return session.scalar(select(OrgSecret.id).where(OrgSecret.name == "mercadopago_token")
                          .limit(1)) is not None


def payment_options(session: Session, customer: Customer) -> PaymentOptions | None:
    """How `customer` can pay right now, or None when the business has nothing set up yet."""
    org = session.get(Organization, current_org_id(session))
    transfer = {"alias": org.transfer_alias or None, "cbu": org.transfer_cbu or None,
                "holder": org.transfer_holder or None}
    has_transfer = bool(transfer["alias"] or transfer["cbu"])
    found = open_invoice(session, customer)
    if found is None:
        return PaymentOptions(**transfer) if has_transfer else None
    invoice, balance = found
    link = invoice.payment_link
    if link and (invoice.payment_link_expires_at is None or invoice.payment_link_expires_at <= utcnow()):
        link = None
    if not link and not has_transfer:
        return None
    return PaymentOptions(link=link, amount=balance, invoice_id=invoice.id, **transfer)
