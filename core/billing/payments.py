"""Payments: invoice balances, Mercado Pago checkout links and notifications, manual payments.

A `Payment` row is one actual payment: a Mercado Pago payment (its id in `external_id`) or cash
or a transfer recorded by staff. The checkout link lives on the invoice. An invoice's balance
is its total minus what approved payments still hold (amount minus refunds); when it reaches
zero the invoice is paid and its job moves to paid through the jobs state machine.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import func, or_, select
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
    Payment,
    PaymentMethod,
    PaymentStatus,
    utcnow,
)
from core.settings import Settings
from core.tenancy import current_org_id
from core.vault import Vault

log = logging.getLogger("campotech.payments")

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
# Invoices a customer may owe on (the same set the chat flow shows).
OPEN_INVOICE = (InvoiceStatus.AUTHORIZED, InvoiceStatus.INTERNAL, InvoiceStatus.PENDING)
P = PaymentStatus
MP_STATUS: dict[str, PaymentStatus] = {
    "pending": P.PENDING,
    "authorized": P.PENDING,  # authorized but not captured: no money yet
    "in_process": P.IN_PROCESS,
    "in_mediation": P.IN_MEDIATION,
    "approved": P.APPROVED,
    "rejected": P.REJECTED,
    "cancelled": P.CANCELLED,
    "refunded": P.REFUNDED,
    "charged_back": P.CHARGED_BACK,
}
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


# ---- Mercado Pago --------------------------------------------------------------------------

class CheckoutClient(Protocol):
    """What this module needs of Mercado Pago (integrations/mercadopago.py's `MercadoPago`;
    the worker builds it from the organization's token, since core never imports adapters)."""

    def create_preference(self, *, external_reference: str, title: str, amount: Decimal,
                          notification_url: str, expires_at: datetime,
                          back_urls: dict[str, str] | None, idempotency_key: str,
                          payer_phone: str | None = None) -> Any: ...


class MPPaymentLike(Protocol):
    """A payment as Mercado Pago's API states it (integrations/mercadopago.py's `MPPayment`)."""

    id: str
    status: str
    status_detail: str | None
    transaction_amount: Decimal
    refunded_amount: Decimal
    external_reference: str | None
    date_approved: datetime | None
    raw: dict[str, Any]


def has_mercadopago(session: Session, settings: Settings) -> bool:
    return bool(Vault(settings.encryption_keys).load(session, "mercadopago_token"))


def webhook_secret(session: Session, settings: Settings) -> str | None:
    """The secret Mercado Pago signs this organization's notifications with, if stored."""
    return Vault(settings.encryption_keys).load(session, "mercadopago_webhook_secret")


def external_reference(invoice: Invoice) -> str:
    return f"inv:{invoice.org_id}:{invoice.id}"


def _link_is_current(session: Session, invoice: Invoice, settings: Settings, now: datetime) -> bool:
    """An unexpired link made after the last payment change (so for the same balance)."""
    if not invoice.payment_link or invoice.payment_link_expires_at is None:
        return False
    if invoice.payment_link_expires_at <= now:
        return False
    made_at = invoice.payment_link_expires_at - timedelta(days=settings.payment_link_days)
    touched = session.scalar(
        select(func.count(Payment.id)).where(
            Payment.invoice_id == invoice.id,
            or_(Payment.created_at >= made_at, Payment.updated_at >= made_at),
        )
    )
    return not touched


def _link_key(invoice: Invoice, balance: Decimal) -> str:
    # Mercado Pago takes at most 64 characters; the digest keeps the key short and stable.
    seed = f"{invoice.org_id}:{invoice.id}:{balance}:{invoice.mp_preference_id or 'first'}"
    return f"inv-{invoice.org_id}-{invoice.id}-" + hashlib.sha256(seed.encode()).hexdigest()[:32]


def create_payment_link(session: Session, invoice: Invoice, mp: CheckoutClient, *,
                        settings: Settings, now: datetime) -> str | None:
    """A Checkout Pro link for what the invoice still owes (None when nothing is owed).

    An unexpired link for an unchanged balance is reused. The idempotency key is the invoice,
    the balance and the preference it replaces: an RQ retry after a crash (nothing committed)
    sends the same key and gets the same preference back from Mercado Pago.
    """
    balance = invoice_balance(session, invoice)
    if balance <= 0:
        return None
    if _link_is_current(session, invoice, settings, now):
        return invoice.payment_link
    org_id = invoice.org_id
    org = session.get(Organization, org_id)
    customer = session.get(Customer, invoice.customer_id)
    expires_at = now + timedelta(days=settings.payment_link_days)
    base = settings.public_base_url.rstrip("/")
    title = f"{org.name}: " + (f"factura {invoice.letter} " if invoice.letter else "recibo ") + (
        f"{invoice.punto_de_venta:04d}-{invoice.number:08d}" if invoice.number else f"#{invoice.id}")
    preference = mp.create_preference(
        external_reference=external_reference(invoice),
        title=title,
        amount=balance,
        notification_url=f"{base}/webhooks/mercadopago?org={org_id}",
        expires_at=expires_at,
        back_urls={"success": f"{base}/", "pending": f"{base}/", "failure": f"{base}/"},
        idempotency_key=_link_key(invoice, balance),
        payer_phone=customer.phone if customer else None,
    )
    invoice.payment_link = preference.init_point
    invoice.mp_preference_id = preference.id
    invoice.payment_link_expires_at = expires_at
    invoice.updated_at = now
    audit.record(session, actor="system", action="invoice.payment_link", entity_type="invoice",
                 entity_id=invoice.id, data={"preference_id": preference.id, "amount": balance,
                                             "expires_at": expires_at})
    session.flush()
    return preference.init_point


def _invoice_for_reference(session: Session, reference: str | None) -> Invoice | None:
    parts = (reference or "").split(":")
    if len(parts) != 3 or parts[0] != "inv" or not parts[1].isdigit() or not parts[2].isdigit():
        return None
    if int(parts[1]) != current_org_id(session):
        return None
    return session.get(Invoice, int(parts[2]), with_for_update=True)


def record_mercadopago_payment(session: Session, mp_payment: MPPaymentLike, *, now: datetime
                               ) -> PaymentOutcome:
    """Bring our copy of a Mercado Pago payment up to date (idempotent) and settle the invoice."""
    invoice = _invoice_for_reference(session, mp_payment.external_reference)
    if invoice is None:
        log.warning("mercadopago payment %s refers to %r, not an invoice of organization %s",
                    mp_payment.id, mp_payment.external_reference, current_org_id(session))
        return PaymentOutcome("unknown")
    status = MP_STATUS.get(mp_payment.status)
    if status is None:
        log.warning("mercadopago payment %s has unknown status %r; kept as pending",
                    mp_payment.id, mp_payment.status)
        status = P.PENDING
    payment = session.scalar(
        select(Payment).where(Payment.method == PaymentMethod.MERCADOPAGO,
                              Payment.external_id == mp_payment.id).with_for_update()
    )
    state = (status, mp_payment.status_detail, mp_payment.transaction_amount, mp_payment.refunded_amount)
    if payment is not None and (payment.status, payment.status_detail, Decimal(payment.amount),
                                Decimal(payment.refunded_amount or 0)) == state:
        return PaymentOutcome("unchanged", invoice.id, invoice.customer_id, Decimal(payment.amount),
                              invoice_balance(session, invoice), payment.id)
    before_status = payment.status if payment else None
    before_refunded = Decimal(payment.refunded_amount or 0) if payment else ZERO
    if payment is None:
        payment = Payment(method=PaymentMethod.MERCADOPAGO, external_id=mp_payment.id,
                          invoice_id=invoice.id, job_id=invoice.job_id, customer_id=invoice.customer_id,
                          preference_id=invoice.mp_preference_id, amount=mp_payment.transaction_amount)
        session.add(payment)
    payment.status = status
    payment.status_detail = mp_payment.status_detail
    payment.amount = mp_payment.transaction_amount
    payment.refunded_amount = mp_payment.refunded_amount
    payment.raw = mp_payment.raw
    payment.updated_at = now
    if status is P.APPROVED and payment.paid_at is None:
        payment.paid_at = mp_payment.date_approved or now
    session.flush()
    audit.record(session, actor=ACTOR_MP, action="payment.mercadopago", entity_type="payment",
                 entity_id=payment.id, data={"external_id": mp_payment.id, "invoice_id": invoice.id,
                                             "from": before_status, "to": status,
                                             "detail": mp_payment.status_detail,
                                             "amount": payment.amount, "refunded": payment.refunded_amount})
    balance = _settle(session, invoice, ACTOR_MP, now)
    kind, amount = _kind(status, before_status, before_refunded, payment, balance)
    return PaymentOutcome(kind, invoice.id, invoice.customer_id, amount, balance, payment.id)


def _kind(status: PaymentStatus, before: PaymentStatus | None, before_refunded: Decimal,
          payment: Payment, balance: Decimal) -> tuple[str, Decimal]:
    amount = Decimal(payment.amount)
    refunded = Decimal(payment.refunded_amount or 0)
    if status is P.APPROVED:
        if before is P.APPROVED and refunded > before_refunded:
            return "refunded", refunded - before_refunded
        if before is P.APPROVED:
            return "unchanged", amount  # only the detail changed
        return ("paid" if balance <= 0 else "partial"), amount - refunded
    if status is P.REFUNDED:
        return "refunded", amount - (before_refunded if before is P.APPROVED else ZERO)
    if status is P.CHARGED_BACK:
        return "charged_back", amount
    if status is P.IN_MEDIATION:
        return ("disputed" if before is not P.IN_MEDIATION else "unchanged"), amount
    if status in (P.REJECTED, P.CANCELLED):
        return "rejected", amount
    # pending, in process: nothing to tell until it resolves.
    return "pending", amount


def _settle(session: Session, invoice: Invoice, actor: str, now: datetime) -> Decimal:
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
    balance = _settle(session, invoice, actor, now)
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
