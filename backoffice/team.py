"""The team page: who works here, their role, phone and whether they can sign in."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import select

from backoffice.extensions import db
from backoffice.security import MANAGERS, current_user, requires
from core.models import User

bp = Blueprint("team", __name__, url_prefix="/team")


@bp.get("")
@requires(MANAGERS)
def index():
    with db().org_session(current_user().org_id) as s:
        users = list(s.scalars(select(User).order_by(User.active.desc(), User.name)))
    return render_template("backoffice/team.html", users=users)
