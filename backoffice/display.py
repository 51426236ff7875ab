"""How the back-office shows domain values in Spanish: statuses, roles, pesos, local times."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from core.es_ar import pesos, zone
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


def local_time(value: datetime | None, tz: ZoneInfo | None = None, fmt: str = "%d/%m %H:%M") -> str:
    if value is None:
        return ""
    return value.astimezone(tz or zone(None)).strftime(fmt)


def helpers() -> dict:
    """Context for every back-office template."""
    return {
        "pesos": pesos,
        "local_time": local_time,
        "invoice_status_label": lambda s: INVOICE_STATUS.get(InvoiceStatus(s), str(s)),
        "role_label": lambda r: ROLE.get(Role(r), str(r)),
        "method_label": lambda m: PAYMENT_METHOD.get(PaymentMethod(m), str(m)),
    }
