"""Jobs: the board, the day's agenda, new jobs by hand, and one job's page with its timeline."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import Blueprint, abort, redirect, render_template, request, send_file
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backoffice.display import local_phone, zone
from backoffice.extensions import db, dispatcher, settings
from backoffice.forms import FormError
from backoffice.job_board import (
    LABELS,
    SERVICE_LABELS,
    STATUS_LABELS,
    URGENCY_LABELS,
    JobFilters,
    agenda,
    board,
    customer_name,
    job_filters,
    parse_technician,
    parse_window,
    status_counts,
    status_page,
    transition_message,
    window_text,
)
from backoffice.job_form import NewJobErrors, parse_new_job
from backoffice.job_timeline import photo_count, photo_message, timeline
from backoffice.paging import url_with
from backoffice.security import EVERYONE, MANAGERS, STAFF, actor, current_user, requires
from core import jobs
from core.errors import InvalidTransition, NotFound, ValidationFailed
from core.identity.users import technicians
from core.jobs import notices as job_notices
from core.messaging import media
from core.models import (
    Customer,
    Job,
    JobEvent,
    JobStatus,
    Organization,
    Role,
    Urgency,
    User,
)

bp = Blueprint("jobs", __name__, url_prefix="/jobs")
log = logging.getLogger("campotech.backoffice.jobs")

CUSTOMER_CHOICES = 1000
PHOTO_MAX_AGE = 3600  # seconds a browser may keep a photo (private: never a shared cache)
NEW_FIELDS = ("customer_id", "service", "description", "urgency", "technician_id", "day", "start", "end")
NOTICES = {
    "created": "Listo, el trabajo quedó creado.",
    "assigned": "Listo, el técnico quedó asignado.",
    "unassigned": "Listo, el trabajo quedó sin técnico.",
    "scheduled": "Listo, el trabajo quedó agendado con el nuevo horario.",
    "status": "Listo, cambiamos el estado.",
}


def _tz(session: Session, org_id: int):
    return zone(session.get(Organization, org_id).time_zone)


def _own_only(user: User) -> int | None:
    """Technicians see only the jobs assigned to them."""
    return user.id if Role(user.role) is Role.TECHNICIAN else None


# ---- telling technicians -----------------------------------------------------------------------

def _queue_notice(session: Session, job: Job, change: str, technician_id: int | None) -> list[int]:
    """Queue `change` for that technician in this transaction; the ids to send after the commit.
    Keyed by the job's newest event, which this change just wrote: one notice per change."""
    if technician_id is None:
        return []
    event_id = session.scalar(select(func.max(JobEvent.id)).where(JobEvent.job_id == job.id))
    return job_notices.queue_technician_notice(
        session, job, change, technician=session.get(User, technician_id),
        key=f"tech-notice:{job.id}:{event_id}:{change}:{technician_id}",
    )


def _queue_customer_notice(session: Session, job: Job, change: str) -> list[int]:
    """Queue, for the customer, the office's move or cancellation of their visit."""
    event_id = session.scalar(select(func.max(JobEvent.id)).where(JobEvent.job_id == job.id))
    return job_notices.queue_customer_notice(session, job, change,
                                             key=f"customer-notice:{job.id}:{event_id}:{change}")


def _send(org_id: int, message_ids: list[int]) -> None:
    # After the commit, so the worker finds the rows.
    for message_id in message_ids:
        dispatcher().send(org_id, message_id)
    if message_ids:
        log.info("technician notices queued", extra={"message_ids": message_ids})


# ---- the board -------------------------------------------------------------------------------

def _column_url(status: JobStatus | None = None) -> str:
    """The board with the same filters, narrowed to one status's whole column (or widened back)."""
    return url_with(status=status.value if status else None, page=None)


@bp.get("")
@requires(EVERYONE)
def index():
    user = current_user()
    error = None
    try:
        filters = job_filters(request.args)
    except FormError as exc:
        filters, error = JobFilters(), exc.message
    view = "agenda" if request.args.get("view") == "agenda" else "board"
    own = _own_only(user)
    groups, columns, page, total = [], [], None, 0
    with db().org_session(user.org_id) as s:
        tz = _tz(s, user.org_id)
        if view == "agenda":
            if filters.day is None:
                filters = JobFilters(filters.status, filters.technician_id, filters.service,
                                     datetime.now(tz).date(), filters.urgency)
            groups = agenda(s, filters, tz, only_technician=own)
        elif filters.status:
            # One status: its whole column, a page at a time.
            page = status_page(s, filters, tz, only_technician=own)
            total = status_counts(s, filters, tz, only_technician=own).get(filters.status, 0)
        else:
            columns = board(s, filters, tz, only_technician=own)
        techs = technicians(s) if own is None else []
    days = (filters.day - timedelta(days=1), filters.day + timedelta(days=1)) if view == "agenda" else None
    return render_template(
        "backoffice/jobs.html", view=view, days=days, filters=filters, error=error, columns=columns,
        page=page, total=total, groups=groups, technicians=techs, statuses=list(STATUS_LABELS),
        services=list(SERVICE_LABELS), urgencies=list(URGENCY_LABELS),
        can_edit=Role(user.role) in STAFF, column_url=_column_url, **LABELS,
    )


# ---- a job by hand ---------------------------------------------------------------------------

def _customer_choices(session: Session) -> list[tuple[int, str]]:
    rows = session.scalars(select(Customer).order_by(Customer.name.asc().nulls_last(), Customer.id)
                           .limit(CUSTOMER_CHOICES))
    return [(c.id, customer_name(c) + (f" · {local_phone(c.phone)}" if c.phone and c.name else "")) for c in rows]


def _render_new(form: dict, errors: dict[str, str] | None = None, error: str | None = None):
    user = current_user()
    with db().org_session(user.org_id) as s:
        choices = _customer_choices(s)
        techs = technicians(s)
    return render_template("backoffice/job_new.html", form=form, errors=errors or {}, error=error,
                           customers=choices, technicians=techs, services=list(SERVICE_LABELS),
                           urgencies=list(URGENCY_LABELS), **LABELS)


@bp.get("/new")
@requires(STAFF)
def new():
    return _render_new({"customer_id": request.args.get("customer", ""), "urgency": Urgency.NORMAL.value})


@bp.post("/new")
@requires(STAFF)
def create():
    user = current_user()
    form = {k: (request.form.get(k) or "").strip() for k in NEW_FIELDS}
    try:
        with db().org_session(user.org_id) as s:
            tz = _tz(s, user.org_id)
            customer_ids = set(s.scalars(select(Customer.id)))
            parsed = parse_new_job(form, customer_ids, {t.id for t in technicians(s)}, tz)
            job = jobs.create_job(s, parsed.data, actor())
            if parsed.window:
                jobs.schedule(s, job.id, *parsed.window, actor())
            notices = _queue_notice(s, job, "assigned", job.technician_id)
            job_id, number = job.id, job.number
    except NewJobErrors as exc:
        return _render_new(form, errors=exc.errors, error="Revisá los campos marcados.")
    except ValidationFailed as exc:
        return _render_new(form, error=str(exc))
    _send(user.org_id, notices)
    log.info("job created by hand", extra={"job_id": job_id, "number": number})
    return redirect(f"/app/jobs/{job_id}?done=created")


# ---- one job ---------------------------------------------------------------------------------

def _visible_job(session: Session, job_id: int, user: User) -> Job:
    """The job, if this user may open it (a technician only their own); 404 otherwise, so a
    technician cannot tell someone else's job from one that does not exist."""
    job = session.get(Job, job_id)
    if job is None or (Role(user.role) is Role.TECHNICIAN and job.technician_id != user.id):
        abort(404)
    return job


def _render_job(job_id: int, *, error: str | None = None, form: dict | None = None,
                notice: str | None = None):
    user = current_user()
    role = Role(user.role)
    with db().org_session(user.org_id) as s:
        job = _visible_job(s, job_id, user)
        tz = _tz(s, user.org_id)
        customer = s.get(Customer, job.customer_id)
        technician = s.get(User, job.technician_id) if job.technician_id else None
        # The customer's chat is for staff (as on the customer's page); the audit for managers.
        events = timeline(s, job, tz, chat=role in STAFF, audit_trail=role in MANAGERS)
        photos = photo_count(s, job.id)
        techs = technicians(s) if role in STAFF else []
    can_edit = role in STAFF
    is_open = job.status in jobs.OPEN_STATUSES
    start_local = job.scheduled_start.astimezone(tz) if job.scheduled_start else None
    end_local = job.scheduled_end.astimezone(tz) if job.scheduled_end else None
    defaults = {
        "technician_id": str(job.technician_id or ""),
        "day": start_local.date().isoformat() if start_local else "",
        "start": start_local.strftime("%H:%M") if start_local else "",
        "end": end_local.strftime("%H:%M") if end_local else "",
    }
    return render_template(
        "backoffice/job.html", job=job, customer=customer_name(customer),
        customer_phone=customer.phone if customer else None, technician=technician,
        when=window_text(job.scheduled_start, job.scheduled_end, tz), events=events, photos=photos,
        technicians=techs, form={**defaults, **(form or {})}, error=error,
        notice=notice, can_assign=can_edit and is_open, can_schedule=can_edit and is_open,
        next_statuses=_in_board_order(jobs.allowed_next(job.status)) if can_edit else [],
        **LABELS,
    )


def _in_board_order(statuses: list[JobStatus]) -> list[JobStatus]:
    return sorted(statuses, key=list(STATUS_LABELS).index)


@bp.get("/<int:job_id>")
@requires(EVERYONE)
def show(job_id: int):
    return _render_job(job_id, notice=NOTICES.get(request.args.get("done", "")))


@bp.get("/<int:job_id>/photos/<int:message_id>")
@requires(EVERYONE)
def photo(job_id: int, message_id: int):
    """A photo (or video, or document) a technician sent for this job, for whoever may open the job."""
    user = current_user()
    with db().org_session(user.org_id) as s:
        job = _visible_job(s, job_id, user)
        message = photo_message(s, job.id, message_id)
        stored, mime = (message.media_path, message.media_mime) if message else (None, None)
    path = media.stored_file(settings().media_dir, user.org_id, stored)
    if path is None:
        abort(404)
    inline = media.shown_inline(mime)
    response = send_file(path, mimetype=mime or "application/octet-stream", as_attachment=not inline,
                         download_name=path.name, conditional=True, max_age=PHOTO_MAX_AGE)
    response.headers["Cache-Control"] = f"private, max-age={PHOTO_MAX_AGE}"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _change(job_id: int, form: dict, change):
    """One change from a job's page: `change(session)` makes it and returns the notices to send
    after the commit and the `done` key; a refusal comes back on the job's page with the form as
    typed, and a job this organization does not have is a 404."""
    user = current_user()
    try:
        with db().org_session(user.org_id) as s:
            notices, done = change(s)
    except NotFound:
        abort(404)
    except FormError as exc:
        return _render_job(job_id, error=exc.message, form=form)
    except InvalidTransition as exc:
        return _render_job(job_id, error=transition_message(exc), form=form)
    except ValidationFailed as exc:
        return _render_job(job_id, error=str(exc), form=form)
    _send(user.org_id, notices)
    return redirect(f"/app/jobs/{job_id}?done={done}")


@bp.post("/<int:job_id>/assign")
@requires(STAFF)
def assign(job_id: int):
    form = {"technician_id": (request.form.get("technician_id") or "").strip()}

    def change(s: Session):
        technician_id = parse_technician(form["technician_id"], {t.id for t in technicians(s)})
        previous = jobs.get_job(s, job_id, for_update=True).technician_id
        job = jobs.assign_technician(s, job_id, technician_id, actor())
        notices = []
        if technician_id != previous:
            notices = (_queue_notice(s, job, "assigned", technician_id)
                       + _queue_notice(s, job, "unassigned", previous))
        return notices, "assigned" if technician_id else "unassigned"

    return _change(job_id, form, change)


@bp.post("/<int:job_id>/schedule")
@requires(STAFF)
def reschedule(job_id: int):
    user = current_user()
    form = {k: (request.form.get(k) or "").strip() for k in ("day", "start", "end", "tell_customer")}

    def change(s: Session):
        window = parse_window(form, _tz(s, user.org_id))
        if window is None:
            raise FormError("day", "Elegí el día y la hora de la visita.")
        current = jobs.get_job(s, job_id, for_update=True)
        before = (current.scheduled_start, current.scheduled_end)
        job = jobs.schedule(s, job_id, *window, actor())
        notices = []
        if (job.scheduled_start, job.scheduled_end) != before:
            notices = _queue_notice(s, job, "rescheduled", job.technician_id)
            if before[0] is not None and form["tell_customer"]:
                notices += _queue_customer_notice(s, job, "rescheduled")
        return notices, "scheduled"

    return _change(job_id, form, change)


@bp.post("/<int:job_id>/status")
@requires(STAFF)
def change_status(job_id: int):
    form = {k: (request.form.get(k) or "").strip() for k in ("status", "note", "tell_customer")}

    def change(s: Session):
        if form["status"] not in {status.value for status in JobStatus}:
            raise FormError("status", "Elegí a qué estado pasa el trabajo.")
        if len(form["note"]) > 1000:
            raise FormError("note", "La nota puede tener hasta 1000 caracteres.")
        job = jobs.transition(s, job_id, JobStatus(form["status"]), actor(), note=form["note"] or None)
        notices = []
        if job.status == JobStatus.CANCELLED:
            notices = _queue_notice(s, job, "cancelled", job.technician_id)
            if form["tell_customer"]:
                notices += _queue_customer_notice(s, job, "cancelled")
        return notices, "status"

    return _change(job_id, form, change)
