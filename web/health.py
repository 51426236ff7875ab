"""GET /healthz: 200 when the database and Redis answer, else 503 naming what failed."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from core import health

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    from web import db_of, redis_of

    report = health.check(db_of(current_app), redis_of(current_app))
    body = {"status": "ok" if report.ok else "unavailable", "checks": report.checks}
    if not report.ok:
        body["failed"] = report.failed
    return jsonify(body), 200 if report.ok else 503
