"""The home page's "Primeros pasos" card: the checklist and the one step it settles itself."""

from __future__ import annotations

from flask import Blueprint, redirect

from backoffice.extensions import db, settings
from backoffice.security import MANAGERS, actor, current_user, requires
from core.models import Organization, Role, utcnow
from core.organizations import onboarding

bp = Blueprint("onboarding", __name__, url_prefix="/onboarding")


def checklist_for_home() -> list[onboarding.Item] | None:
    """The checklist for owners and admins while something is missing; None otherwise."""
    user = current_user()
    if Role(user.role) not in MANAGERS:
        return None
    with db().org_session(user.org_id) as s:
        items = onboarding.checklist(s, s.get(Organization, user.org_id), settings())
    return None if all(item.done for item in items) else items


@bp.post("/hours")
@requires(MANAGERS)
def confirm_hours():
    user = current_user()
    with db().org_session(user.org_id) as s:
        onboarding.confirm_hours(s, s.get(Organization, user.org_id), utcnow(), actor())
    return redirect("/app/")
