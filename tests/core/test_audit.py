"""The audit trail is hash-chained per organization, verifiable, and tampering is caught."""

from __future__ import annotations

import itertools

import psycopg
import pytest
from sqlalchemy import select, text

from core import audit
from core.models import AuditEntry
from tests.conftest import superuser


def _append(db, org_id: int, n: int) -> None:
    with db.org_session(org_id) as s:
        for i in range(n):
            audit.record(s, actor="user:1", action="customer.update", entity_type="customer",
                         entity_id=i, data={"nombre": f"García {i}", "monto": "15000.00"})


def test_chain_links_each_entry_to_the_previous_of_its_organization(db, make_org):
    a, b = make_org(), make_org()
    _append(db, a, 3)
    _append(db, b, 2)
    _append(db, a, 1)
    with db.org_session(a) as s:
        entries = s.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
        # organization.create, then our four
        assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
        assert entries[0].prev_hash == audit.GENESIS
        assert all(e.prev_hash == p.hash for p, e in itertools.pairwise(entries))
        assert all(audit.entry_hash(e) == e.hash for e in entries)
        report = audit.verify(s)
        assert report.ok and report.entries == 5
    with db.org_session(b) as s:
        assert audit.verify(s).entries == 3


def test_entries_roll_back_with_the_change(db, make_org):
    a = make_org()
    with pytest.raises(RuntimeError), db.org_session(a) as s:
        audit.record(s, actor="x", action="y", entity_type="z")
        raise RuntimeError("the change failed")
    _append(db, a, 1)
    with db.org_session(a) as s:
        assert audit.verify(s).ok
        assert [e.seq for e in s.scalars(select(AuditEntry).order_by(AuditEntry.seq))] == [1, 2]


def test_tampered_content_is_caught_at_the_first_broken_entry(pg_db, postgresql_proc):
    from tests.factories import create_org

    a = create_org(pg_db, "Org Audit", "org-audit")
    _append(pg_db, a, 5)
    with superuser(postgresql_proc) as conn:
        conn.execute(
            "UPDATE audit_entries SET data = jsonb_set(data, '{monto}', '\"1.00\"') "
            "WHERE org_id = %s AND seq = 4", (a,)
        )
    with pg_db.org_session(a) as s:
        report = audit.verify(s)
    assert not report.ok and report.broken_seq == 4
    assert "broken at entry #4" in report.describe()


def test_deleted_entry_is_caught(pg_db, postgresql_proc):
    from tests.factories import create_org

    a = create_org(pg_db, "Org Audit", "org-audit")
    _append(pg_db, a, 4)
    with superuser(postgresql_proc) as conn:
        conn.execute("DELETE FROM audit_entries WHERE org_id = %s AND seq = 5", (a,))
    with pg_db.org_session(a) as s:
        report = audit.verify(s)
    assert not report.ok and report.broken_seq == 5 and "missing" in report.reason


def test_rewritten_chain_is_caught_by_the_link(sqlite_db):
    from tests.factories import create_org

    a = create_org(sqlite_db, "Org Audit", "org-audit")
    _append(sqlite_db, a, 3)
    with sqlite_db.engine.begin() as conn:
        # Recomputing one entry's own hash is not enough: the next entry still points at the old one.
        conn.execute(text("UPDATE audit_entries SET actor = 'mallory' WHERE seq = 2"))
    with sqlite_db.org_session(a) as s:
        entry = s.scalar(select(AuditEntry).where(AuditEntry.seq == 2))
        fixed = audit.entry_hash(entry)
    with sqlite_db.engine.begin() as conn:
        conn.execute(text("UPDATE audit_entries SET hash = :h WHERE seq = 2"), {"h": fixed})
    with sqlite_db.org_session(a) as s:
        report = audit.verify(s)
    assert not report.ok and report.broken_seq == 3 and "link" in report.reason


def test_app_role_cannot_update_or_delete_audit_entries(pg_db):
    from tests.factories import create_org

    a = create_org(pg_db, "Org Audit", "org-audit")
    for stmt in ("UPDATE audit_entries SET actor = 'x'", "DELETE FROM audit_entries"):
        with pytest.raises(Exception) as err, pg_db.org_session(a) as s:
            s.execute(text(stmt))
        assert isinstance(err.value.orig, psycopg.errors.InsufficientPrivilege)
    with pg_db.org_session(a) as s:
        assert audit.verify(s).ok


def _org(db) -> int:
    from tests.factories import create_org

    return create_org(db, "Org Checkpoint", "org-checkpoint")


def _tamper(postgresql_proc, org_id: int, seq: int) -> None:
    with superuser(postgresql_proc) as conn:
        conn.execute("UPDATE audit_entries SET actor = 'user:9999' WHERE org_id = %s AND seq = %s",
                     (org_id, seq))


def test_a_checkpoint_rehashes_only_what_is_new(pg_db, postgresql_proc, redisdb):
    org = _org(pg_db)
    _append(pg_db, org, 4)
    checkpoints = audit.ChainCheckpoints(redisdb)
    with pg_db.org_session(org) as s:
        full = audit.verify(s)
    assert full.ok and full.rehashed == full.entries == 5
    checkpoints.advance(org, full, full=True, now=1000.0)
    assert checkpoints.get(org) == audit.Checkpoint(5, full.head_hash, 1000.0)

    _append(pg_db, org, 2)
    with pg_db.org_session(org) as s:
        partial = audit.verify(s, since=checkpoints.get(org))
    assert partial.ok and (partial.entries, partial.rehashed) == (7, 2)
    checkpoints.advance(org, partial, full=False, now=2000.0)
    assert checkpoints.get(org) == audit.Checkpoint(7, partial.head_hash, 1000.0)  # full_at kept

    with pg_db.org_session(org) as s:
        assert audit.verify(s, since=checkpoints.get(org)).rehashed == 0


def test_a_checkpoint_still_catches_new_and_anchor_tampering(pg_db, postgresql_proc, redisdb):
    org = _org(pg_db)
    _append(pg_db, org, 4)
    with pg_db.org_session(org) as s:
        checkpoint = audit.Checkpoint(3, s.scalar(select(AuditEntry.hash).where(AuditEntry.seq == 3)), 0.0)

    _tamper(postgresql_proc, org, 4)  # after the checkpoint
    with pg_db.org_session(org) as s:
        report = audit.verify(s, since=checkpoint)
    assert (report.ok, report.broken_seq, report.kind) == (False, 4, "content")

    _tamper(postgresql_proc, org, 3)  # the checkpoint's own entry
    with pg_db.org_session(org) as s:
        report = audit.verify(s, since=checkpoint)
    assert (report.ok, report.broken_seq, report.kind) == (False, 3, "content")

    # Before the checkpoint, only a full walk sees it: that is what the nightly walk is for.
    _tamper(postgresql_proc, org, 2)
    with pg_db.org_session(org) as s:
        assert audit.verify(s).broken_seq == 2


def test_a_transactions_next_entry_links_to_its_last_without_reading_it_back(db, make_org):
    from sqlalchemy import event

    a = make_org()
    reads: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and "audit_entries" in statement:
            reads.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        _append(db, a, 3)  # one transaction: the first entry reads its previous, the others not
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(reads) == 1
    with db.org_session(a) as s:
        assert audit.verify(s).ok and audit.verify(s).entries == 4


def test_an_entry_rolled_back_with_its_savepoint_is_never_linked_to(db, make_org):
    a = make_org()
    with db.org_session(a) as s:
        audit.record(s, actor="x", action="kept.before", entity_type="z")
        with pytest.raises(RuntimeError), s.begin_nested():
            audit.record(s, actor="x", action="rolled.back", entity_type="z")
            audit.record(s, actor="x", action="rolled.back.too", entity_type="z")
            raise RuntimeError("the savepoint's change failed")
        audit.record(s, actor="x", action="kept.after", entity_type="z")
        audit.record(s, actor="x", action="kept.last", entity_type="z")
    with db.org_session(a) as s:
        report = audit.verify(s)
        assert report.ok and report.entries == 4
        assert [e.action for e in s.scalars(select(AuditEntry).order_by(AuditEntry.seq))][1:] == [
            "kept.before", "kept.after", "kept.last"]


def test_a_rolled_back_transactions_last_entry_is_not_linked_to_by_the_next(db, make_org):
    from core import tenancy

    a = make_org()
    session = db._factory(info={tenancy.SCOPE_KEY: tenancy.org_scope(a)})
    try:
        with pytest.raises(RuntimeError), session.begin():
            audit.record(session, actor="x", action="rolled.back", entity_type="z")
            raise RuntimeError("the change failed")
        # Another writer takes the same number meanwhile; this session's next transaction
        # follows it, never the entry it rolled back.
        _append(db, a, 1)
        with session.begin():
            audit.record(session, actor="x", action="after.rollback", entity_type="z")
    finally:
        session.close()
    with db.org_session(a) as s:
        assert audit.verify(s).ok and audit.verify(s).entries == 3
