"""The Flask app factory: builds the app from one settings object and wires the blueprints."""

from __future__ import annotations

import logging
import secrets
import time

from flask import Flask, g, request
from redis import Redis

from core.db import Database
from core.logging import configure_logging, org_id_var, request_id_from, request_id_var
from core.settings import Settings, get_settings
from services import app_parts as parts
from services.dispatch import Dispatcher

log = logging.getLogger("campotech.http")


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.log_json)

    app = Flask(__name__, template_folder="../templates")
    app.config.update(
        SECRET_KEY=settings.secret_key, JSON_AS_ASCII=False,
        # The back-office cookie: never readable by scripts, never sent cross-site on a POST,
        # and only over HTTPS in production.
        SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.env == "production",
    )
    parts.SETTINGS.put(app, settings)
    db = parts.DB.put(app, Database(settings))
    redis = parts.REDIS.put(app, Redis.from_url(
        settings.redis_url, socket_connect_timeout=1, socket_timeout=2
    ))
    # Work the back-office, the CLI or a webhook defers is enqueued once its transaction commits.
    db.after_commit = Dispatcher(redis).after_commit

    from bot.transport import TRANSPORT, Transport

    TRANSPORT.put(app, Transport(db, redis, settings))

    _install_request_context(app)

    from bot.webhook import bp as webhook_bp
    from web.cli import register_cli
    from web.health import bp as health_bp
    from web.home import bp as home_bp
    from web.invoice_pdf import bp as invoice_pdf_bp
    from web.mercadopago import bp as mercadopago_bp
    from web.track import bp as track_bp

    app.register_blueprint(health_bp)
    app.register_blueprint(home_bp)
    app.register_blueprint(track_bp)
    app.register_blueprint(mercadopago_bp)
    app.register_blueprint(invoice_pdf_bp)
    app.register_blueprint(webhook_bp)
    from backoffice import register

    register(app)
    if settings.whatsapp_sandbox:
        # No Meta account configured: the app answers heyoo's calls itself and records them.
        from bot.sandbox import bp as sandbox_bp
        from bot.sandbox_graph import bp as sandbox_graph_bp

        app.register_blueprint(sandbox_graph_bp, url_prefix="/sandbox/graph")
        app.register_blueprint(sandbox_bp)
    if settings.mercadopago_sandbox:
        # Organizations holding a sandbox token pay through this stand-in (never in production).
        from bot.sandbox_mercadopago import bp as sandbox_mercadopago_bp

        app.register_blueprint(sandbox_mercadopago_bp, url_prefix="/sandbox/mercadopago")
    register_cli(app)
    from bot.webhook import WebhookFastPath

    # Meta's posts skip Flask's request machinery (see bot.webhook); the rest is Flask's.
    app.wsgi_app = WebhookFastPath(app)
    return app


def _install_request_context(app: Flask) -> None:
    @app.before_request
    def _start() -> None:
        g.request_id = request_id_from(request.headers.get("X-Request-ID"))
        g.started = time.perf_counter()
        g.request_id_token = request_id_var.set(g.request_id)
        g.org_id_token = org_id_var.set(None)

    @app.context_processor
    def _nonce():
        return {"csp_nonce": csp_nonce}

    @app.after_request
    def _finish(response):
        response.headers["X-Request-ID"] = g.get("request_id", "")
        response.headers.setdefault("Content-Security-Policy", content_security_policy())
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if request.path != "/healthz" or response.status_code != 200:
            log.info(
                "request",
                extra={
                    "method": request.method,
                    # Tracking links are the customer's key to the page: never in the logs.
                    "path": ("/t/…" if request.path.startswith("/t/")
                             else "/i/…" if request.path.startswith("/i/")
                             else "/app/password/…" if request.path.startswith("/app/password/")
                             else request.path),
                    "status": response.status_code,
                    "ms": round((time.perf_counter() - g.get("started", time.perf_counter())) * 1000, 1),
                },
            )
        return response

    @app.teardown_request
    def _reset(_exc) -> None:
        if "request_id_token" in g:
            request_id_var.reset(g.request_id_token)
            org_id_var.reset(g.org_id_token)


def csp_nonce() -> str:
    """This response's nonce: an inline <script> runs only when it carries it."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def content_security_policy() -> str:
    # Inline style attributes are kept ('unsafe-inline' for styles only); scripts need the nonce.
    return ("default-src 'self'; "
            f"script-src 'self' 'nonce-{csp_nonce()}'; "
            "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; media-src 'self' blob:; "
            "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
