"""The nightly check of every organization's audit chain: a broken one is logged as an ERROR."""

from __future__ import annotations

import logging
import time

from redis import Redis

from core import audit
from core.db import Database
from core.logging import org_id_var
from core.organizations import all_organization_ids

log = logging.getLogger("campotech.workers")  # the name these lines always had


def verify_all(db: Database, redis: Redis) -> dict:
    """Walk every organization's audit chain; log an ERROR naming each broken one."""
    with db.system_session() as session:
        org_ids = all_organization_ids(session)
    broken = []
    checkpoints = audit.ChainCheckpoints(redis)
    for org_id in org_ids:
        token = org_id_var.set(org_id)
        try:
            with db.org_session(org_id) as session:
                report = audit.verify(session)
            # The audit page re-hashes only what comes after this point until the next night.
            checkpoints.advance(org_id, report, full=True, now=time.time())
            if not report.ok:
                checkpoints.forget(org_id)
                log.error("audit chain broken: %s", report.describe())
                broken.append({"org_id": org_id, "entry": report.broken_seq, "reason": report.reason})
        finally:
            org_id_var.reset(token)
    summary = {"organizations": len(org_ids), "intact": len(org_ids) - len(broken), "broken": broken}
    log.info("audit chains verified", extra={"summary": summary})
    return summary
