"""The back-office home: what needs attention today, with links to it — open emergencies first."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import func, select

from backoffice.display import zone
from backoffice.extensions import db
from backoffice.job_board import open_emergencies, status_label
from backoffice.onboarding import checklist_for_home
from backoffice.security import EVERYONE, INVOICE_READERS, STAFF, current_user, requires
from core import reports
from core.jobs import OPEN_STATUSES
from core.models import Conversation, Invoice, InvoiceStatus, Job, Organization, Role

bp = Blueprint("dashboard", __name__)


@bp.get("/")
@requires(EVERYONE)
def home():
    user = current_user()
    role = Role(user.role)
    with db().org_session(user.org_id) as s:
        tz = zone(s.get(Organization, user.org_id).time_zone)
        # A technician opens only their own jobs, so they are shown only their own emergencies.
        emergencies, emergency_total = open_emergencies(
            s, tz, only_technician=user.id if role is Role.TECHNICIAN else None)
        counts = {
            "open_jobs": s.scalar(select(func.count(Job.id)).where(Job.status.in_(OPEN_STATUSES))),
            "needs_person": s.scalar(select(func.count(Conversation.id))
                                     .where(Conversation.needs_person.is_(True))),
            "pending_invoices": s.scalar(select(func.count(Invoice.id))
                                         .where(Invoice.status == InvoiceStatus.PENDING)),
        }
        owed = reports.unpaid_total(s)
    return render_template("backoffice/home.html", counts=counts, owed=owed, checklist=checklist_for_home(),
                           emergencies=emergencies, emergency_total=emergency_total,
                           status_label=status_label,
                           sees_conversations=role in STAFF, sees_invoices=role in INVOICE_READERS)
