"""Token buckets in Redis: sends per WhatsApp number, shared by every worker process."""

from __future__ import annotations

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


class WindowCounter:
    """How many events in the current fixed window (per sender, per organization)."""

    def __init__(self, redis: Redis, prefix: str, window_seconds: int):
        self.redis = redis
        self.prefix = prefix
        self.window = window_seconds

    def hit(self, name: str, now: float) -> int:
        pipe = self.redis.pipeline()
        self.queue_hit(pipe, name, now)
        return int(pipe.execute()[0])

    def queue_hit(self, pipe, name: str, now: float) -> None:
        """Queue a hit in `pipe`: its first result is the count, then an EXPIRE's."""
        key = f"campotech:{self.prefix}:{name}:{int(now // self.window)}"
        pipe.incr(key)
        pipe.expire(key, self.window * 2)

    def once(self, name: str, now: float) -> bool:
        """True the first time in this window (one "dame un momento", not one per message)."""
        key = f"campotech:{self.prefix}:once:{name}:{int(now // self.window)}"
        return bool(self.redis.set(key, 1, nx=True, ex=self.window * 2))
