"""Organization secrets (WhatsApp, MercadoPago and AFIP credentials) sealed with AES-256-GCM."""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.errors import SecretError, ValidationFailed
from core.models import OrgSecret, utcnow
from core.tenancy import current_org_id

SECRET_NAMES = frozenset({
    "whatsapp_token",
    "whatsapp_app_secret",
    "mercadopago_token",
    "mercadopago_webhook_secret",
    "afip_key",
    "afip_certificate",
    # AFIP access tickets (WSAA), kept so a lost Redis cache never locks us out for 12 hours.
    "afip_ta_wsfe",
    "afip_ta_padron",
})


class Vault:
    """Keys come from settings (`id:base64,...`); the first seals, any of them opens."""

    def __init__(self, keys: dict[str, bytes]):
        if not keys:
            raise SecretError("no encryption key configured")
        self._keys = dict(keys)
        self.primary_key_id = next(iter(keys))

    @staticmethod
    def _aad(org_id: int, name: str) -> bytes:
        # Binds the ciphertext to its row: a secret copied to another org or name will not open.
        return f"campotech:{org_id}:{name}".encode()

    def seal(self, org_id: int, name: str, plaintext: str) -> tuple[str, bytes, bytes]:
        nonce = os.urandom(12)
        key = self._keys[self.primary_key_id]
        ct = AESGCM(key).encrypt(nonce, plaintext.encode(), self._aad(org_id, name))
        return self.primary_key_id, nonce, ct

    def open(self, org_id: int, name: str, key_id: str, nonce: bytes, ciphertext: bytes) -> str:
        key = self._keys.get(key_id)
        if key is None:
            raise SecretError(f"secret '{name}' was sealed with key '{key_id}', which is not configured")
        try:
            return AESGCM(key).decrypt(nonce, ciphertext, self._aad(org_id, name)).decode()
        except InvalidTag:
            raise SecretError(f"secret '{name}' cannot be decrypted (wrong key or tampered)") from None

    def store(self, session: Session, name: str, value: str, actor: str = "system") -> None:
        if name not in SECRET_NAMES:
            raise ValidationFailed(f"Secreto desconocido: {name}", {"name": "unknown"})
        if not value:
            raise ValidationFailed("El valor del secreto está vacío.", {"value": "required"})
        org_id = current_org_id(session)
        key_id, nonce, ct = self.seal(org_id, name, value)
        row = session.scalar(select(OrgSecret).where(OrgSecret.name == name))
        if row is None:
            row = OrgSecret(name=name, key_id=key_id, nonce=nonce, ciphertext=ct)
            session.add(row)
        else:
            row.key_id, row.nonce, row.ciphertext, row.updated_at = key_id, nonce, ct, utcnow()
        session.flush()
        # The audit trail records that a secret changed, never its value.
        audit.record(session, actor=actor, action="secret.set", entity_type="secret", entity_id=name,
                     data={"key_id": key_id})

    def load(self, session: Session, name: str) -> str | None:
        row = session.scalar(select(OrgSecret).where(OrgSecret.name == name))
        if row is None:
            return None
        return self.open(row.org_id, name, row.key_id, row.nonce, row.ciphertext)

    def delete(self, session: Session, name: str, actor: str = "system") -> bool:
        row = session.scalar(select(OrgSecret).where(OrgSecret.name == name))
        if row is None:
            return False
        session.delete(row)
        audit.record(session, actor=actor, action="secret.delete", entity_type="secret", entity_id=name)
        return True

    def rotate(self, session: Session) -> int:
        """Re-seal the current organization's secrets under the primary key; returns how many."""
        count = 0
        for row in session.scalars(select(OrgSecret).where(OrgSecret.key_id != self.primary_key_id)):
            plaintext = self.open(row.org_id, row.name, row.key_id, row.nonce, row.ciphertext)
            row.key_id, row.nonce, row.ciphertext = self.seal(row.org_id, row.name, plaintext)
            row.updated_at = utcnow()
            count += 1
        if count:
            session.flush()
            audit.record(session, actor="system", action="secret.rotate", entity_type="secret",
                         data={"count": count, "key_id": self.primary_key_id})
        return count
