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
