"""Throwaway PostgreSQL and redis-server for the benchmarks, started like the test fixtures do,
and what every bench report carries: the machine, percentiles, the JSON layout.

Process memory and CPU accounting is in `bench._procs`; RQ job times and worker profiling in
`bench._jobs`."""

from __future__ import annotations

import glob
import itertools
import os
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from core import migrate
from core.settings import Settings, load_settings

APP_ROLE, OWNER_ROLE, DBNAME = "campotech_app", "campotech_owner", "campotech_bench"
SYSTEM_ROLE = "campotech_system"


ROOT = Path(__file__).resolve().parent.parent
_GUNICORN_OPTIONS = {"-w": "--workers", "--workers": "--workers", "-k": "--worker-class",
                     "--worker-class": "--worker-class", "--threads": "--threads"}


def procfile_gunicorn(procfile: Path = ROOT / "Procfile") -> list[str]:
    """The web process's gunicorn options that shape its throughput (workers, worker class,
    threads), read from the Procfile: a bench measures the web as it is shipped, and follows
    it when the Procfile changes. Gunicorn's own defaults fill what the line leaves out."""
    line = next(line for line in procfile.read_text().splitlines() if line.startswith("web:"))
    words = shlex.split(line.partition(":")[2])
    options = {"--workers": "1", "--worker-class": "sync"}
    for word, value in itertools.pairwise(words):
        if word in _GUNICORN_OPTIONS:
            options[_GUNICORN_OPTIONS[word]] = value
    return [part for pair in options.items() for part in pair]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pg_bindir() -> str:
    pg_config = shutil.which("pg_config")
    if pg_config:
        bindir = subprocess.check_output([pg_config, "--bindir"], text=True).strip()
        if os.path.exists(f"{bindir}/initdb"):
            return bindir
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise SystemExit("initdb not found: install postgresql-15")
    return str(Path(found[-1]).parent)


def _as_postgres(argv: list[str]) -> list[str]:
    # initdb and postgres refuse root; CI and these machines run as root.
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


@contextmanager
def postgres():
    """Yield (app_url, owner_url, system_url) of a fresh cluster with the app's three roles."""
    bindir = _pg_bindir()
    workdir = tempfile.mkdtemp(prefix="campotech-bench-pg-")
    if os.geteuid() == 0:
        shutil.chown(workdir, "postgres", "postgres")
    data, port = f"{workdir}/data", free_port()
    subprocess.run(_as_postgres([f"{bindir}/initdb", "-D", data, "-A", "trust", "--no-sync", "-U", "postgres"]),
                   check=True, stdout=subprocess.DEVNULL)
    subprocess.run(_as_postgres([
        f"{bindir}/pg_ctl", "-D", data, "-w", "-l", f"{workdir}/log", "-o",
        f"-p {port} -k {workdir} -h 127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=200",
        "start"]), check=True, stdout=subprocess.DEVNULL)
    try:
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={port} user=postgres dbname=postgres", autocommit=True) as c:
            for role in (OWNER_ROLE, APP_ROLE, SYSTEM_ROLE):
                c.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{role}'")
            c.execute(f"CREATE DATABASE {DBNAME} OWNER {OWNER_ROLE}")
        url = "postgresql+psycopg://{r}:{r}@127.0.0.1:" + f"{port}/{DBNAME}"
        yield url.format(r=APP_ROLE), url.format(r=OWNER_ROLE), url.format(r=SYSTEM_ROLE)
    finally:
        subprocess.run(_as_postgres([f"{bindir}/pg_ctl", "-D", data, "-m", "immediate", "stop"]), check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(workdir, ignore_errors=True)


@contextmanager
def redis_server():
    exe = shutil.which("redis-server")
    if not exe:
        raise SystemExit("redis-server not found: apt-get install redis-server")
    port = free_port()
    proc = subprocess.Popen([exe, "--port", str(port), "--save", "", "--appendonly", "no"],
                            stdout=subprocess.DEVNULL)
    try:
        from redis import Redis

        deadline = time.monotonic() + 5
        while True:
            try:
                Redis(port=port).ping()
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(5)


@contextmanager
def stack(**overrides):
    """Settings on a migrated PostgreSQL and a live Redis; also exported to os.environ for children."""
    with postgres() as (app_url, owner_url, system_url), redis_server() as redis_url:
        settings: Settings = load_settings(
            env="test", database_url=app_url, migration_database_url=owner_url,
            system_database_url=system_url, redis_url=redis_url,
            log_json=True, log_level="WARNING", **overrides,
        )
        migrate.upgrade(settings)
        env = {k.upper(): (str(v).lower() if isinstance(v, bool) else str(v))
               for k, v in settings.model_dump().items() if v is not None}
        old = dict(os.environ)
        os.environ.update(env)
        try:
            yield settings
        finally:
            os.environ.clear()
            os.environ.update(old)


def dumps(report: dict) -> str:
    """A bench's JSON report, indented, with short lists of numbers kept on one line."""
    import json
    import re

    text = json.dumps(report, indent=2, ensure_ascii=False)
    return re.sub(r"\[\s+([-\d.,\s]+?)\s+\]",
                  lambda m: "[" + ", ".join(x.strip() for x in m.group(1).split(",")) + "]", text)


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


# -- the machine a figure was measured on ---------------------------------------------------

def machine() -> dict:
    """What a figure was measured on: cores, load average now, Python, the commit."""
    try:
        commit = subprocess.check_output(["git", "rev-parse", "--short", "HEAD"], cwd=Path(__file__).parent,
                                         text=True, stderr=subprocess.DEVNULL).strip()
        dirty = bool(subprocess.check_output(["git", "status", "--porcelain", "--untracked-files=no"],
                                             cwd=Path(__file__).parent, text=True).strip())
    except (OSError, subprocess.CalledProcessError):
        commit, dirty = "unknown", False
    return {"cores": os.cpu_count(), "load_average": load_average(), "python": sys.version.split()[0],
            "commit": commit + ("+uncommitted changes" if dirty else "")}


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]
