"""The price book: parts and labour with ARS prices, written the way Argentines write them."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import audit
from core.customers.search import fold, spanish_sort_key
from core.errors import Conflict, NotFound
from core.models import PriceBookItem, Service
from core.validation import validated

IVA_RATES = frozenset({Decimal(0), Decimal("10.5"), Decimal(21), Decimal(27)})
MAX_PRICE = Decimal("9999999999.99")  # Numeric(12, 2)
CENTS = Decimal("0.01")
# Folded words people use for a trade ("rubro") in forms and spreadsheets.
_SERVICE_ALIASES = {
    "plomeria": Service.PLUMBING, "plomero": Service.PLUMBING, "agua": Service.PLUMBING,
    "electricidad": Service.ELECTRICAL, "electrica": Service.ELECTRICAL,
    "electricista": Service.ELECTRICAL,
    "gasista": Service.GAS, "gas": Service.GAS,
    "climatizacion": Service.HVAC, "aire acondicionado": Service.HVAC, "aire": Service.HVAC,
    "refrigeracion": Service.HVAC,
    "cerrajeria": Service.LOCKSMITH, "cerrajero": Service.LOCKSMITH,
    "otro": Service.OTHER, "otros": Service.OTHER, "general": Service.OTHER,
    "varios": Service.OTHER,
}
_FIELDS = ("code", "name", "description", "unit", "price", "iva_rate", "service")


def parse_price(value: object) -> Decimal:
    """'$ 15.000,50', '15000.50', '15.000', 9500 -> Decimal with cents; ValueError in Spanish.

    A lone comma followed by exactly three digits ('15,000') is refused: it reads as fifteen
    in Argentina and as fifteen thousand in English-language spreadsheets.
    """
    if value is None:
        raise ValueError("Falta el precio.")
    if isinstance(value, str):
        amount = _parse_price_text(value)
    elif isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        amount = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    else:
        amount = Decimal("NaN")  # refused just below, like any other unreadable price
    if not amount.is_finite():
        raise ValueError(f"Precio inválido: {value}.")
    if amount != amount.quantize(CENTS):
        raise ValueError(f"El precio tiene más de 2 decimales: {value}.")
    if amount <= 0:
        raise ValueError("El precio tiene que ser mayor que cero.")
    if amount > MAX_PRICE:
        raise ValueError(f"El precio es demasiado alto: {value}.")
    return amount.quantize(CENTS)


def _parse_price_text(raw: str) -> Decimal:
    text = re.sub(r"(?i)ars|\$|\s", "", raw.replace("\xa0", ""))
    hint = f"Precio inválido: '{raw.strip()}'. Escribilo como 15000, 15.000 o 15.000,50."
    if not text:
        raise ValueError("Falta el precio.")
    if not re.fullmatch(r"[\d.,]+", text):
        raise ValueError(hint)
    dots, commas = text.count("."), text.count(",")
    if dots and commas:
        decimal_sep = "," if text.rfind(",") > text.rfind(".") else "."
        thousands_sep = "." if decimal_sep == "," else ","
        whole, _, cents = text.rpartition(decimal_sep)
        if text.count(decimal_sep) > 1 or not _grouped(whole, thousands_sep):
            raise ValueError(hint)
        text = f"{whole.replace(thousands_sep, '')}.{cents}"
    elif commas:
        whole, _, tail = text.rpartition(",")
        if commas > 1:
            if not _grouped(text, ","):
                raise ValueError(hint)
            text = text.replace(",", "")
        elif len(tail) == 3:
            raise ValueError(f"Precio ambiguo: '{raw.strip()}'. Escribí 15000 o 15,00.")
        else:
            text = f"{whole}.{tail}"
    elif dots:
        whole, _, tail = text.rpartition(".")
        if dots > 1 or len(tail) == 3:  # Argentine thousands: 15.000 and 1.500.000
            if not _grouped(text, "."):
                raise ValueError(hint)
            text = text.replace(".", "")
    try:
        return Decimal(text)
    except InvalidOperation:
        raise ValueError(hint) from None


def _grouped(number: str, sep: str) -> bool:
    return re.fullmatch(rf"\d{{1,3}}(\{sep}\d{{3}})*", number) is not None


def parse_iva_rate(value: object) -> Decimal:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError("Falta la alícuota de IVA. Usá 0, 10,5, 21 o 27.")
    hint = f"Alícuota de IVA inválida: {value}. Usá 0, 10,5, 21 o 27."
    text = value.strip().rstrip("%").strip().replace(",", ".") if isinstance(value, str) else value
    try:
        rate = None if isinstance(value, bool) else Decimal(str(text))
    except InvalidOperation:
        raise ValueError(hint) from None
    if rate not in IVA_RATES:
        raise ValueError(hint)
    return rate.quantize(CENTS)


def parse_service(value: object) -> Service | None:
    if value is None or isinstance(value, Service):
        return value
    key = fold(str(value))
    if not key:
        return None
    if key in {s.value for s in Service}:
        return Service(key)
    if key in _SERVICE_ALIASES:
        return _SERVICE_ALIASES[key]
    raise ValueError(f"Rubro desconocido: {value}. Usá plomería, electricidad, gas, "
                     "climatización, cerrajería u otro.")


class PriceBookItemIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    # Defaults validated so a missing name or price gets the same Spanish message as a blank one.
    code: str | None = None
    name: str = Field(default="", validate_default=True)
    description: str | None = None
    unit: str = "unidad"
    price: Decimal = Field(default=None, validate_default=True)
    iva_rate: Decimal = Decimal("21.00")
    service: Service | None = None

    _price = field_validator("price", mode="before")(classmethod(lambda cls, v: parse_price(v)))
    _iva = field_validator("iva_rate", mode="before")(classmethod(lambda cls, v: parse_iva_rate(v)))
    _service = field_validator("service", mode="before")(classmethod(lambda cls, v: parse_service(v)))

    @field_validator("code", "name", "description", mode="before")
    @classmethod
    def _text(cls, v: object, info: ValidationInfo) -> object:
        # pydantic's own type errors are English: a missing name gets our message instead.
        if v is None:
            return "" if info.field_name == "name" else None
        if isinstance(v, int | Decimal) and not isinstance(v, bool):
            return str(v)  # a code like 1040 that a spreadsheet turned into a number
        return v

    @field_validator("code")
    @classmethod
    def _code(cls, v: str | None) -> str | None:
        if v is None or not v.strip():
            return None
        if len(v) > 40:
            raise ValueError("El código es demasiado largo (máximo 40 caracteres).")
        return v

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if len(v) < 2:
            raise ValueError("Falta el nombre del ítem.")
        if len(v) > 160:
            raise ValueError("El nombre es demasiado largo (máximo 160 caracteres).")
        return v

    @field_validator("description")
    @classmethod
    def _description(cls, v: str | None) -> str | None:
        return v or None

    @field_validator("unit", mode="before")
    @classmethod
    def _unit(cls, v: object) -> object:
        if v is None or (isinstance(v, str) and not v.strip()):
            return "unidad"
        if isinstance(v, str) and len(v.strip()) > 20:
            raise ValueError("La unidad es demasiado larga (máximo 20 caracteres).")
        return v


def get_item(session: Session, item_id: int) -> PriceBookItem:
    item = session.get(PriceBookItem, item_id)
    if item is None:
        raise NotFound(f"No existe el ítem {item_id} en la lista de precios.")
    return item


def _check_code_free(session: Session, code: str | None, exclude_id: int | None = None) -> None:
    # Case-insensitive: "pl-flex40" and "PL-FLEX40" are the same code to the person typing it.
    if code is None:
        return
    stmt = select(PriceBookItem).where(func.lower(PriceBookItem.code) == code.lower())
    if exclude_id is not None:
        stmt = stmt.where(PriceBookItem.id != exclude_id)
    other = session.scalar(stmt)
    if other is None:
        return
    if other.archived:
        raise Conflict(f"El código {code} ya es de un ítem archivado ({other.name}); "
                       "reactivalo o usá otro código.")
    raise Conflict(f"Ya existe un ítem con el código {code}: {other.name}.")


def _flush(session: Session, code: str | None, new: PriceBookItem | None = None) -> None:
    """Flush in a savepoint: a concurrent insert of the same code leaves the transaction usable."""
    try:
        with session.begin_nested():
            if new is not None:
                session.add(new)  # added inside, so a rollback also forgets it
            session.flush()
    except IntegrityError:
        raise Conflict(f"Ya existe un ítem con el código {code}.") from None


def create_item(session: Session, data: PriceBookItemIn | dict,
                actor: str = "system") -> PriceBookItem:
    data = validated(PriceBookItemIn, data)
    _check_code_free(session, data.code)
    item = PriceBookItem(**data.model_dump())
    _flush(session, data.code, new=item)
    audit.record(session, actor=actor, action="price_book_item.create",
                 entity_type="price_book_item", entity_id=item.id,
                 data={f: getattr(item, f) for f in _FIELDS if f != "description"})
    return item


def update_item(session: Session, item_id: int, data: dict, actor: str = "system") -> PriceBookItem:
    """Change only the fields given."""
    item = get_item(session, item_id)
    current = {f: getattr(item, f) for f in _FIELDS}
    merged = validated(PriceBookItemIn, {**current, **data})
    changes = {f: [current[f], getattr(merged, f)] for f in _FIELDS
               if current[f] != getattr(merged, f)}
    if not changes:
        return item  # nothing changed, so nothing to audit
    if "code" in changes:
        _check_code_free(session, merged.code, exclude_id=item.id)
    for f, (_old, new) in changes.items():
        setattr(item, f, new)
    try:
        _flush(session, merged.code)
    except Conflict:
        session.refresh(item)
        raise
    audit.record(session, actor=actor, action="price_book_item.update",
                 entity_type="price_book_item", entity_id=item.id, data={"changes": changes})
    return item


def _set_archived(session: Session, item_id: int, archived: bool, actor: str) -> PriceBookItem:
    item = get_item(session, item_id)
    if item.archived == archived:
        return item
    item.archived = archived
    session.flush()
    audit.record(session, actor=actor,
                 action="price_book_item.archive" if archived else "price_book_item.restore",
                 entity_type="price_book_item", entity_id=item.id,
                 data={"code": item.code, "name": item.name})
    return item


def archive_item(session: Session, item_id: int, actor: str = "system") -> PriceBookItem:
    """Hide an item from search and new invoices; past invoice lines keep pointing at it."""
    return _set_archived(session, item_id, True, actor)


def restore_item(session: Session, item_id: int, actor: str = "system") -> PriceBookItem:
    return _set_archived(session, item_id, False, actor)


def list_items(session: Session, include_archived: bool = False) -> list[PriceBookItem]:
    stmt = select(PriceBookItem)
    if not include_archived:
        stmt = stmt.where(PriceBookItem.archived.is_(False))
    # Sorted in Python so the order is Spanish and the same on PostgreSQL and SQLite.
    return sorted(session.scalars(stmt), key=lambda i: (spanish_sort_key(i.name), i.id))
