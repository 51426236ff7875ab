"""Create organizations (sign-up, seeding) and read their settings."""

from __future__ import annotations

import re
from datetime import date

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit, tenancy
from core.errors import Conflict
from core.models import DEFAULT_BUSINESS_HOURS, IvaCondition, Organization
from core.validation import validated

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def cuit_is_valid(cuit: str) -> bool:
    """AFIP's mod-11 check digit."""
    if not re.fullmatch(r"\d{11}", cuit):
        return False
    weights = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
    total = sum(int(d) * w for d, w in zip(cuit[:10], weights, strict=True))
    check = 11 - total % 11
    check = {11: 0, 10: 9}.get(check, check)
    return check == int(cuit[10])


def normalize_cuit(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    digits = re.sub(r"[\s.-]", "", value)
    if not cuit_is_valid(digits):
        raise ValueError("CUIT inválido (revisá los 11 dígitos)")
    return digits


def validate_business_hours(hours: dict) -> dict:
    if set(hours) - set(DAYS):
        raise ValueError(f"días desconocidos: {sorted(set(hours) - set(DAYS))}")
    clean: dict[str, list[list[str]]] = {}
    for day in DAYS:
        ranges = hours.get(day, [])
        for rng in ranges:
            if len(rng) != 2 or not all(_HHMM.match(t) for t in rng) or rng[0] >= rng[1]:
                raise ValueError(f"horario inválido el {day}: {rng}")
        clean[day] = [list(r) for r in sorted(ranges)]
    return clean


class OrganizationIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    name: str = Field(min_length=2, max_length=120)
    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,58}[a-z0-9]$")
    cuit: str | None = None
    iva_condition: IvaCondition = IvaCondition.MONOTRIBUTO
    iibb: str | None = None
    activity_start: date | None = None
    punto_de_venta: int = Field(default=1, ge=1, le=99998)
    address: str | None = None
    wa_phone_number_id: str | None = Field(default=None, pattern=r"^\d{5,40}$")
    wa_display_phone: str | None = None
    time_zone: str = "America/Argentina/Buenos_Aires"
    business_hours: dict = Field(default_factory=lambda: dict(DEFAULT_BUSINESS_HOURS))
    summary_hour: int = Field(default=20, ge=0, le=23)
    # None: the deployment's BURST_QUIET_SECONDS / BURST_MAX_SECONDS.
    burst_quiet_seconds: float | None = Field(default=None, gt=0, le=60)
    burst_cap_seconds: float | None = Field(default=None, gt=0, le=300)

    _cuit = field_validator("cuit")(classmethod(lambda cls, v: normalize_cuit(v)))
    _hours = field_validator("business_hours")(classmethod(lambda cls, v: validate_business_hours(v)))


def create_organization(session: Session, data: OrganizationIn | dict, actor: str = "system") -> Organization:
    """Insert the organization and switch `session` into it, in the caller's transaction.

    The session must be a system session; afterwards it is scoped to the new organization.
    """
    data = validated(OrganizationIn, data)
    if session.scalar(select(Organization.id).where(Organization.slug == data.slug)):
        raise Conflict(f"Ya existe una organización con el identificador '{data.slug}'.")
    if data.wa_phone_number_id and session.scalar(
        select(Organization.id).where(Organization.wa_phone_number_id == data.wa_phone_number_id)
    ):
        raise Conflict("Ese número de WhatsApp ya está conectado a otra organización.")
    org = Organization(**data.model_dump())
    session.add(org)
    session.flush()
    tenancy.enter_org(session, org.id)
    audit.record(session, actor=actor, action="organization.create", entity_type="organization",
                 entity_id=org.id, data={"name": org.name, "slug": org.slug})
    return org


def find_by_phone_number_id(session: Session, phone_number_id: str) -> Organization | None:
    return session.scalar(select(Organization).where(Organization.wa_phone_number_id == phone_number_id))


def find_by_slug(session: Session, slug: str) -> Organization | None:
    return session.scalar(select(Organization).where(Organization.slug == slug))


def all_organization_ids(session: Session) -> list[int]:
    return list(session.scalars(select(Organization.id).order_by(Organization.id)))
