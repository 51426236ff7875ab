"""The landing page of the web app: what is running, the back-office, and (in development) the
simulator with the demo's people: whom to write as, and the logins."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from services import app_parts as parts
from services import health

bp = Blueprint("home", __name__)


@bp.get("/")
def index():
    report = health.check(parts.db(current_app), parts.redis(current_app))
    settings = parts.settings(current_app)
    demo = demo_people() if settings.whatsapp_sandbox else None  # never in production
    return render_template("home.html", report=report, sandbox=settings.whatsapp_sandbox, demo=demo)


def demo_people() -> dict:
    """The demo's phones by role and its logins (published: never shown in production)."""
    from bot.simulator import DEMO_CUSTOMER
    from core.es_ar import readable_phone
    from core.organizations.demo import DEMO_LOGINS, DEMO_OWNER_PHONE, DEMO_TECHNICIANS

    return {
        "customer": readable_phone(DEMO_CUSTOMER),
        "owner": readable_phone(DEMO_OWNER_PHONE),
        "technicians": [(name, readable_phone(phone), on_call)
                        for name, phone, on_call in DEMO_TECHNICIANS],
        "logins": DEMO_LOGINS,
    }
