"""The burst clock in Redis: when a sender's run of messages has gone quiet, or hit the cap.

A burst is a conversation's inbound messages that no reply has answered yet; the database
knows which messages those are. Redis only keeps time: the first and last arrival of the open
burst and one sorted set of due times. Claiming a due burst is one atomic script, so among
any number of clock processes exactly one wins it.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass

from redis import Redis

from services.ratelimit import SlidingWindow

DUE = "campotech:bursts:due"
STATE = "campotech:burst:{member}"

# KEYS: due zset, state hash. ARGV: member, now, quiet, cap, burst id.
# The burst closes at min(last + quiet, first + cap); a new message only ever extends the
# quiet part, never the cap.
_NOTE = """
local now = tonumber(ARGV[2])
local first = tonumber(redis.call('HGET', KEYS[2], 'first'))
if not first then
  first = now
  redis.call('HSET', KEYS[2], 'first', ARGV[2], 'id', ARGV[5])
end
redis.call('HSET', KEYS[2], 'last', ARGV[2])
redis.call('HINCRBY', KEYS[2], 'count', 1)
local due = math.min(now + tonumber(ARGV[3]), first + tonumber(ARGV[4]))
redis.call('ZADD', KEYS[1], due, ARGV[1])
redis.call('EXPIRE', KEYS[2], math.ceil(tonumber(ARGV[4]) + 3600))
return tostring(due)
"""

# A stored message, admitted in one round trip: counted by type, added to its organization's
# and its sender's sliding windows (added first, then counted: two at the same instant cannot
# both slip under), the organization marked busy when over its limit, and the sender's burst
# noted as _NOTE notes it (its text runs at the end, with the same KEYS[1-2] and ARGV[1-5])
# unless the sender is over their limit ("slow": stored, answered with the burst already open,
# and it does not keep that burst open).
# KEYS: due zset, state hash, org window, sender window, busy flag, messages-in counters,
# throttled counters. ARGV: member, now, quiet, cap, burst id, window seconds, org limit,
# sender limit, org window member, sender window member, message type label.
_ADMIT = """
local at = tonumber(ARGV[2])
local window = tonumber(ARGV[6])
redis.call('HINCRBY', KEYS[6], ARGV[11], 1)
local counts = {}
for i, key in ipairs({KEYS[3], KEYS[4]}) do
  redis.call('ZREMRANGEBYSCORE', key, 0, at - window)
  redis.call('ZADD', key, at, ARGV[8 + i])
  counts[i] = redis.call('ZCARD', key)
  redis.call('EXPIRE', key, window)
end
if counts[1] > tonumber(ARGV[7]) then
  redis.call('SET', KEYS[5], 1, 'EX', 120)
  redis.call('HINCRBY', KEYS[7], 'organization', 1)
end
if counts[2] > tonumber(ARGV[8]) then
  redis.call('HINCRBY', KEYS[7], 'sender', 1)
  return 'slow'
end
""" + _NOTE

# KEYS: due zset. ARGV: now, limit, state key prefix. Returns member, burst id, first, count...
_CLAIM = """
local members = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
local out = {}
for _, member in ipairs(members) do
  if redis.call('ZREM', KEYS[1], member) == 1 then
    local key = ARGV[3] .. member
    local state = redis.call('HMGET', key, 'id', 'first', 'count')
    redis.call('DEL', key)
    table.insert(out, member)
    table.insert(out, state[1] or '')
    table.insert(out, state[2] or '')
    table.insert(out, state[3] or '0')
  end
end
return out
"""


@dataclass(frozen=True)
class Admission:
    """Where `BurstClock.admit` counts: the two sliding windows (their keys are the ones
    `services.ratelimit.SlidingWindow` keeps), the busy flag and the counters."""

    org_window: SlidingWindow
    sender_window: SlidingWindow
    busy_key: str  # formatted with org_id
    messages_in_key: str
    throttled_key: str

    def __post_init__(self):
        if self.org_window.window != self.sender_window.window:
            raise ValueError("_ADMIT counts both windows over one length")

    @property
    def window(self) -> int:
        return self.org_window.window

    def keys(self, org_id: int, conversation_id: int) -> tuple[str, str]:
        return self.org_window.key(str(org_id)), self.sender_window.key(f"{org_id}:{conversation_id}")


@dataclass(frozen=True)
class DueBurst:
    org_id: int
    conversation_id: int
    burst_id: str
    first_at: float | None
    count: int


def _member(org_id: int, conversation_id: int) -> str:
    return f"{org_id}:{conversation_id}"


class BurstClock:
    def __init__(self, redis: Redis):
        self.redis = redis
        self._note = redis.register_script(_NOTE)
        self._claim = redis.register_script(_CLAIM)
        self._admit = redis.register_script(_ADMIT)

    def note(self, org_id: int, conversation_id: int, *, now: float, quiet: float, cap: float,
             pipe=None) -> float | None:
        """A message arrived: open or extend the sender's burst; returns its due time (None when
        only queued in `pipe`)."""
        member = _member(org_id, conversation_id)
        due = self._note(
            keys=[DUE, STATE.format(member=member)],
            args=[member, repr(now), repr(quiet), repr(cap), uuid.uuid4().hex],
            client=pipe,
        )
        return None if pipe is not None else float(due)

    def admit(self, org_id: int, conversation_id: int, *, now: float, quiet: float, cap: float,
              pipe, windows: Admission, org_limit: int, sender_limit: int,
              message_type: str):
        """Queue in `pipe` one stored message's admission (see _ADMIT), or with `pipe` None run
        it; its result is the burst's due time, or b"slow" when the sender is over their limit."""
        member = _member(org_id, conversation_id)
        org_key, sender_key = windows.keys(org_id, conversation_id)
        return self._admit(
            keys=[DUE, STATE.format(member=member), org_key, sender_key,
                  windows.busy_key.format(org_id=org_id), windows.messages_in_key,
                  windows.throttled_key],
            args=[member, repr(now), repr(quiet), repr(cap), uuid.uuid4().hex, windows.window,
                  org_limit, sender_limit, secrets.token_hex(8),
                  secrets.token_hex(8), message_type],
            client=pipe,
        )

    def claim_due(self, now: float, limit: int = 100) -> list[DueBurst]:
        """Take every burst due by `now` off the clock; each is returned to one caller only."""
        flat = self._claim(keys=[DUE], args=[repr(now), limit, STATE.format(member="")])
        out = []
        for i in range(0, len(flat), 4):
            member, burst_id, first, count = (
                v.decode() if isinstance(v, bytes) else str(v) for v in flat[i : i + 4]
            )
            org, conv = member.split(":")
            out.append(DueBurst(
                org_id=int(org), conversation_id=int(conv),
                burst_id=burst_id or uuid.uuid4().hex,
                first_at=float(first) if first else None, count=int(count or 0),
            ))
        return out

    def defer(self, org_id: int, conversation_id: int, burst_id: str, until: float) -> None:
        """Look at this burst again at `until` (transcripts still coming, lock busy)."""
        member = _member(org_id, conversation_id)
        key = STATE.format(member=member)
        pipe = self.redis.pipeline()
        # Keep the burst's id unless a newer message already opened state for it.
        pipe.hsetnx(key, "id", burst_id)
        pipe.expire(key, 3600)
        pipe.zadd(DUE, {member: until})
        pipe.execute()
