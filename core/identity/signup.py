"""Self-service sign-up: a new business and its owner, created once their WhatsApp is verified.

The form is checked here (Spanish messages per field), then kept for 30 minutes with the
password already hashed while the owner types the code we sent (`services/pending_signups.py`);
only then do the organization and the owner exist.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from pydantic import EmailStr, TypeAdapter, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.errors import ValidationFailed
from core.identity.users import create_user, find_by_email
from core.models import Organization, Role, Service, User
from core.organizations import create_organization
from core.phones import normalize_phone

MIN_PASSWORD = 10
MAX_PASSWORD = 200
TRADES = {
    Service.PLUMBING: "Plomería",
    Service.ELECTRICAL: "Electricidad",
    Service.GAS: "Gas",
    Service.HVAC: "Aire acondicionado y calefacción",
    Service.LOCKSMITH: "Cerrajería",
    Service.OTHER: "Otro oficio",
}
PHONE_EXAMPLE = "11 5555-0101"
_email = TypeAdapter(EmailStr)


class SignupInvalid(Exception):
    """The form cannot be taken; `errors` maps each field to what to fix, in Spanish."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class SignupForm:
    business_name: str
    trade: Service
    owner_name: str
    email: str
    phone: str  # E.164, an Argentine mobile (+549...)


@dataclass(frozen=True)
class PendingSignup:
    token: str
    form: SignupForm
    password_hash: str


def whatsapp_mobile(raw: str) -> str:
    """An Argentine mobile as WhatsApp knows it ('+549' + area + number).

    People write their mobile the way they say it ("11 5555-0101"), without the 9 or the 15
    that tell it from a landline; this field asks for their WhatsApp, so it is a mobile.
    """
    phone = normalize_phone(raw)
    if not phone.startswith("+54"):
        raise ValidationFailed("Por ahora solo tomamos celulares de Argentina.", {"phone": "country"})
    if not phone.startswith("+549"):
        phone = "+549" + phone[3:]
    return phone


def parse_form(form: Mapping[str, str]) -> tuple[SignupForm, str]:
    """The sign-up form and its password, or SignupInvalid listing every field to fix."""
    errors: dict[str, str] = {}
    business = " ".join((form.get("business_name") or "").split())
    owner = " ".join((form.get("owner_name") or "").split())
    email = (form.get("email") or "").strip().lower()
    password = form.get("password") or ""
    if len(business) < 2:
        errors["business_name"] = "Escribí el nombre de tu negocio."
    elif len(business) > 120:
        errors["business_name"] = "El nombre puede tener hasta 120 caracteres."
    trade = None
    try:
        trade = Service(form.get("trade") or "")
    except ValueError:
        errors["trade"] = "Elegí a qué se dedica tu negocio."
    if len(owner) < 2:
        errors["owner_name"] = "Escribí tu nombre y apellido."
    elif len(owner) > 120:
        errors["owner_name"] = "Tu nombre puede tener hasta 120 caracteres."
    if not email:
        errors["email"] = "Escribí tu email: lo vas a usar para entrar."
    else:
        try:
            email = str(_email.validate_python(email)).lower()
        except ValidationError:
            errors["email"] = "Ese email no parece válido; revisalo (ej.: nombre@gmail.com)."
        if len(email) > 254:
            errors["email"] = "Ese email es demasiado largo."
    if len(password) < MIN_PASSWORD:
        errors["password"] = f"La contraseña tiene que tener al menos {MIN_PASSWORD} caracteres."
    elif len(password) > MAX_PASSWORD:
        errors["password"] = f"La contraseña puede tener hasta {MAX_PASSWORD} caracteres."
    elif email and password.strip().lower() == email:
        errors["password"] = "La contraseña no puede ser tu email."
    phone = ""
    raw_phone = (form.get("phone") or "").strip()
    if not raw_phone:
        errors["phone"] = f"Escribí tu celular con WhatsApp, por ejemplo {PHONE_EXAMPLE}."
    else:
        try:
            phone = whatsapp_mobile(raw_phone[:40])
        except ValidationFailed as exc:
            if exc.errors.get("phone") == "country":
                errors["phone"] = "Por ahora solo tomamos celulares de Argentina."
            else:
                errors["phone"] = (f"No parece un celular válido: escribilo con la característica, "
                                   f"por ejemplo {PHONE_EXAMPLE}.")
    if errors:
        raise SignupInvalid(errors)
    return SignupForm(business, trade, owner, email, phone), password


def email_in_use(session: Session, email: str) -> bool:
    """Logins are global: `session` is the read-only system scope."""
    return find_by_email(session, email) is not None


# -- the account ------------------------------------------------------------------------------

def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:50].strip("-")
    return slug if len(slug) >= 3 else f"negocio-{slug}".strip("-")


def unique_slug(session: Session, name: str) -> str:
    base = slugify(name)
    taken = set(session.scalars(select(Organization.slug).where(Organization.slug.like(f"{base}%"))))
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def complete(session: Session, pending: PendingSignup, verified_at: datetime) -> User:
    """Create the organization and its owner in the caller's transaction; returns the owner.

    `session` starts as the system scope and ends inside the new organization. Raises
    core.errors.Conflict when the email was taken while the code travelled.
    """
    form = pending.form
    org = create_organization(session, {"name": form.business_name,
                                         "slug": unique_slug(session, form.business_name)},
                              actor="signup")
    org.trade = form.trade
    owner = create_user(session, {"name": form.owner_name, "role": Role.OWNER, "email": form.email,
                                  "phone": form.phone}, actor="signup")
    owner.password_hash = pending.password_hash
    owner.phone_verified_at = verified_at
    session.flush()
    audit.record(session, actor=f"user:{owner.id}", action="signup.complete",
                 entity_type="organization", entity_id=org.id,
                 data={"trade": form.trade.value, "owner_id": owner.id, "phone_verified": True})
    return owner
