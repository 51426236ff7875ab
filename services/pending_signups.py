"""Sign-ups waiting for their WhatsApp code, kept in Redis for 30 minutes (the password already
hashed)."""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import asdict

from redis import Redis

from core.identity.signup import PendingSignup, SignupForm
from core.models import Service

PENDING_TTL = 1800  # seconds a sign-up waits for its code


class PendingSignups:
    def __init__(self, redis: Redis):
        self.redis = redis

    @staticmethod
    def _key(token: str) -> str:
        return f"campotech:signup:{token}"

    def start(self, form: SignupForm, password_hash: str) -> PendingSignup:
        token = secrets.token_urlsafe(24)
        data = {"form": {**asdict(form), "trade": form.trade.value}, "password_hash": password_hash}
        self.redis.set(self._key(token), json.dumps(data), ex=PENDING_TTL)
        return PendingSignup(token, form, password_hash)

    def load(self, token: str | None) -> PendingSignup | None:
        if not token or not re.fullmatch(r"[A-Za-z0-9_-]{20,64}", token):
            return None
        raw = self.redis.get(self._key(token))
        if raw is None:
            return None
        data = json.loads(raw)
        fields = data["form"]
        form = SignupForm(fields["business_name"], Service(fields["trade"]), fields["owner_name"],
                          fields["email"], fields["phone"])
        return PendingSignup(token, form, data["password_hash"])

    def discard(self, token: str) -> None:
        self.redis.delete(self._key(token))
