"""The owner's "resumen" and "quién me debe", on demand."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from core.replies import Reply, Text
from core.reports import daily_summary, render_summary, render_unpaid, unpaid, unpaid_total


def reply(session: Session, org_id: int, intent: str, now: datetime) -> list[Reply]:
    if intent == "owner_summary":
        return [Text(render_summary(daily_summary(session, org_id, now.date())))]
    debtors = unpaid(session)
    total = unpaid_total(session)
    return [Text(render_unpaid(debtors, total.total, total.debtors))]
