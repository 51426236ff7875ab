"""One-time 6-digit codes sent by WhatsApp (sign-up, login): kept in Redis only as an HMAC.

A code belongs to a purpose and a subject (a pending sign-up, a user): issuing a new one
replaces the old one. It lives ten minutes, allows five tries, and may be re-sent once a
minute, at most five codes an hour to one phone. It travels to the worker sealed with the
deployment's encryption key, so neither Redis nor the logs ever hold it in clear.
"""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import hmac
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from redis import Redis

from core.phones import wa_id_for
from core.settings import Settings
from services.dispatch import Dispatcher
from services.ratelimit import SlidingWindow, key_digest

CODE_DIGITS = 6
CODE_TTL = 600  # seconds a code is good for
RESEND_COOLDOWN = 60  # seconds between two codes for one subject
MAX_ATTEMPTS = 5  # wrong tries that burn a code
CODES_PER_HOUR = 5  # codes one phone may receive in an hour

# Checks the code exists and counts the try in one step: parallel guesses cannot share a try.
_TRY = """
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local tries = redis.call('HINCRBY', KEYS[1], 'tries', 1)
return {redis.call('HGET', KEYS[1], 'mac'), tries}
"""


class Purpose(enum.StrEnum):
    SIGNUP = "signup"
    LOGIN = "login"


class Check(enum.StrEnum):
    OK = "ok"
    WRONG = "wrong"  # tries are left
    EXPIRED = "expired"  # none issued, used already, or its ten minutes are up
    BURNED = "burned"  # the last allowed try was wrong: this code is gone


@dataclass(frozen=True)
class Verification:
    result: Check
    attempts_left: int = 0

    @property
    def ok(self) -> bool:
        return self.result is Check.OK


class CodeRefused(Exception):
    """No code issued now: `reason` is "cooldown" (one a minute) or "hourly" (five an hour)."""

    def __init__(self, reason: str, retry_in: int):
        super().__init__(f"code refused ({reason}); retry in {retry_in} s")
        self.reason, self.retry_in = reason, retry_in


class OneTimeCodes:
    def __init__(self, redis: Redis, secret_key: str, clock: Callable[[], float] = time.time):
        self.redis, self.secret_key = redis, secret_key
        self.per_phone = SlidingWindow(redis, "otp-phone", CODES_PER_HOUR, 3600,
                                       secret=secret_key, clock=clock)
        self._try = redis.register_script(_TRY)

    def _key(self, kind: str, purpose: Purpose, subject: str) -> str:
        return f"campotech:otp:{kind}:{Purpose(purpose).value}:{key_digest(self.secret_key, subject)}"

    def _mac(self, purpose: Purpose, subject: str, code: str) -> str:
        message = f"otp:{Purpose(purpose).value}:{subject}:{code}".encode()
        return hmac.new(self.secret_key.encode(), message, hashlib.sha256).hexdigest()

    def resend_in(self, purpose: Purpose, subject: str) -> int:
        """Seconds before another code may be issued for this subject (0: now)."""
        return max(0, int(self.redis.ttl(self._key("cooldown", purpose, subject))))

    def issue(self, purpose: Purpose, subject: str, phone: str) -> str:
        """A fresh code for `subject`, to be sent to `phone`; raises CodeRefused when too soon."""
        wait = self.resend_in(purpose, subject)
        if wait:
            raise CodeRefused("cooldown", wait)
        wait = self.per_phone.retry_in(phone)
        if wait:
            raise CodeRefused("hourly", wait)
        if not self.redis.set(self._key("cooldown", purpose, subject), 1, nx=True, ex=RESEND_COOLDOWN):
            raise CodeRefused("cooldown", self.resend_in(purpose, subject) or RESEND_COOLDOWN)
        wait = self.per_phone.hit(phone)
        if wait:
            raise CodeRefused("hourly", wait)
        code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
        key = self._key("code", purpose, subject)
        pipe = self.redis.pipeline()
        pipe.delete(key)
        pipe.hset(key, mapping={"mac": self._mac(purpose, subject, code), "tries": 0})
        pipe.expire(key, CODE_TTL)
        pipe.execute()
        return code

    def verify(self, purpose: Purpose, subject: str, code: str) -> Verification:
        """Check `code` in constant time; a right one is used up, five wrong ones burn it."""
        key = self._key("code", purpose, subject)
        found = self._try(keys=[key])
        if not found:
            return Verification(Check.EXPIRED)
        stored, tries = found[0], int(found[1])
        stored = stored.decode() if isinstance(stored, bytes) else str(stored or "")
        typed = "".join(ch for ch in (code or "") if not ch.isspace() and ch != "-")[:16]
        right = hmac.compare_digest(stored.encode(), self._mac(purpose, subject, typed).encode())
        if tries > MAX_ATTEMPTS:
            self.redis.delete(key)
            return Verification(Check.BURNED)
        if right:
            # Only the request that deletes it wins: a code is good once.
            return Verification(Check.OK) if self.redis.delete(key) else Verification(Check.EXPIRED)
        left = MAX_ATTEMPTS - tries
        if left <= 0:
            self.redis.delete(key)
            return Verification(Check.BURNED)
        return Verification(Check.WRONG, left)

    def discard(self, purpose: Purpose, subject: str) -> None:
        self.redis.delete(self._key("code", purpose, subject), self._key("cooldown", purpose, subject))


# -- delivery ---------------------------------------------------------------------------------

def _aad(wa_to: str) -> bytes:
    # Binds the sealed code to its recipient: it cannot be replayed to another number.
    return f"campotech:otp:{wa_to}".encode()


def seal_code(settings: Settings, wa_to: str, code: str) -> str:
    keys = settings.encryption_keys
    key_id = next(iter(keys))
    nonce = os.urandom(12)
    sealed = AESGCM(keys[key_id]).encrypt(nonce, code.encode(), _aad(wa_to))
    return f"{key_id}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def open_code(settings: Settings, wa_to: str, sealed: str) -> str:
    key_id, _, blob = sealed.partition(":")
    key = settings.encryption_keys.get(key_id)
    if key is None:
        raise ValueError(f"code sealed with unknown key '{key_id}'")
    try:
        raw = base64.urlsafe_b64decode(blob.encode())
        return AESGCM(key).decrypt(raw[:12], raw[12:], _aad(wa_to)).decode()
    except (InvalidTag, binascii.Error, ValueError):
        raise ValueError("sealed code cannot be opened") from None


def send_code(dispatcher: Dispatcher, settings: Settings, phone: str, code: str,
              purpose: Purpose) -> None:
    """Queue the WhatsApp authentication template carrying `code` to `phone` (E.164)."""
    wa_to = wa_id_for(phone)
    dispatcher.send_code(wa_to, seal_code(settings, wa_to, code), Purpose(purpose).value)
