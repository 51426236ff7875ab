"""Pooled connections: one that sat idle is checked before use, one just used is not."""

from __future__ import annotations

from sqlalchemy import text

from core import db as core_db
from core.db import make_engine
from tests.conftest import superuser


def _pid(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("select pg_backend_pid()")).scalar_one()


def _count_pings(engine, monkeypatch) -> list[int]:
    pings: list[int] = []
    ping = engine.dialect.do_ping

    def counted(dbapi_connection):
        pings.append(1)
        return ping(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", counted)
    return pings


def test_a_connection_killed_while_idle_is_replaced_before_use(pg_settings, postgresql_proc,
                                                               monkeypatch):
    engine = make_engine(pg_settings.database_url, pool_size=1)
    try:
        first = _pid(engine)
        with superuser(postgresql_proc) as admin:  # PostgreSQL restarted, a proxy timed it out
            admin.execute("select pg_terminate_backend(%s)", (first,))
        monkeypatch.setattr(core_db, "IDLE_BEFORE_PING", 0.0)
        pings = _count_pings(engine, monkeypatch)

        second = _pid(engine)  # no error reaches the caller

        assert second != first
        assert pings
    finally:
        engine.dispose()


def test_a_connection_just_used_goes_out_without_a_ping(pg_settings, monkeypatch):
    engine = make_engine(pg_settings.database_url, pool_size=1)
    try:
        pings = _count_pings(engine, monkeypatch)
        first = _pid(engine)
        assert [_pid(engine) for _ in range(5)] == [first] * 5
        assert pings == []  # a busy worker's transactions cost no extra round trip

        monkeypatch.setattr(core_db, "IDLE_BEFORE_PING", 0.0)
        assert _pid(engine) == first
        assert pings == [1]
    finally:
        engine.dispose()
