"""The landing page of the web app: what is running and where the back-office will live."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from core import health

bp = Blueprint("home", __name__)


@bp.get("/")
def index():
    from web import db_of, redis_of

    report = health.check(db_of(current_app), redis_of(current_app))
    sandbox = current_app.extensions["campotech.settings"].whatsapp_sandbox
    return render_template("home.html", report=report, sandbox=sandbox)
