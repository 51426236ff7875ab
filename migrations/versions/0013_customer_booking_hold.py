"""a customer the owner asked the bot not to book, until they pay or for good

`customers.booking_hold`: set when the owner says "a Quiroga no le tomes más trabajos hasta que
pague lo que debe, si escribe pasámelo" ({"until_paid": true, "by": "Roberto", "at": "...",
"said": "..."}). A held customer's request for work is passed to the owner instead of being
booked; a hold until paid lifts itself once nothing is owed.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    # A new column on a table whose row-level security policy already covers it.
    with op.batch_alter_table("customers") as batch:
        batch.add_column(sa.Column("booking_hold", JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("booking_hold")
