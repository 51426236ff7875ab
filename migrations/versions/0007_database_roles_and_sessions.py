"""cross-tenant reads only for the system role; the audit trail outlives no cascade; session versions

Before this revision any role could read every organization by setting `app.scope = 'system'`
in its own transaction, and deleting an organization cascaded into its audit trail. Now:

- the cross-tenant policies (`system_read` on every organization table, `system_create` on
  organizations) apply only to the role `campotech_system`: the app's role cannot switch them
  on by itself. The app reaches it through `SYSTEM_DATABASE_URL` (a login role that is, or is a
  member of, `campotech_system`); this migration creates it as NOLOGIN when it is missing and
  the migrating role may create roles;
- the audit trail's foreign key to its organization no longer cascades: an organization with
  an audit trail cannot be deleted at all (and the app's roles get no DELETE on it,
  see core/migrate.py);
- `users.session_version`: bumped by logout, password change and role change, checked on
  every back-office request, so a copied cookie dies with them.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

SYSTEM_ROLE = "campotech_system"
SYSTEM = "current_setting('app.scope', true) = 'system'"
ORG_TABLES = [
    "audit_entries", "conversations", "customer_addresses", "customers", "invoice_lines",
    "invoices", "job_events", "jobs", "messages", "org_counters", "org_secrets", "payments",
    "price_book_items", "users",
]
AUDIT_FK = "fk_audit_entries_org_id_organizations"


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("session_version", sa.Integer(), server_default="0", nullable=False))
    _audit_fk(ondelete=None)
    if op.get_bind().dialect.name != "postgresql":
        return
    _ensure_system_role()
    for table in [*ORG_TABLES, "organizations"]:
        op.execute(f"DROP POLICY system_read ON {table}")
        op.execute(f"CREATE POLICY system_read ON {table} FOR SELECT TO {SYSTEM_ROLE} USING (true)")
    op.execute("DROP POLICY system_create ON organizations")
    op.execute(f"CREATE POLICY system_create ON organizations FOR INSERT TO {SYSTEM_ROLE} WITH CHECK (true)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in [*ORG_TABLES, "organizations"]:
            op.execute(f"DROP POLICY system_read ON {table}")
            op.execute(f"CREATE POLICY system_read ON {table} FOR SELECT USING ({SYSTEM})")
        op.execute("DROP POLICY system_create ON organizations")
        op.execute(f"CREATE POLICY system_create ON organizations FOR INSERT WITH CHECK ({SYSTEM})")
    _audit_fk(ondelete="CASCADE")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("session_version")


def _audit_fk(ondelete: str | None) -> None:
    with op.batch_alter_table("audit_entries") as batch:
        batch.drop_constraint(AUDIT_FK, type_="foreignkey")
        batch.create_foreign_key(AUDIT_FK, "organizations", ["org_id"], ["id"], ondelete=ondelete)


def _ensure_system_role() -> None:
    # Roles belong to the cluster: create it only when missing, and say what to do when the
    # migrating role may not create roles.
    op.execute(f"""
        DO $$
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{SYSTEM_ROLE}') THEN
                BEGIN
                    CREATE ROLE {SYSTEM_ROLE} NOLOGIN NOBYPASSRLS;
                EXCEPTION WHEN insufficient_privilege THEN
                    RAISE EXCEPTION 'role {SYSTEM_ROLE} is missing: as a superuser run '
                        'CREATE ROLE {SYSTEM_ROLE} LOGIN PASSWORD ''...'' NOBYPASSRLS, then migrate again';
                END;
            END IF;
        END
        $$
    """)
