"""The production stack on parts a test may kill: its own redis-server and PostgreSQL cluster,
the Procfile's processes under honcho, customers posting like Meta, replies counted at a fake
Graph API that lives on another Redis (so killing the app's Redis does not erase the count).

Used by the fault suite (tests/faults/) and by bench/faults.py.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bot import simulator
from services.dispatch import SEND_TIMEOUT
from tests.faults.parts import (
    PostgresCluster,
    RedisServer,
    alive,
    children_of,
    cmdline,
    free_port,
)
from tests.waiting import settled, wait_until

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
PHONE_NUMBER_ID = "100000000000716"
APP_SECRET = "faults-app-secret"
ROLES = ("web", "worker", "scheduler", "clock")
ALWAYS_OPEN = {day: [["00:00", "23:59"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def _has_setting(name: str) -> bool:
    from core.settings import Settings

    return name in Settings.model_fields


@dataclass
class Processes:
    """Each Procfile role's supervisor and the process it keeps running."""

    supervisors: dict[str, int] = field(default_factory=dict)
    inner: dict[str, int] = field(default_factory=dict)


class Stack:
    """honcho running the repository's Procfile against `pg` and `redis`, sending to `graph_url`."""

    def __init__(self, pg: PostgresCluster, redis: RedisServer, graph_url: str, log_path: Path,
                 **overrides: str) -> None:
        self.pg, self.redis, self.graph_url, self.log_path = pg, redis, graph_url, log_path
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {k: v for k, v in os.environ.items()
                    if k not in {"MAKEFLAGS", "MAKELEVEL", "MFLAGS"}}
        self.env.update({
            "ENV": "test", "LOG_JSON": "false", "LOG_LEVEL": "INFO", "PYTHONUNBUFFERED": "1",
            "DATABASE_URL": pg.app_url, "MIGRATION_DATABASE_URL": pg.owner_url,
            "REDIS_URL": redis.url, "PORT": str(self.port),
            "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "WHATSAPP_APP_SECRET": APP_SECRET, "WHATSAPP_VERIFY_TOKEN": "faults-verify-token",
            "WHATSAPP_ACCESS_TOKEN": "faults-access-token",
            "WHATSAPP_PHONE_NUMBER_ID": PHONE_NUMBER_ID, "WHATSAPP_GRAPH_URL": graph_url,
            "BURST_QUIET_SECONDS": "0.3", "BURST_MAX_SECONDS": "1.5",
            "PUBLIC_BASE_URL": self.base,
            **overrides,
        })
        if _has_setting("system_database_url"):
            self.env["SYSTEM_DATABASE_URL"] = pg.system_url
        self.honcho: subprocess.Popen | None = None
        self.org_id: int | None = None

    def settings(self):
        from core.settings import load_settings

        extra = {"system_database_url": self.pg.system_url} \
            if _has_setting("system_database_url") else {}
        return load_settings(env="test", database_url=self.pg.app_url,
                             migration_database_url=self.pg.owner_url, redis_url=self.redis.url,
                             log_json=False, **extra)

    def prepare(self) -> None:
        """Migrate, create the organization the customers write to, and make sure the intent
        model is trained (as `make test`'s bootstrap does), so no burst waits on training."""
        from core import migrate
        from core.db import Database
        from core.organizations import create_organization
        from nlu.intent import corpus
        from nlu.intent.model import build, model_path

        if not model_path(corpus.fingerprint()).exists():
            build(with_held_out=False)

        settings = self.settings()
        migrate.upgrade(settings)
        db = Database(settings)
        try:
            with db.system_session() as s:
                self.org_id = create_organization(s, {
                    "name": "Plomería Aguante", "slug": "plomeria-aguante",
                    "wa_phone_number_id": PHONE_NUMBER_ID, "business_hours": ALWAYS_OPEN}).id
        finally:
            db.dispose()

    def start(self, seconds: float = 60) -> Processes:
        with self.log_path.open("ab") as out:
            self.honcho = subprocess.Popen(
                [str(VENV_BIN / "honcho"), "start", "-f", str(ROOT / "Procfile"), "--port",
                 str(self.port), "--env", os.devnull],
                cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        wait_until(lambda: self._check_running() and self.healthy(), seconds, every=0.2,
                   what="/healthz")
        return wait_until(self.processes, seconds, every=0.2, what="every Procfile process")

    def _check_running(self) -> bool:
        if self.honcho is not None and self.honcho.poll() is not None:
            raise RuntimeError(f"honcho exited ({self.honcho.returncode}):\n{self.log()[-3000:]}")
        return True

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.base}/healthz", timeout=2) as response:
                return response.status == 200
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            return False

    def processes(self) -> Processes | None:
        """Supervisors and their commands, found under honcho; None until all are up."""
        if self.honcho is None:
            return None
        found = Processes()
        todo = [self.honcho.pid]
        while todo:
            for pid in children_of(todo.pop()):
                cmd = cmdline(pid)
                for role in ROLES:
                    if f"workers.supervise {role} " in cmd and alive(pid):
                        found.supervisors[role] = pid
                        kids = [k for k in children_of(pid) if alive(k)]
                        if kids:
                            found.inner[role] = kids[0]
                todo.append(pid)
        if set(found.supervisors) == set(ROLES) and set(found.inner) == set(ROLES):
            return found
        return None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> int | None:
        if self.honcho is None:
            return None
        if self.honcho.poll() is None:
            os.killpg(self.honcho.pid, signal.SIGTERM)
            try:
                self.honcho.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.honcho.pid, signal.SIGKILL)
                self.honcho.wait()
        return self.honcho.returncode


# -- customers, as Meta delivers them ---------------------------------------------------------

_runs = itertools.count(1)


class Customers:
    """Customers who each send one message; delivery is retried like Meta does until a 200.
    Every group has numbers of its own, so scenarios can follow one another on one stack."""

    def __init__(self, stack: Stack, prefix: str, count: int) -> None:
        self.stack = stack
        run = next(_runs)
        self.wa_ids = [f"549{prefix}{run:04d}{n:04d}" for n in range(count)]
        self.statuses: Counter[int] = Counter()
        self.retries = 0
        self._threads: list[threading.Thread] = []

    def send(self, wa_ids: list[str], *, deadline: float = 40.0) -> None:
        """Deliver one message from each of `wa_ids`, in the background."""
        for wa_id in wa_ids:
            thread = threading.Thread(target=self._deliver, args=(wa_id, deadline), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _deliver(self, wa_id: str, seconds: float) -> None:
        payload = simulator.text(PHONE_NUMBER_ID, wa_id, "hola, ¿atienden hoy?")
        body = simulator.encode(payload)
        headers = {"Content-Type": "application/json",
                   "X-Hub-Signature-256": simulator.sign(APP_SECRET, body)}
        deadline, wait = time.monotonic() + seconds, 0.2
        while time.monotonic() < deadline:
            request = urllib.request.Request(f"{self.stack.base}/webhooks/whatsapp", data=body,
                                             headers=headers, method="POST")
            try:
                with urllib.request.urlopen(request, timeout=5) as response:
                    status = response.status
            except urllib.error.HTTPError as exc:
                status = exc.code
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                status = 0
            self.statuses[status] += 1
            if status == 200:
                return
            self.retries += 1
            time.sleep(wait)
            wait = min(wait * 2, 2.0)

    def delivered(self, seconds: float = 40.0) -> None:
        for thread in self._threads:
            thread.join(seconds)


def replies(graph, wa_ids: list[str]) -> dict[str, int]:
    """How many messages the fake Graph API recorded for each customer."""
    counts = Counter(record["to"] for record in graph.sent())
    return {wa_id: counts.get(wa_id, 0) for wa_id in wa_ids}


def await_replies(graph, wa_ids: list[str], seconds: float, *, settle: float = 1.5) -> dict[str, int]:
    """Wait until every customer has a reply and nothing new was sent for `settle` seconds;
    the counts as they are then, or when `seconds` are up."""

    def answered() -> dict[str, int] | None:
        counts = replies(graph, wa_ids)
        return counts if all(counts.values()) else None

    try:
        return wait_until(settled(answered, settle), seconds, every=0.1, what="the replies to settle")
    except TimeoutError:
        return replies(graph, wa_ids)


@dataclass
class Outcome:
    """What one fault scenario did to the customers and the processes."""

    fault: str
    customers: int
    lost: int
    doubled: int
    alive: dict[str, bool]
    restarted: list[str]
    recovery_seconds: float | None
    webhook_statuses: dict[int, int]
    left_behind: list[int] = field(default_factory=list)  # children of a killed process

    def as_dict(self) -> dict:
        return {"fault": self.fault, "customers": self.customers, "lost": self.lost,
                "doubled": self.doubled, "processes_alive": self.alive,
                "processes_restarted": self.restarted, "processes_left_behind": len(self.left_behind),
                "recovery_seconds": self.recovery_seconds,
                "webhook_statuses": {str(k): v for k, v in sorted(self.webhook_statuses.items())}}


def outcome(fault: str, stack: Stack, graph, customers: Customers, before: Processes,
            counts: dict[str, int], recovery_seconds: float | None) -> Outcome:
    now = stack.processes() or Processes()
    alive_now = {role: role in now.supervisors and role in now.inner
                 and alive(now.supervisors[role]) and alive(now.inner[role]) for role in ROLES}
    restarted = [role for role in ROLES if now.inner.get(role) != before.inner.get(role)]
    alive_now["honcho"] = stack.honcho is not None and stack.honcho.poll() is None
    return Outcome(fault, len(counts), sum(1 for n in counts.values() if n == 0),
                   sum(1 for n in counts.values() if n > 1), alive_now, restarted,
                   recovery_seconds, dict(customers.statuses))


# -- the scenarios ----------------------------------------------------------------------------

def _recovered_in(graph, wa_ids: list[str], since: float, seconds: float) -> float | None:
    """Seconds from `since` until every customer in `wa_ids` had a reply (None if never)."""
    try:
        wait_until(lambda: all(replies(graph, wa_ids).values()), seconds,
                   what="every customer answered")
    except TimeoutError:
        return None
    return round(time.monotonic() - since, 2)


def redis_outage(stack: Stack, graph, *, customers: int = 12, outage: float = 3.0,
                 budget: float = 25.0) -> Outcome:
    """Kill the app's Redis (everything in it is lost) with messages in flight; keep posting."""
    before = stack.processes()
    people = Customers(stack, "71", customers)
    half = customers // 2
    people.send(people.wa_ids[:half])
    time.sleep(0.4)  # some bursts open, some closing: the outage hits them in flight
    stack.redis.kill()
    people.send(people.wa_ids[half:])
    time.sleep(outage)
    stack.redis.start()
    back = time.monotonic()
    people.delivered()
    recovery = _recovered_in(graph, people.wa_ids, back, budget)
    counts = await_replies(graph, people.wa_ids, 5.0)
    return outcome("redis killed", stack, graph, people, before, counts, recovery)


def postgres_outage(stack: Stack, graph, *, customers: int = 12, outage: float = 3.0,
                    budget: float = 25.0) -> Outcome:
    """Crash PostgreSQL (immediate stop) with messages in flight; Meta keeps retrying."""
    before = stack.processes()
    people = Customers(stack, "72", customers)
    half = customers // 2
    people.send(people.wa_ids[:half])
    time.sleep(0.4)
    stack.pg.stop()
    people.send(people.wa_ids[half:])
    time.sleep(outage)
    stack.pg.start()
    back = time.monotonic()
    people.delivered()
    recovery = _recovered_in(graph, people.wa_ids, back, budget)
    counts = await_replies(graph, people.wa_ids, 5.0)
    return outcome("postgresql killed", stack, graph, people, before, counts, recovery)


# A send the killed worker was making holds its message's claim until the claim lapses with the
# send job's timeout (a claim shorter than a send could let two senders both send); the retries
# and the sweeper deliver it after that. Recovery is bounded by that, not by the outages' 25 s.
WORKER_KILLED_BUDGET = SEND_TIMEOUT + 25.0


def worker_killed(stack: Stack, graph, *, customers: int = 12,
                  budget: float = WORKER_KILLED_BUDGET) -> Outcome:
    """SIGKILL the worker while it answers; its supervisor starts another."""
    before = stack.processes()
    people = Customers(stack, "73", customers)
    people.send(people.wa_ids)
    wait_until(lambda: any(replies(graph, people.wa_ids).values()), 15, every=0.02,
               what="the first reply")
    # rq's scheduler runs in a child of the worker: it must not outlive it.
    orphans = children_of(before.inner["worker"])
    os.kill(before.inner["worker"], signal.SIGKILL)
    killed = time.monotonic()
    people.delivered()
    recovery = _recovered_in(graph, people.wa_ids, killed, budget)
    counts = await_replies(graph, people.wa_ids, 5.0)
    result = outcome("worker killed", stack, graph, people, before, counts, recovery)
    result.left_behind = [pid for pid in orphans if alive(pid)]
    return result


SCENARIOS = {"redis": redis_outage, "worker": worker_killed, "postgresql": postgres_outage}
