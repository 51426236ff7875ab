"""Panic mode: when an organization's sends or bursts keep failing, answer safely and alert."""

from __future__ import annotations

import time

from redis import Redis

from core.settings import Settings

BUCKET = 10  # seconds per counter bucket
PREFIX = "campotech:panic:"
# Count the outcome in its bucket, sum the window, then flip: 1 = on (over the rate, set only if
# it was off), 2 = off (a success with failures under half the rate clears it: no flapping), 0.
_RECORD = """
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
redis.call('EXPIRE', KEYS[1], ARGV[2])
local ok_total, fail_total = 0, 0
for b = tonumber(ARGV[3]), tonumber(ARGV[4]) do
  local v = redis.call('HMGET', ARGV[5] .. b, 'ok', 'fail')
  ok_total = ok_total + (tonumber(v[1]) or 0)
  fail_total = fail_total + (tonumber(v[2]) or 0)
end
local total = ok_total + fail_total
if total < tonumber(ARGV[6]) then return 0 end
local rate = fail_total / total
if rate >= tonumber(ARGV[7]) then
  if redis.call('SET', KEYS[2], ARGV[9], 'NX') then return 1 end
  return 0
end
if ARGV[8] == '1' and rate < tonumber(ARGV[7]) / 2 and redis.call('DEL', KEYS[2]) == 1 then
  return 2
end
return 0
"""


class PanicSwitch:
    """Counts outcomes per organization in time buckets; flips on over the error rate, off below half of it."""

    def __init__(self, redis: Redis, settings: Settings):
        self.redis = redis
        self._record = redis.register_script(_RECORD)  # the sha only: no round trip here
        self.rate = settings.panic_error_rate
        self.min_events = settings.panic_min_events
        self.window = settings.panic_window_seconds

    def _flag(self, org_id: int) -> str:
        return f"campotech:panic:{org_id}"

    def active(self, org_id: int) -> bool:
        return bool(self.redis.exists(self._flag(org_id)))

    def record(self, org_id: int, ok: bool, now: float | None = None) -> str | None:
        """Count one outcome; returns "on" or "off" when this event flips the switch. One round
        trip (a script: count, sum the window's buckets, flip), since every send records one —
        it was two pipelines and ~35 commands a send."""
        now = time.time() if now is None else now
        flipped = self._record(
            keys=[f"{PREFIX}{org_id}:{int(now // BUCKET)}", self._flag(org_id)],
            args=["ok" if ok else "fail", int(self.window + BUCKET * 2),
                  int((now - self.window) // BUCKET) + 1, int(now // BUCKET), f"{PREFIX}{org_id}:",
                  self.min_events, repr(float(self.rate)), 1 if ok else 0, int(now)])
        return {1: "on", 2: "off"}.get(int(flipped))
