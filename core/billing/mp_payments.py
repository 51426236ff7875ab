"""Mercado Pago payments: checkout links for what an invoice owes, and its notifications recorded.

The rules of balances and settling are `core/billing/payments.py`'s; this module takes a client
(the worker builds it from the organization's token, since core never imports adapters).
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from core import audit
from core.billing.payments import ACTOR_MP, ZERO, P, PaymentOutcome, invoice_balance, settle
from core.models import Customer, Invoice, Organization, Payment, PaymentMethod, PaymentStatus
from core.settings import Settings
from core.tenancy import current_org_id
from core.vault import Vault

log = logging.getLogger("campotech.payments")

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
    balance = settle(session, invoice, ACTOR_MP, now)
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
