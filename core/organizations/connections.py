"""The organization's outside connections as the owner manages them: its WhatsApp number,
write-only secrets (what is set and since when, never the value) and the AFIP certificate."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import audit, es_ar
from core.errors import Conflict, ValidationFailed
from core.models import Organization, OrgSecret, utcnow
from core.vault import Vault

# The secrets a person types in (the AFIP pair arrives as files); names as the vault knows them.
TYPED_SECRETS = ("whatsapp_token", "whatsapp_app_secret", "mercadopago_token",
                 "mercadopago_webhook_secret")
AFIP_SECRETS = ("afip_certificate", "afip_key")
MANAGED_SECRETS = TYPED_SECRETS + AFIP_SECRETS
SECRET_MAX = 4096  # far above any token Meta or Mercado Pago hands out
_PHONE_NUMBER_ID = re.compile(r"^\d{5,40}$")
_DISPLAY_PHONE = re.compile(r"^\+?[\d\s-]{8,20}$")


@dataclass(frozen=True)
class SecretState:
    name: str
    configured: bool
    updated_at: datetime | None


@dataclass(frozen=True)
class CertificateInfo:
    common_name: str
    cuit: str | None  # from the subject's serialNumber ("CUIT 20111111112")
    expires_at: datetime

    @property
    def cuit_label(self) -> str:
        return es_ar.cuit(self.cuit) if self.cuit else ""

    def expired(self, now: datetime | None = None) -> bool:
        return self.expires_at <= (now or utcnow())


def secret_states(session: Session) -> dict[str, SecretState]:
    """Which managed secrets the current organization has, and when each last changed."""
    rows = {row.name: row for row in session.scalars(
        select(OrgSecret).where(OrgSecret.name.in_(MANAGED_SECRETS)))}
    return {name: SecretState(name, name in rows,
                              (rows[name].updated_at or rows[name].created_at) if name in rows else None)
            for name in MANAGED_SECRETS}


def store_typed_secret(session: Session, vault: Vault, name: str, value: str | None,
                       actor: str) -> None:
    """A token or webhook secret pasted by the owner (surrounding blanks dropped)."""
    if name not in TYPED_SECRETS:
        raise ValidationFailed(f"Secreto desconocido: {name}", {name: "Ese dato no se puede guardar acá."})
    value = (value or "").strip()
    if not value:
        raise ValidationFailed("Falta el valor.", {name: "Pegá el valor antes de guardarlo."})
    if len(value) > SECRET_MAX or any(c.isspace() for c in value):
        raise ValidationFailed("Valor inválido.", {
            name: "Eso no parece un token: no lleva espacios ni saltos de línea. Copialo de nuevo."})
    vault.store(session, name, value, actor=actor)


def delete_secret(session: Session, vault: Vault, name: str, actor: str) -> bool:
    if name not in MANAGED_SECRETS:
        raise ValidationFailed(f"Secreto desconocido: {name}", {name: "Ese dato no existe."})
    return vault.delete(session, name, actor=actor)


# ---- AFIP certificate and key -------------------------------------------------------------

def _certificate(pem: bytes) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(pem)
    except ValueError:
        raise ValidationFailed("Certificado inválido.", {"afip_certificate": (
            "Ese archivo no es un certificado en formato PEM. Subí el .crt que te dio AFIP "
            "(empieza con «-----BEGIN CERTIFICATE-----»).")}) from None


def _private_key(pem: bytes):
    try:
        return serialization.load_pem_private_key(pem, password=None)
    except TypeError:
        raise ValidationFailed("Clave con contraseña.", {"afip_key": (
            "La clave tiene contraseña. Subí la clave privada sin contraseña, la que generaste "
            "para pedir el certificado.")}) from None
    except (ValueError, UnsupportedAlgorithm):
        raise ValidationFailed("Clave inválida.", {"afip_key": (
            "Ese archivo no es una clave privada en formato PEM. Subí el .key con el que "
            "pediste el certificado (empieza con «-----BEGIN PRIVATE KEY-----» o "
            "«-----BEGIN RSA PRIVATE KEY-----»).")}) from None


def certificate_info(cert: x509.Certificate) -> CertificateInfo:
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    serials = cert.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
    cuit = None
    if serials:
        digits = re.sub(r"\D", "", str(serials[0].value))
        cuit = digits if len(digits) == 11 else None
    return CertificateInfo(str(names[0].value) if names else "(sin nombre)", cuit,
                           cert.not_valid_after_utc)


def inspect_certificate(pem: bytes) -> CertificateInfo:
    """What a PEM certificate says about itself; ValidationFailed if it does not parse."""
    return certificate_info(_certificate(pem))


def _same_key(cert: x509.Certificate, key) -> bool:
    fmt = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return cert.public_key().public_bytes(*fmt) == key.public_key().public_bytes(*fmt)


def store_afip_credentials(session: Session, vault: Vault, *, cert_pem: bytes | None,
                           key_pem: bytes | None, actor: str, now: datetime | None = None
                           ) -> CertificateInfo | None:
    """Check and store the AFIP certificate and/or key (PEM, as `flask secrets set --file` does).

    An expired certificate is refused; a certificate and key must belong together, whether
    both arrive now or one of them is already stored. Returns the certificate's details.
    """
    if not cert_pem and not key_pem:
        raise ValidationFailed("Faltan archivos.", {"afip_certificate": "Elegí el certificado, la clave o los dos."})
    cert = _certificate(cert_pem) if cert_pem else None
    key = _private_key(key_pem) if key_pem else None
    if cert is not None and cert.not_valid_after_utc <= (now or utcnow()):
        day = cert.not_valid_after_utc.strftime("%d/%m/%Y")
        raise ValidationFailed("Certificado vencido.", {"afip_certificate": (
            f"Ese certificado venció el {day}. Generá uno nuevo en AFIP (Administración de "
            "certificados digitales) y subilo.")})
    stored_cert = vault.load(session, "afip_certificate") if cert is None else None
    stored_key = vault.load(session, "afip_key") if key is None else None
    pair_cert = cert or (_certificate(stored_cert.encode()) if stored_cert else None)
    pair_key = key or (_private_key(stored_key.encode()) if stored_key else None)
    if pair_cert is not None and pair_key is not None and not _same_key(pair_cert, pair_key):
        field = "afip_key" if key is not None else "afip_certificate"
        raise ValidationFailed("La clave no corresponde al certificado.", {field: (
            "La clave no corresponde a este certificado. Subí juntos el certificado y la "
            "clave con la que lo pediste.")})
    if cert_pem:
        vault.store(session, "afip_certificate", cert_pem.decode().strip() + "\n", actor=actor)
    if key_pem:
        vault.store(session, "afip_key", key_pem.decode().strip() + "\n", actor=actor)
    return certificate_info(pair_cert) if pair_cert is not None else None


def stored_certificate(session: Session, vault: Vault) -> CertificateInfo | None:
    """The stored AFIP certificate's details (a certificate is public; the key never leaves)."""
    pem = vault.load(session, "afip_certificate")
    if not pem:
        return None
    try:
        return inspect_certificate(pem.encode())
    except ValidationFailed:
        return None


# ---- the WhatsApp number ------------------------------------------------------------------

def update_whatsapp_number(session: Session, org_id: int, phone_number_id: str | None,
                           display_phone: str | None, actor: str) -> Organization:
    """Bind Meta's phone number id (unique across organizations) and the number people see."""
    phone_number_id = re.sub(r"\s", "", phone_number_id or "") or None
    display_phone = " ".join((display_phone or "").split()) or None
    errors = {}
    if phone_number_id and not _PHONE_NUMBER_ID.match(phone_number_id):
        errors["wa_phone_number_id"] = ("El identificador del número son solo números (lo ves en "
                                        "Meta, en WhatsApp → Configuración de la API).")
    if display_phone and not _DISPLAY_PHONE.match(display_phone):
        errors["wa_display_phone"] = "Escribí el número como lo ven tus clientes, por ejemplo +54 9 11 5555-0100."
    if errors:
        raise ValidationFailed("Revisá los datos de WhatsApp.", errors)
    org = session.get(Organization, org_id)
    before = (org.wa_phone_number_id, org.wa_display_phone)
    if before == (phone_number_id, display_phone):
        return org
    org.wa_phone_number_id, org.wa_display_phone = phone_number_id, display_phone
    org.updated_at = utcnow()
    try:
        # Other organizations' rows are invisible here: the unique index is what tells us.
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict("Ese número de WhatsApp ya está conectado a otra cuenta de CampoTech.") from None
    audit.record(session, actor=actor, action="organization.whatsapp", entity_type="organization",
                 entity_id=org.id, data={"wa_phone_number_id": phone_number_id,
                                         "wa_display_phone": display_phone})
    return org
