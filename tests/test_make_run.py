"""`make run` on a fresh database: healthy web, seeded demo, and nothing left after Ctrl-C."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import port_for
import pytest
from sqlalchemy import func, select

from core.db import Database
from core.models import PriceBookItem, User
from core.organizations import find_by_slug
from core.settings import load_settings
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parent.parent
# What each process of `make run` shows in its command line.
ROLES = {"redis": "redis-server", "web": "gunicorn", "worker": "workers.worker", "clock": "workers.clock",
         "scheduler": "workers.scheduler"}

pytestmark = pytest.mark.slow


def _stat(pid: int) -> tuple[int, str, str] | None:
    """(parent pid, state, start time) of a process, or None once it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = raw[raw.rindex(")") + 2:].split()
    return int(fields[1]), fields[0], fields[19]


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except (FileNotFoundError, ProcessLookupError):
        return ""


def _descendants(root: int) -> dict[tuple[int, str], str]:
    """Every process below `root`, keyed by (pid, start time) so a reused pid is not confused."""
    children: dict[int, list[tuple[int, str]]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))):
            children.setdefault(stat[0], []).append((int(entry.name), stat[2]))
    found, todo = {}, [root]
    while todo:
        for pid, started in children.get(todo.pop(), []):
            found[(pid, started)] = _cmdline(pid)
            todo.append(pid)
    return found


def _alive(pid: int, started: str) -> bool:
    stat = _stat(pid)
    return stat is not None and stat[2] == started and stat[1] not in "ZX"


def _poll(what: str, check, seconds: float, proc: subprocess.Popen, log: Path):
    def checked():
        if (result := check()):
            return result
        if proc.poll() is not None:
            pytest.fail(f"make run exited ({proc.returncode}) before {what}:\n{log.read_text()}")
        return None

    try:
        return wait_until(checked, seconds, every=0.2, what=what)
    except TimeoutError:
        pytest.fail(f"timed out waiting for {what}:\n{log.read_text()}")


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def test_make_run_serves_seeds_and_stops_cleanly(tmp_path):
    web_port = port_for.select_random()
    redis_port = port_for.select_random(exclude_ports=[web_port])
    db_url = f"sqlite:///{tmp_path / 'campotech.db'}"
    env = {k: v for k, v in os.environ.items()
           if k not in {"MAKEFLAGS", "MAKELEVEL", "MFLAGS", "MIGRATION_DATABASE_URL"}}
    env.update(PORT=str(web_port), REDIS_URL=f"redis://127.0.0.1:{redis_port}/0",
               DATABASE_URL=db_url, ENV="development", LOG_JSON="false")
    log = tmp_path / "make-run.log"
    with log.open("w") as out:
        proc = subprocess.Popen(["make", "run"], cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    processes: dict[tuple[int, str], str] = {}
    try:
        _poll("/healthz to answer 200", lambda: _healthy(f"http://127.0.0.1:{web_port}/healthz"),
              180, proc, log)
        _poll("the demo logins", lambda: "duenio@demo.campotech.com.ar" in log.read_text(),
              30, proc, log)

        database = Database(load_settings(database_url=db_url, redis_url=env["REDIS_URL"]))
        try:
            with database.system_session() as s:
                org = find_by_slug(s, "demo")
                assert org is not None and org.name == "Plomería y Gas Demo"
            with database.org_session(org.id) as s:
                assert s.scalar(select(func.count()).select_from(User)) == 4
                assert s.scalar(select(func.count()).select_from(PriceBookItem)) >= 20
        finally:
            database.dispose()

        def all_roles_up():
            nonlocal processes
            processes = _descendants(proc.pid)
            return all(any(mark in cmd for cmd in processes.values()) for mark in ROLES.values())

        _poll("web, worker, scheduler and redis to be up", all_roles_up, 30, proc, log)

        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        proc.wait(timeout=60)

        def running() -> list[str]:
            return [cmd for (pid, started), cmd in processes.items() if _alive(pid, started)]

        with contextlib.suppress(TimeoutError):
            wait_until(lambda: not running(), 30, every=0.2, what="every process to stop")
        left = running()
        assert not left, f"still running after Ctrl-C: {left}\n{log.read_text()}"
        assert "campotech: stopped" in log.read_text()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        for pid, started in processes:
            if _alive(pid, started):
                os.kill(pid, signal.SIGKILL)
