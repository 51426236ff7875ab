"""Engine and sessions: one unit of work per request or task, always inside a tenant scope.

Work a service defers (`core.deferred.defer`) runs once its transaction commits, through the
one `after_commit` hook the application layer plugs in (services/dispatch.py enqueues it), from
whichever caller opened the session: a burst, a back-office page, a task or the CLI.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from core import deferred, tenancy
from core.settings import Settings

log = logging.getLogger("campotech.db")

# (org_id, [(task, args), ...]) -> None: called after a commit with what the transaction deferred.
AfterCommit = Callable[[int, list[tuple[str, tuple]]], None]


def make_engine(url: str, echo: bool = False, hide_parameters: bool = False,
                pool_size: int = 5) -> Engine:
    """`hide_parameters`: error lines and echo leave out the bound values (message bodies,
    phones, payloads), as production logs must."""
    if url.startswith("sqlite"):
        engine = create_engine(url, echo=echo, hide_parameters=hide_parameters,
                               connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    engine = create_engine(url, echo=echo, hide_parameters=hide_parameters,
                           pool_size=pool_size, max_overflow=2 * pool_size)
    _ping_idle_connections(engine)
    return engine


# A pooled connection unused for this long is pinged before it is handed out.
IDLE_BEFORE_PING = 2.0


def _ping_idle_connections(engine: Engine) -> None:
    """SQLAlchemy's `pool_pre_ping`, for connections that sat in the pool: one that went unused
    for IDLE_BEFORE_PING seconds (PostgreSQL restarted, a proxy closed it) is pinged on checkout
    and replaced if dead. A busy worker's connections come back within milliseconds, and a ping
    before each of its transactions was a round trip for nothing (four per reply). A connection
    that dies within those seconds fails its statement, which invalidates the pool as a failed
    ping would, and the task is retried."""

    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_connection, record) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, _proxy) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < IDLE_BEFORE_PING:
            return  # just connected, or just used
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            # The pool drops this connection and checks out another (a new one if need be).
            raise DisconnectionError("pooled connection closed while idle") from exc


class Database:
    """Owns the engine and hands out tenant-scoped sessions that commit on success."""

    def __init__(self, settings: Settings, engine: Engine | None = None, *,
                 after_commit: AfterCommit | None = None):
        self.settings = settings
        self.after_commit = after_commit
        hide = settings.env == "production"
        self.engine = engine or make_engine(settings.database_url, echo=settings.sql_echo,
                                            hide_parameters=hide)
        self._factory = sessionmaker(self.engine, expire_on_commit=False, class_=Session)
        # Cross-tenant work connects as its own role (SYSTEM_DATABASE_URL): the app's role
        # cannot switch the system scope on by itself (migration 0007).
        self.system_engine = self.engine
        if settings.system_database_url and settings.system_database_url != settings.database_url:
            self.system_engine = make_engine(settings.system_database_url, echo=settings.sql_echo,
                                             hide_parameters=hide, pool_size=2)
        self._system_factory = (
            self._factory if self.system_engine is self.engine
            else sessionmaker(self.system_engine, expire_on_commit=False, class_=Session)
        )

    @contextmanager
    def org_session(self, org_id: int) -> Iterator[Session]:
        """A transaction that sees and writes only organization `org_id`'s rows."""
        with self._scoped(tenancy.org_scope(org_id)) as session:
            yield session

    @contextmanager
    def system_session(self) -> Iterator[Session]:
        """Read-only across organizations: routing a webhook, a login, the scheduler's loop.

        On PostgreSQL it runs as the system role (SYSTEM_DATABASE_URL), the only one the
        cross-tenant policies admit.

        Writes to organization data are refused here; create organizations with
        `core.organizations.create_organization`, which enters the new tenant itself.
        """
        with self._scoped(tenancy.system_scope(), self._system_factory) as session:
            yield session

    @contextmanager
    def _scoped(self, scope: tenancy.Scope, factory: sessionmaker | None = None) -> Iterator[Session]:
        session = (factory or self._factory)(info={tenancy.SCOPE_KEY: scope})
        try:
            with session.begin():
                yield session
            tasks = deferred.take(session)
        finally:
            session.close()
        if tasks:
            if self.after_commit is None:
                log.error("deferred work dropped, no after-commit hook: %s", [t for t, _ in tasks])
            else:
                self.after_commit(scope.org_id, tasks)

    def dispose(self) -> None:
        self.engine.dispose()
        if self.system_engine is not self.engine:
            self.system_engine.dispose()
