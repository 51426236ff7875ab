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
    assert migrate.current_revision(scratch_pg) == migrate.head_revision() == "0008"
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
