"""Mercado Pago payment notifications: fetch the notified payment, record it, tell who must know."""

from __future__ import annotations

import logging
from decimal import Decimal

from redis import Redis
from sqlalchemy.orm import Session

from core import es_ar
from core.billing import invoicing, mp_payments, payments
from core.db import Database
from core.messaging import texts
from core.messaging.outbox import customer_conversation, queue_replies
from core.messaging.replies import Text
from core.models import Customer, Invoice, utcnow
from core.settings import Settings
from integrations.mercadopago import MercadoPagoError
from services import payment_gateway
from services.alerts import notify_owners
from services.dispatch import Dispatcher

log = logging.getLogger("campotech.workers.payments")


def handle_payment_notification(db: Database, redis: Redis, settings: Settings, org_id: int,
                                payment_id: str) -> dict:
    """Re-fetch a payment Mercado Pago told us about and act on what changed.

    Raises on a retryable Mercado Pago error so RQ tries again; everything else is final.
    """
    with db.org_session(org_id) as session:
        mp = payment_gateway.client_for(session, settings)
    if mp is None:
        log.warning("payment %s notified for organization %s, which has no Mercado Pago token",
                    payment_id, org_id)
        return {"outcome": "no_token"}
    try:
        mp_payment = mp.get_payment(payment_id)
    except MercadoPagoError as exc:
        if exc.retryable:
            raise
        log.error("payment %s cannot be fetched: %s", payment_id, exc)
        return {"outcome": "error", "status": exc.status}
    if mp_payment is None:
        log.warning("payment %s notified for organization %s does not exist at Mercado Pago",
                    payment_id, org_id)
        return {"outcome": "not_found"}
    with db.org_session(org_id) as session:
        outcome = mp_payments.record_mercadopago_payment(session, mp_payment, now=utcnow())
        customer_ids = _receipt(session, outcome, payment_id, mp_payment.status)
        owner_text = _owner_text(session, outcome)
    _dispatch(redis, org_id, customer_ids)
    if owner_text:
        notify_owners(db, redis, org_id, owner_text,
                      key=f"mp:{payment_id}:{outcome.kind}:{outcome.amount}:{outcome.balance}")
    log.info("payment %s: %s (invoice %s, balance %s)", payment_id, outcome.kind,
             outcome.invoice_id, outcome.balance)
    return {"outcome": outcome.kind, "invoice_id": outcome.invoice_id,
            "balance": str(outcome.balance)}


def _receipt(session: Session, outcome: payments.PaymentOutcome, payment_id: str, status: str
             ) -> list[int]:
    """Queue the customer's receipt for money that came in; the key makes it once per state."""
    if outcome.kind not in ("paid", "partial"):
        return []
    customer = session.get(Customer, outcome.customer_id)
    conversation = customer_conversation(session, customer)
    if conversation is None:
        return []
    invoice = session.get(Invoice, outcome.invoice_id)
    text = texts.render(
        "payment_received", name=((customer.name or "").split() or [""])[0],
        amount=es_ar.pesos(outcome.amount), label=invoicing.label(invoice),
        balance=es_ar.pesos(outcome.balance) if outcome.balance > 0 else None,
    )
    return queue_replies(session, conversation, [Text(text)], key=f"mp:{payment_id}:{status}:receipt")


def _owner_text(session: Session, outcome: payments.PaymentOutcome) -> str | None:
    if outcome.kind not in ("paid", "partial", "refunded", "charged_back", "disputed"):
        return None
    invoice = session.get(Invoice, outcome.invoice_id)
    customer = session.get(Customer, outcome.customer_id)
    who = (customer.name if customer else None) or "Un cliente"
    label = invoicing.label(invoice)
    balance = es_ar.pesos(outcome.balance) if outcome.balance > Decimal(0) else None
    if outcome.kind == "disputed":
        return texts.render("payment_owner_disputed", customer=who, amount=es_ar.pesos(outcome.amount),
                            label=label, balance=balance)
    if outcome.kind in ("paid", "partial"):
        return texts.render("payment_owner_received", customer=who, amount=es_ar.pesos(outcome.amount),
                            label=label, balance=balance)
    return texts.render("payment_owner_reversed", customer=who, amount=es_ar.pesos(outcome.amount),
                        label=label, balance=balance, charged_back=outcome.kind == "charged_back")


def _dispatch(redis: Redis, org_id: int, message_ids: list[int]) -> None:
    dispatch = Dispatcher(redis)
    for message_id in message_ids:
        dispatch.send(org_id, message_id)

