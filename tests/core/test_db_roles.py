"""The app's own database role cannot erase an audit trail nor read across organizations.

Issue #16, item 6: it could DELETE an organization (cascading into `audit_entries`) and set
`app.scope = 'system'` itself to read every tenant. Here we connect as that role with raw SQL,
the way an injected statement would.
"""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import select

from core import audit
from core.identity.users import create_user
from core.models import AuditEntry, Customer, Organization, User
from tests.conftest import APP_ROLE, TEST_DB
from tests.factories import create_org


@pytest.fixture
def two_orgs(pg_db):
    a = create_org(pg_db, "Plomería A", "plomeria-a")
    b = create_org(pg_db, "Gas B", "gas-b")
    for org_id, email in ((a, "duenio@a.com.ar"), (b, "duenio@b.com.ar")):
        with pg_db.org_session(org_id) as s:
            create_user(s, {"name": "Dueño", "role": "owner", "email": email})
            s.add(Customer(name="Marta", phone=f"+54911555500{org_id:02d}"))
            audit.record(s, actor="test", action="customer.create", entity_type="customer")
    return pg_db, a, b


def _app_conn(postgresql_proc) -> psycopg.Connection:
    return psycopg.connect(host=postgresql_proc.host, port=postgresql_proc.port, user=APP_ROLE,
                           password=APP_ROLE, dbname=TEST_DB)


def test_the_app_role_cannot_delete_an_organization_or_its_audit_trail(two_orgs, postgresql_proc):
    db, a, _ = two_orgs
    with db.org_session(a) as s:
        before = len(s.scalars(select(AuditEntry)).all())
    assert before >= 2
    with _app_conn(postgresql_proc) as conn:
        conn.execute("SELECT set_config('app.org_id', %s, true)", (str(a),))
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DELETE FROM organizations WHERE id = %s", (a,))
        conn.rollback()
        conn.execute("SELECT set_config('app.org_id', %s, true)", (str(a),))
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DELETE FROM audit_entries")
        conn.rollback()
        for table in ("jobs", "invoices", "payments", "messages", "users", "customers"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(f"DELETE FROM {table}")
            conn.rollback()
    with db.org_session(a) as s:
        assert s.get(Organization, a) is not None
        assert len(s.scalars(select(AuditEntry)).all()) == before


def test_no_cascade_reaches_the_audit_trail(two_orgs, postgresql_proc):
    """Even the schema's owner cannot delete an organization that has an audit trail."""
    _, a, _ = two_orgs
    from tests.conftest import superuser

    with superuser(postgresql_proc) as conn, pytest.raises(psycopg.errors.ForeignKeyViolation):
        conn.execute("DELETE FROM organizations WHERE id = %s", (a,))


def test_the_app_role_cannot_switch_on_the_system_scope(two_orgs, postgresql_proc):
    with _app_conn(postgresql_proc) as conn:
        conn.execute("SET LOCAL app.scope = 'system'")
        assert conn.execute("SELECT count(*) FROM users").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM org_secrets").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM organizations").fetchone()[0] == 0
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("INSERT INTO organizations (name, slug) VALUES ('x', 'x')")
        conn.rollback()
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SET ROLE campotech_system")


def test_cross_tenant_work_still_runs_through_the_system_role(two_orgs):
    db, a, b = two_orgs
    with db.system_session() as s:
        assert {o.id for o in s.scalars(select(Organization))} == {a, b}
        assert s.scalar(select(User.org_id).where(User.email == "duenio@b.com.ar")) == b
    assert db.system_engine is not db.engine


PRODUCTION = {"env": "production", "secret_key": "s" * 40, "whatsapp_app_secret": "app-secret",
              "whatsapp_verify_token": "verify-token-xyz", "encryption_key": "k1:" + "A" * 43 + "="}


@pytest.mark.parametrize("env, shown", [("test", True), ("production", False)])
def test_sql_errors_leave_out_personal_data_in_production(tmp_path, env, shown):
    """Issue #16, item 9: an SQLAlchemy error line carried message bodies and phone numbers."""
    import sqlalchemy.exc
    from sqlalchemy import text

    from core.db import Database
    from core.settings import load_settings

    extra = PRODUCTION if env == "production" else {"env": "test"}
    database = Database(load_settings(database_url=f"sqlite:///{tmp_path / 'p.db'}", **extra))
    try:
        with pytest.raises(sqlalchemy.exc.DBAPIError) as caught, database.engine.connect() as conn:
            conn.execute(text("SELECT * FROM no_such_table WHERE phone = :phone"),
                         {"phone": "+5491155550123"})
    finally:
        database.dispose()
    assert ("+5491155550123" in str(caught.value)) is shown
