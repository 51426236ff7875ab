"""Sliding-window limits in Redis: at most `limit` events per key within `window` seconds."""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import time
from collections.abc import Callable

from redis import Redis


def key_digest(secret: str, value: str) -> str:
    """A short keyed digest, so Redis keys never hold a phone, an email or an IP in clear."""
    return hmac.new(secret.encode(), value.encode(), hashlib.sha256).hexdigest()[:32]


class SlidingWindow:
    """Counts events per key; `hit` refuses (returns the wait in seconds) once the limit is reached."""

    def __init__(self, redis: Redis, name: str, limit: int, window: int, *, secret: str,
                 clock: Callable[[], float] = time.time):
        self.redis, self.name, self.limit, self.window = redis, name, limit, window
        self.secret, self.clock = secret, clock

    def _key(self, subject: str) -> str:
        return f"campotech:throttle:{self.name}:{key_digest(self.secret, subject)}"

    def retry_in(self, subject: str) -> int:
        """Seconds until `subject` may act again; 0 when it may act now."""
        key, now = self._key(subject), self.clock()
        self.redis.zremrangebyscore(key, 0, now - self.window)
        if self.redis.zcard(key) < self.limit:
            return 0
        oldest = self.redis.zrange(key, 0, 0, withscores=True)
        if not oldest:
            return 0
        return max(1, math.ceil(oldest[0][1] + self.window - now))

    def hit(self, subject: str) -> int:
        """Count one event if allowed and return 0; else count nothing and return the wait."""
        key, now, member = self._key(subject), self.clock(), secrets.token_hex(8)
        # Add first, then count: two requests at the same instant cannot both slip under.
        pipe = self.redis.pipeline()
        pipe.zremrangebyscore(key, 0, now - self.window)
        pipe.zadd(key, {member: now})
        pipe.zcard(key)
        pipe.expire(key, self.window)
        _, _, count, _ = pipe.execute()
        if count <= self.limit:
            return 0
        self.redis.zrem(key, member)
        return self.retry_in(subject) or 1
