"""Readiness of the parts the app cannot work without: the database and Redis."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from core.db import Database

log = logging.getLogger(__name__)


@dataclass
class HealthReport:
    checks: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(v == "ok" for v in self.checks.values())

    @property
    def failed(self) -> list[str]:
        return [k for k, v in self.checks.items() if v != "ok"]


def check(db: Database, redis: Redis) -> HealthReport:
    report = HealthReport()
    try:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        report.checks["database"] = "ok"
    except SQLAlchemyError as exc:
        log.error("health: database unreachable", extra={"error": str(exc).splitlines()[0]})
        report.checks["database"] = f"error: {type(exc).__name__}"
    try:
        redis.ping()
        report.checks["redis"] = "ok"
    except (RedisError, OSError) as exc:
        log.error("health: redis unreachable", extra={"error": str(exc)})
        report.checks["redis"] = f"error: {type(exc).__name__}"
    return report
