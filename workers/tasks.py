"""Background tasks: each loads what it needs, calls one service and reports what it did."""

from __future__ import annotations

import logging

from core import audit
from core.db import Database
from core.logging import configure_logging, org_id_var
from core.organizations import all_organization_ids
from core.settings import get_settings

log = logging.getLogger("campotech.workers")


def _database() -> Database:
    # Each job runs in a fresh work horse: read settings and set up logging there, not at import.
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    return Database(settings)


def verify_audit_chains() -> dict:
    """Walk every organization's audit chain; log an ERROR naming each broken one."""
    db = _database()
    try:
        with db.system_session() as session:
            org_ids = all_organization_ids(session)
        broken = []
        for org_id in org_ids:
            token = org_id_var.set(org_id)
            try:
                with db.org_session(org_id) as session:
                    report = audit.verify(session)
                if not report.ok:
                    log.error("audit chain broken: %s", report.describe())
                    broken.append({"org_id": org_id, "entry": report.broken_seq, "reason": report.reason})
            finally:
                org_id_var.reset(token)
    finally:
        db.dispose()
    summary = {"organizations": len(org_ids), "intact": len(org_ids) - len(broken), "broken": broken}
    log.info("audit chains verified", extra={"summary": summary})
    return summary
