"""The price book for staff: search it to quote, edit items, archive them, import and export CSV."""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, redirect, render_template, request
from sqlalchemy.orm import Session

from backoffice.extensions import db
from backoffice.job_board import SERVICE_LABELS
from backoffice.paging import paginate_list
from backoffice.security import MANAGERS, STAFF, VIEWER, actor, current_user, requires
from backoffice.uploads import UploadRefused, read_csv_upload
from core import es_ar
from core.billing import price_book
from core.customers.csv_import import ImportReport, import_price_book_csv
from core.customers.search import fold, search_price_book
from core.errors import Conflict, NotFound, ValidationFailed
from core.models import PriceBookItem, Role, Service

bp = Blueprint("price_book", __name__, url_prefix="/price-book")
log = logging.getLogger("campotech.backoffice.price_book")

READERS = STAFF | VIEWER  # dispatchers quote from it; the accountant reads it
QUERY_MAX = 120
FUZZY_LIMIT = 20
FIELDS = ("code", "name", "description", "service", "unit", "price", "iva_rate")
# (form value, label): the rates AFIP takes, the usual one first.
IVA_CHOICES = (("21", "21 %"), ("10,5", "10,5 %"), ("27", "27 %"), ("0", "0 % (exento)"))
NOTICES = {
    "created": "Listo, el ítem quedó en la lista de precios.",
    "updated": "Listo, guardamos los cambios.",
    "archived": "Listo, archivamos el ítem: ya no aparece para cotizar ni en facturas nuevas.",
    "restored": "Listo, el ítem volvió a la lista de precios.",
}
# Header names core/customers/csv_import.py reads back (PRICE_BOOK_COLUMNS), in the order people fill them.
CSV_HEADER = ("código", "nombre", "descripción", "rubro", "unidad", "precio", "IVA")
EXAMPLE_ROWS = (
    ("PL-CANILLA", "Cambio de canilla monocomando", "Incluye colocación", "Plomería", "unidad",
     "15.000", "21"),
    ("EL-TOMA", "Colocación de tomacorriente", "", "Electricidad", "unidad", "8.500,50", "21"),
    ("GS-VISITA", "Visita de gasista matriculado", "Revisión y prueba de hermeticidad", "Gas",
     "visita", "20000", "10,5"),
    ("", "Mano de obra por hora", "", "", "hora", "12.000", "21"),
)
# A cell starting with one of these runs as a formula when the file is opened in a spreadsheet.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ItemRow:
    id: int
    code: str | None
    name: str
    description: str | None
    service: str | None
    unit: str
    price: Decimal
    iva: str
    archived: bool


def iva_text(rate: Decimal) -> str:
    """Decimal('10.50') -> '10,5', Decimal('21.00') -> '21': as the form and the CSV write it."""
    return f"{Decimal(rate).normalize():f}".replace(".", ",")


def price_text(price: Decimal) -> str:
    """Decimal('15000.50') -> '15.000,50', as people type it (and parse_price reads it back)."""
    return es_ar.pesos(price).removeprefix("$")


def _row(item: PriceBookItem) -> ItemRow:
    return ItemRow(item.id, item.code, item.name, item.description,
                   SERVICE_LABELS.get(item.service) if item.service else None, item.unit,
                   item.price, iva_text(item.iva_rate), item.archived)


def find(session: Session, query: str, service: Service | None,
         include_archived: bool) -> tuple[list[ItemRow], bool]:
    """Items whose name or code holds every word of `query` (no accents, no case), in Spanish
    order; when none does, the closest active names (typos). True as second value then."""
    items = price_book.list_items(session, include_archived=include_archived)
    words = fold(query).split()
    if words:
        items = [i for i in items if all(w in fold(f"{i.code or ''} {i.name}") for w in words)]
    approximate = False
    if words and not items:
        items = [i for i, _score in search_price_book(session, query, limit=FUZZY_LIMIT)]
        approximate = bool(items)
    if service is not None:
        items = [i for i in items if i.service == service]
    return [_row(i) for i in items], approximate


def _service_arg(raw: str | None) -> Service | None:
    try:
        return Service(raw) if raw else None
    except ValueError:
        return None  # an old or hand-typed link: show every trade rather than an error


@bp.get("")
@requires(READERS)
def index():
    user = current_user()
    query = (request.args.get("q") or "").strip()[:QUERY_MAX]
    service = _service_arg(request.args.get("service"))
    archived = request.args.get("archived") == "1"
    with db().org_session(user.org_id) as s:
        rows, approximate = find(s, query, service, archived)
    return render_template(
        "backoffice/price_book.html", page=paginate_list(rows), query=query,
        service=service.value if service else "", archived=archived, approximate=approximate,
        services=SERVICE_LABELS, can_manage=Role(user.role) in MANAGERS,
        notice=NOTICES.get(request.args.get("done", "")),
    )


# ---- create and edit -----------------------------------------------------------------------

def _form() -> dict[str, str]:
    return {f: (request.form.get(f) or "").strip() for f in FIELDS}


def _errors(exc: ValidationFailed | Conflict) -> dict[str, str]:
    """The service's refusal as Spanish messages per form field ("_" for the whole form)."""
    if isinstance(exc, Conflict):
        return {"code": str(exc)}
    known = {f: m for f, m in exc.errors.items() if f in FIELDS}
    rest = [m for f, m in exc.errors.items() if f not in FIELDS]
    return {**known, "_": " ".join(rest)} if rest else known


def _render_form(form: dict, *, item_id: int | None = None, errors: dict | None = None):
    errors = errors or {}
    return render_template(
        "backoffice/price_book_form.html", form=form, item_id=item_id, errors=errors,
        error=errors.get("_") or ("Revisá los campos marcados." if errors else None),
        services=SERVICE_LABELS, iva_choices=IVA_CHOICES,
    ), 200


def _listed(name: str, done: str) -> Response:
    """Back to the list, searching for the item just saved so it is in sight."""
    return redirect("/app/price-book?" + urlencode({"q": name, "done": done}))


@bp.get("/new")
@requires(MANAGERS)
def new():
    return _render_form({"unit": "unidad", "iva_rate": "21"})


@bp.post("/new")
@requires(MANAGERS)
def create():
    form = _form()
    try:
        with db().org_session(current_user().org_id) as s:
            item = price_book.create_item(s, form, actor())
            item_id, name = item.id, item.name
    except (ValidationFailed, Conflict) as exc:
        return _render_form(form, errors=_errors(exc))
    log.info("price book item created", extra={"item_id": item_id})
    return _listed(name, "created")


@bp.get("/<int:item_id>/edit")
@requires(MANAGERS)
def edit(item_id: int):
    with db().org_session(current_user().org_id) as s:
        item = s.get(PriceBookItem, item_id)
        if item is None:
            abort(404)
        form = {"code": item.code or "", "name": item.name, "description": item.description or "",
                "service": item.service.value if item.service else "", "unit": item.unit,
                "price": price_text(item.price), "iva_rate": iva_text(item.iva_rate)}
    return _render_form(form, item_id=item_id)


@bp.post("/<int:item_id>/edit")
@requires(MANAGERS)
def update(item_id: int):
    form = _form()
    try:
        with db().org_session(current_user().org_id) as s:
            name = price_book.update_item(s, item_id, form, actor()).name
    except NotFound:
        abort(404)
    except (ValidationFailed, Conflict) as exc:
        return _render_form(form, item_id=item_id, errors=_errors(exc))
    log.info("price book item updated", extra={"item_id": item_id})
    return _listed(name, "updated")


@bp.post("/<int:item_id>/archive")
@requires(MANAGERS)
def archive(item_id: int):
    try:
        with db().org_session(current_user().org_id) as s:
            price_book.archive_item(s, item_id, actor())
    except NotFound:
        abort(404)
    return redirect("/app/price-book?done=archived")


@bp.post("/<int:item_id>/restore")
@requires(MANAGERS)
def restore(item_id: int):
    try:
        with db().org_session(current_user().org_id) as s:
            name = price_book.restore_item(s, item_id, actor()).name
    except NotFound:
        abort(404)
    return _listed(name, "restored")


# ---- CSV import and export -----------------------------------------------------------------

def _cell(text: str | None) -> str:
    text = text or ""
    return "'" + text if text.startswith(_FORMULA_START) else text


def _csv_response(rows, filename: str) -> Response:
    """A semicolon CSV with a BOM: Excel in Spanish opens it in columns, accents intact."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(rows)
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.get("/export.csv")
@requires(READERS)
def export():
    with db().org_session(current_user().org_id) as s:
        rows = [(_cell(i.code), _cell(i.name), _cell(i.description),
                 SERVICE_LABELS.get(i.service, "") if i.service else "", _cell(i.unit),
                 f"{i.price:.2f}".replace(".", ","), iva_text(i.iva_rate))
                for i in price_book.list_items(s)]
    return _csv_response(rows, "lista-de-precios.csv")


@bp.get("/example.csv")
@requires(MANAGERS)
def example():
    return _csv_response(EXAMPLE_ROWS, "lista-de-precios-ejemplo.csv")


@bp.get("/import")
@requires(MANAGERS)
def import_form():
    return render_template("backoffice/price_book_import.html", report=None, error=None)


@bp.post("/import")
@requires(MANAGERS)
def import_file():
    try:
        data = read_csv_upload(request.files.get("file"))
    except UploadRefused as exc:
        return render_template("backoffice/price_book_import.html", report=None, error=str(exc))
    with db().org_session(current_user().org_id) as s:
        report: ImportReport = import_price_book_csv(s, data, actor())
    log.info("price book imported from CSV", extra={
        "rows": report.rows, "imported": report.created, "failed_rows": len(report.failed_rows)})
    return render_template("backoffice/price_book_import.html", report=report, error=None,
                           skipped=report.rows - report.created)
