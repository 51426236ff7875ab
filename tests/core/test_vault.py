"""Secrets at rest: AES-256-GCM round trip, key rotation, wrong keys and tampering refused."""

from __future__ import annotations

import base64
import os

import pytest
from sqlalchemy import select, text

from core.errors import SecretError, ValidationFailed
from core.models import AuditEntry, OrgSecret
from core.settings import _parse_keyring
from core.vault import Vault


def _key() -> bytes:
    return os.urandom(32)


def test_round_trip_and_ciphertext_is_not_plaintext(db, make_org):
    org = make_org()
    vault = Vault({"k1": _key()})
    with db.org_session(org) as s:
        vault.store(s, "mercadopago_token", "APP_USR-123-secreto")
    with db.org_session(org) as s:
        row = s.scalar(select(OrgSecret))
        assert b"APP_USR" not in row.ciphertext and row.key_id == "k1" and len(row.nonce) == 12
        assert vault.load(s, "mercadopago_token") == "APP_USR-123-secreto"
        audit_row = s.scalar(select(AuditEntry).where(AuditEntry.action == "secret.set"))
        assert "APP_USR" not in str(audit_row.data)


def test_wrong_key_fails_clearly(db, make_org):
    org = make_org()
    with db.org_session(org) as s:
        Vault({"k1": _key()}).store(s, "whatsapp_token", "EAAG-token")
    with db.org_session(org) as s:
        with pytest.raises(SecretError, match="cannot be decrypted"):
            Vault({"k1": _key()}).load(s, "whatsapp_token")
        with pytest.raises(SecretError, match="not configured"):
            Vault({"k2": _key()}).load(s, "whatsapp_token")


def test_ciphertext_is_bound_to_its_organization(db, make_org):
    a, b = make_org(), make_org()
    vault = Vault({"k1": _key()})
    with db.org_session(a) as s:
        vault.store(s, "afip_key", "-----BEGIN PRIVATE KEY-----A")
        row = s.scalar(select(OrgSecret))
        stolen = (row.key_id, row.nonce, row.ciphertext)
    with db.org_session(b) as s:
        s.add(OrgSecret(name="afip_key", key_id=stolen[0], nonce=stolen[1], ciphertext=stolen[2]))
    with db.org_session(b) as s, pytest.raises(SecretError):
        vault.load(s, "afip_key")


def test_rotation_reseals_under_the_new_primary_key(db, make_org):
    org = make_org()
    old, new = _key(), _key()
    with db.org_session(org) as s:
        Vault({"old": old}).store(s, "whatsapp_token", "EAAG-1")
        Vault({"old": old}).store(s, "mercadopago_token", "APP-2")
    rotated = Vault({"new": new, "old": old})
    with db.org_session(org) as s:
        assert rotated.rotate(s) == 2
        assert rotated.rotate(s) == 0
    only_new = Vault({"new": new})
    with db.org_session(org) as s:
        assert {r.key_id for r in s.scalars(select(OrgSecret))} == {"new"}
        assert only_new.load(s, "whatsapp_token") == "EAAG-1"
        assert only_new.load(s, "mercadopago_token") == "APP-2"


def test_unknown_names_and_empty_values_are_refused(db, make_org):
    org = make_org()
    vault = Vault({"k1": _key()})
    with db.org_session(org) as s:
        with pytest.raises(ValidationFailed):
            vault.store(s, "password_of_the_owner", "x")
        with pytest.raises(ValidationFailed):
            vault.store(s, "whatsapp_token", "")
        assert s.execute(text("SELECT count(*) FROM org_secrets")).scalar() == 0


def test_keyring_parsing():
    k = base64.b64encode(_key()).decode()
    assert list(_parse_keyring(f"2026:{k}, 2025:{k}")) == ["2026", "2025"]
    for bad in ("", "nokey", f"a:{base64.b64encode(b'short').decode()}", "a:!!notbase64", f"a:{k},a:{k}"):
        with pytest.raises(ValueError):
            _parse_keyring(bad)
