"""The last "Probar conexión" result per organization and service, kept in Redis for a day.

The back-office marks a check pending when it enqueues it; the worker that runs it
(services/connection_checks.py) saves the outcome here, and the settings page reads it back.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

from redis import Redis

SERVICES = ("whatsapp", "afip", "mercadopago")
SERVICE_LABELS = {"whatsapp": "WhatsApp", "afip": "AFIP", "mercadopago": "Mercado Pago"}
RESULT_TTL = timedelta(days=1)
# A pending check older than this is shown as stuck and the page stops refreshing itself.
PENDING_PATIENCE = timedelta(seconds=60)

PENDING, OK, FAILED, MISSING = "pending", "ok", "failed", "missing"


@dataclass(frozen=True)
class CheckResult:
    state: str  # pending, ok, failed (the service said no or did not answer), missing (not set up)
    message: str  # for the owner, in Spanish
    at: datetime  # when it was requested (pending) or finished

    @property
    def ok(self) -> bool:
        return self.state == OK

    @property
    def pending(self) -> bool:
        return self.state == PENDING

    def stuck(self, now: datetime | None = None) -> bool:
        return self.pending and (now or datetime.now(UTC)) - self.at > PENDING_PATIENCE


def _key(org_id: int, service: str) -> str:
    if service not in SERVICES:
        raise ValueError(f"unknown service {service!r}")
    return f"campotech:connection_check:{org_id}:{service}"


def save(redis: Redis, org_id: int, service: str, result: CheckResult) -> None:
    body = {**asdict(result), "at": result.at.isoformat()}
    redis.set(_key(org_id, service), json.dumps(body, ensure_ascii=False),
              ex=int(RESULT_TTL.total_seconds()))


def mark_pending(redis: Redis, org_id: int, service: str, now: datetime | None = None) -> None:
    save(redis, org_id, service, CheckResult(PENDING, "Probando la conexión…", now or datetime.now(UTC)))


def load(redis: Redis, org_id: int, service: str) -> CheckResult | None:
    raw = redis.get(_key(org_id, service))
    if not raw:
        return None
    try:
        body = json.loads(raw)
        return CheckResult(str(body["state"]), str(body["message"]), datetime.fromisoformat(body["at"]))
    except (ValueError, KeyError, TypeError):
        return None


def load_all(redis: Redis, org_id: int) -> dict[str, CheckResult | None]:
    return {service: load(redis, org_id, service) for service in SERVICES}
