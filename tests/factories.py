"""Small factories that build real objects through the real services, and a look at the newest."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import select

from core.db import Database
from core.organizations import create_organization

T = TypeVar("T")


def create_org(db: Database, name: str, slug: str, **fields) -> int:
    with db.system_session() as session:
        org = create_organization(session, {"name": name, "slug": slug, **fields})
        return org.id


def add_technician(db: Database, org_id: int, name: str = "Carlos Técnico",
                   phone: str = "+5491155550101") -> int:
    from core.identity.users import create_user

    with db.org_session(org_id) as s:
        return create_user(s, {"name": name, "role": "technician", "phone": phone}).id


def add_customer_row(db: Database, org_id: int, name: str = "Marta García",
                     phone: str = "+5491166660001") -> int:
    """A bare customer row, for suites that are not about customers."""
    from core.models import Customer

    with db.org_session(org_id) as s:
        customer = Customer(name=name, phone=phone)
        s.add(customer)
        s.flush()
        return customer.id


def newest(db: Database, org_id: int, model: type[T]) -> T | None:
    """The organization's newest row of `model` (highest id), readable after its session."""
    with db.org_session(org_id) as s:
        row = s.scalar(select(model).order_by(model.id.desc()))
        if row is not None:
            s.expunge(row)
        return row
