"""Migration 0006: messages stored before it get their reply id, pin and reaction target from `raw`."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy import create_engine, pool

from core import migrate
from core.settings import load_settings
from tests.conftest import APP_ROLE, OWNER_ROLE, create_database, pg_url

JSON = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)

organizations = sa.table(
    "organizations", sa.column("id"), sa.column("name"), sa.column("slug"),
    sa.column("iva_condition"), sa.column("punto_de_venta"), sa.column("time_zone"),
    sa.column("business_hours", JSON), sa.column("summary_hour"), sa.column("created_at"),
)
conversations = sa.table(
    "conversations", sa.column("id"), sa.column("org_id"), sa.column("wa_id"), sa.column("role"),
    sa.column("slots", JSON), sa.column("misses"), sa.column("human_takeover"),
    sa.column("needs_person"), sa.column("created_at"),
)
messages = sa.table(
    "messages", sa.column("id"), sa.column("org_id"), sa.column("conversation_id"),
    sa.column("direction"), sa.column("type"), sa.column("wa_message_id"), sa.column("status"),
    sa.column("raw", JSON), sa.column("attempts"), sa.column("created_at"),
)
TYPED = ("reply_id", "latitude", "longitude", "place_name", "place_address", "reacted_to")
NONE = dict.fromkeys(TYPED)

# (org, direction, type, raw as the webhook stored it, the typed fields 0006 must find)
OLD_ROWS = [
    (1, "in", "interactive",
     {"type": "interactive", "interactive": {"type": "button_reply", "button_reply": {
         "id": "confirm_slot:2025-11-25T09", "title": "Sí, mañana 9 hs"}}},
     {**NONE, "reply_id": "confirm_slot:2025-11-25T09"}),
    (1, "in", "interactive",
     {"type": "interactive", "interactive": {"type": "list_reply", "list_reply": {
         "id": "trade:plumbing", "title": "Plomería", "description": ""}}},
     {**NONE, "reply_id": "trade:plumbing"}),
    (1, "in", "button",
     {"type": "button", "button": {"payload": "reminder:reschedule", "text": "Cambiar horario"}},
     {**NONE, "reply_id": "reminder:reschedule"}),
    (1, "in", "location",
     {"type": "location", "location": {"latitude": -34.5875, "longitude": -58.4106,
                                       "name": "Alto Palermo", "address": "Av. Santa Fe 3253"}},
     {**NONE, "latitude": -34.5875, "longitude": -58.4106, "place_name": "Alto Palermo",
      "place_address": "Av. Santa Fe 3253"}),
    (1, "in", "location",
     {"type": "location", "location": {"latitude": 200, "longitude": -58.4, "name": "Nowhere"}},
     NONE),
    (1, "in", "location",
     {"type": "location", "location": {"latitude": "-34.6", "longitude": "-58.38",
                                       "name": "x" * 300, "address": "y" * 600}},
     {**NONE, "latitude": -34.6, "longitude": -58.38, "place_name": "x" * 256,
      "place_address": "y" * 512}),
    (1, "in", "reaction",
     {"type": "reaction", "reaction": {"message_id": "wamid.OUT1", "emoji": "👍"}},
     {**NONE, "reacted_to": "wamid.OUT1"}),
    (1, "in", "interactive",
     {"type": "interactive", "interactive": {"type": "nfm_reply", "nfm_reply": {"body": "Sent"}}},
     NONE),
    (1, "in", "text", {"type": "text", "text": {"body": "hola"}}, NONE),
    (1, "out", "interactive",
     {"type": "interactive", "interactive": {"type": "button_reply", "button_reply": {"id": "no"}}},
     NONE),
    (2, "in", "location",
     {"type": "location", "location": {"latitude": -31.42, "longitude": -64.18}},
     {**NONE, "latitude": -31.42, "longitude": -64.18}),
    (2, "in", "button", None, NONE),
]


@pytest.fixture
def scratch_pg(postgresql_proc, pg_roles, redis_url):
    create_database(postgresql_proc, "campotech_migration_0006")
    settings = load_settings(
        env="test",
        database_url=pg_url(postgresql_proc, APP_ROLE, "campotech_migration_0006"),
        migration_database_url=pg_url(postgresql_proc, OWNER_ROLE, "campotech_migration_0006"),
        redis_url=redis_url,
    )
    superuser_url = (f"postgresql+psycopg://{postgresql_proc.user}@{postgresql_proc.host}:"
                     f"{postgresql_proc.port}/campotech_migration_0006")
    return settings, superuser_url


def _store_old_rows(url: str) -> None:
    """Rows as the webhook stored them at 0005 (a superuser writes them: RLS is not the point)."""
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.begin() as conn:
        for org_id in (1, 2):
            conn.execute(sa.insert(organizations).values(
                id=org_id, name=f"Org {org_id}", slug=f"org-{org_id}", iva_condition="monotributo",
                punto_de_venta=1, time_zone="America/Argentina/Buenos_Aires", business_hours={},
                summary_hour=20, created_at=NOW))
            conn.execute(sa.insert(conversations).values(
                id=org_id, org_id=org_id, wa_id=f"54911555500{org_id:02d}", role="customer", slots={},
                misses=0, human_takeover=False, needs_person=False, created_at=NOW))
        for n, (org_id, direction, kind, raw, _) in enumerate(OLD_ROWS, start=1):
            conn.execute(sa.insert(messages).values(
                id=n, org_id=org_id, conversation_id=org_id, direction=direction, type=kind,
                wa_message_id=f"wamid.OLD{n}", status="received", raw=raw, attempts=0,
                created_at=NOW))
    engine.dispose()


def _typed_columns(url: str) -> dict[int, dict]:
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as conn:
        rows = conn.execute(sa.text(f"SELECT id, {', '.join(TYPED)} FROM messages ORDER BY id")).all()
    engine.dispose()
    return {row[0]: dict(zip(TYPED, row[1:], strict=True)) for row in rows}


def _expected() -> dict[int, dict]:
    return {n: fields for n, (*_, fields) in enumerate(OLD_ROWS, start=1)}


def test_upgrade_backfills_old_rows_on_postgresql_under_row_level_security(scratch_pg):
    settings, superuser_url = scratch_pg
    migrate.upgrade(settings, "0005")
    _store_old_rows(superuser_url)

    # The owner obeys RLS (FORCE): the backfill must enter each organization's scope to write.
    migrate.upgrade(settings, "0006")

    assert migrate.current_revision(settings) == "0006"
    assert _typed_columns(superuser_url) == _expected()
    migrate.downgrade(settings, "0005")
    migrate.upgrade(settings)
    assert _typed_columns(superuser_url) == _expected()


def test_upgrade_backfills_old_rows_on_sqlite(tmp_path):
    settings = load_settings(env="test", database_url=f"sqlite:///{tmp_path / 'm.db'}")
    migrate.upgrade(settings, "0005")
    _store_old_rows(settings.database_url)

    migrate.upgrade(settings)

    assert _typed_columns(settings.database_url) == _expected()
