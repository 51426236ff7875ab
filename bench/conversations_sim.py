"""Conversations bench, the customer simulation: each customer books on its own thread, the
feed thread hands every reply at the Graph stand-in to its customer, and the sampler watches
the RQ queues and the stack's memory."""

from __future__ import annotations

import re
import threading
import time

from bench._http import RetryingConnection, signed_webhook
from bench._infra import procfile_gunicorn
from bench._procs import StackWatch
from bot import sandbox_graph, simulator

PHONE_NUMBER_ID = "100000000000889"
SECRET = "bench-app-secret"
TECHNICIANS = 6
EVERY_DAY = {d: [["08:00", "20:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
NAMES = ("Marta García", "Juan Pérez", "Lucía Gómez", "Pedro Díaz", "Ana Romero", "Luis Sosa")
DONE = "Quedó agendado el trabajo #"
ASK_NAME = "A nombre de quién"
HANDED_OVER = ("Te paso con una persona", "No tengo turnos libres")
SETTLE = 3.0  # seconds an unrecognised last message may stay last before the customer gives up
# The general workers' order (replies, bursts, then housekeeping), and the transcription worker's.
QUEUES = ("high", "default", "low", "voice")
GUNICORN = procfile_gunicorn()  # the web process as the Procfile runs it
QUEUE_SAMPLE = 0.25  # seconds between looks at the queues
MEMORY_SAMPLE = 5.0  # seconds between PSS samples


class Failed(Exception):
    """A conversation that did not end in a booking; the message is the reason."""


def _body(p: dict) -> str:
    if p.get("type") == "text":
        return p["text"]["body"]
    if p.get("type") == "interactive":
        return p["interactive"]["body"]["text"]
    return ""


def _buttons(p: dict) -> list[tuple[str, str]]:
    if p.get("type") != "interactive":
        return []
    action = p["interactive"].get("action") or {}
    return [(b["reply"]["id"], b["reply"]["title"]) for b in action.get("buttons") or []]


class Customer:
    """One person booking: posts to the webhook, waits for the replies the feed hands over."""

    def __init__(self, port: int, n: int, quiet: float, timeout: float) -> None:
        self.port, self.n, self.quiet, self.timeout = port, n, quiet, timeout
        self.wa_id = f"5491171{n:06d}"
        self.http = RetryingConnection(port, attempts=3)
        self.inbox: list[dict] = []  # stand-in records, in arrival order
        self.arrived = threading.Condition()
        self.seen = 0
        self.turns: list[tuple[float, int]] = []  # (quiet window closes, inbox length at the post)
        self.latencies: list[float] = []
        self.retaps = 0
        self.job_number: int | None = None
        self.finished_at: float | None = None

    def deliver(self, record: dict) -> None:
        with self.arrived:
            self.inbox.append(record)
            self.arrived.notify_all()

    def _request(self, method: str, path: str, body: bytes | None = None,
                 headers: dict | None = None) -> tuple[int, bytes]:
        return self.http.request(method, path, body, headers)

    def _post(self, payload: dict) -> float:
        body, headers = signed_webhook(payload, SECRET)
        with self.arrived:
            at_post = len(self.inbox)
        status, _ = self._request("POST", "/webhooks/whatsapp", body, headers)
        if status != 200:
            raise Failed(f"webhook answered {status}")
        closes = time.time() + self.quiet
        self.turns.append((closes, at_post))
        return closes

    def _await(self, closes: float, deadline: float) -> dict:
        """The bot's latest message once it has answered the burst that closes at `closes`."""
        first_seen = False
        unknown_since = None
        with self.arrived:
            while True:
                now = time.monotonic()
                if now > deadline:
                    raise Failed("timeout waiting for a reply")
                if len(self.inbox) > self.seen:
                    if not first_seen:
                        first_seen = True
                        self.latencies.append(self.inbox[self.seen]["at"] - closes)
                    latest = self.inbox[-1]["payload"]
                    text = _body(latest)
                    if (_buttons(latest) or DONE in text or ASK_NAME in text
                            or any(h in text for h in HANDED_OVER)):
                        self.seen = len(self.inbox)
                        return latest
                    # e.g. "Perdoná, no me quedó claro" before the question is asked again
                    unknown_since = unknown_since or now
                    if now - unknown_since > SETTLE:
                        self.seen = len(self.inbox)
                        raise Failed(f"unexpected reply: {text[:60]!r}")
                    wait = min(deadline, unknown_since + SETTLE) - now + 0.01
                else:
                    wait = deadline - now
                self.arrived.wait(max(0.01, wait))

    def run(self) -> None:
        deadline = time.monotonic() + self.timeout
        try:
            self._converse(deadline)
        finally:
            self.finished_at = time.time()

    def _converse(self, deadline: float) -> None:
        street = 3400 + 2 * self.n
        first = f"se me tapó la pileta, estoy en Gorriti al {street}, Palermo"
        closes = self._post(simulator.text(PHONE_NUMBER_ID, self.wa_id, first))
        for _ in range(20):
            latest = self._await(closes, deadline)
            text, buttons = _body(latest), _buttons(latest)
            if DONE in text:
                self.job_number = int(re.match(r"\d+", text.split(DONE, 1)[1]).group())
                return
            if any(h in text for h in HANDED_OVER):
                raise Failed("handed to a person: " + text[:40])
            if ASK_NAME in text:
                closes = self._post(simulator.text(PHONE_NUMBER_ID, self.wa_id,
                                                   NAMES[self.n % len(NAMES)]))
                continue
            ids = dict(buttons)
            if "booking:confirm" in ids:
                closes = self._post(simulator.button_reply(
                    PHONE_NUMBER_ID, self.wa_id, "booking:confirm", ids["booking:confirm"]))
                continue
            slots = [(i, t) for i, t in buttons if i.startswith("slot:")]
            if slots:
                if "ocupar" in text:
                    self.retaps += 1
                slot_id, title = slots[self.n % len(slots)]
                closes = self._post(
                    simulator.button_reply(PHONE_NUMBER_ID, self.wa_id, slot_id, title))
                continue
            raise Failed(f"no way forward from {text[:60]!r}")
        raise Failed("too many turns")

    def turn_replies(self) -> list[list[dict]]:
        """The replies that arrived for each burst the customer sent (until the next post)."""
        with self.arrived:
            bounds = [at for _, at in self.turns] + [len(self.inbox)]
            return [self.inbox[bounds[i]:bounds[i + 1]] for i in range(len(self.turns))]


class Feed(threading.Thread):
    """Hands every reply to its customer as it reaches the Graph stand-in; keeps the arrival
    times of all sends and read marks.

    With the bench's own stand-in (`bench._graph_stand_in`, in this process) the stand-in calls
    `send` and `read` directly. With the app's sandbox stand-in (`--graph sandbox`, inside
    gunicorn), this thread reads its feed with a cursor (one blocking XREAD per batch)."""

    def __init__(self, redis_url: str | None, customers: dict[str, Customer]):
        super().__init__(name="feed", daemon=True)
        from redis import Redis

        self.redis = Redis.from_url(redis_url) if redis_url else None
        self.customers = customers
        self.sends: list[dict] = []
        self.reads: list[float] = []
        self.reads_calls = 0
        self.stopping = threading.Event()

    def send(self, to: str, payload: dict, wamid: str, at: float) -> None:
        self.sends.append({"to": to, "wamid": wamid, "at": at})
        customer = self.customers.get(to)
        if customer is not None:
            customer.deliver({"to": to, "payload": payload, "wamid": wamid, "at": at})

    def read(self, at: float) -> None:
        self.reads.append(at)

    def run(self) -> None:
        if self.redis is None:  # the stand-in calls in
            self.stopping.wait()
            return
        cursor = "0"
        while not self.stopping.is_set():
            cursor, items = sandbox_graph.feed_after(self.redis, cursor, block_ms=250)
            self.reads_calls += 1
            for item in items:
                if item["kind"] == "read":
                    self.read(item["at"])
                else:
                    self.send(item["to"], item["payload"], item["wamid"], item["at"])


class Sampler(threading.Thread):
    """The RQ queues' depth (queued, running, scheduled retries) four times a second, and the
    stack's memory every few seconds."""

    def __init__(self, redis_url: str, watch: StackWatch):
        super().__init__(name="sampler", daemon=True)
        from redis import Redis

        self.redis = Redis.from_url(redis_url)
        self.watch = watch
        self.samples: list[tuple[float, dict[str, tuple[int, int, int]]]] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        next_memory = 0.0
        while not self.stopping.is_set():
            pipe = self.redis.pipeline(transaction=False)
            for q in QUEUES:
                pipe.llen(f"rq:queue:{q}")
                pipe.zcard(f"rq:wip:{q}")
                pipe.zcard(f"rq:scheduled:{q}")
            got = pipe.execute()
            self.samples.append((time.time(), {q: tuple(got[3 * i:3 * i + 3]) for i, q in enumerate(QUEUES)}))
            if time.monotonic() >= next_memory:
                self.watch.sample_memory()
                next_memory = time.monotonic() + MEMORY_SAMPLE
            self.stopping.wait(QUEUE_SAMPLE)

    def empty_since(self, queue: str) -> float | None:
        """Since when `queue` has had nothing queued, running or scheduled (None: not empty now)."""
        since = None
        for at, depths in self.samples:
            if any(depths[queue]):
                since = None
            elif since is None:
                since = at
        return since

    def all_empty(self, for_seconds: float) -> bool:
        now = time.time()
        return all((s := self.empty_since(q)) is not None and now - s >= for_seconds for q in QUEUES)

