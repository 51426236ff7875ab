"""Customers for staff: typo-tolerant search, one customer's history, and the CSV import."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from flask import Blueprint, abort, render_template, request
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backoffice.conversations import message_text
from backoffice.display import local_time, person, short_date, zone
from backoffice.extensions import db
from backoffice.paging import Page, paginate, paginate_list
from backoffice.people import sender_label, staff_senders
from backoffice.security import STAFF, VIEWER, actor, current_user, requires
from backoffice.uploads import UploadRefused, read_csv_upload
from core.billing import payments
from core.billing.invoice_pdf import IVA_LABELS
from core.billing.invoicing import label
from core.customers.csv_import import ImportReport, import_customers_csv
from core.customers.search import search_customers, spanish_sort_key
from core.models import (
    Conversation,
    ConversationRole,
    Customer,
    Direction,
    Invoice,
    IvaCondition,
    Job,
    JobStatus,
    Message,
    Organization,
    Role,
)

bp = Blueprint("customers", __name__, url_prefix="/customers")
log = logging.getLogger("campotech.backoffice.customers")

READERS = STAFF | VIEWER
QUERY_MAX = 120
DETAIL_PER_PAGE = 20  # a customer's jobs and invoices, each paged on its own
MESSAGES_LIMIT = 10
JOB_STATUS = {
    JobStatus.PENDING: "sin agendar",
    JobStatus.SCHEDULED: "agendado",
    JobStatus.EN_ROUTE: "en camino",
    JobStatus.ON_SITE: "en el domicilio",
    JobStatus.COMPLETED: "terminado",
    JobStatus.INVOICED: "facturado",
    JobStatus.PAID: "cobrado",
    JobStatus.CANCELLED: "cancelado",
    JobStatus.NEEDS_FOLLOWUP: "necesita otra visita",
}


@dataclass(frozen=True)
class CustomerRow:
    id: int
    name: str
    phone: str | None
    owed: Decimal


@dataclass(frozen=True)
class JobRow:
    id: int
    number: int
    status: str
    when: datetime | None
    description: str


@dataclass(frozen=True)
class InvoiceRow:
    id: int
    label: str
    status: str
    date: str
    total: Decimal
    balance: Decimal | None  # None when the invoice is not one that is owed


@dataclass(frozen=True)
class MessageRow:
    inbound: bool
    at: datetime
    text: str
    sender: str = ""  # outbound: "Bot" or who typed it ("Roberto (persona)")


def _name(customer: Customer) -> str:
    return person(customer.name, customer.phone)


def owed_by(session: Session, customer_ids: list[int]) -> dict[int, Decimal]:
    """What each customer still owes on issued invoices."""
    owed = {cid: Decimal(0) for cid in customer_ids}
    if not customer_ids:
        return owed
    for invoice in session.scalars(select(Invoice).where(
            Invoice.customer_id.in_(customer_ids), Invoice.status.in_(payments.OPEN_INVOICE))):
        owed[invoice.customer_id] += payments.invoice_balance(session, invoice)
    return owed


def _in_stable_order(ranked: list[tuple[Customer, float]]) -> list[tuple[Customer, float]]:
    """Ranked matches with ties between namesakes broken by id, so that paging through the
    results never shows one twice or skips one (the ranking alone leaves them in table order)."""
    first: dict[tuple[float, str], int] = {}
    for position, (customer, score) in enumerate(ranked):
        first.setdefault((score, spanish_sort_key(customer.name)), position)
    return sorted(ranked, key=lambda pair: (first[(pair[1], spanish_sort_key(pair[0].name))], pair[0].id))


def find(session: Session, query: str) -> Page:
    """The requested page of best matches for `query` (name, phone, address); of the newest
    customers when it is empty."""
    if query:
        everyone = session.scalar(select(func.count(Customer.id))) or 0
        page = paginate_list(_in_stable_order(search_customers(session, query, limit=everyone)))
        found = [customer for customer, _score in page.items]
    else:
        page = paginate(session, select(Customer).order_by(Customer.id.desc()))
        found = page.items
    owed = owed_by(session, [c.id for c in found])
    return replace(page, items=[CustomerRow(c.id, _name(c), c.phone, owed[c.id]) for c in found])


def _document(customer: Customer) -> str | None:
    if not customer.doc_number:
        return None
    kind = str(customer.doc_type).upper() if customer.doc_type else "Documento"
    return f"{kind} {customer.doc_number}"


def _invoice_row(session: Session, invoice: Invoice) -> InvoiceRow:
    owed = invoice.status in payments.OPEN_INVOICE
    return InvoiceRow(
        id=invoice.id, label=label(invoice), status=invoice.status,
        date=short_date(invoice.issue_date),
        total=invoice.total, balance=payments.invoice_balance(session, invoice) if owed else None,
    )


def _conversation(session: Session, customer_id: int) -> Conversation | None:
    return session.scalar(
        select(Conversation)
        .where(Conversation.customer_id == customer_id, Conversation.role == ConversationRole.CUSTOMER)
        .order_by(Conversation.last_inbound_at.desc().nulls_last(), Conversation.id.desc())
        .limit(1))


def _latest_messages(session: Session, conversation_id: int) -> list[MessageRow]:
    newest = session.scalars(select(Message).where(Message.conversation_id == conversation_id)
                             .order_by(Message.id.desc()).limit(MESSAGES_LIMIT)).all()
    staff = staff_senders(session, newest)
    return [MessageRow(m.direction == Direction.INBOUND, m.created_at, message_text(m),
                       "" if m.direction == Direction.INBOUND else sender_label(m, staff))
            for m in reversed(newest)]


@bp.get("")
@requires(READERS)
def index():
    user = current_user()
    query = (request.args.get("q") or "").strip()[:QUERY_MAX]
    with db().org_session(user.org_id) as s:
        page = find(s, query)
    return render_template("backoffice/customers.html", page=page, query=query,
                           can_import=Role(user.role) in STAFF)


@bp.get("/<int:customer_id>")
@requires(READERS)
def show(customer_id: int):
    user = current_user()
    is_staff = Role(user.role) in STAFF
    with db().org_session(user.org_id) as s:
        customer = s.get(Customer, customer_id)
        if customer is None:
            abort(404)
        jobs = paginate(s, select(Job).where(Job.customer_id == customer.id).order_by(Job.id.desc()),
                        per_page=DETAIL_PER_PAGE, arg="jobs_page", anchor="trabajos")
        jobs = replace(jobs, items=[JobRow(j.id, j.number, JOB_STATUS.get(j.status, str(j.status)),
                                           j.scheduled_start or j.created_at, j.description)
                                    for j in jobs.items])
        invoices = paginate(s, select(Invoice).where(Invoice.customer_id == customer.id)
                            .order_by(Invoice.id.desc()),
                            per_page=DETAIL_PER_PAGE, arg="invoices_page", anchor="facturas")
        invoices = replace(invoices, items=[_invoice_row(s, i) for i in invoices.items])
        total_owed = owed_by(s, [customer.id])[customer.id]
        # The chat is for the people who answer it, as in the inbox; a viewer sees the rest.
        conversation = _conversation(s, customer.id) if is_staff else None
        messages = _latest_messages(s, conversation.id) if conversation else []
        addresses = [a.one_line for a in customer.addresses]
        tz = zone(s.get(Organization, user.org_id).time_zone)
    return render_template(
        "backoffice/customer.html", customer=customer, name=_name(customer),
        document=_document(customer),
        iva=IVA_LABELS.get(IvaCondition(customer.iva_condition), str(customer.iva_condition)),
        addresses=addresses, jobs=jobs, invoices=invoices, total_owed=total_owed,
        conversation_id=conversation.id if conversation else None, messages=messages,
        show_chat=is_staff, tz=tz, local_time=local_time,
    )


@bp.get("/import")
@requires(STAFF)
def import_form():
    return render_template("backoffice/customers_import.html", report=None, error=None)


@bp.post("/import")
@requires(STAFF)
def import_file():
    user = current_user()
    try:
        data = read_csv_upload(request.files.get("file"))
    except UploadRefused as exc:
        return render_template("backoffice/customers_import.html", report=None, error=str(exc))
    with db().org_session(user.org_id) as s:
        report: ImportReport = import_customers_csv(s, data, actor())
    log.info("customers imported from CSV", extra={"rows": report.rows, "imported": report.created,
                                                    "failed_rows": len(report.failed_rows)})
    return render_template("backoffice/customers_import.html", report=report, error=None,
                           skipped=report.rows - report.created)
