"""Unguessable, expiring public tokens naming one row of one organization (tracking pages,
invoice PDFs).

HMAC-SHA256 under a key derived from `settings.secret_key` and a per-purpose salt (a tracking
token is never a valid invoice token), a random nonce so every link differs, base64url without
padding (50 characters). Layout:

    version (1) | org_id (4) | row id (4) | expires, unix seconds (4) | nonce (8) | mac (16)

Why not itsdangerous (which Flask ships): its URLSafeTimedSerializer, given the same org, row and
nonce, makes a 73-character token (measured), half as long again in every WhatsApp message that
carries a link, and it signs the moment of issue, not an expiry chosen per purpose.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import math
import re
import secrets
import struct
from datetime import UTC, datetime, timedelta

from core.settings import Settings

_VERSION = 1
_BODY = struct.Struct(">BIII8s")
_MAC_BYTES = 16
_TOKEN_BYTES = _BODY.size + _MAC_BYTES
_TOKEN_CHARS = -(-_TOKEN_BYTES * 4 // 3)  # base64 without padding
_TOKEN_SHAPE = re.compile(rf"[A-Za-z0-9_-]{{{_TOKEN_CHARS}}}")
_UINT32_MAX = 2**32 - 1


class TokenInvalid(Exception):
    """Malformed, tampered with, or signed with another key."""


class TokenExpired(Exception):
    """Genuine, but past its expiry."""


def aware_now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


class SignedTokens:
    """Tokens for one purpose, told apart from every other purpose by `salt`."""

    def __init__(self, salt: bytes):
        self.salt = salt

    def _mac(self, settings: Settings, body: bytes) -> bytes:
        key = hmac.new(settings.secret_key.encode(), self.salt, hashlib.sha256).digest()
        return hmac.new(key, body, hashlib.sha256).digest()[:_MAC_BYTES]

    def make(self, settings: Settings, org_id: int, row_id: int, ttl: timedelta, *,
             now: datetime | None = None) -> str:
        """A compact URL-safe token for one row of one organization, valid for `ttl`."""
        for value in (org_id, row_id):
            if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= _UINT32_MAX:
                raise ValueError(f"invalid id {value!r}")
        expires = math.floor((aware_now(now) + ttl).timestamp())
        expires = min(max(expires, 0), _UINT32_MAX)
        body = _BODY.pack(_VERSION, org_id, row_id, expires, secrets.token_bytes(8))
        return _encode(body + self._mac(settings, body))

    def read(self, settings: Settings, token: str, *, now: datetime | None = None
             ) -> tuple[int, int]:
        """(org_id, row id); TokenInvalid unless genuine, TokenExpired once past its expiry."""
        if not isinstance(token, str) or not _TOKEN_SHAPE.fullmatch(token):
            raise TokenInvalid("bad token")
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (binascii.Error, ValueError):
            raise TokenInvalid("bad token") from None
        # One spelling per token: the last character's spare bits must be zero as we wrote them.
        if len(raw) != _TOKEN_BYTES or _encode(raw) != token:
            raise TokenInvalid("bad token")
        body, mac = raw[: _BODY.size], raw[_BODY.size :]
        if not hmac.compare_digest(mac, self._mac(settings, body)):
            raise TokenInvalid("bad token")
        version, org_id, row_id, expires, _nonce = _BODY.unpack(body)
        if version != _VERSION or org_id <= 0 or row_id <= 0:
            raise TokenInvalid("bad token")
        if aware_now(now).timestamp() >= expires:
            raise TokenExpired("token expired")
        return org_id, row_id
