"""The public tracking page: `GET /t/<token>` shows one job's progress to its customer.

No login: the signed, expiring token is the key. The job is read in the token's organization
scope, so a token can only ever show that organization's job. Bad, expired or unknown tokens
get a friendly page (404/410), never an error.
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from core.jobs import tracking
from services import app_parts as parts
from web.token_pages import private

bp = Blueprint("track", __name__)
bp.after_request(private)


@bp.get("/t/", defaults={"token": ""})
@bp.get("/t/<path:token>")  # any shape, even with slashes, gets the friendly page
def show(token: str):
    settings = parts.settings(current_app)
    try:
        org_id, job_id = tracking.read_token(settings, token)
    except tracking.TokenExpired:
        return render_template("track.html", problem="expired"), 410
    except tracking.TokenInvalid:
        return render_template("track.html", problem="missing"), 404
    with parts.db(current_app).org_session(org_id) as session:
        view = tracking.load_view(session, job_id)
    if view is None:
        return render_template("track.html", problem="missing"), 404
    return render_template("track.html", view=view, steps=tracking.STEPS)
