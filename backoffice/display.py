"""How the back-office shows domain values in Spanish: statuses, roles, pesos, people, dates.

Dates are always day first: `short_date` ("12/11/2026") for whole dates, `date_time`
("12/11/2026 14:05") and `day_time` ("12/11 14:05") for moments, in the organization's zone.
Templates reach them as filters (`{{ invoice.issue_date|short_date }}`); people are shown by
name, and by their local number ("11 5555-0000") only when there is no name.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import g, has_request_context

from core import es_ar
from core.es_ar import aware, clock_hm, local_phone, pesos, zone
from core.models import InvoiceStatus, PaymentMethod, Role

INVOICE_STATUS = {
    InvoiceStatus.DRAFT: "borrador",
    InvoiceStatus.PENDING: "esperando a AFIP",
    InvoiceStatus.AUTHORIZED: "autorizada",
    InvoiceStatus.REJECTED: "rechazada por AFIP",
    InvoiceStatus.INTERNAL: "recibo interno",
    InvoiceStatus.CANCELLED: "anulada",
}
ROLE = {
    Role.OWNER: "dueño/a",
    Role.ADMIN: "administración",
    Role.DISPATCHER: "despacho",
    Role.TECHNICIAN: "técnico/a",
    Role.VIEWER: "solo lectura",
}
PAYMENT_METHOD = {
    PaymentMethod.CASH: "efectivo",
    PaymentMethod.TRANSFER: "transferencia",
    PaymentMethod.MERCADOPAGO: "Mercado Pago",
}
WEEKDAYS_SHORT = ("lun", "mar", "mié", "jue", "vie", "sáb", "dom")
NO_NAME = "sin nombre"


# ---- moments ---------------------------------------------------------------------------------

def current_zone() -> ZoneInfo:
    """The signed-in person's organization's zone (looked up once per request); Buenos Aires
    outside a request or before signing in."""
    if not has_request_context():
        return zone(None)
    if "bo_zone" not in g:
        from backoffice.extensions import db
        from backoffice.security import current_user
        from core.models import Organization

        user = current_user()
        name = None
        if user is not None:
            with db().org_session(user.org_id) as s:
                org = s.get(Organization, user.org_id)
                name = org.time_zone if org else None
        g.bo_zone = zone(name)
    return g.bo_zone


def _local(value: datetime, tz: ZoneInfo | None) -> datetime:
    return aware(value).astimezone(tz or current_zone())


def local_time(value: datetime | None, tz: ZoneInfo | None = None, fmt: str = "%d/%m %H:%M") -> str:
    if not value:
        return ""
    return _local(value, tz).strftime(fmt)


def short_date(value: date | datetime | str | None, tz: ZoneInfo | None = None) -> str:
    """12/11/2026. A moment is first moved to the organization's zone; an ISO text is read."""
    if not value:  # None, "", or a template's undefined
        return ""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return value  # what someone typed and we could not read: shown back as typed
    if isinstance(value, datetime):
        value = _local(value, tz).date()
    return es_ar.short_date(value)


def date_time(value: datetime | None, tz: ZoneInfo | None = None) -> str:
    """12/11/2026 14:05, local."""
    return local_time(value, tz, "%d/%m/%Y %H:%M")


def day_time(value: datetime | None, tz: ZoneInfo | None = None) -> str:
    """12/11 14:05, local: for recent moments, where the year goes without saying."""
    return local_time(value, tz, "%d/%m %H:%M")


def weekday_time(value: datetime, tz: ZoneInfo | None = None) -> str:
    """"jue 12/11 9:00", local."""
    moment = _local(value, tz)
    return f"{WEEKDAYS_SHORT[moment.weekday()]} {moment:%d/%m} {clock_hm(moment)}"


# ---- people -----------------------------------------------------------------------------------

def person(name: str | None, phone: str | None = None) -> str:
    """A person as staff read them: the name, else the local number, else "sin nombre"."""
    return (name or "").strip() or local_phone(phone) or NO_NAME


# ---- for templates ----------------------------------------------------------------------------

FILTERS = {
    "short_date": short_date,
    "date_time": date_time,
    "day_time": day_time,
    "local_phone": local_phone,
}


def helpers() -> dict:
    """Context for every back-office template."""
    return {
        "pesos": pesos,
        "local_time": local_time,
        "invoice_status_label": lambda s: INVOICE_STATUS.get(InvoiceStatus(s), str(s)),
        "role_label": lambda r: ROLE.get(Role(r), str(r)),
        "method_label": lambda m: PAYMENT_METHOD.get(PaymentMethod(m), str(m)),
    }
