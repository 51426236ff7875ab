"""Create organizations (sign-up, seeding), read their settings and let the owner change them."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from itertools import pairwise
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit, es_ar, tenancy
from core.errors import Conflict
from core.models import DEFAULT_BUSINESS_HOURS, IvaCondition, Organization, utcnow
from core.validation import validated

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = {"mon": "lunes", "tue": "martes", "wed": "miércoles", "thu": "jueves", "fri": "viernes",
             "sat": "sábado", "sun": "domingo"}
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def cuit_is_valid(cuit: str) -> bool:
    """AFIP's mod-11 check digit. A remainder giving 10 is never a valid CUIT: AFIP changes the
    prefix (20/27 -> 23, 30 -> 33) instead, so such numbers are refused (as the padrón does)."""
    if not re.fullmatch(r"\d{11}", cuit):
        return False
    weights = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
    total = sum(int(d) * w for d, w in zip(cuit[:10], weights, strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(cuit[10])


def normalize_cuit(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    digits = re.sub(r"[\s.-]", "", value)
    if not cuit_is_valid(digits):
        raise ValueError("CUIT inválido (revisá los 11 dígitos)")
    return digits


def validate_business_hours(hours: dict) -> dict:
    if set(hours) - set(DAYS):
        raise ValueError(f"Días desconocidos: {', '.join(sorted(set(hours) - set(DAYS)))}.")
    clean: dict[str, list[list[str]]] = {}
    for day in DAYS:
        ranges = hours.get(day, [])
        for rng in ranges:
            if len(rng) != 2 or not all(_HHMM.match(t) for t in rng) or rng[0] >= rng[1]:
                raise ValueError(f"Horario inválido el {DAY_NAMES[day]}: usá HH:MM-HH:MM, "
                                 "con la hora de cierre después de la de apertura.")
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


# ---- business data and timing, as the owner edits them (back-office and CLI) ---------------

ORG_IVA_CONDITIONS = (IvaCondition.RESPONSABLE_INSCRIPTO, IvaCondition.MONOTRIBUTO, IvaCondition.EXENTO)
_ALIAS = re.compile(r"^[A-Za-z0-9.-]{6,20}$")
# Bounds of the per-organization burst timing: the same as the deployment's settings.
QUIET_MAX_SECONDS = 120.0
CAP_MAX_SECONDS = 600.0


def cbu_is_valid(cbu: str) -> bool:
    """A CBU or CVU: 22 digits with the BCRA's two check digits (bank block, account block)."""
    if not re.fullmatch(r"\d{22}", cbu):
        return False

    def check(digits: str, weights: tuple[int, ...]) -> int:
        return (10 - sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 10) % 10

    return (check(cbu[:7], (7, 1, 3, 9, 7, 1, 3)) == int(cbu[7])
            and check(cbu[8:21], (3, 9, 7, 1, 3, 9, 7, 1, 3, 9, 7, 1, 3)) == int(cbu[21]))


def _whole_number(value, low: int, high: int, message: str) -> int:
    """A whole number from `low` to `high` as typed in a form ("4", " 12 "); ValueError with
    `message` (for pydantic to put on the field) otherwise."""
    text = str(value if value is not None else "").strip()
    if not text.isdigit() or not low <= int(text) <= high:
        raise ValueError(message)
    return int(text)


def _text(value, max_len: int, message: str) -> str | None:
    text = str(value).strip() if value is not None else ""
    if len(text) > max_len:
        raise ValueError(message)
    return text or None


class BusinessIn(BaseModel):
    """The organization's business data; only the fields given are changed (None clears)."""

    name: str | None = None
    cuit: str | None = None
    iva_condition: IvaCondition | None = None
    punto_de_venta: int | None = None
    iibb: str | None = None
    activity_start: date | None = None
    address: str | None = None
    transfer_alias: str | None = None
    transfer_cbu: str | None = None
    transfer_holder: str | None = None

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, v):
        name = str(v or "").strip()
        if not 2 <= len(name) <= 120:
            raise ValueError("Escribí el nombre del negocio (entre 2 y 120 letras).")
        return name

    @field_validator("cuit", mode="before")
    @classmethod
    def _cuit(cls, v):
        try:
            return normalize_cuit(v)
        except ValueError:
            raise ValueError("Ese CUIT no es válido: revisá los 11 números (por ejemplo 20-11111111-2).") from None

    @field_validator("iva_condition", mode="before")
    @classmethod
    def _iva(cls, v):
        if v not in {c.value for c in ORG_IVA_CONDITIONS}:
            raise ValueError("Elegí la condición frente al IVA.")
        return IvaCondition(v)

    @field_validator("punto_de_venta", mode="before")
    @classmethod
    def _pdv(cls, v):
        return _whole_number(v, 1, 99998, "El punto de venta es un número entre 1 y 99998.")

    @field_validator("iibb", mode="before")
    @classmethod
    def _iibb(cls, v):
        return _text(v, 20, "El número de Ingresos Brutos puede tener hasta 20 caracteres.")

    @field_validator("activity_start", mode="before")
    @classmethod
    def _start(cls, v):
        if v is None or (isinstance(v, str) and not v.strip()):
            return None
        try:
            day = v if isinstance(v, date) else date.fromisoformat(str(v).strip())
        except ValueError:
            raise ValueError("Esa fecha no es válida; usá el formato AAAA-MM-DD.") from None
        if day > date.today() or day.year < 1900:
            raise ValueError("El inicio de actividades tiene que ser una fecha pasada.")
        return day

    @field_validator("address", mode="before")
    @classmethod
    def _address(cls, v):
        return _text(v, 200, "La dirección puede tener hasta 200 caracteres.")

    @field_validator("transfer_alias", mode="before")
    @classmethod
    def _alias(cls, v):
        alias = _text(v, 20, "El alias tiene entre 6 y 20 letras, números, puntos o guiones.")
        if alias is not None and not _ALIAS.match(alias):
            raise ValueError("El alias tiene entre 6 y 20 letras, números, puntos o guiones.")
        return alias

    @field_validator("transfer_cbu", mode="before")
    @classmethod
    def _cbu(cls, v):
        cbu = re.sub(r"[\s.-]", "", str(v or ""))
        if not cbu:
            return None
        if not cbu_is_valid(cbu):
            raise ValueError("El CBU o CVU tiene 22 números; revisalo, que alguno no coincide.")
        return cbu

    @field_validator("transfer_holder", mode="before")
    @classmethod
    def _holder(cls, v):
        return _text(v, 120, "El titular puede tener hasta 120 caracteres.")


def update_business(session: Session, org_id: int, data: BusinessIn | dict,
                    actor: str = "system") -> Organization:
    """Change the business data given in `data` (others stay); audited, in the caller's transaction."""
    data = validated(BusinessIn, data)
    org = session.get(Organization, org_id)
    changed = {}
    for key in sorted(data.model_fields_set):
        value = getattr(data, key)
        if getattr(org, key) != value:
            setattr(org, key, value)
            changed[key] = value.isoformat() if isinstance(value, date) else value
    if changed:
        org.updated_at = utcnow()
        session.flush()
        audit.record(session, actor=actor, action="organization.business", entity_type="organization",
                     entity_id=org.id, data={"changed": changed})
    return org


class TimingIn(BaseModel):
    """Business hours, the owner's summary hour and the burst timing (None: deployment default)."""

    default_quiet_seconds: float = 4.0  # the deployment's, to check a cap set without a quiet window
    business_hours: dict
    summary_hour: int
    burst_quiet_seconds: float | None = None
    burst_cap_seconds: float | None = None

    @field_validator("business_hours")
    @classmethod
    def _hours(cls, v):
        clean = validate_business_hours(v)
        for day, ranges in clean.items():
            for before, after in pairwise(ranges):
                if after[0] < before[1]:
                    raise ValueError(f"Los horarios del {DAY_NAMES[day]} se superponen.")
        return clean

    @field_validator("summary_hour", mode="before")
    @classmethod
    def _summary(cls, v):
        return _whole_number(v, 0, 23, "Elegí una hora entre 0 y 23.")

    @field_validator("burst_quiet_seconds", mode="before")
    @classmethod
    def _quiet(cls, v):
        seconds = _seconds(v)
        if seconds is not None and not 0 < seconds <= QUIET_MAX_SECONDS:
            raise ValueError(f"La espera tiene que ser de más de 0 y hasta {QUIET_MAX_SECONDS:g} segundos.")
        return seconds

    @field_validator("burst_cap_seconds", mode="before")
    @classmethod
    def _cap(cls, v, info: ValidationInfo):
        seconds = _seconds(v)
        if seconds is not None and not 0 < seconds <= CAP_MAX_SECONDS:
            raise ValueError(f"El tope tiene que ser de más de 0 y hasta {CAP_MAX_SECONDS:g} segundos.")
        if "burst_quiet_seconds" not in info.data:
            return seconds  # the quiet window itself is wrong: that is the error to show
        quiet = info.data["burst_quiet_seconds"] or info.data.get("default_quiet_seconds", 4.0)
        if seconds is not None and seconds <= quiet:
            raise ValueError(f"El tope tiene que ser mayor que la espera ({quiet:g} segundos).")
        return seconds


def _seconds(value) -> float | None:
    text = str(value if value is not None else "").strip().replace(",", ".")
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise ValueError("Escribí los segundos como un número, por ejemplo 4 o 2,5.") from None


def update_timing(session: Session, org_id: int, data: TimingIn | dict,
                  actor: str = "system") -> Organization:
    """Set business hours, summary hour and burst timing; audited, in the caller's transaction."""
    data = validated(TimingIn, data)
    org = session.get(Organization, org_id)
    changed = {}
    for key in ("business_hours", "summary_hour", "burst_quiet_seconds", "burst_cap_seconds"):
        value = getattr(data, key)
        if getattr(org, key) != value:
            setattr(org, key, value)
            changed[key] = value
    if changed:
        org.updated_at = utcnow()
        session.flush()
        audit.record(session, actor=actor, action="organization.timing", entity_type="organization",
                     entity_id=org.id, data={"changed": changed})
    return org


def set_summary_hour(session: Session, org_id: int, hour: int, actor: str = "system") -> bool:
    """The hour the owner's daily summary goes out; audited. False when it was that already."""
    hour = _whole_number(hour, 0, 23, "Elegí una hora entre 0 y 23.")
    org = session.get(Organization, org_id)
    if org.summary_hour == hour:
        return False
    before, org.summary_hour, org.updated_at = org.summary_hour, hour, utcnow()
    session.flush()
    audit.record(session, actor=actor, action="organization.timing", entity_type="organization",
                 entity_id=org.id, data={"changed": {"summary_hour": hour}, "from": before})
    return True


def zone_of(session: Session, org_id: int | None) -> ZoneInfo:
    """The organization's time zone (Buenos Aires when there is none). No statement when the
    session holds the organization already, as a burst does from its start."""
    org = session.get(Organization, org_id) if org_id is not None else None
    return es_ar.zone(org.time_zone if org else None)


def set_day_hours(session: Session, org_id: int, days: Iterable[date], ranges: list[tuple[str, str]],
                  *, today: date, actor: str = "system") -> list[date]:
    """`days`' own hours (`ranges`, "HH:MM" pairs: closing early, opening late), instead of
    the weekly ones; a day closed is open again with them. Days already past are dropped. The
    days that changed; audited."""
    org = session.get(Organization, org_id)
    wanted = [[lo, hi] for lo, hi in ranges]
    keys = {day.isoformat() for day in days}
    before = dict(org.day_hours or {})
    changed = sorted(d for d in keys if before.get(d) != wanted or d in (org.closed_days or []))
    hours = {d: r for d, r in before.items() if d >= today.isoformat()}
    hours.update({d: wanted for d in keys})
    if not changed and hours == before:
        return []
    org.day_hours = hours
    org.closed_days = [d for d in org.closed_days or [] if d not in keys]
    org.updated_at = utcnow()
    session.flush()
    if changed:
        audit.record(session, actor=actor, action="organization.day_hours", entity_type="organization",
                     entity_id=org.id, data={"days": changed, "hours": wanted})
    return [date.fromisoformat(d) for d in changed]


def set_days_closed(session: Session, org_id: int, days: Iterable[date], closed: bool, *,
                    today: date, actor: str = "system") -> list[date]:
    """Close the business on `days` beyond its weekly hours (a holiday, a day off, holidays),
    or open them again; days already past are dropped from the list. The days that changed;
    audited."""
    org = session.get(Organization, org_id)
    before = set(org.closed_days or [])
    keys = {day.isoformat() for day in days}
    # "al final mañana trabajamos normal": a day's own hours (closing early) go too
    own_hours = set() if closed else keys & set(org.day_hours or {})
    changed = sorted(keys - before if closed else (keys & before) | own_hours)
    kept = {d for d in before if d >= today.isoformat()}
    wanted = sorted(kept | keys if closed else kept - keys)
    if wanted == list(org.closed_days or []) and not own_hours:
        return []
    org.closed_days = wanted
    if own_hours:
        org.day_hours = {d: r for d, r in org.day_hours.items() if d not in own_hours}
    org.updated_at = utcnow()
    session.flush()
    if changed:
        audit.record(session, actor=actor, action="organization.day_closed" if closed
                     else "organization.day_opened", entity_type="organization",
                     entity_id=org.id, data={"days": changed})
    return [date.fromisoformat(d) for d in changed]
