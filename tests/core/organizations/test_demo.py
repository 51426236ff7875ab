"""The demo organization is seeded once, complete, and a second seed changes nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from core.identity.users import check_password
from core.models import AuditEntry, PriceBookItem, Role, User
from core.organizations.demo import DEMO_LOGINS, seed_demo


def test_seed_demo_once(db):
    first = seed_demo(db)
    assert first.created

    with db.org_session(first.org_id) as s:
        users = {u.role: u for u in s.scalars(select(User).where(User.role != Role.TECHNICIAN))}
        technicians = list(s.scalars(select(User).where(User.role == Role.TECHNICIAN)))
        items = s.scalar(select(func.count()).select_from(PriceBookItem))
        audit_entries = s.scalar(select(func.count()).select_from(AuditEntry))
    for login in DEMO_LOGINS:
        assert users[login.role].email == login.email
        assert check_password(users[login.role], login.password)
    assert len(technicians) == 2 and all(t.phone.startswith("+549") for t in technicians)
    assert items >= 20

    again = seed_demo(db)
    assert (again.created, again.org_id) == (False, first.org_id)
    with db.org_session(first.org_id) as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == audit_entries
