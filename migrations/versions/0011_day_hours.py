"""hours of one day that differ from the weekly ones (closing early, opening late)

`organizations.day_hours`: a JSON object from local dates to that day's ranges, as the weekly
hours store them ({"2026-12-08": [["08:00", "13:00"]]}), filled by the owner telling the bot
("mañana cerramos a las 13", "el sábado abrimos recién a las 10") or in the back office.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("organizations", sa.Column(
        "day_hours", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
        nullable=False, server_default="{}"))


def downgrade() -> None:
    op.drop_column("organizations", "day_hours")
