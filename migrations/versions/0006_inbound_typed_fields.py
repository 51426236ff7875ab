"""inbound messages keep what the webhook parsed: the tapped reply's id, the pin, the reaction's target

Messages stored before this revision get the same fields from their `raw` payload here, so
nothing after the webhook needs to read `raw` again.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import math
import re
from itertools import groupby
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
COLUMNS = ("reply_id", "latitude", "longitude", "place_name", "place_address", "reacted_to")
TYPED_KINDS = ("interactive", "button", "location", "reaction")
PAGE = 500

messages = sa.table(
    "messages",
    sa.column("id", sa.Integer), sa.column("org_id", sa.Integer),
    sa.column("direction", sa.String), sa.column("type", sa.String), sa.column("raw", JSON),
    sa.column("reply_id", sa.String), sa.column("latitude", sa.Float),
    sa.column("longitude", sa.Float), sa.column("place_name", sa.String),
    sa.column("place_address", sa.String), sa.column("reacted_to", sa.String),
)


def upgrade() -> None:
    # New nullable columns only: the table's row-level security policies (0002) cover them.
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("reply_id", sa.String(256), nullable=True))
        batch.add_column(sa.Column("latitude", sa.Float(), nullable=True))
        batch.add_column(sa.Column("longitude", sa.Float(), nullable=True))
        batch.add_column(sa.Column("place_name", sa.String(256), nullable=True))
        batch.add_column(sa.Column("place_address", sa.String(512), nullable=True))
        batch.add_column(sa.Column("reacted_to", sa.String(128), nullable=True))
    _backfill(op.get_bind())


def downgrade() -> None:
    # `raw` still holds everything these columns had: nothing is lost going down.
    with op.batch_alter_table("messages") as batch:
        for column in reversed(COLUMNS):
            batch.drop_column(column)


def _backfill(bind) -> None:
    """Fill the new columns of earlier inbound messages from `raw`, a page at a time.

    The migrating role obeys row-level security (FORCE, 0002): it reads in the system scope and
    writes each organization's rows inside that organization's scope.
    """
    postgres = bind.dialect.name == "postgresql"
    if postgres:
        _scope(bind, "app.scope", "system")
    update = (
        sa.update(messages)
        .where(messages.c.id == sa.bindparam("message_id"))
        .values({name: sa.bindparam(f"new_{name}") for name in COLUMNS})
    )
    after = 0
    while True:
        rows = bind.execute(
            sa.select(messages.c.id, messages.c.org_id, messages.c.type, messages.c.raw)
            .where(messages.c.id > after, messages.c.direction == "in",
                   messages.c.type.in_(TYPED_KINDS), messages.c.raw.is_not(None))
            .order_by(messages.c.id)
            .limit(PAGE)
        ).all()
        if not rows:
            break
        after = rows[-1].id
        found = []
        for row in rows:
            fields = _typed_fields(row.type, row.raw)
            if any(value is not None for value in fields.values()):
                found.append((row.org_id, {"message_id": row.id,
                                           **{f"new_{k}": v for k, v in fields.items()}}))
        found.sort(key=lambda item: item[0])
        for org_id, group in groupby(found, key=lambda item: item[0]):
            if postgres:
                _scope(bind, "app.org_id", str(org_id))
            bind.execute(update, [params for _, params in group])
    if postgres:
        _scope(bind, "app.org_id", "")
        _scope(bind, "app.scope", "")


def _scope(bind, name: str, value: str) -> None:
    bind.execute(sa.text("SELECT set_config(:name, :value, true)"), {"name": name, "value": value})


# -- the webhook's rules (bot/payloads.py as of this revision), copied so this migration keeps
# -- running the same way whatever the application code becomes.

_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _typed_fields(kind: str, raw: Any) -> dict[str, Any]:
    fields: dict[str, Any] = dict.fromkeys(COLUMNS)
    content = raw.get(kind) if isinstance(raw, dict) else None
    if not isinstance(content, dict):
        return fields
    if kind == "interactive":
        reply_type = content.get("type")
        reply = content.get(reply_type) if isinstance(reply_type, str) else None
        if isinstance(reply, dict) and reply_type != "nfm_reply":
            fields["reply_id"] = _text(reply.get("id"), 256)
    elif kind == "button":
        fields["reply_id"] = _text(content.get("payload"), 256)
    elif kind == "reaction":
        fields["reacted_to"] = _text(content.get("message_id"), 128)
    elif kind == "location":
        latitude, longitude = _number(content.get("latitude")), _number(content.get("longitude"))
        if latitude is not None and longitude is not None and abs(latitude) <= 90 and abs(longitude) <= 180:
            fields.update(
                latitude=latitude, longitude=longitude,
                place_name=_text(content.get("name"), 256),
                place_address=_text(content.get("address"), 512),
            )
    return fields


def _text(value: Any, limit: int) -> str | None:
    if not isinstance(value, str):
        return None
    return _LONE_SURROGATE.sub("\ufffd", value.replace("\x00", ""))[:limit]


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None
