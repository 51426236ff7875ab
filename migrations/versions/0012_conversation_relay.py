"""a message the owner asked the bot to pass on to a customer, and the customer's answer

`conversations.relay`: on a customer's conversation, the last message the owner (or an admin)
passed on through the bot ("decile a Marta que Carlos llega una hora tarde"): who asked, when,
what was said, and the customer's answer once it came ({"by": "5491155550100", "by_name":
"Roberto", "at": "...", "text": "...", "answer": null, "answered_at": null}). The customer's
next message is passed back to whoever asked instead of being read as a request to the bot.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    # A new column on a table whose row-level security policy already covers it.
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("relay", JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("relay")
