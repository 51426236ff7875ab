"""Organizations never see each other's data: ORM scoping everywhere, RLS as the second wall."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text, update

from core.errors import TenancyError
from core.models import Customer, Organization


def _add_customer(db, org_id: int, name: str, phone: str) -> int:
    with db.org_session(org_id) as s:
        c = Customer(name=name, phone=phone)
        s.add(c)
        s.flush()
        return c.id


def test_orm_queries_see_only_their_organization(db, make_org):
    a, b = make_org("Plomería A"), make_org("Electricidad B")
    _add_customer(db, a, "Marta García", "+5491155550001")
    b_customer = _add_customer(db, b, "Juan Pérez", "+5491155550002")

    with db.org_session(a) as s:
        assert [c.name for c in s.scalars(select(Customer))] == ["Marta García"]
        assert s.get(Customer, b_customer) is None
        assert [o.id for o in s.scalars(select(Organization))] == [a]
        # Bulk ORM updates are scoped too.
        s.execute(update(Customer).values(notes="tocado"))

    with db.org_session(b) as s:
        assert s.scalars(select(Customer.notes)).all() == [None]
        # Each organization's criteria are built once per process and reused: b's are b's.
        assert [c.name for c in s.scalars(select(Customer))] == ["Juan Pérez"]
    with db.org_session(a) as s:
        assert [c.name for c in s.scalars(select(Customer))] == ["Marta García"]


def test_new_rows_are_stamped_and_cross_writes_refused(db, make_org):
    a, b = make_org(), make_org()
    with db.org_session(a) as s:
        c = Customer(name="Sin org explícita", phone="+5491155550003")
        s.add(c)
        s.flush()
        assert c.org_id == a
    with pytest.raises(TenancyError), db.org_session(a) as s:
        s.add(Customer(org_id=b, name="Intruso", phone="+5491155550004"))
    with db.org_session(b) as s:
        assert s.scalars(select(Customer)).all() == []


def test_system_scope_reads_across_but_cannot_write(db, make_org):
    a, b = make_org(), make_org()
    _add_customer(db, a, "Uno", "+5491155550005")
    _add_customer(db, b, "Dos", "+5491155550006")
    with db.system_session() as s:
        assert sorted(c.name for c in s.scalars(select(Customer))) == ["Dos", "Uno"]
    with pytest.raises(TenancyError), db.system_session() as s:
        s.add(Customer(org_id=a, name="Tres", phone="+5491155550007"))


def test_session_without_scope_is_refused(db, make_org):
    from sqlalchemy.orm import Session

    with Session(db.engine) as s, pytest.raises(TenancyError):
        s.scalars(select(Customer)).all()


@pytest.fixture
def two_orgs_pg(pg_db):
    from tests.factories import create_org

    a = create_org(pg_db, "Org A", "org-a")
    b = create_org(pg_db, "Org B", "org-b")
    _add_customer(pg_db, a, "Cliente de A", "+5491155550010")
    _add_customer(pg_db, b, "Cliente de B", "+5491155550011")
    return pg_db, a, b


def test_raw_sql_cannot_read_other_organization(two_orgs_pg):
    db, a, b = two_orgs_pg
    with db.org_session(a) as s:
        names = s.execute(text("SELECT name FROM customers")).scalars().all()
        assert names == ["Cliente de A"]
        assert s.execute(text("SELECT count(*) FROM customers WHERE org_id = :b"), {"b": b}).scalar() == 0
        assert s.execute(text("SELECT count(*) FROM organizations")).scalar() == 1


def test_raw_sql_cannot_write_other_organization(two_orgs_pg):
    db, a, b = two_orgs_pg
    with db.org_session(a) as s:
        assert s.execute(text("UPDATE customers SET name = 'pwned' WHERE org_id = :b"), {"b": b}).rowcount == 0
        # Customers cannot be deleted at all (no grant); where deleting is a feature, RLS holds.
        assert s.execute(text("DELETE FROM org_secrets WHERE org_id = :b"), {"b": b}).rowcount == 0
    import sqlalchemy.exc

    with pytest.raises(sqlalchemy.exc.ProgrammingError, match="row-level security"), db.org_session(a) as s:
        s.execute(
            text("INSERT INTO customers (org_id, name, iva_condition, created_at) "
                 "VALUES (:b, 'colado', 'consumidor_final', now())"),
            {"b": b},
        )
    with db.org_session(b) as s:
        assert s.execute(text("SELECT name FROM customers")).scalars().all() == ["Cliente de B"]


def test_raw_sql_without_organization_sees_nothing(two_orgs_pg):
    db, _a, _b = two_orgs_pg
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM customers")).scalar() == 0
        assert conn.execute(text("SELECT current_setting('is_superuser')")).scalar() == "off"


def test_app_role_does_not_own_the_tables(two_orgs_pg):
    db, _a, _b = two_orgs_pg
    with db.engine.connect() as conn:
        owner = conn.execute(text("SELECT tableowner FROM pg_tables WHERE tablename = 'customers'")).scalar()
        assert owner != conn.execute(text("SELECT current_user")).scalar()
