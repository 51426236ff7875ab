"""Settings: business data and hours (owner and admin), connections and secrets (owner only)."""

from __future__ import annotations

import logging
import re
from datetime import UTC, date, datetime, timedelta

from flask import Blueprint, abort, redirect, render_template, request

from backoffice.display import local_time, short_date, zone
from backoffice.extensions import db, dispatcher, redis, settings
from backoffice.forms import FormError, parse_date
from backoffice.security import MANAGERS, OWNER, actor, current_user, requires
from backoffice.uploads import UploadRefused, read_upload
from core import es_ar
from core.errors import Conflict, ValidationFailed
from core.models import Organization, Role
from core.organizations import (
    DAY_NAMES,
    DAYS,
    ORG_IVA_CONDITIONS,
    set_days_closed,
    update_business,
    update_timing,
)
from core.organizations.connections import (
    MANAGED_SECRETS,
    delete_secret,
    secret_states,
    store_afip_credentials,
    store_typed_secret,
    stored_certificate,
    update_whatsapp_number,
)
from core.vault import Vault
from services import connection_status

bp = Blueprint("org_settings", __name__, url_prefix="/settings")
log = logging.getLogger("campotech.backoffice.settings")

BUSINESS_FIELDS = ("name", "cuit", "iva_condition", "punto_de_venta", "iibb", "activity_start",
                   "address", "transfer_alias", "transfer_cbu", "transfer_holder")
IVA_LABELS = {"responsable_inscripto": "Responsable inscripto", "monotributo": "Monotributo",
              "exento": "Exento"}
SECRET_LABELS = {
    "whatsapp_token": "Token de acceso", "whatsapp_app_secret": "Clave secreta de la app",
    "afip_certificate": "Certificado", "afip_key": "Clave privada",
    "mercadopago_token": "Access Token", "mercadopago_webhook_secret": "Clave secreta de notificaciones",
}
DONE = {
    "business": "Listo, guardamos los datos del negocio.",
    "hours": "Listo, guardamos los horarios.",
    "whatsapp": "Listo, guardamos la conexión con WhatsApp.",
    "afip": "Listo, guardamos el certificado y la clave de AFIP.",
    "mercadopago": "Listo, guardamos la conexión con Mercado Pago.",
    "deleted": "Listo, lo borramos.",
    "closed": "Listo, ese día queda cerrado: no ofrecemos horarios.",
    "opened": "Listo, ese día se trabaja con el horario de siempre.",
    "check": "Estamos probando la conexión; el resultado aparece acá en unos segundos.",
}
AFIP_FILE_MAX = 20 * 1024
CHECK_FIELDS = "Revisá los campos marcados: no guardamos nada todavía."
CERT_ERRORS = {
    "missing": "Elegí el archivo del certificado.",
    "type": "El certificado tiene que ser un archivo .crt o .pem.",
    "size": "El certificado pesa más de 20 KB: ese no es el archivo que da AFIP.",
    "binary": "Ese certificado está en formato binario (DER). Subí la versión PEM, la que empieza con "
              "«-----BEGIN CERTIFICATE-----».",
}
KEY_ERRORS = {
    "missing": "Elegí el archivo de la clave privada.",
    "type": "La clave tiene que ser un archivo .key o .pem.",
    "size": "La clave pesa más de 20 KB: ese no es el archivo de la clave privada.",
    "binary": "Esa clave está en formato binario. Subí la versión PEM, la que empieza con "
              "«-----BEGIN PRIVATE KEY-----».",
}
_RANGE = re.compile(r"^(\d{1,2})(?::([0-5]\d))?\s*(?:-|–|a)\s*(\d{1,2})(?::([0-5]\d))?$")


# ---- reading forms ---------------------------------------------------------------------------

def hours_text(ranges: list[list[str]]) -> str:
    return ", ".join(f"{start}-{end}" for start, end in ranges)


def parse_day_hours(day: str, text: str) -> list[list[str]]:
    """"08:00-12:00, 14:00-18:00" (or "8-12 y 14-18"; blank: closed) → [["08:00", "12:00"], ...]."""
    text = text.strip().lower()
    if text in ("", "cerrado"):
        return []
    ranges = []
    for part in re.split(r"\s*(?:,|;|\by\b)\s*", text):
        found = _RANGE.match(part.strip())
        hours = (int(found[1]), int(found[3])) if found else (99, 99)
        if not found or hours[0] > 23 or hours[1] > 23:
            raise ValidationFailed("Horario inválido.", {f"hours_{day}": (
                f"No entendí el horario del {DAY_NAMES[day]}: escribilo como 08:00-12:00, "
                "14:00-18:00, o dejalo vacío si ese día no trabajás.")})
        ranges.append([f"{hours[0]:02d}:{found[2] or '00'}", f"{hours[1]:02d}:{found[4] or '00'}"])
    return ranges


def _upload(name: str, errors: dict[str, str]) -> bytes | None:
    upload = request.files.get(name)
    if upload is None or not upload.filename:
        return None
    suffixes = {".crt", ".pem"} if name == "afip_certificate" else {".key", ".pem"}
    return read_upload(upload, suffixes=suffixes, mimetypes=None, max_bytes=AFIP_FILE_MAX,
                       errors=errors)


# ---- the page --------------------------------------------------------------------------------

def _refused(section: str, errors: dict[str, str], form: dict | None = None):
    """The page again at `section`, with what was typed (when the section has a form to keep)
    and each field's problem; nothing of it was saved."""
    typed = {section: form} if form is not None else {}
    return _render(**typed, errors=errors, section=section, error=CHECK_FIELDS)


def _business_form(org: Organization) -> dict[str, str]:
    form = {key: "" if getattr(org, key) is None else str(getattr(org, key)) for key in BUSINESS_FIELDS}
    form["cuit"] = es_ar.cuit(org.cuit)
    form["activity_start"] = short_date(org.activity_start)
    return form


def _hours_form(org: Organization) -> dict[str, str]:
    form = {f"hours_{day}": hours_text(org.business_hours.get(day, [])) for day in DAYS}
    form["summary_hour"] = str(org.summary_hour)
    for key in ("burst_quiet_seconds", "burst_cap_seconds"):
        value = getattr(org, key)
        form[key] = "" if value is None else f"{value:g}"
    return form


def _render(*, business: dict | None = None, hours: dict | None = None, whatsapp: dict | None = None,
            errors: dict[str, str] | None = None, error: str | None = None, section: str | None = None,
            status: int = 200):
    user = current_user()
    is_owner = Role(user.role) in OWNER
    now = datetime.now(UTC)
    with db().org_session(user.org_id) as s:
        org = s.get(Organization, user.org_id)
        tz = zone(org.time_zone)
        business = business or _business_form(org)
        hours = hours or _hours_form(org)
        whatsapp = whatsapp or {"wa_phone_number_id": org.wa_phone_number_id or "",
                                "wa_display_phone": org.wa_display_phone or ""}
        secrets = secret_states(s) if is_owner else {}
        certificate = stored_certificate(s, Vault(settings().encryption_keys)) if is_owner else None
        org_cuit = org.cuit
        today = now.astimezone(tz).date()
        closed_days = [{"iso": d, "label": es_ar.weekday_date(date.fromisoformat(d)).capitalize()}
                       for d in org.closed_days or [] if d >= today.isoformat()]
        # days with hours of their own ("mañana cerramos a las 13"): the day and its hours
        closed_days += [{"iso": d, "label": es_ar.weekday_date(date.fromisoformat(d)).capitalize(),
                         "hours": " y ".join(f"de {lo} a {hi}" for lo, hi in ranges)}
                        for d, ranges in sorted((org.day_hours or {}).items()) if d >= today.isoformat()]
    checks = connection_status.load_all(redis(), user.org_id) if is_owner else {}
    waiting = any(r is not None and r.pending and not r.stuck(now) for r in checks.values())
    notice = DONE.get(request.args.get("done", "")) if request.method == "GET" else None
    return render_template(
        "backoffice/settings.html", business=business, hours=hours, whatsapp=whatsapp,
        errors=errors or {}, error=error, section=section, notice=notice, is_owner=is_owner,
        iva_choices=[(c.value, IVA_LABELS[c.value]) for c in ORG_IVA_CONDITIONS],
        days=[(day, DAY_NAMES[day]) for day in DAYS], secrets=secrets, secret_labels=SECRET_LABELS,
        certificate=certificate, cert_soon=certificate is not None and not certificate.expired(now)
        and certificate.expires_at - now < timedelta(days=30),
        cert_other_cuit=certificate is not None and certificate.cuit and org_cuit
        and certificate.cuit != org_cuit, org_cuit=es_ar.cuit(org_cuit),
        checks=checks, waiting=waiting, now=now, tz=tz, local_time=local_time,
        service_labels=connection_status.SERVICE_LABELS,
        default_quiet=settings().burst_quiet_seconds, default_cap=settings().burst_max_seconds,
        closed_days=closed_days,
    ), status


@bp.get("")
@requires(MANAGERS)
def index():
    return _render()


@bp.post("/business")
@requires(MANAGERS)
def save_business():
    user = current_user()
    form = {key: (request.form.get(key) or "").strip() for key in BUSINESS_FIELDS}
    try:
        started = parse_date(form["activity_start"], "activity_start")  # typed day first
        with db().org_session(user.org_id) as s:
            update_business(s, user.org_id, {**form, "activity_start": started.isoformat() if started else ""},
                            actor())
    except FormError as exc:
        return _refused("business", {exc.field: exc.message}, form)
    except ValidationFailed as exc:
        return _refused("business", exc.errors, form)
    return redirect("/app/settings?done=business#business")


@bp.post("/hours")
@requires(MANAGERS)
def save_hours():
    user = current_user()
    form = {key: (request.form.get(key) or "").strip() for key in
            [f"hours_{day}" for day in DAYS] + ["summary_hour", "burst_quiet_seconds", "burst_cap_seconds"]}
    errors: dict[str, str] = {}
    business_hours = {}
    for day in DAYS:
        try:
            business_hours[day] = parse_day_hours(day, form[f"hours_{day}"])
        except ValidationFailed as exc:
            errors.update(exc.errors)
            business_hours[day] = []
    try:
        with db().org_session(user.org_id) as s:
            # The rest is checked even when a day did not parse, so every mistake shows at once.
            update_timing(s, user.org_id, {
                "business_hours": business_hours, "summary_hour": form["summary_hour"],
                "burst_quiet_seconds": form["burst_quiet_seconds"],
                "burst_cap_seconds": form["burst_cap_seconds"],
                "default_quiet_seconds": settings().burst_quiet_seconds}, actor())
            if errors:
                raise ValidationFailed("Horarios inválidos.", {})  # rolls the change back
    except ValidationFailed as exc:
        errors.update(exc.errors)
        return _refused("hours", errors, form)
    return redirect("/app/settings?done=hours#hours")


@bp.post("/closed-days")
@requires(MANAGERS)
def save_closed_day():
    """A day the business does not open beyond its weekly hours (a holiday), or open again."""
    user = current_user()
    typed = (request.form.get("day") or "").strip()
    closing = request.form.get("action") != "open"
    try:
        day = parse_date(typed, "closed_day")
        if day is None:
            raise FormError("closed_day", "Elegí el día que no trabajan.")
        with db().org_session(user.org_id) as s:
            today = datetime.now(UTC).astimezone(zone(s.get(Organization, user.org_id).time_zone)).date()
            if closing and day < today:
                raise FormError("closed_day", "Ese día ya pasó.")
            set_days_closed(s, user.org_id, [day], closing, today=today, actor=actor())
    except FormError as exc:
        return _refused("hours", {exc.field: exc.message})
    return redirect(f"/app/settings?done={'closed' if closing else 'opened'}#closed-days")


# ---- connections (owner only) -----------------------------------------------------------------

def _store_typed(s, names: tuple[str, ...]) -> int:
    vault = Vault(settings().encryption_keys)
    stored = 0
    for name in names:
        if (request.form.get(name) or "").strip():
            store_typed_secret(s, vault, name, request.form[name], actor())
            stored += 1
    return stored


@bp.post("/whatsapp")
@requires(OWNER)
def save_whatsapp():
    user = current_user()
    form = {key: (request.form.get(key) or "").strip() for key in ("wa_phone_number_id", "wa_display_phone")}
    try:
        with db().org_session(user.org_id) as s:
            update_whatsapp_number(s, user.org_id, form["wa_phone_number_id"], form["wa_display_phone"],
                                   actor())
            _store_typed(s, ("whatsapp_token", "whatsapp_app_secret"))
    except ValidationFailed as exc:
        return _refused("whatsapp", exc.errors, form)
    except Conflict as exc:
        return _refused("whatsapp", {"wa_phone_number_id": str(exc)}, form)
    return redirect("/app/settings?done=whatsapp#whatsapp")


@bp.post("/afip")
@requires(OWNER)
def save_afip():
    user = current_user()
    errors: dict[str, str] = {}
    files = {}
    for name, messages in (("afip_certificate", CERT_ERRORS), ("afip_key", KEY_ERRORS)):
        try:
            files[name] = _upload(name, messages)
        except UploadRefused as exc:
            errors[name] = str(exc)
    try:
        if errors:
            raise ValidationFailed("Archivos rechazados.", errors)
        with db().org_session(user.org_id) as s:
            store_afip_credentials(s, Vault(settings().encryption_keys), cert_pem=files["afip_certificate"],
                                   key_pem=files["afip_key"], actor=actor())
    except ValidationFailed as exc:
        return _render(errors=exc.errors, section="afip",
                       error="No guardamos los archivos de AFIP: mirá el detalle abajo.")
    return redirect("/app/settings?done=afip#afip")


@bp.post("/mercadopago")
@requires(OWNER)
def save_mercadopago():
    user = current_user()
    try:
        with db().org_session(user.org_id) as s:
            if not _store_typed(s, ("mercadopago_token", "mercadopago_webhook_secret")):
                raise ValidationFailed("Nada para guardar.", {
                    "mercadopago_token": "Pegá el Access Token, la clave secreta o los dos."})
    except ValidationFailed as exc:
        return _refused("mercadopago", exc.errors)
    return redirect("/app/settings?done=mercadopago#mercadopago")


@bp.post("/secrets/<name>/delete")
@requires(OWNER)
def remove_secret(name: str):
    if name not in MANAGED_SECRETS:
        abort(404)
    user = current_user()
    with db().org_session(user.org_id) as s:
        delete_secret(s, Vault(settings().encryption_keys), name, actor())
    section = name.split("_", 1)[0]
    return redirect(f"/app/settings?done=deleted#{section}")


@bp.post("/check/<service>")
@requires(OWNER)
def check(service: str):
    if service not in connection_status.SERVICES:
        abort(404)
    user = current_user()
    connection_status.mark_pending(redis(), user.org_id, service)
    dispatcher().check_connection(user.org_id, service)
    log.info("connection check requested", extra={"service": service})
    return redirect(f"/app/settings?done=check#{service}")
