"""Throwaway PostgreSQL and redis-server for the benchmarks, started like the test fixtures do."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from core import migrate
from core.settings import Settings, load_settings

APP_ROLE, OWNER_ROLE, DBNAME = "campotech_app", "campotech_owner", "campotech_bench"
SYSTEM_ROLE = "campotech_system"


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


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def job_times(redis_url: str) -> dict[str, dict]:
    """Where the two workers' time went: per task, count, total and mean run time."""
    from redis import Redis
    from rq import Queue
    from rq.job import Job as RQJob
    from rq.registry import FinishedJobRegistry

    redis = Redis.from_url(redis_url)
    out: dict[str, list[float]] = {}
    for name in ("high", "default", "low"):
        registry = FinishedJobRegistry(queue=Queue(name, connection=redis))
        for job in RQJob.fetch_many(registry.get_job_ids(), connection=redis):
            if job is not None and job.started_at and job.ended_at:
                out.setdefault(job.func_name.rsplit(".", 1)[-1], []).append(
                    (job.ended_at - job.started_at).total_seconds())
    return {name: {"count": len(times), "total_s": round(sum(times), 2),
                   "mean_ms": round(1000 * sum(times) / len(times), 1)}
            for name, times in sorted(out.items())}
