"""Set-password links for staff: signed, valid 72 hours, and single-use.

The token is a `core.signed_tokens` token naming (organization, user) under its own salt,
followed by a short tag: an HMAC of that token and the user's password hash as it was when the
link was made. Setting a password changes the hash, so the tag stops matching and every link
made before stops working: the one just used, and any older one still around.

    signed token (50 characters) | tag (16 characters, base64url of 12 bytes)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timedelta

from core.models import User
from core.settings import Settings
from core.signed_tokens import SignedTokens, TokenExpired, TokenInvalid

__all__ = ["TTL", "TokenExpired", "TokenInvalid", "make_token", "read_token", "still_valid_for"]

TTL = timedelta(hours=72)
_TOKENS = SignedTokens(b"campotech.set-password.v1")
_TAG_SALT = b"campotech.set-password.fingerprint.v1"
_SIGNED_CHARS = 50
_TAG_CHARS = 16


def _tag(settings: Settings, signed: str, password_hash: str | None) -> str:
    key = hmac.new(settings.secret_key.encode(), _TAG_SALT, hashlib.sha256).digest()
    mac = hmac.new(key, signed.encode() + b"\0" + (password_hash or "").encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()[:12]).decode("ascii")


def make_token(settings: Settings, user: User, ttl: timedelta = TTL, *,
               now: datetime | None = None) -> str:
    """A link token for `user` (saved, so it has an id), bound to their current password."""
    signed = _TOKENS.make(settings, user.org_id, user.id, ttl, now=now)
    return signed + _tag(settings, signed, user.password_hash)


def read_token(settings: Settings, token: str, *, now: datetime | None = None) -> tuple[int, int]:
    """(org_id, user_id); TokenInvalid unless genuine, TokenExpired once past its 72 hours.

    Whether it was already used needs the user's row: see `still_valid_for`.
    """
    if not isinstance(token, str) or len(token) != _SIGNED_CHARS + _TAG_CHARS:
        raise TokenInvalid("bad token")
    return _TOKENS.read(settings, token[:_SIGNED_CHARS], now=now)


def still_valid_for(settings: Settings, token: str, user: User) -> bool:
    """True while `user`'s password is the one the link was made against (not used yet)."""
    signed, tag = token[:_SIGNED_CHARS], token[_SIGNED_CHARS:]
    return hmac.compare_digest(tag.encode(), _tag(settings, signed, user.password_hash).encode())
