"""Public links to an invoice's PDF: an unguessable, expiring token per (organization, invoice).

Same design as `core.tracking` (HMAC-SHA256 under a key derived from `settings.secret_key`,
a random nonce, base64url without padding, 50 characters) with its own salt, so a tracking
token is never a valid invoice token nor the other way round. Layout:

    version (1) | org_id (4) | invoice_id (4) | expires, unix seconds (4) | nonce (8) | mac (16)

The link goes to customers by WhatsApp, and Meta's servers fetch it to attach the document,
so it works without a login; 90 days by default, long enough to find the invoice again.
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

from core.models import Invoice
from core.settings import Settings, get_settings
from core.tracking import TokenExpired, TokenInvalid

__all__ = ["DEFAULT_TTL", "TokenExpired", "TokenInvalid", "make_token", "pdf_filename",
           "pdf_link", "read_token"]

DEFAULT_TTL = timedelta(days=90)

_VERSION = 1
_SALT = b"campotech.invoice-pdf.v1"
_BODY = struct.Struct(">BIII8s")
_MAC_BYTES = 16
_TOKEN_BYTES = _BODY.size + _MAC_BYTES
_TOKEN_CHARS = -(-_TOKEN_BYTES * 4 // 3)  # base64 without padding
_TOKEN_SHAPE = re.compile(rf"[A-Za-z0-9_-]{{{_TOKEN_CHARS}}}")
_UINT32_MAX = 2**32 - 1


def _key(settings: Settings) -> bytes:
    return hmac.new(settings.secret_key.encode(), _SALT, hashlib.sha256).digest()


def _mac(settings: Settings, body: bytes) -> bytes:
    return hmac.new(_key(settings), body, hashlib.sha256).digest()[:_MAC_BYTES]


def _now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def make_token(settings: Settings, org_id: int, invoice_id: int, ttl: timedelta = DEFAULT_TTL,
               *, now: datetime | None = None) -> str:
    """A compact URL-safe token for one invoice of one organization, valid for `ttl`."""
    for value in (org_id, invoice_id):
        if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= _UINT32_MAX:
            raise ValueError(f"invalid id {value!r}")
    expires = math.floor((_now(now) + ttl).timestamp())
    expires = min(max(expires, 0), _UINT32_MAX)
    body = _BODY.pack(_VERSION, org_id, invoice_id, expires, secrets.token_bytes(8))
    return _encode(body + _mac(settings, body))


def read_token(settings: Settings, token: str, *, now: datetime | None = None) -> tuple[int, int]:
    """(org_id, invoice_id); TokenInvalid unless genuine, TokenExpired once past its expiry."""
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
    if not hmac.compare_digest(mac, _mac(settings, body)):
        raise TokenInvalid("bad token")
    version, org_id, invoice_id, expires, _nonce = _BODY.unpack(body)
    if version != _VERSION or org_id <= 0 or invoice_id <= 0:
        raise TokenInvalid("bad token")
    if _now(now).timestamp() >= expires:
        raise TokenExpired("token expired")
    return org_id, invoice_id


def pdf_link(invoice: Invoice, settings: Settings | None = None, *,
             ttl: timedelta = DEFAULT_TTL, now: datetime | None = None) -> str:
    """`{public_base_url}/i/{token}.pdf` for a saved invoice (its id must be set)."""
    if invoice.id is None or invoice.org_id is None:
        raise ValueError("the invoice must be saved (flushed) before it has a link")
    settings = settings or get_settings()
    token = make_token(settings, invoice.org_id, invoice.id, ttl, now=now)
    return f"{settings.public_base_url.rstrip('/')}/i/{token}.pdf"


def pdf_filename(invoice: Invoice) -> str:
    """"factura-B-0001-00000012.pdf", "recibo-0001-00000003.pdf" (no number yet: "-pendiente")."""
    kind = f"factura-{invoice.letter}" if invoice.letter else "recibo"
    number = f"{invoice.number:08d}" if invoice.number is not None else "pendiente"
    return f"{kind}-{invoice.punto_de_venta:04d}-{number}.pdf"
