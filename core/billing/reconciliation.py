"""Reconciling Mercado Pago: notifications are hints, the API is the truth. Which invoices and
organizations to ask about, and which of the API's payments we hold stale."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import (
    Invoice,
    Payment,
    PaymentMethod,
)

log = logging.getLogger("campotech.payments")

from core.billing.mp_payments import MP_STATUS, MPPaymentLike
from core.billing.payments import OPEN_INVOICE, P

# A link that expired this recently may still have a payment whose notification never came.
RECONCILE_AFTER_EXPIRY = timedelta(days=1)


def invoices_to_reconcile(session: Session, now: datetime, *, limit: int = 200) -> list[Invoice]:
    """Unpaid invoices of the current organization with a Mercado Pago link still open (or
    closed less than a day ago), the most recent links first."""
    return list(session.scalars(
        select(Invoice).where(Invoice.mp_preference_id.is_not(None), Invoice.paid_at.is_(None),
                              Invoice.status.in_(OPEN_INVOICE),
                              Invoice.payment_link_expires_at > now - RECONCILE_AFTER_EXPIRY)
        .order_by(Invoice.payment_link_expires_at.desc(), Invoice.id.desc()).limit(limit)
    ))


def orgs_to_reconcile(session: Session, now: datetime) -> list[int]:
    """Organizations with an invoice `invoices_to_reconcile` would list (a system session)."""
    return list(session.scalars(
        select(Invoice.org_id).where(Invoice.mp_preference_id.is_not(None), Invoice.paid_at.is_(None),
                                     Invoice.status.in_(OPEN_INVOICE),
                                     Invoice.payment_link_expires_at > now - RECONCILE_AFTER_EXPIRY)
        .distinct().order_by(Invoice.org_id)
    ))


def payments_out_of_date(session: Session, found: list[MPPaymentLike]) -> list[str]:
    """Ids of the Mercado Pago payments we lack or hold in another state than the API's."""
    if not found:
        return []
    ours = {p.external_id: p for p in session.scalars(
        select(Payment).where(Payment.method == PaymentMethod.MERCADOPAGO,
                              Payment.external_id.in_([f.id for f in found])))}
    stale = []
    for mp_payment in found:
        payment = ours.get(mp_payment.id)
        state = (MP_STATUS.get(mp_payment.status, P.PENDING), mp_payment.status_detail,
                 mp_payment.transaction_amount, mp_payment.refunded_amount)
        if payment is None or (payment.status, payment.status_detail, Decimal(payment.amount),
                               Decimal(payment.refunded_amount or 0)) != state:
            stale.append(mp_payment.id)
    return stale
