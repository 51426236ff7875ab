"""Simulated customers booking concurrently through the real path, with two workers (JSON).

Runs the real processes — gunicorn in sandbox mode (its own Graph stand-in records replies),
two RQ workers and the burst clock — on PostgreSQL and Redis. Each customer, on its own thread,
sends "se me tapó la pileta, estoy en Gorriti al <n>, Palermo", taps a slot, gives a name if
asked, confirms, and waits for "¡Listo! ✅ Quedó agendado el trabajo #N" — polling
`/sandbox/messages` for its wa_id and answering the bot's latest message. Every message the
customer sends is its own burst; the latency of a burst is from its quiet window closing (post
time + quiet seconds) to the first reply's recorded `at`. The baseline in the same run is an
empty RQ job's enqueue-to-finish time. Afterwards the database must hold exactly one Job per
customer.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._infra import free_port, job_times, percentile, stack
from bot import simulator

PHONE_NUMBER_ID = "100000000000889"
SECRET = "bench-app-secret"
TECHNICIANS = 6
EVERY_DAY = {d: [["08:00", "20:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
NAMES = ("Marta García", "Juan Pérez", "Lucía Gómez", "Pedro Díaz", "Ana Romero", "Luis Sosa")
DONE = "Quedó agendado el trabajo #"
ASK_NAME = "A nombre de quién"
HANDED_OVER = ("Te paso con una persona", "No tengo turnos libres")
SETTLE = 3.0  # seconds an unrecognised last message may stay last before the customer gives up


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
    def __init__(self, port: int, n: int, quiet: float, timeout: float, poll: float) -> None:
        self.port, self.n, self.quiet, self.timeout, self.poll = port, n, quiet, timeout, poll
        self.wa_id = f"5491171{n:06d}"
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
        self.seen = 0
        self.latencies: list[float] = []
        self.replies = 0
        self.retaps = 0
        self.job_number: int | None = None

    def _request(self, method: str, path: str, body: bytes | None = None,
                 headers: dict | None = None) -> tuple[int, bytes]:
        for attempt in range(3):
            try:
                self.conn.request(method, path, body=body, headers=headers or {})
                resp = self.conn.getresponse()
                return resp.status, resp.read()
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
                if attempt == 2:
                    raise
                time.sleep(0.2)
        raise AssertionError("unreachable")

    def _post(self, payload: dict) -> float:
        body = simulator.encode(payload)
        status, _ = self._request("POST", "/webhooks/whatsapp", body, {
            "Content-Type": "application/json",
            "X-Hub-Signature-256": simulator.sign(SECRET, body)})
        if status != 200:
            raise Failed(f"webhook answered {status}")
        return time.time() + self.quiet

    def _recorded(self) -> list[dict]:
        status, raw = self._request("GET", f"/sandbox/messages?wa_id={quote(self.wa_id)}")
        if status != 200:
            raise Failed(f"/sandbox/messages answered {status}")
        return json.loads(raw)["messages"]

    def _await(self, closes: float, deadline: float) -> dict:
        """The bot's latest message once it has answered the burst that closes at `closes`."""
        first_new = None
        unknown_since = None
        while True:
            if time.monotonic() > deadline:
                raise Failed("timeout waiting for a reply")
            messages = self._recorded()
            if len(messages) > self.seen:
                if first_new is None:
                    first_new = messages[self.seen]
                    self.latencies.append(first_new["at"] - closes)
                latest = messages[-1]["payload"]
                text = _body(latest)
                if (_buttons(latest) or DONE in text or ASK_NAME in text
                        or any(h in text for h in HANDED_OVER)):
                    self.replies += len(messages) - self.seen
                    self.seen = len(messages)
                    return latest
                # e.g. "Perdoná, no me quedó claro" before the question is asked again
                unknown_since = unknown_since or time.monotonic()
                if time.monotonic() - unknown_since > SETTLE:
                    self.replies += len(messages) - self.seen
                    self.seen = len(messages)
                    raise Failed(f"unexpected reply: {text[:60]!r}")
            time.sleep(self.poll)

    def run(self) -> None:
        deadline = time.monotonic() + self.timeout
        street = 3400 + 2 * self.n
        first = f"se me tapó la pileta, estoy en Gorriti al {street}, Palermo"
        closes = self._post(simulator.text(PHONE_NUMBER_ID, self.wa_id, first))
        for _ in range(20):
            latest = self._await(closes, deadline)
            text, buttons = _body(latest), _buttons(latest)
            if DONE in text:
                self.job_number = int(text.split(DONE, 1)[1].split(":")[0].split(".")[0].strip())
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


def _baseline(redis_url: str, runs: int) -> list[float]:
    from redis import Redis
    from rq import Queue

    queue = Queue("high", connection=Redis.from_url(redis_url))
    out = []
    for _ in range(runs):
        t0 = time.time()
        job = queue.enqueue("workers.tasks.noop")
        while job.get_status(refresh=True) not in ("finished", "failed"):
            time.sleep(0.005)
        out.append(time.time() - t0)
    return out


def _wait_healthy(port: int) -> None:
    deadline = time.monotonic() + 30
    while True:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit("the app did not start") from None
            time.sleep(0.2)
        finally:
            conn.close()


def _setup(settings) -> int:
    from core.db import Database
    from core.identity.users import create_user
    from core.organizations import create_organization

    db = Database(settings)
    try:
        with db.system_session() as s:
            org_id = create_organization(s, {
                "name": "Bench", "slug": "bench-conversations",
                "wa_phone_number_id": PHONE_NUMBER_ID,
                "business_hours": EVERY_DAY}).id
        with db.org_session(org_id) as s:
            for t in range(TECHNICIANS):
                create_user(s, {"name": f"Técnico {t + 1}", "role": "technician",
                                "phone": f"+54911555502{t:02d}", "working_hours": None})
    finally:
        db.dispose()
    return org_id


def _jobs_per_customer(settings, org_id: int, wa_ids: list[str]) -> dict[str, int]:
    from sqlalchemy import func, select

    from core.db import Database
    from core.models import Customer, Job

    db = Database(settings)
    try:
        with db.org_session(org_id) as s:
            rows = s.execute(
                select(Customer.phone, func.count(Job.id))
                .select_from(Customer).outerjoin(Job, Job.customer_id == Customer.id)
                .group_by(Customer.phone)).all()
    finally:
        db.dispose()
    counts = {(phone or "").lstrip("+"): n for phone, n in rows}
    return {w: counts.get(w, 0) for w in wa_ids}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--quiet", type=float, default=0.5)
    parser.add_argument("--timeout", type=float, default=180.0, help="per customer, seconds")
    parser.add_argument("--poll", type=float, default=0.5,
                        help="seconds between polls of /sandbox/messages per customer; the pollers "
                             "share gunicorn with the Graph stand-in the workers send through")
    args = parser.parse_args()

    port = free_port()
    with stack(whatsapp_app_secret=SECRET, whatsapp_access_token=None,
               whatsapp_phone_number_id=PHONE_NUMBER_ID, burst_quiet_seconds=args.quiet,
               public_base_url=f"http://127.0.0.1:{port}") as settings:
        org_id = _setup(settings)
        bindir = Path(sys.executable).parent
        env = os.environ.copy()
        quiet = {"cwd": ROOT, "env": env,
                 "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        procs = [
            subprocess.Popen([str(bindir / "gunicorn"), "wsgi:app", "--bind", f"127.0.0.1:{port}",
                              "--workers", "4", "--threads", "8", "--worker-class", "gthread",
                              "--no-control-socket", "--log-level", "warning"], **quiet),
            subprocess.Popen([sys.executable, "-m", "workers.worker"], **quiet),
            subprocess.Popen([sys.executable, "-m", "workers.worker"], **quiet),
            subprocess.Popen([sys.executable, "-m", "workers.clock"], **quiet),
        ]
        try:
            _wait_healthy(port)
            baseline = _baseline(settings.redis_url, 20)
            customers = [Customer(port, n, args.quiet, args.timeout, args.poll)
                         for n in range(args.customers)]
            failures: Counter[str] = Counter()
            lock = threading.Lock()

            def drive(c: Customer) -> None:
                try:
                    c.run()
                except Failed as exc:
                    with lock:
                        failures[str(exc)] += 1
                except Exception as exc:  # noqa: BLE001 - counted, the run goes on
                    with lock:
                        failures[f"{type(exc).__name__}: {exc}"[:100]] += 1
                finally:
                    c.conn.close()

            t0 = time.time()
            with ThreadPoolExecutor(args.concurrency) as pool:
                list(pool.map(drive, customers))
            wall = time.time() - t0
            time.sleep(1.0)  # let any late reply or duplicate job land before counting
            per_customer = _jobs_per_customer(settings, org_id, [c.wa_id for c in customers])
            worker_times = job_times(settings.redis_url)
            if any(p.poll() is not None for p in procs):
                failures["a server process exited during the run"] += 1
        finally:
            for p in procs:
                p.terminate()
            for p in procs:
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()

    latencies = [x for c in customers for x in c.latencies]
    replies = sum(c.replies for c in customers)
    completed = sum(1 for c in customers if c.job_number is not None)
    numbers = [c.job_number for c in customers if c.job_number is not None]
    wrong = {w: n for w, n in per_customer.items() if n != 1}
    p95 = percentile(latencies, 95)
    print(json.dumps({
        "benchmark": "conversations",
        "customers": args.customers,
        "concurrency": args.concurrency,
        "workers": 2,
        "technicians": TECHNICIANS,
        "quiet_seconds": args.quiet,
        "poll_seconds": args.poll,
        "bookings_completed": completed,
        "failures": dict(failures),
        "slot_taken_retaps": sum(c.retaps for c in customers),
        "wall_seconds": round(wall, 2),
        "bot_messages": replies,
        "replies_per_second": round(replies / wall, 2) if wall else None,
        "bursts": len(latencies),
        "quiet_close_to_reply_ms": {
            "p50": round(percentile(latencies, 50) * 1000, 1), "p95": round(p95 * 1000, 1),
            "max": round(max(latencies) * 1000, 1) if latencies else None},
        "baseline_empty_rq_job_ms": {"p50": round(percentile(baseline, 50) * 1000, 1),
                                     "p95": round(percentile(baseline, 95) * 1000, 1)},
        "p95_ratio_to_baseline": round(p95 / max(percentile(baseline, 95), 1e-6), 2),
        "job_numbers_unique": len(numbers) == len(set(numbers)),
        "every_conversation_one_job": not wrong,
        "customers_without_exactly_one_job": len(wrong),
        "worker_seconds_by_task": worker_times,
    }, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
