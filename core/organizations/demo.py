"""The demo organization that `make run` seeds once: a small plumbing and gas business."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy.orm import Session

from core.billing.price_book import create_item
from core.db import Database
from core.identity.users import create_user
from core.models import Organization
from core.organizations import create_organization, find_by_slug, update_business
from core.settings import MERCADOPAGO_SANDBOX_TOKEN_PREFIX, Settings
from core.tenancy import current_org_id, enter_org
from core.vault import Vault

DEMO_SLUG = "demo"

DEMO_ORGANIZATION = {
    "name": "Plomería y Gas Demo",
    "slug": DEMO_SLUG,
    "cuit": "20314567898",
    "iva_condition": "monotributo",
    "punto_de_venta": 3,
    "address": "Av. Avellaneda 2150, Flores, CABA",
    # The sandbox stands in for Meta with this phone_number_id until a real number is connected.
    "wa_phone_number_id": "100000000000001",
    "wa_display_phone": "+54 9 11 5555-0100",
    "time_zone": "America/Argentina/Buenos_Aires",
    # Split shift on weekdays (lunch break), Saturday mornings, Sunday closed.
    "business_hours": {
        "mon": [["08:00", "13:00"], ["14:00", "19:00"]],
        "tue": [["08:00", "13:00"], ["14:00", "19:00"]],
        "wed": [["08:00", "13:00"], ["14:00", "19:00"]],
        "thu": [["08:00", "13:00"], ["14:00", "19:00"]],
        "fri": [["08:00", "13:00"], ["14:00", "19:00"]],
        "sat": [["09:00", "13:00"]],
        "sun": [],
    },
    "summary_hour": 20,
}


# How customers pay the demo: a bank transfer, or Mercado Pago through the local stand-in
# (/sandbox/mercadopago), which a sandbox token selects; see `_set_up_payments`.
DEMO_TRANSFER = {
    "transfer_alias": "plomeria.demo",
    "transfer_cbu": "0720123900000045678901",
    "transfer_holder": "Roberto Gómez",
}


@dataclass(frozen=True)
class DemoLogin:
    role: str
    name: str
    email: str
    password: str


# Demo credentials are printed on every `make run`; they only exist in the local database.
DEMO_LOGINS = (
    DemoLogin("owner", "Roberto Gómez", "duenio@demo.campotech.com.ar", "demo-duenio-2026"),
    DemoLogin("admin", "Lucía Fernández", "admin@demo.campotech.com.ar", "demo-admin-2026"),
)

# (name, phone, on call): emergencies go to the one on call first.
DEMO_TECHNICIANS = (
    ("Carlos Pereyra", "+5491162345678", True),
    ("Diego Acosta", "+5491171234567", False),
)

# (code, name, price in ARS, unit, service) at 2026 Buenos Aires prices, IVA included.
DEMO_PRICE_BOOK = (
    ("VIS-01", "Visita de diagnóstico", "35000", "visita", "other"),
    ("VIS-02", "Visita de urgencia fuera de horario", "65000", "visita", "other"),
    ("MO-HORA", "Mano de obra por hora", "30000", "hora", "other"),
    ("PL-FLEX40", "Flexible mallado 40 cm", "9500", "unidad", "plumbing"),
    ("PL-FLEXMO", "Cambio de flexible (mano de obra)", "18000", "servicio", "plumbing"),
    ("PL-CUERITO", "Cambio de cuerito", "22000", "servicio", "plumbing"),
    ("PL-CANILLA", "Canilla monocomando de cocina", "85000", "unidad", "plumbing"),
    ("PL-CANMO", "Instalación de canilla o grifería", "40000", "servicio", "plumbing"),
    ("PL-DEST", "Destapación de cañería con máquina", "90000", "servicio", "plumbing"),
    ("PL-DESTINO", "Destapación de inodoro", "55000", "servicio", "plumbing"),
    ("PL-MOCHILA", "Reparación de mochila de inodoro", "38000", "servicio", "plumbing"),
    ("PL-ESFERICA", "Llave esférica 1/2\"", "14000", "unidad", "plumbing"),
    ("GAS-TERMO", "Service de termotanque", "70000", "servicio", "gas"),
    ("GAS-CALEF", "Service de calefactor", "55000", "servicio", "gas"),
    ("GAS-PERDIDA", "Detección y reparación de pérdida de gas", "95000", "servicio", "gas"),
    ("EL-DISY", "Disyuntor diferencial bipolar 40 A", "42000", "unidad", "electrical"),
    ("EL-DISYMO", "Instalación de disyuntor", "45000", "servicio", "electrical"),
    ("EL-TOMA", "Cambio de tomacorriente", "18000", "servicio", "electrical"),
    ("EL-TERMICA", "Llave térmica bipolar 20 A", "16000", "unidad", "electrical"),
    ("CER-CAMBIO", "Cambio de cerradura", "48000", "servicio", "locksmith"),
    ("CER-APERTURA", "Apertura de puerta", "60000", "servicio", "locksmith"),
    ("AA-SERVICE", "Service de aire acondicionado split", "75000", "servicio", "hvac"),
    ("AA-CARGA", "Carga de gas refrigerante R410A", "110000", "servicio", "hvac"),
)


@dataclass(frozen=True)
class DemoSeed:
    org_id: int
    created: bool
    logins: tuple[DemoLogin, ...] = field(default=DEMO_LOGINS)

    def __str__(self) -> str:
        state = "created" if self.created else "already there"
        return f"demo organization {self.org_id} ({state})"


DEMO_OWNER_PHONE = "+5491155550100"


class DemoRefused(Exception):
    """The demo's logins and passwords are published: never in production."""


def seed_demo(db: Database, phone_number_id: str | None = None) -> DemoSeed:
    """Create the demo organization with its team and price book, unless it exists already.

    Everything is written in one transaction: a failure leaves no half-seeded organization.
    Refused with ENV=production, where its published passwords would be a way in.
    """
    if db.settings.env == "production":
        raise DemoRefused("the demo organization's logins are published: not in production")
    with db.system_session() as session:
        existing = find_by_slug(session, DEMO_SLUG)
        if existing is not None:
            # A demo seeded before it had ways to pay gets them now.
            enter_org(session, existing.id)
            _set_up_payments(session, db.settings)
            return DemoSeed(org_id=existing.id, created=False)
        values = dict(DEMO_ORGANIZATION)
        if phone_number_id:
            values["wa_phone_number_id"] = phone_number_id
        org = create_organization(session, values, actor="seed")
        for login in DEMO_LOGINS:
            # The owner has a WhatsApp number too: daily summaries and alerts go there.
            phone = DEMO_OWNER_PHONE if login.role == "owner" else None
            create_user(session, {"name": login.name, "role": login.role, "email": login.email,
                                  "password": login.password, "phone": phone}, actor="seed")
        for name, phone, on_call in DEMO_TECHNICIANS:
            create_user(session, {"name": name, "role": "technician", "phone": phone,
                                  "on_call": on_call}, actor="seed")
        for code, name, price, unit, service in DEMO_PRICE_BOOK:
            create_item(session, {"code": code, "name": name, "price": Decimal(price), "unit": unit,
                                  "service": service}, actor="seed")
        _set_up_payments(session, db.settings)
        return DemoSeed(org_id=org.id, created=True)


def _set_up_payments(session: Session, settings: Settings) -> None:
    """Transfer details and a sandbox Mercado Pago account (token and webhook secret, sealed in
    the vault), unless the organization already has a way to be paid: then nothing changes."""
    org = session.get(Organization, current_org_id(session))
    vault = Vault(settings.encryption_keys)
    if org.transfer_alias or org.transfer_cbu or vault.load(session, "mercadopago_token"):
        return
    update_business(session, org.id, DEMO_TRANSFER, actor="seed")
    if settings.mercadopago_sandbox:
        vault.store(session, "mercadopago_token",
                    MERCADOPAGO_SANDBOX_TOKEN_PREFIX + secrets.token_hex(16), actor="seed")
        vault.store(session, "mercadopago_webhook_secret", secrets.token_hex(32), actor="seed")
