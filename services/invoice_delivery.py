"""Putting an issued invoice in the customer's chat, and telling the owner when AFIP fails.

`deliver` sends the invoice PDF as a WhatsApp document (Meta fetches it from our signed
`/i/<token>.pdf` link) followed by how to pay: the Mercado Pago link when the organization has
a token, else its transfer details, and then the 1-to-5 stars for the job. It runs once per invoice (`delivered_at`, plus idempotency
keys on the queued messages so a retried job never sends twice) and moves the job to invoiced.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from redis import Redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import es_ar
from core.billing import invoicing
from core.billing.invoice_links import pdf_filename, pdf_link
from core.billing.payments import invoice_balance, payment_options
from core.db import Database
from core.messaging import texts
from core.messaging.outbox import customer_conversation, queue_replies
from core.messaging.replies import Document, Reply, Text
from core.models import (
    Customer,
    Invoice,
    InvoiceStatus,
    Job,
    JobEvent,
    JobStatus,
    Organization,
    utcnow,
)
from core.organizations import all_organization_ids
from core.settings import Settings
from flows.customer_rating import ask_rating
from services import afip_gateway, invoice_issue, payment_gateway
from services.alerts import notify_owners
from services.dispatch import Dispatcher

log = logging.getLogger("campotech.bot.invoices")

DELIVERABLE = (InvoiceStatus.AUTHORIZED, InvoiceStatus.INTERNAL)
# (session, invoice) -> the checkout link, or None; built by the worker from the org's token.
LinkMaker = Callable[[Session, Invoice], str | None]


@dataclass
class Delivery:
    status: str  # sent, already, not_ready, no_address
    message_ids: list[int] = field(default_factory=list)
    link: str | None = None


def invoice_replies(session: Session, invoice: Invoice, settings: Settings,
                    link: str | None, balance: Decimal) -> list[Reply]:
    """The document with its caption, then how to pay what is still owed (`balance`)."""
    customer = session.get(Customer, invoice.customer_id)
    job = session.get(Job, invoice.job_id) if invoice.job_id else None
    name = ((customer.name or "").split() or [""])[0] if customer else ""
    caption = texts.render(
        "invoice_sent", name=name, label=invoicing.label(invoice),
        internal=invoice.status is InvoiceStatus.INTERNAL,
        number=job.number if job else None, total=es_ar.pesos(Decimal(invoice.total)),
    )
    replies: list[Reply] = [Document(filename=pdf_filename(invoice),
                                     link=pdf_link(invoice, settings), caption=caption)]
    if balance <= 0:
        # paid before it got here (cash to the technician): thanks, never the ways to pay
        replies.append(Text(texts.render("cust_invoice_paid", total=es_ar.pesos(Decimal(invoice.total)))))
        return replies
    if job is not None and _paid_on_site(session, job) == "transfer":
        # the technician says they transferred: the office confirms it, nobody duns them
        replies.append(Text(texts.render("cust_transfer_told", tech=es_ar.first_name(
            job.technician.name if job.technician else None))))
        return replies
    options = payment_options(session, customer) if customer else None
    if link or (options is not None and options.any):
        replies.append(Text(texts.render(
            "cust_payment_options", amount=es_ar.pesos(Decimal(invoice.total)),
            link=link or (options.link if options else None),
            alias=options.alias if options else None, cbu=options.cbu if options else None,
            holder=options.holder if options else None,
        ), preview_url=bool(link)))
    return replies


def deliver(db: Database, redis: Redis, settings: Settings, org_id: int, invoice_id: int, *,
            link_maker: LinkMaker | None = None, now: datetime | None = None) -> Delivery:
    now = now or utcnow()
    with db.org_session(org_id) as session:
        invoice = session.get(Invoice, invoice_id, with_for_update=True)
        if invoice is None or invoice.status not in DELIVERABLE:
            return Delivery("not_ready")
        if invoice.delivered_at is not None:
            return Delivery("already")
        customer = session.get(Customer, invoice.customer_id)
        conversation = customer_conversation(session, customer)
        link = None
        balance = invoice_balance(session, invoice)
        if link_maker is not None and balance > 0:
            try:
                link = link_maker(session, invoice)
            except Exception:
                log.exception("payment link for invoice %s failed; sending without it", invoice_id)
        ids: list[int] = []
        if conversation is not None:
            replies = invoice_replies(session, invoice, settings, link, balance)
            job = session.get(Job, invoice.job_id) if invoice.job_id else None
            if job is not None and not _rated(session, job) \
                    and job.status is not JobStatus.NEEDS_FOLLOWUP:
                # The stars come after the bill, never before it (nor for today's visit of
                # work still to finish).
                replies += ask_rating(conversation, job, now)
            ids = queue_replies(session, conversation, replies, key=f"invoice:{invoice_id}")
        invoice.delivered_at = now
        invoicing.mark_invoiced(session, invoice)
    dispatch = Dispatcher(redis)
    for message_id in ids:
        dispatch.send(org_id, message_id)
    log.info("invoice %s delivered (%d messages%s)", invoice_id, len(ids),
             ", with payment link" if link else "")
    return Delivery("sent" if ids else "no_address", ids, link)


def _paid_on_site(session: Session, job: Job) -> str | None:
    """How the technician said the customer paid them when closing the job ("cash",
    "transfer"), from the completion's work summary; None when they did not say."""
    data = session.scalar(select(JobEvent.data).where(
        JobEvent.job_id == job.id, JobEvent.to_status == JobStatus.COMPLETED)
        .order_by(JobEvent.id.desc()).limit(1)) or {}
    return (data.get("work_summary") or {}).get("paid_on_site")


def _rated(session: Session, job: Job) -> bool:
    return session.scalar(select(JobEvent.id).where(JobEvent.job_id == job.id,
                                                    JobEvent.kind == "rating").limit(1)) is not None


def tell_owner(db: Database, redis: Redis, org_id: int, outcome: invoice_issue.IssueOutcome) -> None:
    """Failed-invoice alerts: a rejection every time; AFIP down only on the first failure."""
    if outcome.kind == "rejected":
        template = "owner_invoice_rejected"
    elif outcome.kind == "pending" and outcome.first_failure:
        template = "owner_invoice_pending"
    else:
        return
    with db.org_session(org_id) as session:
        invoice = session.get(Invoice, outcome.invoice_id)
        job = session.get(Job, invoice.job_id) if invoice.job_id else None
        customer = session.get(Customer, invoice.customer_id)
        org = session.get(Organization, org_id)
        text = texts.render(
            template, number=job.number if job else None,
            customer=(customer.name if customer else None) or "el cliente",
            total=es_ar.pesos(Decimal(invoice.total)), reasons=outcome.messages,
            org_name=org.name,
        )
    notify_owners(db, redis, org_id, text,
                  key=f"invoice:{outcome.invoice_id}:{outcome.kind}:{invoice.attempts or 0}")


def issue_and_deliver(db: Database, redis: Redis, settings: Settings, org_id: int, invoice_id: int,
                      *, force: bool = False) -> dict:
    """Authorize one invoice with AFIP (or take the internal receipt as is), then put it in the
    customer's chat with the payment link; owners hear about rejections and AFIP outages."""
    outcome = invoice_issue.issue(
        db, redis, settings, org_id, invoice_id,
        lambda: afip_gateway.authorizer_for(db, redis, settings, org_id),
        force=force, explain=afip_gateway.explain,
    )
    link_maker = payment_gateway.link_maker(settings)
    delivered = {}
    # Its AFIP batch came back with it: deliver those too rather than wait for their jobs.
    for one in (outcome, *outcome.others):
        tell_owner(db, redis, org_id, one)
        delivered[one.invoice_id] = deliver(
            db, redis, settings, org_id, one.invoice_id, link_maker=link_maker).status
    return {"outcome": outcome.kind, "reason": outcome.reason,
            "delivery": delivered[invoice_id], "batch": len(outcome.others) + 1}


def requeue_due(db: Database, redis: Redis, now: datetime) -> int:
    """Enqueue pending invoices whose retry is due, and issued ones never delivered; how many."""
    dispatch = Dispatcher(redis)
    queued = 0
    with db.system_session() as session:
        org_ids = all_organization_ids(session)
    for org_id in org_ids:
        with db.org_session(org_id) as session:
            due = invoicing.due_for_retry(session, now) + invoicing.undelivered(session, now)
        for invoice_id in due:
            dispatch.issue_invoice(org_id, invoice_id)
            queued += 1
    return queued
