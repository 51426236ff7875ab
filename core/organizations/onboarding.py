"""The new owner's first steps: what is still missing before CampoTech works for their business."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import audit
from core.errors import SecretError
from core.models import DEFAULT_BUSINESS_HOURS, Organization, OrgSecret, PriceBookItem, Role, User
from core.settings import Settings
from core.vault import Vault


@dataclass(frozen=True)
class Item:
    key: str
    title_es: str
    done: bool
    hint_es: str
    url: str


def _secret_names(session: Session) -> set[str]:
    return set(session.scalars(select(OrgSecret.name)))


def _opens(session: Session, settings: Settings, name: str) -> bool:
    """A secret that is stored and opens with our keys (one sealed under a lost key is no use)."""
    try:
        return bool(Vault(settings.encryption_keys).load(session, name))
    except SecretError:
        return False


def hours_confirmed(org: Organization) -> bool:
    """Done when the owner confirmed them, or changed them from the defaults we start with.

    Untouched defaults may be right, but we cannot tell from the data: the owner says so with
    one click (`confirm_hours`); any edit to the hours counts as the same answer.
    """
    return org.hours_confirmed_at is not None or (org.business_hours or {}) != DEFAULT_BUSINESS_HOURS


def checklist(session: Session, org: Organization, settings: Settings) -> list[Item]:
    """The six steps, in the order we suggest them; `session` is scoped to `org`."""
    secrets = _secret_names(session)
    has_prices = bool(session.scalar(
        select(func.count(PriceBookItem.id)).where(PriceBookItem.archived.is_(False))))
    has_technician = bool(session.scalar(
        select(func.count(User.id)).where(User.role == Role.TECHNICIAN, User.active.is_(True),
                                          User.phone.is_not(None), User.phone != "")))
    return [
        Item("whatsapp", "Conectá tu número de WhatsApp",
             bool(org.wa_phone_number_id) and "whatsapp_token" in secrets
             and _opens(session, settings, "whatsapp_token"),
             "Así tus clientes le escriben al número de tu negocio y el bot les contesta.",
             "/app/settings"),
        Item("afip", "Cargá tu certificado de AFIP",
             bool(org.cuit) and {"afip_certificate", "afip_key"} <= secrets,
             "Con tu CUIT, el certificado y la clave, las facturas salen con CAE.",
             "/app/settings"),
        Item("payments", "Elegí cómo te pagan",
             "mercadopago_token" in secrets or bool(org.transfer_alias or org.transfer_cbu),
             "Conectá Mercado Pago o, al menos, cargá tu alias o CBU para transferencias.",
             "/app/settings"),
        Item("price_book", "Armá tu lista de precios", has_prices,
             "Con tus precios cargados, el bot arma los presupuestos y las facturas solo.",
             "/app/price-book"),
        Item("technicians", "Sumá a tus técnicos", has_technician,
             "Con su celular cargado, reciben los trabajos y los actualizan por WhatsApp.",
             "/app/team"),
        Item("hours", "Confirmá tu horario de atención", hours_confirmed(org),
             "Fuera de horario, el bot avisa cuándo vuelven a atender.",
             "/app/settings"),
    ]


def confirm_hours(session: Session, org: Organization, at: datetime, actor: str) -> None:
    """The owner looked at the business hours and they are right as they are."""
    org.hours_confirmed_at = at
    session.flush()
    audit.record(session, actor=actor, action="organization.hours_confirmed",
                 entity_type="organization", entity_id=org.id, data={"hours": org.business_hours})
