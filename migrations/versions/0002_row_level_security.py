"""row-level security per organization (PostgreSQL only)

Every organization-scoped table only shows and accepts rows whose org_id matches the
transaction's `app.org_id`; the read-only system scope (`app.scope = 'system'`) may read
across organizations. FORCE makes the table owner obey the policies too; only superusers
bypass them. The audit trail gets no UPDATE or DELETE policy: it is append-only.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

CURRENT_ORG = "NULLIF(current_setting('app.org_id', true), '')::int"
SYSTEM = "current_setting('app.scope', true) = 'system'"

ORG_TABLES = [
    "audit_entries", "conversations", "customer_addresses", "customers", "invoice_lines",
    "invoices", "job_events", "jobs", "messages", "org_counters", "org_secrets", "payments",
    "price_book_items", "users",
]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in ORG_TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY system_read ON {table} FOR SELECT USING ({SYSTEM})")
        if table == "audit_entries":
            op.execute(f"CREATE POLICY tenant_read ON {table} FOR SELECT USING (org_id = {CURRENT_ORG})")
            op.execute(
                f"CREATE POLICY tenant_append ON {table} FOR INSERT WITH CHECK (org_id = {CURRENT_ORG})"
            )
        else:
            op.execute(
                f"CREATE POLICY tenant_isolation ON {table} "
                f"USING (org_id = {CURRENT_ORG}) WITH CHECK (org_id = {CURRENT_ORG})"
            )
    op.execute("ALTER TABLE organizations ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE organizations FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY system_read ON organizations FOR SELECT USING ({SYSTEM})")
    op.execute(f"CREATE POLICY system_create ON organizations FOR INSERT WITH CHECK ({SYSTEM})")
    op.execute(
        "CREATE POLICY tenant_isolation ON organizations "
        f"USING (id = {CURRENT_ORG}) WITH CHECK (id = {CURRENT_ORG})"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in [*ORG_TABLES, "organizations"]:
        for policy in ("system_read", "system_create", "tenant_isolation", "tenant_read", "tenant_append"):
            op.execute(f"DROP POLICY IF EXISTS {policy} ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
