"""Customers: what staff and the bot store, what they are told when it is wrong, and the audit."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core import customers
from core.errors import Conflict, NotFound, ValidationFailed
from core.models import AuditEntry, Customer, CustomerAddress, DocType, IvaCondition

MARTA = {
    "name": "García, Marta",
    "phone": "+54 9 11 5555-0101",
    "email": "Marta.Garcia@Ejemplo.com.ar",
    "doc_type": "cuit",
    "doc_number": "20-31456789-8",
    "iva_condition": "Responsable Inscripto",
    "notes": "Tocar timbre 3B",
    "addresses": [{"street": "Av. Avellaneda", "number": "2150", "unit": "3° B",
                   "locality": "Flores", "province": "CABA"}],
}


def _actions(s, prefix: str = "customer.") -> list[str]:
    return list(s.scalars(select(AuditEntry.action).where(AuditEntry.action.startswith(prefix))
                          .order_by(AuditEntry.seq)))


def _count(s, model) -> int:
    return s.scalar(select(func.count()).select_from(model))


def test_create_stores_normalized_customer_with_address_and_audit(db, make_org):
    org = make_org()
    with db.org_session(org) as s:
        customer_id = customers.create_customer(s, MARTA, actor="user:7").id

    with db.org_session(org) as s:
        c = customers.get_customer(s, customer_id)
        assert (c.name, c.phone, c.email) == ("García, Marta", "+5491155550101",
                                              "marta.garcia@ejemplo.com.ar")
        assert (c.doc_type, c.doc_number) == (DocType.CUIT, "20314567898")
        assert c.iva_condition == IvaCondition.RESPONSABLE_INSCRIPTO
        assert [a.one_line for a in c.addresses] == ["Av. Avellaneda 2150, 3° B, Flores"]
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "customer.create"))
        assert (entry.actor, entry.entity_id) == ("user:7", str(customer_id))
        assert entry.data["phone"] == "+5491155550101"


def test_dni_is_recognised_and_defaults_apply(db, make_org):
    org = make_org()
    with db.org_session(org) as s:
        c = customers.create_customer(s, {"name": "Juan Pérez", "phone": "11 5555-0202",
                                          "doc_number": "30.123.456"})
        assert (c.doc_type, c.doc_number) == (DocType.DNI, "30123456")
        assert c.iva_condition == IvaCondition.CONSUMIDOR_FINAL
        assert c.addresses == []


@pytest.mark.parametrize(("field", "value", "message"), [
    ("phone", "1234", "Teléfono inválido: 1234"),
    ("email", "marta@", "Email inválido: marta@"),
    ("doc_number", "20-31456789-7", "CUIT inválido"),
    # The check digit computes to 10: AFIP never issues it (it changes the prefix to 23).
    ("doc_number", "20-12345676-9", "CUIT inválido"),
    ("iva_condition", "en negro", "Condición frente al IVA desconocida"),
    ("name", "M", "El nombre es demasiado corto."),
])
def test_invalid_input_is_refused_in_spanish_and_nothing_is_written(db, make_org, field, value,
                                                                    message):
    org = make_org()
    with pytest.raises(ValidationFailed) as exc, db.org_session(org) as s:
        customers.create_customer(s, {**MARTA, field: value})
    assert exc.value.errors[field].startswith(message)
    with db.org_session(org) as s:
        assert (_count(s, Customer), _count(s, CustomerAddress), _actions(s)) == (0, 0, [])


def test_dni_needs_seven_or_eight_digits(db, make_org):
    org = make_org()
    with db.org_session(org) as s, pytest.raises(ValidationFailed) as exc:
        customers.create_customer(s, {"name": "Ana", "doc_type": "DNI", "doc_number": "123.456"})
    assert "7 u 8 dígitos" in exc.value.errors["doc_number"]


def test_a_customer_needs_a_name_or_a_phone(db, make_org):
    org = make_org()
    with db.org_session(org) as s:
        with pytest.raises(ValidationFailed, match="Falta el nombre o el teléfono"):
            customers.create_customer(s, {"email": "alguien@ejemplo.com"})
        # WhatsApp gives the phone first; the name comes later in the chat.
        assert customers.create_customer(s, {"phone": "5491166660001"}).name is None


def test_invalid_address_refuses_the_whole_customer(db, make_org):
    org = make_org()
    with db.org_session(org) as s:
        with pytest.raises(ValidationFailed) as exc:
            customers.create_customer(s, {**MARTA, "addresses": [{"street": ""}]})
        assert exc.value.errors == {"addresses.0.street": "Falta la calle de la dirección."}
        assert _count(s, Customer) == 0


def test_duplicate_phone_is_a_conflict_that_leaves_nothing_half_written(db, make_org):
    org = make_org()
    with db.org_session(org) as s:
        first = customers.create_customer(s, MARTA)
        # Same number written another way, with a new address: refused whole.
        with pytest.raises(Conflict, match=r"Ya hay un cliente con el teléfono \+5491155550101: "
                                           r"García, Marta"):
            customers.create_customer(s, {"name": "Otra Persona", "phone": "011 15 5555-0101",
                                          "addresses": [{"street": "Rivadavia", "number": "1"}]})
        # The transaction goes on and commits the first customer only.
        customers.create_customer(s, {"name": "Juan Pérez", "phone": "+5491155550202"})

    with db.org_session(org) as s:
        assert sorted(s.scalars(select(Customer.name))) == ["García, Marta", "Juan Pérez"]
        assert [a.customer_id for a in s.scalars(select(CustomerAddress))] == [first.id]
        assert _actions(s) == ["customer.create", "customer.create"]


def test_a_phone_the_caller_checked_that_was_taken_meanwhile_is_still_a_conflict(db, make_org):
    """A booking looked the number up and found nobody; another transaction took it since. The
    unique index refuses it, inside a savepoint: nothing half written, the transaction goes on."""
    org = make_org()
    with db.org_session(org) as s:
        customers.create_customer(s, MARTA)
        with pytest.raises(Conflict, match=r"Ya hay un cliente con el teléfono \+5491155550101\."):
            customers.create_customer(s, {"name": "Otra Persona", "phone": "011 15 5555-0101",
                                          "addresses": [{"street": "Rivadavia", "number": "1"}]},
                                      phone_checked=True)
        customers.create_customer(s, {"name": "Juan Pérez", "phone": "+5491155550202"},
                                  phone_checked=True)

    with db.org_session(org) as s:
        assert sorted(s.scalars(select(Customer.name))) == ["García, Marta", "Juan Pérez"]
        assert _count(s, CustomerAddress) == len(MARTA.get("addresses", []))
        assert _actions(s) == ["customer.create", "customer.create"]


def test_same_phone_in_another_organization_is_fine(db, make_org):
    a, b = make_org(), make_org()
    with db.org_session(a) as s:
        customers.create_customer(s, MARTA)
    with db.org_session(b) as s:
        other = customers.create_customer(s, {**MARTA, "name": "Marta de B"})
        assert other.org_id == b
        assert customers.find_by_phone(s, "5491155550101").name == "Marta de B"


@pytest.mark.parametrize("raw", ["+54 9 11 5555-0101", "5491155550101", "011 15 5555-0101"])
def test_find_by_phone_accepts_how_people_write_numbers(db, make_org, raw):
    org = make_org()
    with db.org_session(org) as s:
        customers.create_customer(s, MARTA)
        assert customers.find_by_phone(s, raw).name == "García, Marta"
        assert customers.find_by_phone(s, "+5491199990000") is None
        assert customers.find_by_phone(s, "no es un número") is None


def test_get_customer_of_another_organization_is_not_found(db, make_org):
    a, b = make_org(), make_org()
    with db.org_session(a) as s:
        marta_id = customers.create_customer(s, MARTA).id
    with db.org_session(b) as s, pytest.raises(NotFound, match=f"No existe el cliente {marta_id}"):
        customers.get_customer(s, marta_id)


def test_update_changes_only_given_fields_and_audits_the_diff(db, make_org):
    org = make_org()
    with db.org_session(org) as s:
        customer_id = customers.create_customer(s, MARTA).id
    with db.org_session(org) as s:
        customers.update_customer(s, customer_id, {"phone": "11 15 6666-0303", "notes": None},
                                  actor="user:2")
    with db.org_session(org) as s:
        c = customers.get_customer(s, customer_id)
        assert (c.name, c.phone, c.notes, c.email) == (
            "García, Marta", "+5491166660303", None, "marta.garcia@ejemplo.com.ar")
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "customer.update"))
        assert entry.actor == "user:2"
        assert entry.data["changes"] == {"phone": ["+5491155550101", "+5491166660303"],
                                         "notes": ["Tocar timbre 3B", None]}


def test_new_phone_forgets_the_old_whatsapp_id(db, make_org):
    org = make_org()
    with db.org_session(org) as s:
        c = customers.create_customer(s, {**MARTA, "wa_id": "5491155550101"})
        customers.update_customer(s, c.id, {"name": "Marta G."})
        assert c.wa_id == "5491155550101"
        customers.update_customer(s, c.id, {"phone": "+5491166660303"})
        assert (c.phone, c.wa_id) == ("+5491166660303", None)


def test_update_without_changes_writes_no_audit_entry(db, make_org):
    org = make_org()
    with db.org_session(org) as s:
        customer_id = customers.create_customer(s, MARTA).id
        customers.update_customer(s, customer_id, {"name": "  García, Marta ",
                                                   "phone": "5491155550101"})
        assert _actions(s) == ["customer.create"]


def test_update_to_a_taken_phone_is_refused_and_changes_nothing(db, make_org):
    org = make_org()
    with db.org_session(org) as s:
        customers.create_customer(s, MARTA)
        juan_id = customers.create_customer(s, {"name": "Juan", "phone": "+5491155550202"}).id
        with pytest.raises(Conflict, match="García, Marta"):
            customers.update_customer(s, juan_id, {"name": "Juan Cambiado",
                                                   "phone": "+5491155550101"})
        with pytest.raises(ValidationFailed):
            customers.update_customer(s, juan_id, {"email": "no-es-email"})
    with db.org_session(org) as s:
        juan = customers.get_customer(s, juan_id)
        assert (juan.name, juan.phone, juan.email) == ("Juan", "+5491155550202", None)
        assert _actions(s) == ["customer.create", "customer.create"]


def test_update_of_unknown_customer_is_not_found(db, make_org):
    org = make_org()
    with db.org_session(org) as s, pytest.raises(NotFound):
        customers.update_customer(s, 999, {"name": "Nadie"})


def test_add_address_appends_and_audits(db, make_org):
    org = make_org()
    with db.org_session(org) as s:
        customer_id = customers.create_customer(s, MARTA).id
    with db.org_session(org) as s:
        address = customers.add_address(s, customer_id, {"street": "Rivadavia", "number": "5000",
                                                         "locality": "Caballito"}, actor="user:3")
        assert address.customer_id == customer_id
    with db.org_session(org) as s:
        c = customers.get_customer(s, customer_id)
        assert [a.one_line for a in c.addresses] == ["Av. Avellaneda 2150, 3° B, Flores",
                                                     "Rivadavia 5000, Caballito"]
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "customer.address_add"))
        assert entry.data == {"address_id": address.id, "address": "Rivadavia 5000, Caballito"}


def test_add_address_to_another_organizations_customer_is_not_found(db, make_org):
    a, b = make_org(), make_org()
    with db.org_session(a) as s:
        marta_id = customers.create_customer(s, MARTA).id
    with db.org_session(b) as s, pytest.raises(NotFound):
        customers.add_address(s, marta_id, {"street": "Intrusa", "number": "1"})
    with db.org_session(a) as s:
        assert _count(s, CustomerAddress) == 1
