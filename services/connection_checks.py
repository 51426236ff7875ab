""""Probar conexión": try an organization's WhatsApp, AFIP or Mercado Pago credentials for real
and say, in plain Spanish, what worked or what to fix. Used by the worker task behind the
settings page and by `flask billing check`."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from redis import Redis

from core import es_ar
from core.billing import afip
from core.db import Database
from core.errors import SecretError
from core.models import IvaCondition, Organization
from core.settings import Settings
from core.vault import Vault
from integrations.mercadopago import MercadoPagoError
from integrations.whatsapp import WhatsAppClient
from integrations.whatsapp_errors import WhatsAppError
from services import afip_gateway, connection_status, payment_gateway
from services.connection_status import FAILED, MISSING, OK, CheckResult

log = logging.getLogger("campotech.workers.connection_checks")

ENVIRONMENTS = {"homologation": "homologación", "production": "producción"}
QUALITY = {"GREEN": "alta", "YELLOW": "media", "RED": "baja"}
MESSAGES = {
    "afip_missing": "Falta cargar {missing}: mientras tanto emitimos recibos internos, sin CAE.",
    "afip_ok": "AFIP ({environment}) respondió bien. Última factura {letter} autorizada: {number}.",
    "afip_rejected": ("AFIP no reconoce el certificado o la clave. Revisá que el certificado sea del "
                      "CUIT {cuit}, que no esté vencido y que esté asociado a factura electrónica "
                      "(wsfe) en AFIP. Detalle: {detail}"),
    "afip_down": "AFIP no respondió (a veces se cae un rato). Probá de nuevo en unos minutos.",
    "afip_refused": "AFIP rechazó la consulta del punto de venta {pdv}: {detail}",
    "unreadable": "No pudimos abrir {what} guardado. Cargalo de nuevo.",
    "mp_missing": "Falta el token de Mercado Pago: por ahora tus clientes ven los datos de transferencia.",
    "mp_ok": "Mercado Pago respondió bien: cuenta {account}.",
    "mp_rejected": ("Mercado Pago rechazó el token. Copiá de nuevo el Access Token de producción "
                    "desde Tus integraciones → Credenciales."),
    "mp_down": "Mercado Pago no respondió. Probá de nuevo en unos minutos.",
    "mp_error": "Mercado Pago respondió con un error (HTTP {status}). Probá de nuevo más tarde.",
    "wa_missing_number": "Falta el identificador del número de WhatsApp (phone number id).",
    "wa_missing_token": ("Falta el token de acceso de WhatsApp: sin él, los mensajes van al "
                         "simulador de prueba y no a tus clientes."),
    "wa_ok": "Meta reconoce el número {phone} ({name}). Calidad del número: {quality}.",
    "wa_token": ("Meta rechazó el token de acceso: puede estar vencido o ser de otra app. Generá "
                 "un token de usuario del sistema y guardalo de nuevo."),
    "wa_not_found": ("Meta no encontró ese número con este token. Revisá el identificador del número "
                     "y que el token tenga permiso sobre esa cuenta de WhatsApp Business."),
    "wa_down": "Meta no respondió. Probá de nuevo en unos minutos.",
    "wa_error": "Meta respondió con un error ({code}): {title}",
    "crashed": "No pudimos terminar la prueba por un error nuestro. Probá de nuevo en un rato.",
}


def _result(state: str, key: str, **values) -> CheckResult:
    return CheckResult(state, MESSAGES[key].format(**values), datetime.now(UTC))


def check_afip(db: Database, redis: Redis, settings: Settings, org_id: int) -> CheckResult:
    """WSAA login and the last authorized factura of the organization's punto de venta."""
    vault = Vault(settings.encryption_keys)
    try:
        with db.org_session(org_id) as s:
            org = s.get(Organization, org_id)
            missing = [what for what, present in (
                ("el CUIT", bool(org.cuit)),
                ("el certificado", vault.load(s, "afip_certificate") is not None),
                ("la clave", vault.load(s, "afip_key") is not None)) if not present]
            letter = afip.choose_letter(org.iva_condition, IvaCondition.CONSUMIDOR_FINAL,
                                             receiver_has_cuit=False)
            pdv, cuit = org.punto_de_venta, org.cuit
    except SecretError:
        return _result(FAILED, "unreadable", what="el certificado de AFIP")
    if missing:
        names = ", ".join(missing[:-1]) + (" y " if len(missing) > 1 else "") + missing[-1]
        return _result(MISSING, "afip_missing", missing=names)
    try:
        authorizer = afip_gateway.authorizer_for(db, redis, settings, org_id)
        last = authorizer.last_authorized(pdv, afip.CBTE_TIPO[letter])
    except afip.CredentialsRejected as exc:
        return _result(FAILED, "afip_rejected", cuit=es_ar.cuit(cuit), detail=str(exc)[:200])
    except afip.AuthorizationUnavailable:
        return _result(FAILED, "afip_down")
    except afip.AuthorizationRefused as exc:
        return _result(FAILED, "afip_refused", pdv=pdv, detail="; ".join(exc.explained)[:300])
    return _result(OK, "afip_ok", environment=ENVIRONMENTS.get(settings.afip_environment,
                                                               settings.afip_environment),
                   letter=letter, number=f"{pdv:04d}-{last:08d}")


def check_mercadopago(db: Database, settings: Settings, org_id: int) -> CheckResult:
    """Who the organization's access token belongs to (`GET /users/me`)."""
    try:
        with db.org_session(org_id) as s:
            client = payment_gateway.client_for(s, settings)
    except SecretError:
        return _result(FAILED, "unreadable", what="el token de Mercado Pago")
    if client is None:
        return _result(MISSING, "mp_missing")
    try:
        account = client.check_connection()
    except MercadoPagoError as exc:
        if exc.status in (401, 403):
            return _result(FAILED, "mp_rejected")
        if exc.retryable or exc.status is None:
            return _result(FAILED, "mp_down")
        return _result(FAILED, "mp_error", status=exc.status)
    return _result(OK, "mp_ok", account=account)


def check_whatsapp(db: Database, settings: Settings, org_id: int) -> CheckResult:
    """The organization's phone number node on the Graph API, read with the token it sends with."""
    try:
        with db.org_session(org_id) as s:
            phone_number_id = s.get(Organization, org_id).wa_phone_number_id
            token = Vault(settings.encryption_keys).load(s, "whatsapp_token")
    except SecretError:
        return _result(FAILED, "unreadable", what="el token de WhatsApp")
    token = token or settings.whatsapp_access_token  # what sends use when it has none of its own
    if not phone_number_id:
        return _result(MISSING, "wa_missing_number")
    if not token:
        return _result(MISSING, "wa_missing_token")
    client = WhatsAppClient.from_settings(settings, token=token, phone_number_id=phone_number_id)
    try:
        number = client.phone_number()
    except WhatsAppError as exc:
        if exc.code == 190 or exc.http_status == 401:
            return _result(FAILED, "wa_token")
        if exc.code == 100 or exc.http_status == 404:
            return _result(FAILED, "wa_not_found")
        if exc.retryable:
            return _result(FAILED, "wa_down")
        return _result(FAILED, "wa_error", code=exc.code or exc.http_status, title=exc.title[:200])
    return _result(OK, "wa_ok", phone=number.display_phone_number or phone_number_id,
                   name=number.verified_name or "sin nombre verificado",
                   quality=QUALITY.get(number.quality_rating, "sin datos"))


def check(db: Database, redis: Redis, settings: Settings, org_id: int, service: str) -> CheckResult:
    if service == "afip":
        return check_afip(db, redis, settings, org_id)
    if service == "mercadopago":
        return check_mercadopago(db, settings, org_id)
    if service == "whatsapp":
        return check_whatsapp(db, settings, org_id)
    raise ValueError(f"unknown service {service!r}")


def check_and_save(db: Database, redis: Redis, settings: Settings, org_id: int,
                   service: str) -> CheckResult:
    """Run one check and leave its result where the settings page reads it."""
    try:
        result = check(db, redis, settings, org_id, service)
    except Exception:
        # The page must not wait forever on a check that crashed; RQ keeps the traceback.
        connection_status.save(redis, org_id, service, _result(FAILED, "crashed"))
        raise
    connection_status.save(redis, org_id, service, result)
    log.info("connection check: %s %s", service, result.state, extra={"org_id": org_id})
    return result
