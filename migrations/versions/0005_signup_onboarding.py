"""sign-up and onboarding: the business's trade, confirmed hours, login codes, verified phones

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

UTC_DATETIME = sa.DateTime(timezone=True)
SERVICES = ("plumbing", "electrical", "gas", "hvac", "locksmith", "other")


def upgrade() -> None:
    # New columns only: the tables' row-level security policies (0002) cover them as they are.
    with op.batch_alter_table("organizations") as batch:
        batch.add_column(sa.Column(
            "trade",
            sa.Enum(*SERVICES, name="service", native_enum=False, create_constraint=True, length=24),
            nullable=True))
        batch.add_column(sa.Column("hours_confirmed_at", UTC_DATETIME, nullable=True))
        batch.add_column(sa.Column("login_code_required", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("phone_verified_at", UTC_DATETIME, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("phone_verified_at")
    with op.batch_alter_table("organizations") as batch:
        for column in ("login_code_required", "hours_confirmed_at", "trade"):
            batch.drop_column(column)
