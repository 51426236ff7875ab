"""Panic mode: when an organization's sends or bursts keep failing, answer safely and alert."""

from __future__ import annotations

import time

from redis import Redis

from core.settings import Settings

BUCKET = 10  # seconds per counter bucket


class PanicSwitch:
    """Counts outcomes per organization in time buckets; flips on over the error rate, off below half of it."""

    def __init__(self, redis: Redis, settings: Settings):
        self.redis = redis
        self.rate = settings.panic_error_rate
        self.min_events = settings.panic_min_events
        self.window = settings.panic_window_seconds

    def _flag(self, org_id: int) -> str:
        return f"campotech:panic:{org_id}"

    def active(self, org_id: int) -> bool:
        return bool(self.redis.exists(self._flag(org_id)))

    def record(self, org_id: int, ok: bool, now: float | None = None) -> str | None:
        """Count one outcome; returns "on" or "off" when this event flips the switch."""
        now = time.time() if now is None else now
        bucket = int(now // BUCKET)
        key = f"campotech:panic:{org_id}:{bucket}"
        pipe = self.redis.pipeline()
        pipe.hincrby(key, "ok" if ok else "fail", 1)
        pipe.expire(key, self.window + BUCKET * 2)
        pipe.execute()
        ok_total, fail_total = self.counts(org_id, now)
        total = ok_total + fail_total
        rate = fail_total / total if total else 0.0
        if total < self.min_events:
            return None
        if rate >= self.rate:
            return "on" if self.redis.set(self._flag(org_id), int(now), nx=True) else None
        # Clears only on a success, once failures are well under the threshold (no flapping).
        if ok and rate < self.rate / 2 and self.redis.delete(self._flag(org_id)):
            return "off"
        return None

    def counts(self, org_id: int, now: float) -> tuple[int, int]:
        first = int((now - self.window) // BUCKET) + 1
        last = int(now // BUCKET)
        pipe = self.redis.pipeline()
        for b in range(first, last + 1):
            pipe.hmget(f"campotech:panic:{org_id}:{b}", "ok", "fail")
        ok_total = fail_total = 0
        for ok_raw, fail_raw in pipe.execute():
            ok_total += int(ok_raw or 0)
            fail_total += int(fail_raw or 0)
        return ok_total, fail_total
