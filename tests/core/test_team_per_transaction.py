"""A burst asks who its sender is and whom to offer slots with: the active team is read once per
transaction of an organization's session, and a staff change made in that session is seen."""

from __future__ import annotations

from sqlalchemy import event

from core.identity.users import find_by_phone, technicians
from core.models import Role, User
from tests.factories import add_technician


def _statements(session):
    seen: list[str] = []
    engine = session.connection().engine
    listener = lambda conn, cursor, statement, *args: seen.append(statement)
    event.listen(engine, "before_cursor_execute", listener)
    return seen, lambda: event.remove(engine, "before_cursor_execute", listener)


def test_the_sender_and_the_technicians_cost_one_statement(db, make_org):
    org, other = make_org(), make_org()
    add_technician(db, org, "Zoe Técnica", "+5491155550401")
    add_technician(db, org, "Ana Técnica", "+5491155550402")
    add_technician(db, other, "Otra Técnica", "+5491155550403")
    with db.org_session(org) as s:
        s.connection()
        seen, stop = _statements(s)
        try:
            sender = find_by_phone(s, "5491155550401")
            names = [u.name for u in technicians(s)]
            nobody = find_by_phone(s, "+5491155550403")  # another organization's technician
        finally:
            stop()
    assert len(seen) == 1, seen
    assert sender is not None and sender.name == "Zoe Técnica"
    assert names == ["Ana Técnica", "Zoe Técnica"]
    assert nobody is None


def test_a_staff_change_in_the_session_is_seen(db, make_org):
    org = make_org()
    tech = add_technician(db, org, "Zoe Técnica", "+5491155550411")
    with db.org_session(org) as s:
        assert find_by_phone(s, "+5491155550411").id == tech
        s.get(User, tech).active = False  # pending, not flushed
        assert find_by_phone(s, "+5491155550411") is None
        assert technicians(s) == []
        s.add(User(name="Beto Técnico", role=Role.TECHNICIAN, phone="+5491155550412", active=True))
        s.flush()
        assert [u.name for u in technicians(s)] == ["Beto Técnico"]
    with db.org_session(org) as s:  # the next transaction reads the committed team
        assert find_by_phone(s, "+5491155550411") is None
        assert find_by_phone(s, "+5491155550412").name == "Beto Técnico"
