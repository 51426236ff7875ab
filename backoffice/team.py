"""The team page: who works here, their role, phone, hours, and the link to choose a password."""

from __future__ import annotations

import logging

from flask import Blueprint, abort, render_template, request
from sqlalchemy import select

from backoffice.extensions import db, settings
from backoffice.security import MANAGERS, actor, current_user, requires
from core.errors import NotFound, ValidationFailed
from core.identity import users
from core.jobs.working_hours import DAY_NAMES, DAYS
from core.models import Organization, Role, User

bp = Blueprint("team", __name__, url_prefix="/team")
log = logging.getLogger("campotech.backoffice.team")

SHIFTS_PER_DAY = 2
FIELDS = ("name", "role", "phone", "email")
HOUR_FIELDS = tuple(f"h-{day}-{i}-{end}" for day in DAYS for i in range(SHIFTS_PER_DAY)
                    for end in ("start", "end"))
NOTICES = {
    "created": "Listo, {name} ya es parte del equipo.",
    "saved": "Listo, guardamos los cambios.",
    "link": "Listo, acá tenés un enlace nuevo. Los anteriores dejan de servir cuando lo use.",
}


# ---- the form --------------------------------------------------------------------------------

def _form_of(user: User | None) -> dict:
    """What the form shows for `user` (or a new person), as the strings the inputs hold."""
    form = {k: "" for k in FIELDS + HOUR_FIELDS}
    form.update(role=Role.TECHNICIAN.value, on_call=False, active=True)
    if user is None:
        return form
    form.update(name=user.name, role=str(user.role), phone=user.phone or "", email=user.email or "",
                on_call=user.on_call, active=user.active)
    for day, shifts in (user.working_hours or {}).items():
        for i, (start, end) in enumerate(shifts[:SHIFTS_PER_DAY]):
            form[f"h-{day}-{i}-start"], form[f"h-{day}-{i}-end"] = start, end
    return form


def _posted() -> dict:
    form = {k: (request.form.get(k) or "").strip() for k in FIELDS + HOUR_FIELDS}
    form["on_call"] = request.form.get("on_call") == "1"
    form["active"] = request.form.get("active") == "1"
    return form


def _hours(form: dict) -> dict | None:
    """The typed shifts per day (a half-typed shift goes to core, which says what is missing);
    None when every box is empty: the business hours apply."""
    hours = {}
    for day in DAYS:
        shifts = [[form[f"h-{day}-{i}-start"], form[f"h-{day}-{i}-end"]] for i in range(SHIFTS_PER_DAY)]
        hours[day] = [s for s in shifts if s[0] or s[1]]
    return hours if any(hours.values()) else None


def _data(form: dict, *, with_active: bool) -> dict:
    data = {"name": form["name"], "role": form["role"], "phone": form["phone"] or None,
            "email": form["email"] or None, "on_call": form["on_call"], "working_hours": _hours(form)}
    if with_active:
        data["active"] = form["active"]
    return data


def _business_hours() -> list[tuple[str, str]]:
    with db().org_session(current_user().org_id) as s:
        hours = s.get(Organization, current_user().org_id).business_hours or {}
    return [(DAY_NAMES[day], " y ".join(f"{a} a {b}" for a, b in hours.get(day, [])) or "cerrado")
            for day in DAYS]


def _roles() -> list[Role]:
    """Only an owner may name another owner."""
    mine = Role(current_user().role)
    return [r for r in Role if r is not Role.OWNER or mine is Role.OWNER]


def _render(member: User | None, form: dict, *, errors: dict | None = None, error: str | None = None,
            notice: str | None = None, link: str | None = None, status: int = 200):
    return render_template(
        "backoffice/team_member.html", member=member, form=form, errors=errors or {}, error=error,
        notice=notice, link=link, roles=_roles(), days=[(d, DAY_NAMES[d]) for d in DAYS],
        shifts=range(SHIFTS_PER_DAY), business_hours=_business_hours(),
    ), status


def _refused(exc: users.NotAllowed):
    return render_template("backoffice/error.html", title="No se puede hacer ese cambio",
                           body=str(exc)), 403


def _member(session, user_id: int) -> User:
    """The person, if the signed-in manager may manage them (403 with the reason otherwise)."""
    member = session.get(User, user_id)
    if member is None:
        abort(404)
    users.check_may_manage(current_user(), member, None)
    return member


# ---- routes ----------------------------------------------------------------------------------

@bp.get("")
@requires(MANAGERS)
def index():
    with db().org_session(current_user().org_id) as s:
        people = list(s.scalars(select(User).order_by(User.active.desc(), User.name)))
    return render_template("backoffice/team.html", users=people)


@bp.get("/new")
@requires(MANAGERS)
def new():
    return _render(None, _form_of(None))


@bp.post("/new")
@requires(MANAGERS)
def create():
    form = _posted()
    link = None
    try:
        with db().org_session(current_user().org_id) as s:
            member = users.create_user(s, _data(form, with_active=False), actor())
            if member.email:
                link = users.password_link(s, settings(), member.id, actor())
    except (ValidationFailed, users.DuplicateField) as exc:
        return _render(None, form, errors=exc.errors, error="Revisá los campos marcados.")
    except users.NotAllowed as exc:
        return _render(None, form, error=str(exc), status=403)
    log.info("team member added", extra={"user_id": member.id, "role": str(member.role)})
    # The link is shown on this response only: it is never stored nor put in a redirect.
    return _render(member, _form_of(member), link=link, notice=NOTICES["created"].format(name=member.name))


@bp.get("/<int:user_id>")
@requires(MANAGERS)
def show(user_id: int):
    try:
        with db().org_session(current_user().org_id) as s:
            member = _member(s, user_id)
    except users.NotAllowed as exc:
        return _refused(exc)
    return _render(member, _form_of(member))


@bp.post("/<int:user_id>")
@requires(MANAGERS)
def update(user_id: int):
    form = _posted()
    try:
        with db().org_session(current_user().org_id) as s:
            member = _member(s, user_id)
            member = users.update_user(s, user_id, _data(form, with_active=True), actor())
    except (ValidationFailed, users.DuplicateField) as exc:
        with db().org_session(current_user().org_id) as s:
            member = s.get(User, user_id)
        return _render(member, form, errors=exc.errors, error="Revisá los campos marcados.")
    except users.NotAllowed as exc:
        return _refusal(user_id, exc, form)
    log.info("team member updated", extra={"user_id": user_id})
    return _render(member, _form_of(member), notice=NOTICES["saved"])


@bp.post("/<int:user_id>/password-link")
@requires(MANAGERS)
def password_link(user_id: int):
    try:
        with db().org_session(current_user().org_id) as s:
            member = _member(s, user_id)
            link = users.password_link(s, settings(), user_id, actor())
    except NotFound:
        abort(404)
    except users.NotAllowed as exc:
        return _refusal(user_id, exc)
    log.info("set-password link made", extra={"user_id": user_id})
    return _render(member, _form_of(member), link=link, notice=NOTICES["link"])


def _refusal(user_id: int, exc: users.NotAllowed, form: dict | None = None):
    """A refused change: the person's page with the reason, or only the reason when the
    signed-in manager may not even open it (an admin and an owner's page)."""
    with db().org_session(current_user().org_id) as s:
        member = s.get(User, user_id)
        try:
            users.check_may_manage(current_user(), member, None)
        except users.NotAllowed:
            return _refused(exc)
    return _render(member, form or _form_of(member), error=str(exc), status=403)
