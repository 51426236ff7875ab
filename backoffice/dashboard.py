"""The back-office home: what needs attention first (open emergencies, chats waiting for a
person, invoices AFIP rejected), today's numbers, and the week at a glance."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import Blueprint, render_template, request
from sqlalchemy import func, select

from backoffice import attention, week_chart
from backoffice.conversations import InboxFilters, inbox
from backoffice.display import zone
from backoffice.extensions import db
from backoffice.job_board import open_emergencies, status_label
from backoffice.onboarding import checklist_for_home
from backoffice.paging import url_with
from backoffice.security import EVERYONE, INVOICE_READERS, STAFF, current_user, requires
from core.billing import reports
from core.jobs import OPEN_STATUSES
from core.models import Invoice, InvoiceStatus, Job, Organization, Role

bp = Blueprint("dashboard", __name__)

HOME_WAITING = 5  # chats waiting for a person listed on the home page; the rest in the inbox


def _week_asked(today: date) -> date:
    """?week=YYYY-MM-DD (any day of it) shows another week; anything else, this one."""
    try:
        asked = date.fromisoformat(request.args.get("week", ""))
    except ValueError:
        return today
    return asked if abs(asked.year - today.year) <= 50 else today


@bp.get("/")
@requires(EVERYONE)
def home():
    user = current_user()
    role = Role(user.role)
    with db().org_session(user.org_id) as s:
        org = s.get(Organization, user.org_id)
        tz = zone(org.time_zone)
        today = datetime.now(tz).date()
        # A technician opens only their own jobs, so they are shown only their own emergencies.
        emergencies, emergency_total = open_emergencies(
            s, tz, only_technician=user.id if role is Role.TECHNICIAN else None)
        waiting = inbox(s, InboxFilters(show="waiting"), limit=HOME_WAITING).items if role in STAFF else []
        rejected = attention.rejected_invoices(s) if role in INVOICE_READERS else []
        counts = attention.menu_counts()
        numbers = {
            "open_jobs": s.scalar(select(func.count(Job.id)).where(Job.status.in_(OPEN_STATUSES))),
            "pending_invoices": s.scalar(select(func.count(Invoice.id))
                                         .where(Invoice.status == InvoiceStatus.PENDING)),
        }
        owed = reports.unpaid_total(s)
        week = weeks = None
        if role in INVOICE_READERS:  # the week's money is on it
            shown = reports.week_start(_week_asked(today))
            week = week_chart.layout(reports.week_numbers(s, org, shown), today)
            weeks = {"prev": (shown - timedelta(days=7)).isoformat(),
                     "next": (shown + timedelta(days=7)).isoformat(),
                     "current": shown == reports.week_start(today)}
    return render_template(
        "backoffice/home.html", counts=counts, numbers=numbers, owed=owed, checklist=checklist_for_home(),
        emergencies=emergencies, emergency_total=emergency_total, waiting=waiting, rejected=rejected,
        status_label=status_label, week=week, weeks=weeks, url_with=url_with, tz=tz,
        sees_conversations=role in STAFF, sees_invoices=role in INVOICE_READERS,
    )
