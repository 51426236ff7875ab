"""Invoices for staff: the list with filters and its CSV export, one invoice, AFIP retries and
cash/transfer payments."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, redirect, render_template, request
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from backoffice.display import local_time, person, zone
from backoffice.extensions import db, dispatcher, settings
from backoffice.forms import FormError, InvoiceFilters, invoice_filters, parse_amount
from backoffice.invoices_csv import export_csv
from backoffice.paging import Page, paginate, url_with
from backoffice.security import INVOICE_READERS, MANAGERS, STAFF, actor, current_user, requires
from core.billing import invoicing, payments
from core.billing.invoice_links import pdf_link
from core.billing.invoice_pdf import PRINTABLE
from core.billing.invoicing import label
from core.errors import NotFound, ValidationFailed
from core.models import (
    Customer,
    Invoice,
    InvoiceStatus,
    Organization,
    Payment,
    PaymentMethod,
    Role,
    utcnow,
)

bp = Blueprint("invoices", __name__, url_prefix="/invoices")
log = logging.getLogger("campotech.backoffice.invoices")

MANUAL_METHODS = {PaymentMethod.CASH.value, PaymentMethod.TRANSFER.value}
NOTICES = {
    "retry": "Listo: se la pedimos de nuevo a AFIP. En un ratito vas a ver el resultado acá.",
    "payment": "Listo, el pago quedó registrado.",
}


@dataclass(frozen=True)
class InvoiceRow:
    id: int
    label: str
    customer: str
    total: Decimal
    balance: Decimal | None  # None when the invoice is not one that is owed
    status: InvoiceStatus
    error: str | None
    pdf: str | None
    retryable: bool
    issued: date | None = None


def _row(session: Session, invoice: Invoice, customer: Customer | None) -> InvoiceRow:
    owed = invoice.status in payments.OPEN_INVOICE
    return InvoiceRow(
        id=invoice.id, label=label(invoice), issued=invoice.issue_date,
        customer=person(customer.name, customer.phone) if customer else "(cliente borrado)",
        total=invoice.total, balance=payments.invoice_balance(session, invoice) if owed else None,
        status=invoice.status, error=invoice.last_error,
        pdf=pdf_link(invoice, settings()) if invoice.status in PRINTABLE else None,
        retryable=invoice.status in invoicing.RETRYABLE,
    )


def filtered(filters: InvoiceFilters) -> Select:
    """(Invoice, Customer) rows matching `filters`, newest first (ids are unique, so pages never
    overlap): the list and the export."""
    query = select(Invoice, Customer).join(Customer, Customer.id == Invoice.customer_id)
    if filters.status:
        query = query.where(Invoice.status == InvoiceStatus(filters.status))
    if filters.customer:
        query = query.where(func.lower(Customer.name).contains(filters.customer.lower(), autoescape=True))
    if filters.date_from:
        query = query.where(Invoice.issue_date >= filters.date_from)
    if filters.date_to:
        query = query.where(Invoice.issue_date <= filters.date_to)
    return query.order_by(Invoice.id.desc())


def search(session: Session, filters: InvoiceFilters) -> Page:
    """The requested page of the filtered list."""
    page = paginate(session, filtered(filters), rows=lambda s, q: s.execute(q).all())
    return replace(page, items=[_row(session, invoice, customer) for invoice, customer in page.items])


def _filters() -> tuple[InvoiceFilters, str | None]:
    """The filters asked for, or none and the reason when they make no sense."""
    try:
        return invoice_filters(request.args, {s.value for s in InvoiceStatus}), None
    except FormError as exc:
        return InvoiceFilters(), exc.message


def _export_url(filters: InvoiceFilters) -> str:
    """The export of what the list shows: the same filters, every page."""
    args = {"status": filters.status, "customer": filters.customer,
            "from": filters.date_from.isoformat() if filters.date_from else None,
            "to": filters.date_to.isoformat() if filters.date_to else None}
    query = urlencode({k: v for k, v in args.items() if v})
    return "/app/invoices/export.csv" + (f"?{query}" if query else "")


@bp.get("")
@requires(INVOICE_READERS)
def index():
    user = current_user()
    filters, error = _filters()
    with db().org_session(user.org_id) as s:
        page = search(s, filters)
    return render_template("backoffice/invoices.html", page=page, filters=filters, error=error,
                           statuses=list(InvoiceStatus),
                           export_url=_export_url(filters),
                           can_retry=Role(user.role) in MANAGERS)


@bp.get("/export.csv")
@requires(INVOICE_READERS)
def export():
    """Every invoice matching the list's filters (not only one page), for the accountant."""
    user = current_user()
    filters, error = _filters()
    if error:
        # The list says what is wrong with the filters; exporting everything instead would mislead.
        return redirect(url_with("/app/invoices"))
    with db().org_session(user.org_id) as s:
        tz = zone(s.get(Organization, user.org_id).time_zone)
        body, rows = export_csv(s, filtered(filters))
    log.info("invoices exported as CSV", extra={"rows": rows})
    stamp = datetime.now(tz).strftime("%Y-%m-%d")
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="facturas-{stamp}.csv"',
        "Cache-Control": "no-store",
    })


def _render_invoice(invoice_id: int, *, error: str | None = None, form: dict | None = None,
                    notice: str | None = None):
    user = current_user()
    with db().org_session(user.org_id) as s:
        invoice = s.get(Invoice, invoice_id)
        if invoice is None:
            abort(404)
        customer = s.get(Customer, invoice.customer_id)
        row = _row(s, invoice, customer)
        lines = list(invoice.lines)
        paid = list(s.scalars(select(Payment).where(Payment.invoice_id == invoice.id).order_by(Payment.id)))
        tz = zone(s.get(Organization, user.org_id).time_zone)
    role = Role(user.role)
    return render_template(
        "backoffice/invoice.html", invoice=invoice, row=row, lines=lines, payments=paid, tz=tz,
        local_time=local_time, error=error, form=form or {}, notice=notice,
        can_retry=role in MANAGERS and row.retryable,
        can_pay=role in STAFF and row.balance is not None and row.balance > 0,
    )


@bp.get("/<int:invoice_id>")
@requires(INVOICE_READERS)
def show(invoice_id: int):
    return _render_invoice(invoice_id, notice=NOTICES.get(request.args.get("done", "")))


@bp.post("/<int:invoice_id>/retry")
@requires(MANAGERS)
def retry(invoice_id: int):
    user = current_user()
    try:
        with db().org_session(user.org_id) as s:
            invoicing.reopen_for_retry(s, invoice_id, actor())
    except NotFound:
        abort(404)
    except ValidationFailed as exc:
        return _render_invoice(invoice_id, error=str(exc))
    dispatcher().issue_invoice(user.org_id, invoice_id, force=True)
    log.info("invoice retry requested", extra={"invoice_id": invoice_id})
    return redirect(f"/app/invoices/{invoice_id}?done=retry")


@bp.post("/<int:invoice_id>/payments")
@requires(STAFF)
def add_payment(invoice_id: int):
    user = current_user()
    form = {k: (request.form.get(k) or "").strip() for k in ("amount", "method", "note")}
    try:
        amount = parse_amount(form["amount"])
        if form["method"] not in MANUAL_METHODS:
            raise FormError("method", "Elegí si fue en efectivo o por transferencia.")
        if len(form["note"]) > 500:
            raise FormError("note", "La nota puede tener hasta 500 caracteres.")
        with db().org_session(user.org_id) as s:
            invoice = s.get(Invoice, invoice_id)
            if invoice is None:
                abort(404)
            payments.record_manual_payment(s, invoice, method=PaymentMethod(form["method"]),
                                           amount=amount, actor=actor(), note=form["note"] or None,
                                           now=utcnow())
    except (FormError, ValidationFailed) as exc:
        message = exc.message if isinstance(exc, FormError) else str(exc)
        return _render_invoice(invoice_id, error=message, form=form)
    return redirect(f"/app/invoices/{invoice_id}?done=payment")
