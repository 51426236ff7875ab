"""The audit trail: append-only entries, each hash-chained to its organization's previous one."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import Select, String, cast, or_, select
from sqlalchemy.orm import Session

from core import counters
from core.models import AuditEntry, Job, utcnow
from core.tenancy import current_org_id

GENESIS = "0" * 64
_LAST_KEY = "campotech.audit_last"  # in session.info: (transaction, (org, seq), hash) of its last entry


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def canonical(entry: AuditEntry) -> bytes:
    """The bytes that are hashed: sorted keys, no spaces, UTF-8, microsecond UTC timestamp."""
    body = {
        "org_id": entry.org_id,
        "seq": entry.seq,
        "created_at": entry.created_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "actor": entry.actor,
        "action": entry.action,
        "entity_type": entry.entity_type,
        "entity_id": entry.entity_id,
        "data": entry.data,
        "prev_hash": entry.prev_hash,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(entry: AuditEntry) -> str:
    return hashlib.sha256(canonical(entry)).hexdigest()


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: object | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry in the caller's transaction (so it commits or rolls back with the change)."""
    org_id = current_org_id(session)
    seq = counters.next_value(session, "audit")  # locks the chain head for this organization
    # The entry before is usually this transaction's own last one (a booking writes the
    # customer's, then the job's): its hash is known, not read again. Only for the same
    # transaction and the very previous number: a rolled-back one's never counts.
    transaction = session.get_transaction()
    last = session.info.get(_LAST_KEY)
    if last is not None and last[0] is transaction and last[1] == (org_id, seq - 1):
        prev = last[2]
    else:
        prev = session.scalar(select(AuditEntry.hash).where(AuditEntry.seq == seq - 1))
    entry = AuditEntry(
        org_id=org_id,
        seq=seq,
        created_at=utcnow(),
        actor=actor,
        action=action,
        entity_type=entity_type,
        entity_id=None if entity_id is None else str(entity_id),
        data=_plain(data or {}),
        prev_hash=prev or GENESIS,
        hash="",
    )
    entry.hash = entry_hash(entry)
    session.add(entry)
    session.flush()
    session.info[_LAST_KEY] = (transaction, (org_id, seq), entry.hash)
    return entry


@dataclass(frozen=True)
class ChainReport:
    org_id: int
    entries: int
    ok: bool
    broken_seq: int | None = None
    reason: str | None = None
    # What broke, for people: "missing" (entries deleted), "link" or "content" (entries changed).
    kind: str | None = None
    head_hash: str | None = None  # the last entry's hash, when the chain is intact
    rehashed: int = 0  # entries whose hash this walk recomputed (all of them, or those after a checkpoint)

    def describe(self) -> str:
        if self.ok:
            return f"organization {self.org_id}: {self.entries} entries, chain intact"
        return f"organization {self.org_id}: broken at entry #{self.broken_seq}: {self.reason}"


@dataclass(frozen=True)
class Checkpoint:
    """Where an earlier walk found the chain intact: entry `seq` had hash `hash`. `full_at` is
    when the whole chain was last walked from the start (epoch seconds)."""

    seq: int
    hash: str
    full_at: float


def verify(session: Session, since: Checkpoint | None = None) -> ChainReport:
    """Walk the current organization's chain in order and report the first broken link.

    With `since`, only the entries after the checkpoint are re-hashed; the checkpoint's own
    entry must still be there, unchanged. Entries before it were proved by an earlier walk: a
    full walk (the nightly task, or on demand) is what catches later edits to those.
    """
    org_id = current_org_id(session)
    prev_hash, expected_seq, count, rehashed = GENESIS, 1, 0, 0
    query = select(AuditEntry).order_by(AuditEntry.seq)
    if since is not None and since.seq > 0:
        anchor = session.scalar(select(AuditEntry).where(AuditEntry.seq == since.seq))
        if anchor is None:
            return ChainReport(org_id, since.seq, False, since.seq, f"entry #{since.seq} is missing",
                               "missing")
        if anchor.hash != since.hash or entry_hash(anchor) != anchor.hash:
            return ChainReport(org_id, since.seq, False, since.seq,
                               "changed since the chain was last verified", "content")
        prev_hash, expected_seq, count = anchor.hash, since.seq + 1, since.seq
        query = query.where(AuditEntry.seq > since.seq)
    for entry in session.scalars(query.execution_options(yield_per=500)):
        count += 1
        rehashed += 1
        if entry.seq != expected_seq:
            return ChainReport(org_id, count, False, expected_seq, f"entry #{expected_seq} is missing",
                               "missing", rehashed=rehashed)
        if entry.prev_hash != prev_hash:
            return ChainReport(org_id, count, False, entry.seq, "does not link to the previous entry",
                               "link", rehashed=rehashed)
        if entry_hash(entry) != entry.hash:
            return ChainReport(org_id, count, False, entry.seq, "content does not match its hash",
                               "content", rehashed=rehashed)
        prev_hash = entry.hash
        expected_seq += 1
    head = counters.peek(session, "audit")
    if head > count:
        return ChainReport(org_id, count, False, count + 1, f"entries #{count + 1}..#{head} are missing",
                           "missing", rehashed=rehashed)
    return ChainReport(org_id, count, True, head_hash=prev_hash if count else None, rehashed=rehashed)


class ChainCheckpoints:
    """The last intact point of each organization's chain, in Redis, so the audit page re-hashes
    only what is new. Losing it costs one full walk, nothing else."""

    def __init__(self, redis):
        self.redis = redis

    @staticmethod
    def _key(org_id: int) -> str:
        return f"campotech:audit:checkpoint:{org_id}"

    def get(self, org_id: int) -> Checkpoint | None:
        raw = self.redis.hgetall(self._key(org_id))
        try:
            return Checkpoint(int(raw[b"seq"]), raw[b"hash"].decode(), float(raw[b"full_at"]))
        except (KeyError, ValueError, UnicodeDecodeError):
            return None

    def advance(self, org_id: int, report: ChainReport, *, full: bool, now: float) -> None:
        """Record an intact walk: a full one resets `full_at`, a partial one keeps it."""
        if not report.ok or not report.head_hash:
            return
        previous = self.get(org_id)
        if not full and previous is None:
            return
        full_at = now if full else previous.full_at
        self.redis.hset(self._key(org_id), mapping={"seq": report.entries, "hash": report.head_hash,
                                                    "full_at": full_at})

    def forget(self, org_id: int) -> None:
        self.redis.delete(self._key(org_id))


# ---- reading the trail -------------------------------------------------------------------------

@dataclass(frozen=True)
class TrailFilters:
    """Which entries to list; None means any. Times are UTC; `until` is exclusive."""

    entity_type: str | None = None
    entity_id: str | None = None  # for jobs, the number people see ("Trabajo #12")
    actor: str | None = None  # "user:3" exactly, or a kind ("system", "whatsapp") and all of it
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def trail_query(filters: TrailFilters) -> Select:
    """The session's organization's entries matching `filters`, newest first."""
    stmt = select(AuditEntry)
    if filters.entity_type:
        stmt = stmt.where(AuditEntry.entity_type == filters.entity_type)
    if filters.entity_id:
        if filters.entity_type == "job" and filters.entity_id.isdigit():
            job_id = select(cast(Job.id, String)).where(Job.number == int(filters.entity_id))
            stmt = stmt.where(AuditEntry.entity_id.in_(job_id))
        else:
            stmt = stmt.where(AuditEntry.entity_id == filters.entity_id)
    if filters.actor:
        if ":" in filters.actor:
            stmt = stmt.where(AuditEntry.actor == filters.actor)
        else:
            stmt = stmt.where(or_(AuditEntry.actor == filters.actor,
                                  AuditEntry.actor.startswith(f"{filters.actor}:", autoescape=True)))
    if filters.action:
        stmt = stmt.where(AuditEntry.action == filters.action)
    if filters.since:
        stmt = stmt.where(AuditEntry.created_at >= filters.since)
    if filters.until:
        stmt = stmt.where(AuditEntry.created_at < filters.until)
    return stmt.order_by(AuditEntry.seq.desc())


def recorded_values(session: Session) -> tuple[list[str], list[str]]:
    """The actions and entity types present in the session's organization's trail, sorted."""
    actions = session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action)).all()
    kinds = session.scalars(select(AuditEntry.entity_type).distinct().order_by(AuditEntry.entity_type)).all()
    return list(actions), list(kinds)
