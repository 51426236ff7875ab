"""Customers and their addresses: validated input, one customer per phone, every change audited."""

from __future__ import annotations

import re
from decimal import Decimal

from email_validator import EmailNotValidError, validate_email
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import audit, deferred
from core.customers.search import fold
from core.errors import Conflict, NotFound, ValidationFailed
from core.models import Customer, CustomerAddress, DocType, IvaCondition
from core.organizations import cuit_is_valid
from core.phones import normalize_phone
from core.validation import validated

# How people write the IVA condition in forms and spreadsheets, folded (see core.customers.search.fold).
_IVA_ALIASES = {
    "ri": IvaCondition.RESPONSABLE_INSCRIPTO,
    "inscripto": IvaCondition.RESPONSABLE_INSCRIPTO,
    "resp inscripto": IvaCondition.RESPONSABLE_INSCRIPTO,
    "iva responsable inscripto": IvaCondition.RESPONSABLE_INSCRIPTO,
    "monotributista": IvaCondition.MONOTRIBUTO,
    "responsable monotributo": IvaCondition.MONOTRIBUTO,
    "mt": IvaCondition.MONOTRIBUTO,
    "iva exento": IvaCondition.EXENTO,
    "cf": IvaCondition.CONSUMIDOR_FINAL,
    "final": IvaCondition.CONSUMIDOR_FINAL,
    "nc": IvaCondition.NO_CATEGORIZADO,
    "sujeto no categorizado": IvaCondition.NO_CATEGORIZADO,
}
_CUSTOMER_FIELDS = ("name", "phone", "wa_id", "email", "doc_type", "doc_number", "iva_condition",
                    "notes")


def _limited(value: str | None, label: str, max_len: int) -> str | None:
    """Blank becomes None; too long is refused with a message a person understands."""
    if value is None or not value.strip():
        return None
    if len(value) > max_len:
        raise ValueError(f"{label} es demasiado largo (máximo {max_len} caracteres).")
    return value


class AddressIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    street: str = Field(default="", validate_default=True)  # missing reads like blank
    number: str | None = None
    unit: str | None = None
    locality: str | None = None
    province: str | None = None
    notes: str | None = None
    latitude: Decimal | None = Field(default=None, ge=-90, le=90)
    longitude: Decimal | None = Field(default=None, ge=-180, le=180)

    @field_validator("street")
    @classmethod
    def _street(cls, v: str) -> str:
        if len(v) < 2:
            raise ValueError("Falta la calle de la dirección.")
        return _limited(v, "La calle", 120)

    @field_validator("number", "unit", "locality", "province", "notes")
    @classmethod
    def _optional_text(cls, v: str | None, info: ValidationInfo) -> str | None:
        limits = {"number": ("El número", 12), "unit": ("El piso/depto", 30),
                  "locality": ("La localidad", 80), "province": ("La provincia", 60),
                  "notes": ("La nota de la dirección", 200)}
        label, max_len = limits[info.field_name]
        return _limited(v, label, max_len)


class CustomerIn(BaseModel):
    """A customer needs a name or a phone: WhatsApp gives us the phone before the name."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    name: str | None = None
    phone: str | None = None
    wa_id: str | None = Field(default=None, pattern=r"^\d{6,32}$")
    email: str | None = None
    doc_type: DocType | None = None
    doc_number: str | None = Field(default=None, validate_default=True)
    iva_condition: IvaCondition = IvaCondition.CONSUMIDOR_FINAL
    notes: str | None = None
    addresses: list[AddressIn] = Field(default_factory=list)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str | None) -> str | None:
        v = _limited(v, "El nombre", 120)
        if v is not None and len(v) < 2:
            raise ValueError("El nombre es demasiado corto.")
        return v

    @field_validator("phone")
    @classmethod
    def _phone(cls, v: str | None) -> str | None:
        if v is None or not v.strip():
            return None
        try:
            return normalize_phone(v)
        except ValidationFailed as exc:
            # pydantic only collects ValueError; re-raised so the message lands on "phone".
            raise ValueError(f"{exc}. Escribilo con característica, por ej. 11 5555-0101.") from None

    @field_validator("email")
    @classmethod
    def _email(cls, v: str | None) -> str | None:
        if v is None or not v.strip():
            return None
        try:
            return validate_email(v, check_deliverability=False).normalized.lower()
        except EmailNotValidError:
            raise ValueError(f"Email inválido: {v}") from None

    @field_validator("doc_type", mode="before")
    @classmethod
    def _doc_type(cls, v: object) -> object:
        if isinstance(v, str):
            key = fold(v)
            if not key:
                return None
            if key not in ("cuit", "cuil", "dni"):
                raise ValueError(f"Tipo de documento desconocido: {v}. Usá CUIT o DNI.")
            return DocType.DNI if key == "dni" else DocType.CUIT
        return v

    @field_validator("doc_number")
    @classmethod
    def _doc_number(cls, v: str | None, info: ValidationInfo) -> str | None:
        doc_type = info.data.get("doc_type")
        digits = re.sub(r"[\s.\-]", "", v or "")
        if not digits:
            if doc_type is not None:
                raise ValueError("Falta el número de documento.")
            return None
        if doc_type is None:  # guessed from the length, as a person would
            doc_type = DocType.CUIT if len(digits) == 11 else DocType.DNI
        if doc_type == DocType.CUIT and not cuit_is_valid(digits):
            raise ValueError(f"CUIT inválido: {v} (revisá los 11 dígitos).")
        if doc_type == DocType.DNI and not re.fullmatch(r"\d{7,8}", digits):
            raise ValueError(f"DNI inválido: {v} (tiene que tener 7 u 8 dígitos).")
        return digits

    @field_validator("iva_condition", mode="before")
    @classmethod
    def _iva(cls, v: object) -> object:
        if v is None or (isinstance(v, str) and not v.strip()):
            return IvaCondition.CONSUMIDOR_FINAL
        if isinstance(v, str) and not isinstance(v, IvaCondition):
            key = fold(v)
            as_value = key.replace(" ", "_")
            if as_value in {c.value for c in IvaCondition}:
                return IvaCondition(as_value)
            if key in _IVA_ALIASES:
                return _IVA_ALIASES[key]
            raise ValueError(f"Condición frente al IVA desconocida: {v}. Usá consumidor final, "
                             "monotributo, responsable inscripto o exento.")
        return v

    @field_validator("notes")
    @classmethod
    def _notes(cls, v: str | None) -> str | None:
        return _limited(v, "La nota", 4000)

    @model_validator(mode="after")
    def _reachable(self) -> CustomerIn:
        if self.name is None and self.phone is None:
            raise ValueError("Falta el nombre o el teléfono del cliente.")
        if self.doc_number is not None and self.doc_type is None:
            self.doc_type = DocType.CUIT if len(self.doc_number) == 11 else DocType.DNI
        return self


def get_customer(session: Session, customer_id: int) -> Customer:
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(f"No existe el cliente {customer_id}.")
    return customer


def find_by_phone(session: Session, raw_phone: str) -> Customer | None:
    """The customer with this number in the current organization; None if nobody (or unparseable)."""
    try:
        phone = normalize_phone(raw_phone)
    except ValidationFailed:
        return None
    return session.scalar(select(Customer).where(Customer.phone == phone))


def _phone_taken_message(session: Session, phone: str, exclude_id: int | None = None) -> str | None:
    stmt = select(Customer).where(Customer.phone == phone)
    if exclude_id is not None:
        stmt = stmt.where(Customer.id != exclude_id)
    other = session.scalar(stmt)
    if other is None:
        return None
    return f"Ya hay un cliente con el teléfono {phone}: {other.name or 'sin nombre'}."


def _insert(session: Session, obj: object, phone: str | None) -> None:
    """Flush inside a savepoint so a lost race on the phone leaves the transaction usable."""
    try:
        with session.begin_nested():
            session.add(obj)
            session.flush()
    except IntegrityError:
        raise Conflict(f"Ya hay un cliente con el teléfono {phone}.") from None


def _address(data: AddressIn) -> CustomerAddress:
    return CustomerAddress(**data.model_dump())


def create_customer(session: Session, data: CustomerIn | dict, actor: str = "system", *,
                    phone_checked: bool = False) -> Customer:
    """A new customer with their addresses; Conflict when the phone is someone else's.

    `phone_checked`: the caller has just looked the phone up in this transaction and found
    nobody (a booking's `Turn.customer`), so the look that names the other customer in the
    message is skipped; the unique index still turns a race into a Conflict."""
    data = validated(CustomerIn, data)
    if data.phone and not phone_checked and (message := _phone_taken_message(session, data.phone)):
        raise Conflict(message)
    customer = Customer(**data.model_dump(include=set(_CUSTOMER_FIELDS)))
    customer.addresses = [_address(a) for a in data.addresses]
    _insert(session, customer, data.phone)
    audit.record(session, actor=actor, action="customer.create", entity_type="customer",
                 entity_id=customer.id,
                 data={**{f: getattr(customer, f) for f in _CUSTOMER_FIELDS if f != "notes"},
                       "addresses": [a.one_line for a in customer.addresses]})
    return customer


def update_customer(session: Session, customer_id: int, data: dict,
                    actor: str = "system") -> Customer:
    """Change only the fields given; returns the customer. Addresses go through add_address."""
    if "addresses" in data:
        raise ValidationFailed("Las direcciones se agregan de a una, no al editar el cliente.",
                               {"addresses": "not allowed here"})
    customer = get_customer(session, customer_id)
    current = {f: getattr(customer, f) for f in _CUSTOMER_FIELDS}
    merged = validated(CustomerIn, {**current, **data})
    if merged.phone != current["phone"] and "wa_id" not in data:
        merged.wa_id = None  # the WhatsApp id belonged to the old number
    changes = {f: [current[f], getattr(merged, f)] for f in _CUSTOMER_FIELDS
               if current[f] != getattr(merged, f)}
    if not changes:
        return customer  # nothing changed, so nothing to audit
    if "phone" in changes and merged.phone and (
            message := _phone_taken_message(session, merged.phone, exclude_id=customer.id)):
        raise Conflict(message)
    try:
        with session.begin_nested():
            for f, (_old, new) in changes.items():
                setattr(customer, f, new)
            session.flush()
    except IntegrityError:
        session.refresh(customer)  # the savepoint rolled back; drop the refused values
        raise Conflict(f"Ya hay un cliente con el teléfono {merged.phone}.") from None
    audit.record(session, actor=actor, action="customer.update", entity_type="customer",
                 entity_id=customer.id, data={"changes": changes})
    return customer


def add_address(session: Session, customer_id: int, data: AddressIn | dict,
                actor: str = "system") -> CustomerAddress:
    data = validated(AddressIn, data)
    customer = get_customer(session, customer_id)
    address = _address(data)
    customer.addresses.append(address)
    session.flush()
    audit.record(session, actor=actor, action="customer.address_add", entity_type="customer",
                 entity_id=customer.id, data={"address_id": address.id, "address": address.one_line})
    return address


def set_cuit(session: Session, customer_id: int, cuit: str, actor: str = "system") -> Customer:
    """Record the customer's CUIT (invoices name it from now on) and ask AFIP's padrón for
    their name and IVA condition once this commits."""
    customer = update_customer(session, customer_id, {"doc_type": "cuit", "doc_number": cuit},
                               actor=actor)
    deferred.defer(session, "lookup_cuit", customer.id)
    return customer


def apply_padron(session: Session, customer_id: int, *, name: str | None,
                 iva_condition: str | None, address: str | None = None,
                 actor: str = "afip") -> list[str]:
    """What AFIP's padrón says about the customer's CUIT: the IVA condition always (it decides
    the invoice letter); the registered name when we had none, or only a first name from
    WhatsApp. Returns the fields changed."""
    customer = get_customer(session, customer_id)
    data: dict = {}
    if iva_condition and iva_condition != customer.iva_condition.value:
        data["iva_condition"] = iva_condition
    if name and (not customer.name or len(customer.name.split()) < 2):
        data["name"] = name[:120]
    if address and not customer.notes:
        data["notes"] = f"Domicilio fiscal (AFIP): {address}"[:2000]
    if data:
        update_customer(session, customer_id, data, actor=actor)
    return sorted(data)
