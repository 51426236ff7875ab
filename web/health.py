"""GET /healthz: 200 when the database and Redis answer, else 503 naming what failed."""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, abort, current_app, jsonify, request
from redis.exceptions import RedisError

from services import app_parts as parts
from services import health
from services.metrics import Metrics

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    report = health.check(parts.db(current_app), parts.redis(current_app))
    body = {"status": "ok" if report.ok else "unavailable", "checks": report.checks}
    if not report.ok:
        body["failed"] = report.failed
    return jsonify(body), 200 if report.ok else 503


@bp.get("/metrics")
def metrics():
    """Prometheus text format; counters live in Redis so every process adds to the same ones.

    With METRICS_TOKEN set, only `Authorization: Bearer <token>` gets in; without one it is
    served outside production only (queue depths and error rates are nobody else's business).
    """

    _check_metrics_access(parts.settings(current_app))

    try:
        body = Metrics(parts.redis(current_app)).render()
    except RedisError as exc:
        return Response(f"# redis unavailable: {exc}\n", status=503, mimetype="text/plain")
    return Response(body, mimetype="text/plain; version=0.0.4")


def _check_metrics_access(settings) -> None:
    token = settings.metrics_token
    if not token:
        if settings.env == "production":
            abort(404)
        return
    given = request.headers.get("Authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        abort(401)
