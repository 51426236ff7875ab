"""The staff back-office: Flask blueprints, forms and views, mounted under `/app`."""

from __future__ import annotations

from flask import Blueprint, Flask, render_template

from backoffice import attention, display
from backoffice.security import IDLE_TIMEOUT, check_csrf, csrf_field, current_user

ERRORS = {
    400: ("No pudimos procesar el pedido",
          "El formulario venció o llegó incompleto. Volvé a la página anterior, recargala y probá de nuevo."),
    403: ("No tenés permiso para ver esto.",
          "Si creés que deberías poder, pedíselo al dueño o a un administrador."),
    404: ("No encontramos esa página", "Puede que la hayan borrado o que el enlace esté incompleto."),
}


# Each module's `bp` is mounted under /app (one name per line: a new page adds its line).
PAGES = (
    "auth",
    "dashboard",
    "jobs",
    "conversations",
    "customers",
    "invoices",
    "team",
    "passwords",
    "price_book",
    "audit_trail",
    "queue_health",
    "signup",
    "login_code",
    "onboarding",
    "org_settings",
)

# The header's "Más" menu: (path, label, roles that see it), in the order shown.
MORE_LINKS = (
    ("/app/price-book", "Precios", {"owner", "admin", "dispatcher", "viewer"}),
    ("/app/team", "Equipo", {"owner", "admin"}),
    ("/app/settings", "Ajustes", {"owner", "admin"}),
    ("/app/security", "Seguridad", {"owner"}),
    ("/app/audit", "Auditoría", {"owner", "admin"}),
    ("/app/queues", "Colas", {"owner", "admin"}),
)


def more_links(role: str) -> list[tuple[str, str]]:
    return [(path, label) for path, label, roles in MORE_LINKS if str(role) in roles]


def _error_page(error):
    title, body = ERRORS[error.code]
    return render_template("backoffice/error.html", title=title, body=body), error.code


def register(app: Flask) -> None:
    """Mount every back-office blueprint under `/app`, behind CSRF checks and Spanish errors."""
    import importlib

    parent = Blueprint("backoffice", __name__, url_prefix="/app")
    parent.before_request(check_csrf)
    for code in ERRORS:
        parent.register_error_handler(code, _error_page)
    parent.context_processor(display.helpers)
    parent.context_processor(attention.context)

    @parent.after_request
    def _private(response):
        # Nothing is kept, except what a view marked private on purpose (a job's photos: the
        # browser may reuse them, shared caches may not).
        if not response.headers.get("Cache-Control", "").startswith("private"):
            response.headers["Cache-Control"] = "no-store"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        return response

    for name in PAGES:
        parent.register_blueprint(importlib.import_module(f"backoffice.{name}").bp)
    app.register_blueprint(parent)

    if app.config.get("SESSION_COOKIE_SAMESITE") is None:
        app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["PERMANENT_SESSION_LIFETIME"] = IDLE_TIMEOUT
    app.jinja_env.globals.update(csrf_field=csrf_field, bo_user=current_user, more_links=more_links)
    app.jinja_env.filters.update(display.FILTERS)
