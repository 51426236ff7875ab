"""The new-job form staff fill in by hand, checked field by field. No Flask here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from backoffice.forms import FormError
from backoffice.job_board import DESCRIPTION_MAX, parse_technician, parse_window
from core.models import Service, Urgency


@dataclass(frozen=True)
class NewJob:
    data: dict
    window: tuple[datetime, datetime | None] | None


class NewJobErrors(Exception):
    """Every field a person got wrong on the new-job form, field → Spanish message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def parse_new_job(form: dict, customer_ids: set[int], technician_ids: set[int], tz) -> NewJob:
    """Every field checked at once, so the person sees all the problems together."""
    errors: dict[str, str] = {}
    data: dict = {}

    def check(field: str, parse):
        try:
            data[field] = parse()
        except FormError as exc:
            errors[exc.field] = exc.message

    def customer():
        if not form["customer_id"].isdigit() or int(form["customer_id"]) not in customer_ids:
            raise FormError("customer_id", "Elegí un cliente de la lista.")
        return int(form["customer_id"])

    def choice(field: str, kind, message: str, default=None):
        def parse():
            if not form[field] and default is not None:
                return default
            try:
                return kind(form[field])
            except ValueError:
                raise FormError(field, message) from None
        return parse

    def description():
        if not form["description"]:
            raise FormError("description", "Contá brevemente qué hay que hacer.")
        if len(form["description"]) > DESCRIPTION_MAX:
            raise FormError("description", f"La descripción puede tener hasta {DESCRIPTION_MAX} caracteres.")
        return form["description"]

    check("customer_id", customer)
    check("service", choice("service", Service, "Elegí el tipo de trabajo."))
    check("description", description)
    check("urgency", choice("urgency", Urgency, "Elegí la urgencia.", Urgency.NORMAL))
    check("technician_id", lambda: parse_technician(form["technician_id"], technician_ids))
    check("window", lambda: parse_window(form, tz))
    if errors:
        raise NewJobErrors(errors)
    window = data.pop("window")
    return NewJob(data, window)
