"""Transport metrics kept in Redis (shared by web and worker processes), rendered for Prometheus."""

from __future__ import annotations

import re

from redis import Redis
from rq import Queue

from services.queues import QUEUE_NAMES

PREFIX = "campotech:metrics"
# Seconds from a burst's quiet window closing to its reply reaching the Graph API.
LATENCY_BUCKETS = (0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0)

COUNTERS = {
    "campotech_messages_in_total": ("Inbound WhatsApp messages stored, by type.", "type"),
    "campotech_messages_out_total": ("Outbound WhatsApp messages accepted by Meta, by type.", "type"),
    "campotech_duplicates_total": ("Redeliveries of messages already stored.", None),
    "campotech_bursts_total": ("Bursts processed, by outcome.", "outcome"),
    "campotech_send_failures_total": ("Failed sends, by Meta error code.", "code"),
    "campotech_webhook_rejected_total": ("Webhook posts refused, by reason.", "reason"),
    "campotech_throttled_total": ("Inbound messages over a sender or organization limit.", "scope"),
}
HISTOGRAM = "campotech_burst_reply_seconds"

# Label values may come from a payload (a message's type, Meta's error code): only known values
# become series, anything else is "other", so nobody outside can grow Redis or Prometheus.
OTHER = "other"
MESSAGE_TYPES = frozenset({
    "text", "audio", "image", "video", "document", "sticker", "location", "contacts",
    "interactive", "button", "reaction", "order", "system", "template", "unsupported", "unknown",
})
_CODE = re.compile(r"^(?:\d{1,7}|unknown)$")
_WORD = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def label_value(label: str | None, value: object) -> str:
    """The value a series may carry for `label`; "other" for anything not known."""
    if label is None:
        return ""
    text = value if isinstance(value, str) else str(value) if isinstance(value, int) else ""
    if label == "type":
        return text if text in MESSAGE_TYPES else OTHER
    if label == "code":
        return text if _CODE.match(text) else OTHER
    return text if _WORD.match(text) else OTHER


class Metrics:
    def __init__(self, redis: Redis):
        self.redis = redis

    def inc(self, name: str, label: str | None = None, amount: int = 1, *, pipe=None) -> None:
        """Count; with `pipe`, only queue the count in that pipeline."""
        if name not in COUNTERS:
            raise KeyError(f"unknown metric {name}")
        value = label_value(COUNTERS[name][1], label)
        (pipe or self.redis).hincrby(f"{PREFIX}:{name}", value, amount)

    def observe_latency(self, seconds: float) -> None:
        pipe = self.redis.pipeline()
        key = f"{PREFIX}:{HISTOGRAM}"
        for bound in LATENCY_BUCKETS:
            if seconds <= bound:
                pipe.hincrby(key, repr(bound), 1)
        pipe.hincrby(key, "+Inf", 1)
        pipe.hincrbyfloat(key, "sum", seconds)
        pipe.execute()

    def render(self) -> str:
        lines: list[str] = []
        for name, (help_text, label) in COUNTERS.items():
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} counter"]
            values = self._hash(name)
            if not values and label is None:
                values = {"": 0}
            for key, value in sorted(values.items()):
                labels = f'{{{label}="{_escape(key)}"}}' if label else ""
                lines.append(f"{name}{labels} {value}")
        lines += [
            f"# HELP {HISTOGRAM} Quiet window closed to reply sent, seconds.",
            f"# TYPE {HISTOGRAM} histogram",
        ]
        hist = self._hash(HISTOGRAM)
        for bound in LATENCY_BUCKETS:
            lines.append(f'{HISTOGRAM}_bucket{{le="{bound}"}} {int(hist.get(repr(bound), 0))}')
        lines.append(f'{HISTOGRAM}_bucket{{le="+Inf"}} {int(hist.get("+Inf", 0))}')
        lines.append(f"{HISTOGRAM}_sum {float(hist.get('sum', 0))}")
        lines.append(f"{HISTOGRAM}_count {int(hist.get('+Inf', 0))}")
        lines += ["# HELP campotech_queue_depth Jobs waiting per RQ queue.",
                  "# TYPE campotech_queue_depth gauge"]
        for queue in QUEUE_NAMES:
            lines.append(f'campotech_queue_depth{{queue="{queue}"}} {Queue(queue, connection=self.redis).count}')
        failed = sum(Queue(q, connection=self.redis).failed_job_registry.count for q in QUEUE_NAMES)
        lines += ["# HELP campotech_failed_jobs Jobs in RQ's failed registries.",
                  "# TYPE campotech_failed_jobs gauge", f"campotech_failed_jobs {failed}"]
        return "\n".join(lines) + "\n"

    def _hash(self, name: str) -> dict[str, float]:
        raw = self.redis.hgetall(f"{PREFIX}:{name}")
        out = {}
        for k, v in raw.items():
            key = k.decode() if isinstance(k, bytes) else k
            num = float(v)
            out[key] = int(num) if num.is_integer() else num
        return out


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")

