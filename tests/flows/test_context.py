"""The organization's words for the NLU (flows/context.org_context), read in one round trip, on
PostgreSQL (row-level security on) and SQLite: its own rows only, each kind in its order and
within its limit."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import event

from core.models import Customer, CustomerAddress, Organization, PriceBookItem
from flows.context import LIMIT, org_context
from tests.factories import add_technician


def _fill(db, org_id: int, tag: str) -> None:
    with db.org_session(org_id) as s:
        for n in range(LIMIT + 5):
            s.add(PriceBookItem(name=f"{tag} item {n:02d}", price=Decimal(1000)))
        s.add(PriceBookItem(name=f"{tag} aaa archived", price=Decimal(1), archived=True))
        for n in range(3):
            customer = Customer(name=f"{tag} customer {n}", phone=f"+54911666600{n}{len(tag)}")
            s.add(customer)
            s.flush()
            for street in ("Gorriti", "Thames", "Gorriti"):  # a street twice: read once
                s.add(CustomerAddress(customer_id=customer.id, street=f"{tag} {street}"))
        s.add(Customer(name=None, phone=f"+549116666099{len(tag)}"))  # nameless: not a word
    add_technician(db, org_id, f"{tag} Zoe Técnica", f"+54911555501{len(tag):02d}")
    add_technician(db, org_id, f"{tag} Ana Técnica", f"+54911555502{len(tag):02d}")


def test_the_context_holds_the_organizations_own_words_in_order(db, make_org):
    mine, other = make_org(), make_org()
    _fill(db, mine, "mine")
    _fill(db, other, "theirs")
    statements: list[str] = []

    def seen(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    with db.org_session(mine) as s:
        loaded = s.get(Organization, mine)  # as in a burst, which holds its organization already
        event.listen(s.connection().engine, "before_cursor_execute", seen)
        try:
            context = org_context(s, mine)
        finally:
            event.remove(s.connection().engine, "before_cursor_execute", seen)
    assert len(statements) == 1, statements  # every kind of word in one round trip
    assert loaded.id == mine
    assert context.price_book == tuple(f"mine item {n:02d}" for n in range(LIMIT))
    assert context.customers == ("mine customer 2", "mine customer 1", "mine customer 0")
    assert context.streets == ("mine Gorriti", "mine Thames")
    assert context.technicians == ("mine Ana Técnica", "mine Zoe Técnica")
    assert not any("theirs" in word for word in context.vocabulary())


def _counting(session):
    statements: list[str] = []

    def seen(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    engine = session.connection().engine
    event.listen(engine, "before_cursor_execute", seen)
    return statements, lambda: event.remove(engine, "before_cursor_execute", seen)


def test_the_words_are_read_once_per_few_seconds_and_again_after_a_change(db, make_org):
    org = make_org()
    add_technician(db, org, "Ana Técnica", "+5491155550301")
    with db.org_session(org) as s:
        s.get(Organization, org)
        first = org_context(s, org)
    with db.org_session(org) as s:
        s.get(Organization, org)
        statements, stop = _counting(s)
        try:
            again = org_context(s, org)  # another burst a moment later: no statement
        finally:
            stop()
    assert statements == [] and again == first
    # A customer written by this process: the next burst knows the name.
    with db.org_session(org) as s:
        s.add(Customer(name="Rosa Benítez", phone="+5491166660301"))
    with db.org_session(org) as s:
        s.get(Organization, org)
        assert "Rosa Benítez" in org_context(s, org).customers
    # A new technician, the same.
    add_technician(db, org, "Beto Técnico", "+5491155550302")
    with db.org_session(org) as s:
        s.get(Organization, org)
        assert org_context(s, org).technicians == ("Ana Técnica", "Beto Técnico")


def test_a_change_made_elsewhere_is_seen_once_the_cache_lapses(db, make_org, monkeypatch):
    import flows.context as context_module

    org = make_org()
    with db.org_session(org) as s:
        s.get(Organization, org)
        assert org_context(s, org).price_book == ()
    before = context_module._cache[org]
    with db.org_session(org) as s:
        s.add(PriceBookItem(name="Cambio de flexible", price=Decimal(25000)))
    # As if another process (the back-office) had written it: this one's hooks never heard.
    context_module._cache[org] = before
    with db.org_session(org) as s:
        s.get(Organization, org)
        assert org_context(s, org).price_book == ()  # within CACHE_SECONDS: the words it had
    lapsed = before[0] + context_module.CACHE_SECONDS + 0.01
    monkeypatch.setattr(context_module.time, "monotonic", lambda: lapsed)
    with db.org_session(org) as s:
        s.get(Organization, org)
        assert org_context(s, org).price_book == ("Cambio de flexible",)
