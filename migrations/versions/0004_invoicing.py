"""invoicing and payments: AFIP authorization state, delivery, payment links, transfer details

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

OLD_STATUSES = ("pending", "approved", "rejected", "refunded", "cancelled")
NEW_STATUSES = ("pending", "in_process", "approved", "in_mediation", "rejected", "refunded",
                "charged_back", "cancelled")
UTC_DATETIME = sa.DateTime(timezone=True)


def _status_type(values: tuple[str, ...]) -> sa.Enum:
    return sa.Enum(*values, name="paymentstatus", native_enum=False, create_constraint=True,
                   length=24)


def upgrade() -> None:
    with op.batch_alter_table("invoices") as batch:
        batch.add_column(sa.Column("concepto", sa.Integer(), nullable=False, server_default="2"))
        batch.add_column(sa.Column("receiver_doc_tipo", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("receiver_doc_nro", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("receiver_iva_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("requested_at", UTC_DATETIME, nullable=True))
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("next_attempt_at", UTC_DATETIME, nullable=True))
        batch.add_column(sa.Column("last_error", sa.Text(), nullable=True))
        batch.add_column(sa.Column("delivered_at", UTC_DATETIME, nullable=True))
        batch.add_column(sa.Column("payment_link", sa.Text(), nullable=True))
        batch.add_column(sa.Column("mp_preference_id", sa.String(80), nullable=True))
        batch.add_column(sa.Column("payment_link_expires_at", UTC_DATETIME, nullable=True))
        batch.add_column(sa.Column("paid_at", UTC_DATETIME, nullable=True))
    op.create_index("ix_invoices_retry", "invoices", ["status", "next_attempt_at"])
    with op.batch_alter_table("payments") as batch:
        batch.add_column(sa.Column("status_detail", sa.String(60), nullable=True))
        batch.add_column(sa.Column("refunded_amount", sa.Numeric(12, 2), nullable=False,
                                   server_default="0"))
        batch.add_column(sa.Column("updated_at", UTC_DATETIME, nullable=True))
        batch.alter_column("status", existing_type=_status_type(OLD_STATUSES),
                           type_=_status_type(NEW_STATUSES), existing_nullable=False)
    with op.batch_alter_table("organizations") as batch:
        batch.add_column(sa.Column("transfer_alias", sa.String(40), nullable=True))
        batch.add_column(sa.Column("transfer_cbu", sa.String(22), nullable=True))
        batch.add_column(sa.Column("transfer_holder", sa.String(120), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("organizations") as batch:
        for column in ("transfer_holder", "transfer_cbu", "transfer_alias"):
            batch.drop_column(column)
    op.execute("UPDATE payments SET status = 'pending' WHERE status = 'in_process'")
    op.execute("UPDATE payments SET status = 'approved' WHERE status = 'in_mediation'")
    op.execute("UPDATE payments SET status = 'refunded' WHERE status = 'charged_back'")
    with op.batch_alter_table("payments") as batch:
        batch.alter_column("status", existing_type=_status_type(NEW_STATUSES),
                           type_=_status_type(OLD_STATUSES), existing_nullable=False)
        for column in ("updated_at", "refunded_amount", "status_detail"):
            batch.drop_column(column)
    op.drop_index("ix_invoices_retry", table_name="invoices")
    with op.batch_alter_table("invoices") as batch:
        for column in ("paid_at", "payment_link_expires_at", "mp_preference_id", "payment_link",
                       "delivered_at", "last_error", "next_attempt_at", "attempts",
                       "requested_at", "receiver_iva_id", "receiver_doc_nro",
                       "receiver_doc_tipo", "concepto"):
            batch.drop_column(column)
