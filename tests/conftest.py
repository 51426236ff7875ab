"""Real parts for every suite: a PostgreSQL 15 cluster and a redis-server, started here.

`pg_db` is a Database on PostgreSQL connected as the app's non-owner role (RLS applies);
`db` runs a test on PostgreSQL and again on SQLite (the core suite uses it).
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import port_for
import psycopg
import pytest
from pytest_postgresql.executors import PostgreSQLExecutor
from pytest_redis import factories as redis_factories

from core import migrate
from core.db import Database
from core.settings import Settings, load_settings
from flows.context import forget_org_context

pytest_plugins = ["tests.fakes.graph", "tests.fakes.openai_server", "tests.fakes.afip_server",
                  "tests.fakes.mercadopago_server"]

ROOT = Path(__file__).resolve().parent.parent
APP_ROLE, OWNER_ROLE, TEST_DB = "campotech_app", "campotech_owner", "campotech_test"
SYSTEM_ROLE = "campotech_system"  # cross-tenant work only (migration 0007)


def _real_pg_ctl() -> str:
    if os.environ.get("PG_CTL"):
        return os.environ["PG_CTL"]
    pg_config = shutil.which("pg_config")
    if pg_config:
        bindir = subprocess.check_output([pg_config, "--bindir"], text=True).strip()
        if os.path.exists(f"{bindir}/pg_ctl"):
            return f"{bindir}/pg_ctl"
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]))
    if found:
        return found[-1]
    found_on_path = shutil.which("pg_ctl")
    if found_on_path:
        return found_on_path
    pytest.exit("pg_ctl not found: install PostgreSQL 15 (apt-get install postgresql-15)", 3)


def _redis_server() -> str:
    path = shutil.which("redis-server")
    if not path:
        pytest.exit("redis-server not found: install it (apt-get install redis-server)", 3)
    return path


redis_proc = redis_factories.redis_proc(executable=_redis_server(), port=None)
redisdb = redis_factories.redisdb("redis_proc")


@pytest.fixture(scope="session")
def postgresql_proc() -> Iterator[PostgreSQLExecutor]:
    """A throwaway cluster; as root (CI) it runs as the `postgres` user, since initdb refuses root."""
    os.environ["CAMPOTECH_REAL_PG_CTL"] = _real_pg_ctl()
    workdir = tempfile.mkdtemp(prefix="campotech-pg-")
    if os.geteuid() == 0:
        shutil.chown(workdir, "postgres", "postgres")
    port = port_for.select_random()
    executor = PostgreSQLExecutor(
        executable=str(ROOT / "tests" / "bin" / "pg_ctl"),
        host="127.0.0.1",
        port=port,
        datadir=f"{workdir}/data",
        unixsocketdir=workdir,
        logfile=f"{workdir}/postgresql.log",
        startparams="-w",
        dbname="postgres",
        postgres_options="-c fsync=off -c full_page_writes=off -c synchronous_commit=off",
    )
    executor.start()
    _wait_until_accepting(executor)
    try:
        yield executor
    finally:
        executor.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def _wait_until_accepting(proc: PostgreSQLExecutor, timeout: float = 60.0) -> None:
    """pg_ctl reports "running" once the postmaster exists; on a loaded machine the first
    connection can still meet "the database system is starting up". Wait for a real one."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            psycopg.connect(_superuser_dsn(proc, "postgres"), connect_timeout=5).close()
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _superuser_dsn(proc: PostgreSQLExecutor, dbname: str) -> str:
    return f"host={proc.host} port={proc.port} user={proc.user} dbname={dbname}"


def pg_url(proc: PostgreSQLExecutor, role: str, dbname: str) -> str:
    return f"postgresql+psycopg://{role}:{role}@{proc.host}:{proc.port}/{dbname}"


def superuser(proc: PostgreSQLExecutor, dbname: str = TEST_DB) -> psycopg.Connection:
    return psycopg.connect(_superuser_dsn(proc, dbname), autocommit=True)


def create_database(proc: PostgreSQLExecutor, dbname: str) -> None:
    with superuser(proc, "postgres") as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{dbname}" OWNER {OWNER_ROLE}')


@pytest.fixture(scope="session")
def pg_roles(postgresql_proc) -> None:
    with superuser(postgresql_proc, "postgres") as conn:
        for role in (OWNER_ROLE, APP_ROLE, SYSTEM_ROLE):
            conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{role}' NOSUPERUSER NOBYPASSRLS")


@pytest.fixture(scope="session")
def redis_url(redis_proc) -> str:
    return f"redis://{redis_proc.host}:{redis_proc.port}/0"


@pytest.fixture(scope="session")
def pg_settings(postgresql_proc, pg_roles, redis_url) -> Settings:
    """Migrated once, as the owner; the app connects as the non-owner role."""
    create_database(postgresql_proc, TEST_DB)
    settings = load_settings(
        env="test",
        database_url=pg_url(postgresql_proc, APP_ROLE, TEST_DB),
        migration_database_url=pg_url(postgresql_proc, OWNER_ROLE, TEST_DB),
        system_database_url=pg_url(postgresql_proc, SYSTEM_ROLE, TEST_DB),
        redis_url=redis_url,
        log_json=False,
    )
    migrate.upgrade(settings)
    return settings


def _truncate_all(proc: PostgreSQLExecutor) -> None:
    with superuser(proc) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname='public' AND tablename <> 'alembic_version'"
        )]
        if tables:
            conn.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")


@pytest.fixture
def pg_db(pg_settings, postgresql_proc) -> Iterator[Database]:
    database = Database(pg_settings)
    try:
        yield database
    finally:
        database.dispose()
        _truncate_all(postgresql_proc)
        # Identities restart: the next test's organization 1 is not this one.
        forget_org_context()


@pytest.fixture
def sqlite_settings(tmp_path, redis_url) -> Settings:
    return load_settings(
        env="test", database_url=f"sqlite:///{tmp_path / 'campotech.db'}", redis_url=redis_url,
        log_json=False,
    )


@pytest.fixture
def sqlite_db(sqlite_settings) -> Iterator[Database]:
    migrate.upgrade(sqlite_settings)
    database = Database(sqlite_settings)
    yield database
    database.dispose()
    forget_org_context()  # the next test's database numbers its organizations from 1 again


@pytest.fixture(params=["postgresql", "sqlite"])
def db(request) -> Database:
    """The core suite runs on both databases."""
    return request.getfixturevalue("pg_db" if request.param == "postgresql" else "sqlite_db")


@pytest.fixture
def make_org(db):
    """Factory: a new organization (and its id) in `db`."""
    from tests.factories import create_org

    counter = iter(range(1, 1000))

    def _make(name: str | None = None, **fields) -> int:
        n = next(counter)
        return create_org(db, name or f"Org {n}", slug=fields.pop("slug", f"org-{n}"), **fields)

    return _make


def pytest_terminal_summary(terminalreporter) -> None:
    """A test that hung and was run again (pyproject's pytest-timeout settings) passes only on
    its second run: the first run's stack, where it hung, is printed here so it gets fixed."""
    for report in terminalreporter.stats.get("rerun", []):
        terminalreporter.write_sep("-", f"timed out, then run again: {report.nodeid}")
        terminalreporter.write_line(report.longreprtext[-6000:])
