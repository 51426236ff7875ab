"""What needs a person first — open emergencies, chats waiting for a person, invoices AFIP
rejected — counted for the menu, the home page and the inbox, with the same rules everywhere.

A chat waits for a person when the bot handed it over (`needs_person`, set by
flows/handover.py and kept until staff take it or hand it back), or when staff have it and the
customer wrote after their last reply. A chat is unanswered when its last message came in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask import g
from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from backoffice.extensions import db
from backoffice.job_board import customer_name, open_emergency
from backoffice.security import INVOICE_READERS, STAFF, current_user
from core.jobs import OPEN_STATUSES
from core.models import (
    Conversation,
    Customer,
    Direction,
    Invoice,
    InvoiceStatus,
    Job,
    Message,
    Role,
)

HOME_REJECTED = 5  # rejected invoices listed on the home page; the rest behind a link


# ---- the rules, as SQL ---------------------------------------------------------------------------

def last_message_id(direction: Direction) -> ColumnElement:
    """The id of the conversation's last message that way (correlated: one row at a time)."""
    return (select(func.max(Message.id))
            .where(Message.conversation_id == Conversation.id, Message.direction == direction)
            .scalar_subquery())


def unanswered(last_in: ColumnElement, last_out: ColumnElement) -> ColumnElement[bool]:
    """The last message came in: nobody (bot or person) has answered it yet."""
    return and_(last_in.is_not(None), or_(last_out.is_(None), last_in > last_out))


def waiting_for_person(last_in: ColumnElement, last_out: ColumnElement) -> ColumnElement[bool]:
    return or_(Conversation.needs_person.is_(True),
               and_(Conversation.human_takeover.is_(True), unanswered(last_in, last_out)))


def about_emergency() -> ColumnElement[bool]:
    """The chat is about an open emergency: its customer's, or the chat that started it."""
    customers = select(Job.customer_id).where(open_emergency())
    chats = select(Job.source_conversation_id).where(open_emergency(),
                                                     Job.source_conversation_id.is_not(None))
    return or_(Conversation.customer_id.in_(customers), Conversation.id.in_(chats))


def about_technician(user_id: int) -> ColumnElement[bool]:
    """The technician's own chat, and the chats of customers with an open job assigned to them."""
    customers = select(Job.customer_id).where(Job.technician_id == user_id, Job.status.in_(OPEN_STATUSES))
    return or_(Conversation.user_id == user_id, Conversation.customer_id.in_(customers))


# ---- counts ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Counts:
    emergencies: int  # open emergency jobs (a technician: only their own)
    waiting: int | None  # chats waiting for a person; None for roles that do not see chats
    rejected: int | None  # invoices AFIP rejected; None for roles that do not see invoices

    @property
    def total(self) -> int:
        return self.emergencies + (self.waiting or 0) + (self.rejected or 0)


def count_emergencies(session: Session, only_technician: int | None = None) -> int:
    where = [open_emergency()]
    if only_technician is not None:
        where.append(Job.technician_id == only_technician)
    return session.scalar(select(func.count(Job.id)).where(*where)) or 0


def count_waiting(session: Session) -> int:
    clause = waiting_for_person(last_message_id(Direction.INBOUND), last_message_id(Direction.OUTBOUND))
    return session.scalar(select(func.count(Conversation.id)).where(clause)) or 0


def count_rejected(session: Session) -> int:
    return session.scalar(select(func.count(Invoice.id))
                          .where(Invoice.status == InvoiceStatus.REJECTED)) or 0


def counts_for(session: Session, role: Role, user_id: int) -> Counts:
    """What `role` is shown: a technician only their own emergencies, no chats, no invoices."""
    return Counts(
        emergencies=count_emergencies(session, user_id if role is Role.TECHNICIAN else None),
        waiting=count_waiting(session) if role in STAFF else None,
        rejected=count_rejected(session) if role in INVOICE_READERS else None,
    )


def menu_counts() -> Counts | None:
    """The signed-in user's counts, once per request (the menu and the page share them)."""
    if "attention_counts" not in g:
        user = current_user()
        if user is None:
            g.attention_counts = None
        else:
            with db().org_session(user.org_id) as s:
                g.attention_counts = counts_for(s, Role(user.role), user.id)
    return g.attention_counts


def context() -> dict:
    """For every back-office template: `menu_counts()` runs only when a page asks for it."""
    return {"menu_counts": menu_counts}


# ---- rejected invoices -------------------------------------------------------------------------

@dataclass(frozen=True)
class RejectedInvoice:
    id: int
    customer: str
    total: Decimal
    issue_date: date | None
    error: str


def rejected_invoices(session: Session, limit: int = HOME_REJECTED) -> list[RejectedInvoice]:
    """The newest invoices AFIP rejected, with what AFIP said."""
    rows = session.execute(
        select(Invoice, Customer).outerjoin(Customer, Customer.id == Invoice.customer_id)
        .where(Invoice.status == InvoiceStatus.REJECTED)
        .order_by(Invoice.id.desc()).limit(limit)
    ).all()
    return [RejectedInvoice(id=invoice.id, customer=customer_name(customer), total=invoice.total,
                            issue_date=invoice.issue_date,
                            error=invoice.last_error or "AFIP no dijo por qué.")
            for invoice, customer in rows]
