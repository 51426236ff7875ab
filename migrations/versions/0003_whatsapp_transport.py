"""whatsapp transport: burst bookkeeping, outbound payloads, idempotency keys

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.add_column("conversations", sa.Column("wa_user_id", sa.String(64), nullable=True))
    op.add_column("conversations", sa.Column("profile_name", sa.String(120), nullable=True))
    op.add_column("messages", sa.Column("status_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("messages", sa.Column("burst_id", sa.String(40), nullable=True))
    op.add_column("messages", sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("messages", sa.Column("transcript_status", sa.String(16), nullable=True))
    op.add_column("messages", sa.Column("payload", JSON, nullable=True))
    op.add_column("messages", sa.Column("idempotency_key", sa.String(100), nullable=True))
    op.add_column(
        "messages", sa.Column("attempts", sa.Integer(), nullable=False, server_default="0")
    )
    with op.batch_alter_table("organizations") as batch:
        batch.alter_column("burst_quiet_seconds", existing_type=sa.Double(), nullable=True)
        batch.alter_column("burst_cap_seconds", existing_type=sa.Double(), nullable=True)
    op.create_index("uq_messages_idempotency_key", "messages", ["idempotency_key"], unique=True)
    op.create_index("ix_messages_unprocessed", "messages", ["direction", "processed_at"])


def downgrade() -> None:
    op.drop_index("ix_messages_unprocessed", table_name="messages")
    op.drop_index("uq_messages_idempotency_key", table_name="messages")
    with op.batch_alter_table("messages") as batch:
        for column in (
            "attempts", "idempotency_key", "payload", "transcript_status", "processed_at",
            "burst_id", "status_at",
        ):
            batch.drop_column(column)
    op.execute("UPDATE organizations SET burst_quiet_seconds = 4.0 WHERE burst_quiet_seconds IS NULL")
    op.execute("UPDATE organizations SET burst_cap_seconds = 20.0 WHERE burst_cap_seconds IS NULL")
    with op.batch_alter_table("organizations") as batch:
        batch.alter_column("burst_quiet_seconds", existing_type=sa.Double(), nullable=False)
        batch.alter_column("burst_cap_seconds", existing_type=sa.Double(), nullable=False)
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("profile_name")
        batch.drop_column("wa_user_id")
