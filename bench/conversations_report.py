"""Conversations bench, the report: what the database holds after the rush, each queue's depth
per second, and whether a lower-priority queue starved."""

from __future__ import annotations

from collections import Counter

from bench.conversations_sim import QUEUES, Sampler


def _database_state(settings, org_id: int, wa_ids: list[str]) -> dict:
    """Jobs per customer, outbound messages by status and their wamids, unanswered inbound."""
    from sqlalchemy import func, select

    from core.db import Database
    from core.models import Customer as CustomerRow
    from core.models import Direction, Job, Message

    db = Database(settings)
    try:
        with db.org_session(org_id) as s:
            rows = s.execute(
                select(CustomerRow.phone, func.count(Job.id))
                .select_from(CustomerRow).outerjoin(Job, Job.customer_id == CustomerRow.id)
                .group_by(CustomerRow.phone)).all()
            outbound = s.execute(select(Message.status, Message.wa_message_id)
                                 .where(Message.direction == Direction.OUTBOUND)).all()
            unanswered = s.scalar(select(func.count(Message.id)).where(
                Message.direction == Direction.INBOUND, Message.processed_at.is_(None)))
    finally:
        db.dispose()
    counts = {(phone or "").lstrip("+"): n for phone, n in rows}
    return {"jobs": {w: counts.get(w, 0) for w in wa_ids},
            "outbound_by_status": dict(Counter(str(getattr(st, "value", st)) for st, _ in outbound)),
            "wamids": {w for _, w in outbound if w},
            "inbound_unanswered": unanswered}


def _series(sampler: Sampler, start: float, end: float) -> dict[str, str]:
    """Each queue's largest depth (queued + running + scheduled) in every second, as one line."""
    seconds = int(end - start) + 1
    out = {}
    for q in QUEUES:
        per = [0] * seconds
        for at, depths in sampler.samples:
            if start <= at <= end:
                i = int(at - start)
                per[i] = max(per[i], sum(depths[q]))
        out[q] = " ".join(map(str, per))
    return out


def _starvation(jobs: list[dict], sampler: Sampler, start: float, last_reply: float) -> dict:
    out = {}
    for q in QUEUES:
        done = sorted(j["ended"] for j in jobs if j["queue"] == q and start <= j["ended"] <= last_reply)
        waited = max((sum(d[q][:1]) for at, d in sampler.samples if start <= at <= last_reply), default=0)
        out[q] = {"jobs_finished_during_rush": len(done),
                  "largest_queued_during_rush": waited,
                  "first_finished_s": round(done[0] - start, 2) if done else None,
                  "starved_whole_rush": waited > 0 and not done}
    return out


