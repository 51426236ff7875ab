"""an index that answers "which replies has this burst stored?" (`idempotency_key LIKE 'burst:…:%'`)

The unique index on `messages.idempotency_key` uses the column's collation, and PostgreSQL can
only use a b-tree for a `LIKE` prefix under the C collation: under any other (C.UTF-8 and
en_US.UTF-8 included), every burst's look for its own stored replies read every message of the
organization. `text_pattern_ops` compares byte by byte, which is what a prefix needs.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_messages_idempotency_prefix", "messages", ["idempotency_key"],
                    postgresql_ops={"idempotency_key": "text_pattern_ops"})


def downgrade() -> None:
    op.drop_index("ix_messages_idempotency_prefix", table_name="messages")
