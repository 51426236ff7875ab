"""Engine and sessions: one unit of work per request or task, always inside a tenant scope."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from core import tenancy
from core.settings import Settings


def make_engine(url: str, echo: bool = False) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=5, max_overflow=10)


class Database:
    """Owns the engine and hands out tenant-scoped sessions that commit on success."""

    def __init__(self, settings: Settings, engine: Engine | None = None):
        self.settings = settings
        self.engine = engine or make_engine(settings.database_url, echo=settings.sql_echo)
        self._factory = sessionmaker(self.engine, expire_on_commit=False, class_=Session)

    @contextmanager
    def org_session(self, org_id: int) -> Iterator[Session]:
        """A transaction that sees and writes only organization `org_id`'s rows."""
        with self._scoped(tenancy.org_scope(org_id)) as session:
            yield session

    @contextmanager
    def system_session(self) -> Iterator[Session]:
        """Read-only across organizations: routing a webhook, a login, the scheduler's loop.

        Writes to organization data are refused here; create organizations with
        `core.organizations.create_organization`, which enters the new tenant itself.
        """
        with self._scoped(tenancy.system_scope()) as session:
            yield session

    @contextmanager
    def _scoped(self, scope: tenancy.Scope) -> Iterator[Session]:
        session = self._factory(info={tenancy.SCOPE_KEY: scope})
        try:
            with session.begin():
                yield session
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
