"""The back-office home: what needs attention today, with links to it."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import func, select

from backoffice.extensions import db
from backoffice.onboarding import checklist_for_home
from backoffice.security import EVERYONE, INVOICE_READERS, STAFF, current_user, requires
from core import reports
from core.jobs import OPEN_STATUSES
from core.models import Conversation, Invoice, InvoiceStatus, Job, Role

bp = Blueprint("dashboard", __name__)


@bp.get("/")
@requires(EVERYONE)
def home():
    user = current_user()
    with db().org_session(user.org_id) as s:
        counts = {
            "open_jobs": s.scalar(select(func.count(Job.id)).where(Job.status.in_(OPEN_STATUSES))),
            "needs_person": s.scalar(select(func.count(Conversation.id))
                                     .where(Conversation.needs_person.is_(True))),
            "pending_invoices": s.scalar(select(func.count(Invoice.id))
                                         .where(Invoice.status == InvoiceStatus.PENDING)),
        }
        owed = reports.unpaid_total(s)
    role = Role(user.role)
    return render_template("backoffice/home.html", counts=counts, owed=owed, checklist=checklist_for_home(),
                           sees_conversations=role in STAFF, sees_invoices=role in INVOICE_READERS)
