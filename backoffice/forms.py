"""Parsing what staff type into forms: Argentine amounts, dates, reply texts. No Flask here."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from core.messaging.replies import MAX_TEXT

# "15.000,50", "15000,5", "$ 1.500.000" (dots group thousands, the comma is the decimal mark)
_AR = re.compile(r"^\d{1,3}(\.\d{3})+(,\d{1,2})?$|^\d+(,\d{1,2})?$")
# "15000.50", "15,000.50" (the other way round, as a calculator or a bank export writes it)
_EN = re.compile(r"^\d{1,3}(,\d{3})+(\.\d{1,2})?$|^\d+(\.\d{1,2})?$")


# "12/11/2026", "12/11/26", "1-2-2026", "12.11.2026": day, month, year
_DAY_FIRST = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})$")


class FormError(ValueError):
    """A field a person typed that we cannot take; the message is shown to them as is."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def parse_amount(text: str | None) -> Decimal:
    """"15.000,50", "15000,50", "15000.50", "$ 15.000" → Decimal; FormError otherwise."""
    raw = re.sub(r"[\s$]", "", text or "")
    if not raw:
        raise FormError("amount", "Escribí el monto.")
    if _AR.match(raw):
        value = raw.replace(".", "").replace(",", ".")
    elif _EN.match(raw):
        value = raw.replace(",", "")
    else:
        raise FormError("amount", "No entendí el monto: escribilo como 15.000,50 o 15000.50.")
    try:
        return Decimal(value)
    except InvalidOperation:
        raise FormError("amount", "No entendí el monto: escribilo como 15.000,50 o 15000.50.") from None


def parse_date(text: str | None, field: str) -> date | None:
    """A date as people here write it, day first ("12/11/2026", "12-11-26", "12.11.2026"), or
    the ISO form links carry ("2026-11-12"); empty is None."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        found = _DAY_FIRST.match(text)
        if found:
            day, month, year = (int(part) for part in found.groups())
            return date(year + 2000 if year < 100 else year, month, day)
        return date.fromisoformat(text)
    except ValueError:
        raise FormError(field, "Esa fecha no es válida: escribila como dd/mm/aaaa, por ejemplo 24/11/2026.") from None


def reply_text(text: str | None) -> str:
    """A staff reply: 1 to 4096 characters, not only blanks."""
    body = (text or "").strip()
    if not body:
        raise FormError("body", "Escribí el mensaje antes de mandarlo.")
    if len(body) > MAX_TEXT:
        raise FormError("body", f"El mensaje puede tener hasta {MAX_TEXT} caracteres "
                                f"(el tuyo tiene {len(body)}).")
    return body


@dataclass(frozen=True)
class InvoiceFilters:
    status: str | None = None
    customer: str | None = None
    date_from: date | None = None
    date_to: date | None = None


def invoice_filters(args, statuses: set[str]) -> InvoiceFilters:
    status = (args.get("status") or "").strip() or None
    if status is not None and status not in statuses:
        raise FormError("status", "Ese estado no existe.")
    customer = (args.get("customer") or "").strip()[:120] or None
    return InvoiceFilters(status, customer, parse_date(args.get("from"), "from"),
                          parse_date(args.get("to"), "to"))
