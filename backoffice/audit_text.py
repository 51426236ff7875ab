"""The data an audit entry recorded, said in Spanish: names for ids, labels for codes, local
times for stamps, and nothing a person cannot read (internal ids are left out)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.display import (
    INVOICE_STATUS,
    PAYMENT_METHOD,
    ROLE,
    day_time,
    person,
    short_date,
    weekday_time,
)
from backoffice.job_board import service_label, status_label, urgency_label
from backoffice.people import user_names
from core.es_ar import clock_hm, pesos
from core.models import AuditEntry, Customer, InvoiceStatus

MAX_DETAILS = 8
MAX_VALUE = 120
ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
KEY_LABELS = {
    "number": "Número", "customer_id": "Cliente", "technician_id": "Técnico", "service": "Servicio",
    "urgency": "Urgencia", "status": "Estado", "invoice_status": "Estado", "eta_at": "Llega", "eta_minutes": "Llega en",
    "amount": "Monto", "total": "Total", "net": "Neto", "method": "Medio de pago", "note": "Nota",
    "name": "Nombre", "phone": "Teléfono", "email": "Correo", "role": "Rol", "address": "Dirección",
    "reason": "Motivo", "error": "Error", "cae": "CAE", "letter": "Letra", "stars": "Estrellas",
    "created": "Nuevos", "updated": "Actualizados", "skipped": "Salteados", "rows": "Filas",
    "fields": "Datos", "changed": "Cambió", "active": "Activo", "on_call": "De guardia",
}
# Kept in the trail for machines, not for people reading it.
HIDDEN_KEYS = {"message_ids", "chars", "payment_id", "invoice_id", "job_id", "user_id", "conversation_id",
               "preference_id", "external_reference", "hash", "key"}


def _status(value: str) -> str:
    """A job's status or an invoice's, whichever the code is."""
    try:
        return status_label(value)
    except ValueError:
        return INVOICE_STATUS.get(InvoiceStatus(value), value)


VALUE_LABELS = {
    "status": _status,
    "invoice_status": lambda v: INVOICE_STATUS.get(InvoiceStatus(v), v), "service": service_label, "urgency": urgency_label,
    "method": lambda v: PAYMENT_METHOD.get(v, str(v)), "role": lambda v: ROLE.get(v, str(v)),
}
MONEY_KEYS = {"amount", "total", "net"}


@dataclass(frozen=True)
class Lookups:
    """Names the entries' data point at, read once for a page of entries."""
    users: dict[int, str]
    customers: dict[int, str]
    tz: ZoneInfo


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def lookups(session: Session, entries: Iterable[AuditEntry], tz: ZoneInfo) -> Lookups:
    entries = list(entries)
    user_ids, customer_ids = set(), set()
    for e in entries:
        data = e.data or {}
        if e.action == "job.assign":
            user_ids |= {_int(data.get("from")), _int(data.get("to"))}
        user_ids.add(_int(data.get("technician_id")))
        customer_ids.add(_int(data.get("customer_id")))
    customer_ids.discard(None)
    customers = {}
    if customer_ids:
        rows = session.execute(select(Customer.id, Customer.name, Customer.phone).where(Customer.id.in_(customer_ids)))
        customers = {i: person(name, phone) for i, name, phone in rows}
    return Lookups(user_names(session, user_ids - {None}), customers, tz)


def _cut(text: str) -> str:
    return text if len(text) <= MAX_VALUE else text[:MAX_VALUE - 1] + "…"


def _moment(text: str, tz: ZoneInfo) -> str | None:
    if ISO_DAY.match(text):
        return short_date(text)
    if ISO_MOMENT.match(text):
        try:
            return day_time(datetime.fromisoformat(text), tz)
        except ValueError:
            return None
    return None


def value_text(key: str, value: Any, names: Lookups) -> str:
    """One recorded value as a person reads it."""
    if value is None or value == "":
        return "—"
    if key == "customer_id" and _int(value) is not None:
        return names.customers.get(value, "un cliente borrado")
    if key == "technician_id" and _int(value) is not None:
        return names.users.get(value, "alguien que ya no está")
    if key in VALUE_LABELS and isinstance(value, str):
        try:
            return VALUE_LABELS[key](value)
        except ValueError:
            return value
    if key in MONEY_KEYS and not isinstance(value, bool):
        try:
            return pesos(Decimal(str(value)))
        except InvalidOperation:
            pass
    if key == "eta_minutes" and _int(value) is not None:
        return f"{value} min"
    if isinstance(value, bool):
        return "sí" if value else "no"
    if isinstance(value, datetime):
        return day_time(value, names.tz)
    if isinstance(value, date):
        return short_date(value)
    if isinstance(value, str):
        return _cut(_moment(value, names.tz) or value)
    if isinstance(value, dict) and set(value) <= {"from", "to"}:
        return f"{value_text(key, value.get('from'), names)} → {value_text(key, value.get('to'), names)}"
    if isinstance(value, dict):
        return _cut(", ".join(f"{KEY_LABELS.get(k, k)}: {value_text(k, v, names)}"
                              for k, v in value.items() if k not in HIDDEN_KEYS))
    if isinstance(value, list | tuple):
        return _cut(", ".join(value_text(key, v, names) for v in value))
    return _cut(str(value))


def window_phrase(window: Any, tz: ZoneInfo) -> str | None:
    """["2026-11-12T12:00:00+00:00", "...14:00..."] → "jue 12/11 9:00 a 11:00"; None when empty."""
    if not isinstance(window, list | tuple) or not window or not isinstance(window[0], str):
        return None
    try:
        start = datetime.fromisoformat(window[0])
        end = datetime.fromisoformat(window[1]) if len(window) > 1 and isinstance(window[1], str) else None
    except ValueError:
        return None
    text = weekday_time(start, tz)
    if end is not None:
        text += f" a {clock_hm(end.astimezone(tz))}"
    return text


def _assign(data: dict, names: Lookups) -> list[tuple[str, str]]:
    def who(v):
        return "sin técnico" if v is None else names.users.get(v, "alguien que ya no está")
    return [("Técnico", f"{who(data.get('from'))} → {who(data.get('to'))}")]


def _schedule(data: dict, names: Lookups) -> list[tuple[str, str]]:
    before, after = window_phrase(data.get("from"), names.tz), window_phrase(data.get("to"), names.tz)
    if before:
        return [("Visita", f"{before} → {after or '—'}")]
    return [("Visita", after or "—")]


SPECIAL = {"job.assign": _assign, "job.scheduled": _schedule, "job.rescheduled": _schedule}


def detail_pairs(action: str, data: dict | None, names: Lookups) -> list[tuple[str, str]]:
    """"label: value" pairs for one entry: blanks and internal ids left out, long values cut,
    at most MAX_DETAILS of them."""
    data = data or {}
    if action in SPECIAL:
        return SPECIAL[action](data, names)
    items = [(k, v) for k, v in data.items() if v not in (None, "", [], {}) and k not in HIDDEN_KEYS
             and not (k.endswith("_id") and k not in ("customer_id", "technician_id"))]
    if action.startswith(("invoice.", "payment.")):  # their "status" is the invoice's
        items = [("invoice_status" if k == "status" else k, v) for k, v in items]
    if action == "job.status" and isinstance(data.get("from"), str):
        items = [("status", {"from": data.get("from"), "to": data.get("to")})] + [
            (k, v) for k, v in items if k not in ("from", "to")]
    shown = [(KEY_LABELS.get(str(k), str(k).replace("_", " ").capitalize()), value_text(str(k), v, names))
             for k, v in items[:MAX_DETAILS]]
    if len(items) > MAX_DETAILS:
        shown.append(("…", f"y {len(items) - MAX_DETAILS} datos más"))
    return shown
