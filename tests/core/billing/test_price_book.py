"""The price book: prices written the Argentine way, unique codes, archiving, and the audit."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.billing import price_book
from core.errors import Conflict, NotFound, ValidationFailed
from core.models import AuditEntry, PriceBookItem, Service

FLEX = {"code": "PL-FLEX40", "name": "Flexible mallado 40 cm", "price": Decimal(9500),
        "unit": "unidad", "service": "plumbing"}


def _actions(s) -> list[str]:
    return list(s.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "price_book_item")
                          .order_by(AuditEntry.seq)))


def test_create_with_the_seed_scripts_call(db, make_org):
    org = make_org()
    with db.org_session(org) as s:
        item_id = price_book.create_item(s, FLEX, actor="seed").id
    with db.org_session(org) as s:
        item = price_book.get_item(s, item_id)
        assert (item.code, item.name, item.price, item.unit) == (
            "PL-FLEX40", "Flexible mallado 40 cm", Decimal("9500.00"), "unidad")
        assert (item.iva_rate, item.service, item.archived) == (Decimal("21.00"), Service.PLUMBING,
                                                                False)
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "price_book_item.create"))
        assert (entry.actor, entry.entity_id) == ("seed", str(item_id))
        assert entry.data["price"] == "9500.00"


@pytest.mark.parametrize(("written", "stored"), [
    ("$ 15.000,50", "15000.50"),
    ("15000.50", "15000.50"),
    ("15000.5", "15000.50"),
    ("15.000", "15000.00"),
    ("1.500.000", "1500000.00"),
    ("15,5", "15.50"),
    ("ARS 1,500,000.25", "1500000.25"),
    (9500, "9500.00"),
    (Decimal("1234.5"), "1234.50"),
])
def test_prices_as_argentines_write_them(db, make_org, written, stored):
    org = make_org()
    with db.org_session(org) as s:
        item = price_book.create_item(s, {"name": "Mano de obra", "price": written})
    with db.org_session(org) as s:
        assert s.get(PriceBookItem, item.id).price == Decimal(stored)


@pytest.mark.parametrize(("written", "message"), [
    ("0", "El precio tiene que ser mayor que cero."),
    ("-5", "Precio inválido: '-5'"),
    ("quince lucas", "Precio inválido: 'quince lucas'"),
    ("15,000", "Precio ambiguo: '15,000'"),
    ("12.345,678", "El precio tiene más de 2 decimales"),
    (Decimal("10.005"), "El precio tiene más de 2 decimales"),
    ("", "Falta el precio."),
])
def test_bad_prices_are_refused_in_spanish_and_nothing_is_written(db, make_org, written, message):
    org = make_org()
    with db.org_session(org) as s:
        with pytest.raises(ValidationFailed) as exc:
            price_book.create_item(s, {"name": "Mano de obra", "price": written})
        assert exc.value.errors["price"].startswith(message)
        assert s.scalar(select(func.count()).select_from(PriceBookItem)) == 0
        assert _actions(s) == []


def test_iva_rates_and_trades(db, make_org):
    org = make_org()
    with db.org_session(org) as s:
        item = price_book.create_item(s, {"name": "Canilla", "price": "85000", "iva_rate": "10,5",
                                          "service": "Plomería", "unit": ""})
        assert (item.iva_rate, item.service, item.unit) == (Decimal("10.50"), Service.PLUMBING,
                                                            "unidad")
        with pytest.raises(ValidationFailed) as exc:
            price_book.create_item(s, {"name": "Canilla", "price": "1", "iva_rate": 22,
                                       "service": "jardinería"})
        assert exc.value.errors == {
            "iva_rate": "Alícuota de IVA inválida: 22. Usá 0, 10,5, 21 o 27.",
            "service": "Rubro desconocido: jardinería. Usá plomería, electricidad, gas, "
                       "climatización, cerrajería u otro.",
        }


def test_duplicate_code_is_a_conflict_regardless_of_case(db, make_org):
    org = make_org()
    with db.org_session(org) as s:
        price_book.create_item(s, FLEX)
        with pytest.raises(Conflict, match="Ya existe un ítem con el código pl-flex40: Flexible"):
            price_book.create_item(s, {**FLEX, "code": "pl-flex40", "name": "Otro flexible"})
        # Items without a code never collide.
        price_book.create_item(s, {"name": "Visita", "price": "35000"})
        price_book.create_item(s, {"name": "Visita urgente", "price": "65000"})
    with db.org_session(org) as s:
        assert sorted(s.scalars(select(PriceBookItem.name))) == [
            "Flexible mallado 40 cm", "Visita", "Visita urgente"]
        assert _actions(s) == ["price_book_item.create"] * 3


def test_same_code_in_another_organization_is_fine(db, make_org):
    a, b = make_org(), make_org()
    with db.org_session(a) as s:
        price_book.create_item(s, FLEX)
    with db.org_session(b) as s:
        assert price_book.create_item(s, {**FLEX, "price": "9900"}).org_id == b
    with db.org_session(a) as s:
        assert [i.price for i in price_book.list_items(s)] == [Decimal("9500.00")]


def test_update_changes_given_fields_and_audits_the_diff(db, make_org):
    org = make_org()
    with db.org_session(org) as s:
        item_id = price_book.create_item(s, FLEX).id
    with db.org_session(org) as s:
        price_book.update_item(s, item_id, {"price": "10.500", "iva_rate": 27}, actor="user:1")
    with db.org_session(org) as s:
        item = price_book.get_item(s, item_id)
        assert (item.price, item.iva_rate, item.name) == (Decimal("10500.00"), Decimal("27.00"),
                                                          "Flexible mallado 40 cm")
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "price_book_item.update"))
        assert entry.data == {"changes": {"price": ["9500.00", "10500.00"],
                                          "iva_rate": ["21.00", "27.00"]}}


def test_update_to_a_taken_code_changes_nothing(db, make_org):
    org = make_org()
    with db.org_session(org) as s:
        price_book.create_item(s, FLEX)
        other_id = price_book.create_item(s, {"code": "PL-CUERITO", "name": "Cambio de cuerito",
                                              "price": "22000"}).id
        with pytest.raises(Conflict):
            price_book.update_item(s, other_id, {"code": "PL-FLEX40", "price": "1"})
    with db.org_session(org) as s:
        other = price_book.get_item(s, other_id)
        assert (other.code, other.price) == ("PL-CUERITO", Decimal("22000.00"))
        assert _actions(s) == ["price_book_item.create"] * 2


def test_archived_items_leave_the_list_but_keep_their_code(db, make_org):
    org = make_org()
    with db.org_session(org) as s:
        flex_id = price_book.create_item(s, FLEX).id
        price_book.create_item(s, {"name": "Cambio de cuerito", "price": "22000"})
        price_book.archive_item(s, flex_id, actor="user:1")
        price_book.archive_item(s, flex_id, actor="user:1")  # twice is once
    with db.org_session(org) as s:
        assert [i.name for i in price_book.list_items(s)] == ["Cambio de cuerito"]
        assert [i.name for i in price_book.list_items(s, include_archived=True)] == [
            "Cambio de cuerito", "Flexible mallado 40 cm"]
        with pytest.raises(Conflict, match="archivado"):
            price_book.create_item(s, {**FLEX, "name": "Flexible nuevo"})
        price_book.restore_item(s, flex_id)
        assert len(price_book.list_items(s)) == 2
        assert _actions(s) == ["price_book_item.create", "price_book_item.create",
                               "price_book_item.archive", "price_book_item.restore"]


def test_list_sorts_in_spanish_alphabetical_order(db, make_org):
    org = make_org()
    with db.org_session(org) as s:
        for name in ("visita", "Ñandú de prueba", "Cañería", "Canilla", "Águila", "Oso", "nube"):
            price_book.create_item(s, {"name": name, "price": "1"})
    with db.org_session(org) as s:
        assert [i.name for i in price_book.list_items(s)] == [
            "Águila", "Canilla", "Cañería", "nube", "Ñandú de prueba", "Oso", "visita"]


def test_unknown_or_foreign_item_is_not_found(db, make_org):
    a, b = make_org(), make_org()
    with db.org_session(a) as s:
        item_id = price_book.create_item(s, FLEX).id
    with db.org_session(b) as s:
        for call in (lambda: price_book.get_item(s, item_id),
                     lambda: price_book.update_item(s, item_id, {"price": "1"}),
                     lambda: price_book.archive_item(s, item_id)):
            with pytest.raises(NotFound, match="No existe el ítem"):
                call()
    with db.org_session(a) as s:
        assert price_book.get_item(s, item_id).price == Decimal("9500.00")
