"""Search as staff and the bot use it: typos, accents, phone digits, and nothing from other orgs."""

from __future__ import annotations

import pytest

from core import customers
from core.billing import price_book
from core.customers.search import search_customers, search_price_book

PRICE_BOOK = [
    ("VIS-01", "Visita de diagnóstico", "35000"),
    ("MO-HORA", "Mano de obra por hora", "30000"),
    ("PL-FLEXMO", "Cambio de flexible (mano de obra)", "18000"),
    ("PL-FLEX40", "Flexible mallado 40 cm", "9500"),
    ("PL-CUERITO", "Cambio de cuerito", "22000"),
    ("PL-CANILLA", "Canilla monocomando de cocina", "85000"),
    ("GAS-PERDIDA", "Detección y reparación de pérdida de gas", "95000"),
    ("AA-CARGA", "Carga de gas refrigerante R410A", "110000"),
    ("AA-SERVICE", "Service de aire acondicionado split", "75000"),
    ("EL-DISY", "Disyuntor diferencial bipolar 40 A", "42000"),
]
CUSTOMERS = [
    {"name": "García, Marta", "phone": "+5491155550101",
     "addresses": [{"street": "Av. Avellaneda", "number": "2150", "locality": "Flores"}]},
    {"name": "Gracia Pereyra", "phone": "+5491155550202"},
    {"name": "Juan Pérez", "phone": "+5491166660303",
     "addresses": [{"street": "Rivadavia", "number": "5000", "locality": "Caballito"}]},
    {"name": "Martín Garcilaso", "phone": "+5491177770404"},
]


@pytest.fixture
def org(db, make_org):
    org_id = make_org("Plomería Ramos")
    with db.org_session(org_id) as s:
        for code, name, price in PRICE_BOOK:
            price_book.create_item(s, {"code": code, "name": name, "price": price})
        for data in CUSTOMERS:
            customers.create_customer(s, data)
    return org_id


@pytest.fixture
def other_org(db, make_org, org):
    """A second business with look-alike data that must never show up in the first one."""
    org_id = make_org("Gas Sur")
    with db.org_session(org_id) as s:
        price_book.create_item(s, {"code": "PL-FLEX40", "name": "Flexible mallado 40 cm (Sur)",
                                   "price": "9900"})
        customers.create_customer(s, {"name": "García, Marta (Sur)", "phone": "+5491155550101",
                                      "addresses": [{"street": "Av. Avellaneda", "number": "1"}]})
    return org_id


def _items(db, org_id, query, **kw) -> list[str]:
    with db.org_session(org_id) as s:
        return [item.name for item, _score in search_price_book(s, query, **kw)]


def _people(db, org_id, query, **kw) -> list[str]:
    with db.org_session(org_id) as s:
        return [c.name for c, _score in search_customers(s, query, **kw)]


def test_typo_finds_the_flexible_first(db, org):
    assert _items(db, org, "flexibe")[:2] == ["Flexible mallado 40 cm",
                                              "Cambio de flexible (mano de obra)"]


@pytest.mark.parametrize(("query", "first"), [
    ("FLEXIBLE MALLADO", "Flexible mallado 40 cm"),
    ("cuerito", "Cambio de cuerito"),
    ("perdida de gas", "Detección y reparación de pérdida de gas"),
    ("aire", "Service de aire acondicionado split"),  # one word inside a long name
    ("disyunto", "Disyuntor diferencial bipolar 40 A"),  # still typing
    ("pl-flex40", "Flexible mallado 40 cm"),  # by code
    ("diagnostico", "Visita de diagnóstico"),
])
def test_price_book_first_result(db, org, query, first):
    assert _items(db, org, query)[0] == first


@pytest.mark.parametrize("query", ["xyzzy qwerty", "asdfgh", "zzzz", "", "   ", "hola"])
def test_nonsense_finds_nothing(db, org, query):
    assert _items(db, org, query) == []
    assert _people(db, org, query) == []


def test_scores_are_ordered_and_limit_applies(db, org):
    with db.org_session(org) as s:
        results = search_price_book(s, "cambio de", limit=2)
    assert len(results) == 2
    assert results[0][1] >= results[1][1] >= 80


def test_archived_items_are_not_found(db, org):
    with db.org_session(org) as s:
        flex = search_price_book(s, "flexible mallado")[0][0]
        price_book.archive_item(s, flex.id)
    assert _items(db, org, "flexible") == ["Cambio de flexible (mano de obra)"]
    assert _items(db, org, "PL-FLEX40") == []


@pytest.mark.parametrize("query", ["Garcia", "garcía", "GARCIA", "marta garcia", "Marta García",
                                   "garsia marta"])
def test_customer_by_name_ignores_accents_case_and_order(db, org, query):
    assert _people(db, org, query)[0] == "García, Marta"


def test_close_but_different_names_rank_below_the_match(db, org):
    assert _people(db, org, "garcia") == ["García, Marta", "Gracia Pereyra"]


@pytest.mark.parametrize("query", ["5550101", "11 5555-0101", "+54 9 11 5555-0101",
                                   "011 15 5555-0101", "(011) 5555-0101"])
def test_customer_by_phone_digits(db, org, query):
    assert _people(db, org, query) == ["García, Marta"]


def test_customer_by_phone_suffix_shared_by_several(db, org):
    # The last four digits of a number is how people often remember it.
    assert _people(db, org, "0101") == ["García, Marta"]
    assert sorted(_people(db, org, "5555")) == ["García, Marta", "Gracia Pereyra"]


@pytest.mark.parametrize(("query", "first"), [
    ("avellaneda", "García, Marta"),
    ("2150", "García, Marta"),  # digits that are a house number, not a phone
    ("Avellaneda 2150", "García, Marta"),
    ("caballito", "Juan Pérez"),
    ("rivadavia", "Juan Pérez"),
    ("marta flores", "García, Marta"),  # name and locality together
])
def test_customer_by_address(db, org, query, first):
    assert _people(db, org, query)[0] == first


def test_search_never_crosses_organizations(db, org, other_org):
    assert _items(db, org, "flexible") == ["Flexible mallado 40 cm",
                                           "Cambio de flexible (mano de obra)"]
    assert _items(db, other_org, "flexible") == ["Flexible mallado 40 cm (Sur)"]
    assert _people(db, org, "garcia marta") == ["García, Marta"]
    assert _people(db, org, "5550101") == ["García, Marta"]
    assert _people(db, other_org, "5550101") == ["García, Marta (Sur)"]
    assert _people(db, other_org, "juan perez") == []
    assert _people(db, other_org, "caballito") == []
