"""edited and deleted messages, echoes from the WhatsApp Business app, ad referrals, marketing opt-out

- `messages.edited_at` / `messages.deleted_at`: the customer edited or deleted this message in
  WhatsApp; `messages.original_body` keeps the text as first sent (an edit replaces `body`);
  `messages.revises`: on the row recording an edit or a deletion, the wamid it points at;
- `messages.sent_from`: "business_app" for what a person typed on the business's own phone
  (Meta's `smb_message_echoes`), None for what we sent or received;
- `conversations.referral`: the Click-to-WhatsApp ad a conversation started from;
- `customers.marketing_opt_out` / `marketing_opt_out_at`: the customer asked for no marketing.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    # New columns on tables whose row-level security policies (0002, 0007) already cover them.
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("edited_at", UTC_DATETIME, nullable=True))
        batch.add_column(sa.Column("deleted_at", UTC_DATETIME, nullable=True))
        batch.add_column(sa.Column("original_body", sa.Text(), nullable=True))
        batch.add_column(sa.Column("revises", sa.String(128), nullable=True))
        batch.add_column(sa.Column("sent_from", sa.String(16), nullable=True))
    op.create_index("ix_messages_revises", "messages", ["revises"])
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("referral", JSON, nullable=True))
    with op.batch_alter_table("customers") as batch:
        batch.add_column(sa.Column(
            "marketing_opt_out", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("marketing_opt_out_at", UTC_DATETIME, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("marketing_opt_out_at")
        batch.drop_column("marketing_opt_out")
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("referral")
    op.drop_index("ix_messages_revises", table_name="messages")
    with op.batch_alter_table("messages") as batch:
        for column in ("sent_from", "revises", "original_body", "deleted_at", "edited_at"):
            batch.drop_column(column)
