"""The schema is made only by migrations: up and down on PostgreSQL, and it matches the models."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, pool, text

import core.models
from core import migrate
from core.models.base import Base
from core.settings import load_settings
from tests.conftest import APP_ROLE, OWNER_ROLE, create_database, pg_url


@pytest.fixture
def scratch_pg(postgresql_proc, pg_roles, redis_url):
    create_database(postgresql_proc, "campotech_migrations")
    return load_settings(
        env="test",
        database_url=pg_url(postgresql_proc, APP_ROLE, "campotech_migrations"),
        migration_database_url=pg_url(postgresql_proc, OWNER_ROLE, "campotech_migrations"),
        redis_url=redis_url,
    )


def _tables(url: str) -> set[str]:
    engine = create_engine(url, poolclass=pool.NullPool)
    names = set(inspect(engine).get_table_names())
    engine.dispose()
    return names - {"alembic_version"}


def _policies(url: str) -> set[tuple[str, str]]:
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT tablename, policyname FROM pg_policies")).all()
    engine.dispose()
    return {(r[0], r[1]) for r in rows}


def test_upgrade_downgrade_upgrade_on_postgresql(scratch_pg):
    owner = scratch_pg.migration_database_url
    migrate.upgrade(scratch_pg)
    assert migrate.current_revision(scratch_pg) == migrate.head_revision() == "0013"
    assert _tables(owner) == set(Base.metadata.tables)
    policies = _policies(owner)
    for table in core.models.ORG_SCOPED_TABLES:
        assert (table, "system_read") in policies
    assert ("customers", "tenant_isolation") in policies
    assert ("audit_entries", "tenant_append") in policies

    migrate.downgrade(scratch_pg, "0002")
    assert migrate.current_revision(scratch_pg) == "0002"
    migrate.downgrade(scratch_pg, "0001")
    assert _policies(owner) == set()
    migrate.downgrade(scratch_pg, "base")
    assert _tables(owner) == set()
    assert migrate.current_revision(scratch_pg) is None

    migrate.upgrade(scratch_pg)
    assert _tables(owner) == set(Base.metadata.tables)


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
def test_migrations_match_the_models(backend, request, tmp_path):
    if backend == "postgresql":
        settings = request.getfixturevalue("scratch_pg")
    else:
        settings = load_settings(env="test", database_url=f"sqlite:///{tmp_path / 'm.db'}")
    migrate.upgrade(settings)
    engine = create_engine(settings.migration_database_url or settings.database_url, poolclass=pool.NullPool)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    engine.dispose()
    assert diff == []


def test_a_bursts_look_for_its_stored_replies_uses_an_index(pg_db, postgresql_proc):
    """`idempotency_key LIKE 'burst:{id}:%'` (answer_burst's first question) under the database's
    own collation: without migration 0009 it read every message of the organization."""
    from tests.conftest import superuser
    from tests.factories import create_org

    org = create_org(pg_db, "Plomería Index", slug="plomeria-index")
    with superuser(postgresql_proc) as conn:
        conn.execute("INSERT INTO conversations (org_id, wa_id, role, slots, misses, human_takeover,"
                     " needs_person, created_at) VALUES (%s, '5491100000000', 'customer', '{}', 0,"
                     " false, false, now())", (org,))
        conversation = conn.execute("SELECT max(id) FROM conversations").fetchone()[0]
        conn.execute("INSERT INTO messages (org_id, conversation_id, direction, type, status,"
                     " idempotency_key, attempts, created_at) SELECT %s, %s, 'out', 'text', 'sent',"
                     " 'burst:' || md5(g::text) || ':0', 0, now() FROM generate_series(1, 20000) g",
                     (org, conversation))
        conn.execute("ANALYZE messages")
        collation = conn.execute("SHOW lc_collate").fetchone()[0]
        plan = "\n".join(row[0] for row in conn.execute(
            "EXPLAIN SELECT id FROM messages WHERE idempotency_key LIKE 'burst:0123abcd:%'"))
    assert "ix_messages_idempotency_prefix" in plan, (collation, plan)
    assert "Seq Scan" not in plan, plan
