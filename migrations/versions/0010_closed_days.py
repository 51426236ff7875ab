"""days the business does not open beyond its weekly hours (a holiday, a day off)

`organizations.closed_days`: local dates ("2026-12-08"), a JSON list the owner fills by telling
the bot ("mañana no trabajamos, es feriado") or in the back office.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("organizations", sa.Column(
        "closed_days", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
        nullable=False, server_default="[]"))


def downgrade() -> None:
    op.drop_column("organizations", "closed_days")
