"""Spreadsheet imports of customers and price-book items that report every row they refuse."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from core import audit
from core.billing.price_book import PriceBookItemIn, create_item
from core.customers import CustomerIn, create_customer
from core.customers.search import fold
from core.errors import Conflict, ValidationFailed
from core.validation import validated

# Header spellings (folded, spaces as "_") -> our field. Spanish first: that is what people type.
CUSTOMER_COLUMNS = {
    "name": ("nombre", "name", "nombre_y_apellido", "nombre_completo", "apellido_y_nombre",
             "cliente", "razon_social"),
    "phone": ("telefono", "tel", "celular", "movil", "whatsapp", "phone", "telefono_celular"),
    "email": ("email", "e_mail", "mail", "correo", "correo_electronico"),
    "address": ("direccion", "domicilio", "address", "calle"),
    "unit": ("piso_depto", "piso_dpto", "depto", "dpto", "departamento"),
    "locality": ("localidad", "barrio", "ciudad", "locality", "city"),
    "province": ("provincia", "province"),
    "cuit": ("cuit", "cuil", "cuit_cuil"),
    "dni": ("dni",),
    "document": ("documento", "nro_documento", "doc"),
    "iva_condition": ("condicion_iva", "condicion_frente_al_iva", "iva_condition", "iva",
                      "situacion_iva"),
    "notes": ("notas", "notes", "observaciones", "comentarios"),
}
PRICE_BOOK_COLUMNS = {
    "code": ("codigo", "code", "cod", "sku"),
    "name": ("nombre", "name", "item", "producto", "articulo"),
    "description": ("descripcion", "description", "detalle"),
    "price": ("precio", "price", "precio_unitario", "importe", "valor", "precio_final"),
    "unit": ("unidad", "unit", "unidad_de_medida", "um"),
    "iva_rate": ("iva", "alicuota_iva", "alicuota", "iva_rate"),
    "service": ("rubro", "service", "servicio", "categoria"),
}
# How a message names a column the file does not have.
_LABELS = {"name": "nombre", "price": "precio", "phone": "teléfono", "code": "código",
           "address": "dirección", "unit": "piso/depto", "locality": "localidad",
           "province": "provincia", "email": "email", "notes": "notas",
           "iva_condition": "condición IVA", "iva_rate": "IVA",
           "service": "rubro", "description": "descripción"}
_MISSING = {"name": "Falta el nombre.", "price": "Falta el precio."}
_HOUSE_NUMBER = re.compile(r"^\d{1,6}[a-zA-Z]?$")
# Numbers that name the street rather than the house: "Calle 7 1234" (La Plata), "Ruta 8 km 50",
# and dates ("Av. 9 de Julio 1000", "25 de Mayo 300").
_NUMBERED_STREETS = {"calle", "diagonal", "diag", "ruta", "km", "av", "avenida"}
# After a comma: "3° B", "PB", "dto 4" is the unit; anything else ("Flores") is the locality.
_UNIT_LIKE = re.compile(r"(?i)^(\d|pb\b|piso|dto|depto|dpto|departamento|casa|of\b|oficina|"
                        r"local|lote|torre|timbre)")


@dataclass(frozen=True)
class RowError:
    row_number: int  # as the spreadsheet shows it: the header is row 1
    field: str  # the column as written in the file
    message: str


@dataclass
class ImportReport:
    created: int = 0
    rows: int = 0  # data rows read, blank ones not counted
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def failed_rows(self) -> list[int]:
        return sorted({e.row_number for e in self.errors if e.row_number > 1})


def _read_text(source: str | bytes | IO) -> str:
    data = source.read() if hasattr(source, "read") else source
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            # Excel on Windows saves "CSV" in ANSI (Windows-1252) unless told otherwise.
            data = data.decode("cp1252", errors="replace")
    return data.removeprefix("\ufeff")


def _rows(text: str) -> tuple[list[str], list[list[str]]]:
    lines = text.splitlines(keepends=True)
    delimiter = None
    if lines and lines[0].strip().lower().startswith("sep=") and len(lines[0].strip()) == 5:
        # Excel's own hint line; Excel hides it, so the header is still row 1 for the user.
        delimiter, lines = lines[0].strip()[4], lines[1:]
    first = next((ln for ln in lines if ln.strip()), "")
    if delimiter is None:
        delimiter = max(";,\t", key=first.count) if any(d in first for d in ";,\t") else ","
    rows = list(csv.reader(io.StringIO("".join(lines), newline=""), delimiter=delimiter))
    if not rows:
        return [], []
    return [h.strip() for h in rows[0]], rows[1:]


def _map_header(header: list[str], columns: dict[str, tuple[str, ...]],
                report: ImportReport) -> dict[str, int]:
    """Our field -> column index; unknown and repeated columns become warnings on row 1."""
    by_alias = {alias: name for name, aliases in columns.items() for alias in aliases}
    index: dict[str, int] = {}
    for i, raw in enumerate(header):
        if not raw:
            continue
        name = by_alias.get(fold(raw).replace(" ", "_"))
        if name is None:
            report.warnings.append(RowError(1, raw, f"No reconocemos la columna '{raw}'; la "
                                                    "ignoramos."))
        elif name in index:
            report.warnings.append(RowError(1, raw, f"La columna '{raw}' repite a "
                                                    f"'{header[index[name]]}'; usamos la primera."))
        else:
            index[name] = i
    return index


class _Row:
    """One data row read through the header map, remembering how the user named each column."""

    def __init__(self, number: int, cells: list[str], index: dict[str, int], header: list[str]):
        self.number, self.cells, self.index, self.header = number, cells, index, header

    def get(self, name: str) -> str:
        i = self.index.get(name)
        return self.cells[i].strip() if i is not None and i < len(self.cells) else ""

    def column(self, name: str) -> str:
        i = self.index.get(name)
        return self.header[i] if i is not None else _LABELS.get(name, name)


@dataclass(frozen=True)
class _Kind:
    """What differs between importing customers and price-book items."""

    columns: dict[str, tuple[str, ...]]
    required: tuple[str, ...]
    model: type[CustomerIn | PriceBookItemIn]
    build: Callable[[_Row, ImportReport], dict]
    to_column: Callable[[_Row, str], str]
    create: Callable[[Session, object, str], object]
    key: str  # the field that must be unique: a duplicate in the file is reported, not created
    action: str


def _import(session: Session, source: str | bytes | IO, actor: str, kind: _Kind) -> ImportReport:
    report = ImportReport()
    header, rows = _rows(_read_text(source))
    if not any(header):
        report.errors.append(RowError(1, "", "El archivo está vacío."))
        return report
    index = _map_header(header, kind.columns, report)
    missing = [_LABELS.get(name, name) for name in kind.required if name not in index]
    report.errors.extend(RowError(1, label, f"Falta la columna '{label}'.") for label in missing)
    if missing:
        return report
    seen: dict[str, int] = {}
    for number, cells in enumerate(rows, start=2):
        if not any(c.strip() for c in cells):
            continue  # blank spreadsheet rows are not data
        report.rows += 1
        row = _Row(number, cells, index, header)
        if any(c.strip() for c in cells[len(header):]):
            report.errors.append(RowError(number, "", (
                f"La fila tiene {len(cells)} celdas y el encabezado {len(header)}: revisá si hay "
                "separadores de más (por ejemplo una coma sin comillas en la dirección).")))
            continue
        raw = kind.build(row, report)
        # Every problem of the row at once, so the user fixes it in one pass.
        blank = [name for name in kind.required if not row.get(name)]
        errors = [RowError(number, row.column(name), _MISSING[name]) for name in blank]
        try:
            data = validated(kind.model, raw)
        except ValidationFailed as exc:
            errors.extend(RowError(number, kind.to_column(row, fld), message)
                          for fld, message in exc.errors.items()
                          if not (blank and fld in (*blank, "_")))
        if errors:
            report.errors.extend(errors)
            continue
        key = getattr(data, kind.key)
        key = key.lower() if key else None
        if key is not None and key in seen:
            report.errors.append(RowError(number, row.column(kind.key), (
                f"{_LABELS[kind.key].capitalize()} repetido en el archivo: ya está en la "
                f"fila {seen[key]}.")))
            continue
        if key is not None:
            seen[key] = number
        try:
            # One savepoint per row: a refused row rolls back alone and the others stay.
            with session.begin_nested():
                kind.create(session, data, actor)
        except Conflict as exc:
            report.errors.append(RowError(number, row.column(kind.key), str(exc)))
            continue
        except SQLAlchemyError:
            report.errors.append(RowError(number, "", "No pudimos guardar esta fila (error de "
                                                      "la base de datos)."))
            continue
        report.created += 1
    audit.record(session, actor=actor, action=kind.action, entity_type="import",
                 data={"rows": report.rows, "created": report.created,
                       "failed_rows": report.failed_rows})
    return report


def _split_address(text: str) -> dict:
    """'Av. Avellaneda 2150, 3° B, Flores' -> street, number, unit, locality; no text is dropped."""
    main, *pieces = [p.strip() for p in text.split(",")]
    words = main.split()
    parts: dict = {"street": main, "number": None}
    units: list[str] = []
    for i, word in enumerate(words[1:], start=1):
        names_street = fold(words[i - 1]) in _NUMBERED_STREETS or (
            i + 1 < len(words) and fold(words[i + 1]) == "de")
        if _HOUSE_NUMBER.match(word) and not names_street:
            parts.update(street=" ".join(words[:i]), number=word)
            units = [" ".join(words[i + 1:])] if words[i + 1:] else []
            break
    places = []
    for piece in filter(None, pieces):
        (units if _UNIT_LIKE.match(piece) else places).append(piece)
    return {**parts, "unit": ", ".join(units) or None, "locality": ", ".join(places) or None}


def _customer_row(row: _Row, report: ImportReport) -> dict:
    raw: dict = {"name": row.get("name"), "phone": row.get("phone"), "email": row.get("email"),
                 "notes": row.get("notes"), "iva_condition": row.get("iva_condition")}
    for name, doc_type in (("cuit", "cuit"), ("dni", "dni"), ("document", None)):
        if row.get(name):  # CUIT first: it is what an invoice needs
            raw.update(doc_type=doc_type, doc_number=row.get(name))
            break
    if row.get("address"):
        address = _split_address(row.get("address"))
        if row.get("unit"):
            address["unit"] = ", ".join(filter(None, [address["unit"], row.get("unit")]))
        if row.get("locality"):
            # The locality column wins; what the address text said is kept as a note.
            address["notes"] = address["locality"]
            address["locality"] = row.get("locality")
        address["province"] = row.get("province")
        raw["addresses"] = [address]
    elif row.get("locality") or row.get("province"):
        report.warnings.append(RowError(row.number, row.column("address"),
                                        "Hay localidad o provincia pero falta la dirección: "
                                        "no guardamos domicilio para este cliente."))
    return raw


def _customer_column(row: _Row, fld: str) -> str:
    if fld.startswith("addresses"):
        sub = fld.split(".")[-1]
        return row.column(sub if sub in ("locality", "province", "unit") else "address")
    if fld in ("doc_type", "doc_number"):
        return next((row.column(n) for n in ("cuit", "dni", "document") if row.get(n)), "documento")
    if fld == "_":
        return ""
    return row.column(fld)


def _price_book_row(row: _Row, report: ImportReport) -> dict:
    raw = {"code": row.get("code"), "name": row.get("name"),
           "description": row.get("description"), "price": row.get("price"),
           "unit": row.get("unit"), "service": row.get("service")}
    if row.get("iva_rate"):
        raw["iva_rate"] = row.get("iva_rate")
    return raw


def _price_book_column(row: _Row, fld: str) -> str:
    return "" if fld == "_" else row.column(fld)


CUSTOMERS = _Kind(CUSTOMER_COLUMNS, ("name",), CustomerIn, _customer_row, _customer_column,
                  create_customer, "phone", "customer.import")
PRICE_BOOK = _Kind(PRICE_BOOK_COLUMNS, ("name", "price"), PriceBookItemIn, _price_book_row,
                   _price_book_column, create_item, "code", "price_book.import")


def import_customers_csv(session: Session, source: str | bytes | IO,
                         actor: str = "system") -> ImportReport:
    """Create a customer per good row; every refused row is in `report.errors` with its reason."""
    return _import(session, source, actor, CUSTOMERS)


def import_price_book_csv(session: Session, source: str | bytes | IO,
                          actor: str = "system") -> ImportReport:
    """Create an item per good row; every refused row is in `report.errors` with its reason."""
    return _import(session, source, actor, PRICE_BOOK)
