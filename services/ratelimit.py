"""Rate limits in Redis, shared by every process: one token bucket (sends per WhatsApp number)
and one sliding-window counter (codes, sign-ups, failed logins, inbound messages, payment
fetches)."""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import time
from collections.abc import Callable

from redis import Redis

# KEYS: bucket. ARGV: rate/s, burst size, now (s), cost. Returns wait seconds (0 = granted).
_TAKE = """
local rate = tonumber(ARGV[1])
local size = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or size
local at = tonumber(state[2]) or now
tokens = math.min(size, tokens + math.max(0, now - at) * rate)
local wait = 0
-- a hair of tolerance: float steps (and tostring's 14 digits) must not leave 0.9999999 forever
if tokens >= cost - 1e-6 then
  tokens = math.max(0, tokens - cost)
else
  wait = (cost - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(size / rate) + 60)
return tostring(wait)
"""


class TokenBucket:
    """`rate` sends per second with bursts up to `size`; `take` never blocks, it says how long to wait."""

    def __init__(self, redis: Redis, name: str, rate: float, size: float | None = None):
        self.redis = redis
        self.key = f"campotech:bucket:{name}"
        self.rate = rate
        self.size = size if size is not None else max(1.0, rate)
        self._take = redis.register_script(_TAKE)

    def take(self, now: float, cost: float = 1.0) -> float:
        """0.0 if granted; otherwise the seconds until a token is free (nothing is taken)."""
        return float(self._take(keys=[self.key], args=[self.rate, self.size, repr(now), cost]))


def key_digest(secret: str, value: str) -> str:
    """A short keyed digest, so Redis keys never hold a phone, an email or an IP in clear."""
    return hmac.new(secret.encode(), value.encode(), hashlib.sha256).hexdigest()[:32]


class SlidingWindow:
    """Events per subject within the last `window` seconds (one sorted set per subject).

    `hit` refuses once `limit` is reached (nothing counted, the wait returned); `add` always
    counts and answers how many there are, for callers that decide themselves what too many means.
    """

    def __init__(self, redis: Redis, name: str, limit: int, window: int, *, secret: str,
                 clock: Callable[[], float] = time.time, prefix: str = "throttle"):
        self.redis, self.name, self.limit, self.window = redis, name, limit, window
        self.secret, self.clock, self.prefix = secret, clock, prefix

    def key(self, subject: str) -> str:
        """The sorted set holding `subject`'s events."""
        return f"campotech:{self.prefix}:{self.name}:{key_digest(self.secret, subject)}"

    def retry_in(self, subject: str) -> int:
        """Seconds until `subject` may act again; 0 when it may act now."""
        key, now = self.key(subject), self.clock()
        self.redis.zremrangebyscore(key, 0, now - self.window)
        if self.redis.zcard(key) < self.limit:
            return 0
        oldest = self.redis.zrange(key, 0, 0, withscores=True)
        if not oldest:
            return 0
        return max(1, math.ceil(oldest[0][1] + self.window - now))

    def _queue(self, pipe, key: str, member: str, now: float) -> None:
        # Add first, then count: two requests at the same instant cannot both slip under.
        pipe.zremrangebyscore(key, 0, now - self.window)
        pipe.zadd(key, {member: now})
        pipe.zcard(key)
        pipe.expire(key, self.window)

    def queue_add(self, pipe, subject: str, now: float | None = None) -> None:
        """Queue one event in `pipe`: four results, the third is the count including it."""
        self._queue(pipe, self.key(subject), secrets.token_hex(8), self.clock() if now is None else now)

    def add(self, subject: str) -> int:
        """Count one event and return how many `subject` has in the window, this one included."""
        pipe = self.redis.pipeline()
        self.queue_add(pipe, subject)
        return int(pipe.execute()[2])

    def hit(self, subject: str) -> int:
        """Count one event if allowed and return 0; else count nothing and return the wait."""
        key, member = self.key(subject), secrets.token_hex(8)
        pipe = self.redis.pipeline()
        self._queue(pipe, key, member, self.clock())
        _, _, count, _ = pipe.execute()
        if count <= self.limit:
            return 0
        self.redis.zrem(key, member)
        return self.retry_in(subject) or 1

    def once(self, subject: str) -> bool:
        """True the first time in a window (one "dame un momento", not one per message)."""
        key = f"campotech:{self.prefix}:{self.name}:once:{key_digest(self.secret, subject)}"
        return bool(self.redis.set(key, 1, nx=True, ex=self.window))

    def clear(self, subject: str) -> None:
        self.redis.delete(self.key(subject))
