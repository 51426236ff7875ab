"""Throwaway PostgreSQL and redis-server for the benchmarks, started like the test fixtures do."""

from __future__ import annotations

import glob
import os
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


def finished_jobs(redis_url: str) -> list[dict]:
    """Every job the workers finished or failed that Redis still holds: its queue, task and
    start and end (epoch seconds)."""
    from datetime import UTC

    from redis import Redis
    from rq import Queue
    from rq.job import Job as RQJob
    from rq.registry import FailedJobRegistry, FinishedJobRegistry

    def epoch(moment) -> float:
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()

    redis = Redis.from_url(redis_url)
    out = []
    for name in ("high", "default", "low", "voice"):
        queue = Queue(name, connection=redis)
        for registry, outcome in ((FinishedJobRegistry(queue=queue), "finished"),
                                  (FailedJobRegistry(queue=queue), "failed")):
            for job in RQJob.fetch_many(registry.get_job_ids(), connection=redis):
                if job is not None and job.started_at and job.ended_at:
                    out.append({"queue": name, "task": job.func_name.rsplit(".", 1)[-1], "outcome": outcome,
                                "started": epoch(job.started_at), "ended": epoch(job.ended_at)})
    return out


def job_times(redis_url: str) -> dict[str, dict]:
    """Where the workers' time went: per task, count, total and mean run time (finished jobs)."""
    out: dict[str, list[float]] = {}
    for job in finished_jobs(redis_url):
        if job["outcome"] == "finished":
            out.setdefault(job["task"], []).append(job["ended"] - job["started"])
    return {name: {"count": len(times), "total_s": round(sum(times), 2),
                   "mean_ms": round(1000 * sum(times) / len(times), 1)}
            for name, times in sorted(out.items())}


# -- the machine and the stack's processes -------------------------------------------------

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


def cpu_busy_seconds() -> float:
    """Seconds of CPU the whole machine spent busy (all processes, all cores) since boot."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        tree.setdefault(ppid, []).append(int(entry))
    return tree


def _descendants(root: int, tree: dict[int, list[int]]) -> list[int]:
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(tree.get(pid, ()))
    return out


def _postmaster(database_url: str) -> int | None:
    """The bench cluster's postmaster (pg_ctl detaches it from us), found by its port."""
    port = database_url.rsplit(":", 1)[1].split("/", 1)[0]
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if (argv and argv[0].endswith(b"/postgres") and b"-p" in argv
                and argv[argv.index(b"-p") + 1:argv.index(b"-p") + 2] == [port.encode()]
                and any(b"campotech-bench-pg-" in a for a in argv)):
            return int(entry)
    return None


def stack_processes(settings: Settings) -> dict[int, str]:
    """Every process of the running stack, pid → what it is: the children this bench started
    (redis-server, gunicorn and its workers, RQ workers and their scheduler, the clock) and the
    PostgreSQL cluster (postmaster, backends, its own workers). The bench itself is not included."""
    tree = _children()
    pids = [p for c in tree.get(os.getpid(), ()) for p in _descendants(c, tree)]
    postmaster = _postmaster(settings.database_url)
    if postmaster is not None:
        pids += _descendants(postmaster, tree)
    out = {}
    for pid in pids:
        label = _label(pid)
        if label:
            out[pid] = label
    return out


def _label(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv = [a.decode(errors="replace") for a in f.read().split(b"\0") if a]
    except OSError:
        return None
    if not argv:
        return None
    line = " ".join(argv)
    if argv[0].startswith("postgres:"):  # a backend or a helper names itself
        return "postgres: " + ("backend" if "127.0.0.1" in line or "[local]" in line else argv[0][10:].strip())
    if argv[0].endswith("/postgres"):
        return "postgres: postmaster"
    if "redis-server" in argv[0]:
        return "redis-server"
    if "gunicorn" in line:
        return "gunicorn (bare Flask)" if "bare_app" in line else "gunicorn"  # master and workers alike; `stack_memory` tells them apart
    if "workers.worker" in line and "--transcription" in line:
        return "transcription worker"
    if "workers.worker" in line or "profile-worker" in line:
        return "rq worker"
    if "workers.scheduler" in line:
        return "scheduler"
    if "workers.clock" in line:
        return "burst clock"
    if "runuser" in argv[0] or "pg_ctl" in line:
        return None
    return os.path.basename(argv[0])


def pss_kb(pid: int) -> int | None:
    """Proportional set size (shared pages split among their users), from smaps_rollup."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds this process has used."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class StackWatch:
    """Memory and CPU of the stack's processes, sampled now and then by the bench's own thread.

    A process's role is its label; gunicorn's master is the one whose parent is the bench, an RQ
    worker's child is rq's scheduler."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.peak_total_kb = 0
        self.peak: dict[int, tuple[str, int]] = {}
        self.at_peak: dict[int, tuple[str, int]] = {}
        self.samples = 0
        self._cpu_start: dict[int, tuple[str, float]] = {}

    def _roles(self) -> dict[int, str]:
        procs = stack_processes(self.settings)
        parents = {}
        for pid in procs:
            try:
                with open(f"/proc/{pid}/stat") as f:
                    parents[pid] = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                parents[pid] = 0
        roles = {}
        for pid, label in procs.items():
            parent = parents.get(pid, 0)
            if label == "gunicorn":
                label = "gunicorn master" if parent == os.getpid() else "gunicorn worker"
            elif label in ("rq worker", "transcription worker") and procs.get(parent) == label:
                label = f"rq scheduler (forked by a {label})"
            roles[pid] = label
        return roles

    def sample_memory(self) -> None:
        sample = {pid: (role, kb) for pid, role in self._roles().items() if (kb := pss_kb(pid)) is not None}
        self.samples += 1
        for pid, (role, kb) in sample.items():
            if kb > self.peak.get(pid, ("", 0))[1]:
                self.peak[pid] = (role, kb)
        total = sum(kb for _, kb in sample.values())
        if total > self.peak_total_kb:
            self.peak_total_kb, self.at_peak = total, sample

    def memory_report(self) -> dict:
        by_role: dict[str, list[int]] = {}
        for role, kb in self.at_peak.values():
            by_role.setdefault(role, []).append(kb)
        return {
            "samples": self.samples,
            "peak_total_pss_mb": round(self.peak_total_kb / 1024, 1),
            "at_peak_by_role": {role: f"{sum(kbs) / 1024:.1f} MB in {len(kbs)} (largest {max(kbs) / 1024:.1f})"
                                for role, kbs in sorted(by_role.items(), key=lambda x: -sum(x[1]))},
            "at_peak_every_process": [f"{kb / 1024:7.1f} MB  {role} (pid {pid})" for pid, (role, kb)
                                      in sorted(self.at_peak.items(), key=lambda x: -x[1][1])],
            "largest_process_ever": max((f"{kb / 1024:.1f} MB  {role} (pid {pid})" for pid, (role, kb)
                                         in sorted(self.peak.items(), key=lambda x: -x[1][1])[:1]), default=None),
        }

    def start_cpu(self) -> None:
        self._cpu_start = {pid: (role, s) for pid, role in self._roles().items()
                           if (s := cpu_seconds(pid)) is not None}
        self._machine_start = cpu_busy_seconds()
        self._self_start = _own_cpu()
        self._wall_start = time.monotonic()

    def cpu_report(self, per: int, per_name: str) -> dict:
        """CPU seconds since `start_cpu` by role (a process started since counts from zero), the
        bench's own, and everyone else's on the machine; also per `per_name` in milliseconds."""
        wall = time.monotonic() - self._wall_start
        by_role: dict[str, float] = {}
        for pid, role in self._roles().items():
            now = cpu_seconds(pid)
            if now is None:
                continue
            by_role[role] = by_role.get(role, 0.0) + now - self._cpu_start.get(pid, (role, 0.0))[1]
        stack_s = sum(by_role.values())
        bench_s = _own_cpu() - self._self_start
        machine_s = cpu_busy_seconds() - self._machine_start
        per = max(per, 1)
        return {
            "wall_seconds": round(wall, 1),
            "machine_busy_cores": round(machine_s / wall, 2) if wall else None,
            "stack_cpu_seconds": round(stack_s, 1),
            "bench_client_cpu_seconds": round(bench_s, 1),
            "other_processes_cpu_seconds": round(max(0.0, machine_s - stack_s - bench_s), 1),
            f"stack_cpu_ms_per_{per_name}": round(1000 * stack_s / per, 1),
            f"cpu_ms_per_{per_name}_by_role": {role: round(1000 * s / per, 1)
                                              for role, s in sorted(by_role.items(), key=lambda x: -x[1])
                                              if 1000 * s / per >= 0.05},
        }


def _own_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# -- profiling the workers' jobs ------------------------------------------------------------

def profiled_worker_argv(prefix: str) -> list[str]:
    """`python -m workers.worker` with every job it runs profiled (wall time, per task), written
    to `{prefix}-{pid}-{task}.prof` when the worker stops (SIGTERM)."""
    return [sys.executable, "-m", "bench._infra", "profile-worker", prefix]


def _run_profiled_worker(prefix: str) -> None:
    import cProfile
    import json
    import runpy

    from rq import SimpleWorker

    profiles: dict[str, list] = {}
    execute_job = SimpleWorker.execute_job

    def profiled(self, job, *args, **kwargs):  # the task and rq's bookkeeping around it
        entry = profiles.setdefault(job.func_name.rsplit(".", 1)[-1], [cProfile.Profile(), 0])
        entry[1] += 1
        entry[0].enable()
        try:
            return execute_job(self, job, *args, **kwargs)
        finally:
            entry[0].disable()

    SimpleWorker.execute_job = profiled
    sys.argv = ["workers.worker"]
    try:
        runpy.run_module("workers.worker", run_name="__main__", alter_sys=True)
    finally:
        for task, (profile, jobs) in profiles.items():
            profile.dump_stats(f"{prefix}-{os.getpid()}-{task}.prof")
            Path(f"{prefix}-{os.getpid()}-{task}.jobs").write_text(json.dumps(jobs))


def _part(path: str, func: str) -> str:
    """Which part of the stack a profiled function belongs to."""
    root = str(Path(__file__).resolve().parent.parent) + "/"
    if path == "~":  # C functions: where they are waiting matters most
        if any(w in func for w in ("recv", "send", "poll", "select", "connect", "getaddrinfo")):
            return "socket I/O (Redis, HTTP; PostgreSQL connects)"
        if "sleep" in func:
            return "sleep"
        if "acquire" in func:
            return "waiting on a lock"
        return "C builtins"
    if "/psycopg/" in path and func == "wait":  # psycopg's loop around libpq while the server works
        return "waiting on PostgreSQL (psycopg's wait)"
    for marker, name in (("/sqlalchemy/", "sqlalchemy"), ("/psycopg", "psycopg (driver, Python side)"),
                         ("/redis/", "redis-py"), ("/rq/", "rq"), ("/requests/", "requests/urllib3"),
                         ("/urllib3/", "requests/urllib3"), ("/http/client.py", "requests/urllib3"),
                         ("/heyoo/", "heyoo"), ("/pydantic", "pydantic"), ("/json/", "json"),
                         ("/logging/", "logging"), ("/rapidfuzz/", "rapidfuzz"), ("/sklearn/", "scikit-learn"),
                         ("/jinja2/", "jinja2"), ("/werkzeug/", "flask/werkzeug"), ("/flask/", "flask/werkzeug")):
        if marker in path:
            return name
    if path.startswith(root) and "/.venv/" not in path:
        return "ours: " + path[len(root):].split("/", 1)[0]
    return "stdlib and other libraries"


def profile_summary(prefix: str) -> dict:
    """Per task of a profiled worker (`profiled_worker_argv`): see `summarize_profile`."""
    import json
    import pstats

    tasks: dict[str, list[str]] = {}
    for path in glob.glob(f"{prefix}-*.prof"):
        tasks.setdefault(path.rsplit("-", 1)[1][:-5], []).append(path)
    return {task: summarize_profile(pstats.Stats(*paths),
                                    sum(json.loads(Path(p[:-5] + ".jobs").read_text()) for p in paths))
            for task, paths in sorted(tasks.items())}


def summarize_profile(stats, count: int, unit: str = "job") -> dict:
    """Wall milliseconds per `unit` by part of the stack, round trips per `unit` (SQL statements,
    Redis commands or pipelines, HTTP requests, new HTTP connections), and our own functions with
    the most cumulative time, from a `pstats.Stats` of `count` units."""
    root = str(Path(__file__).resolve().parent.parent) + "/"
    parts: dict[str, float] = {}
    calls = {"sql_statements": 0, "redis_round_trips": 0, "http_requests": 0, "new_http_connections": 0}
    ours = []
    total = 0.0
    for (path, _line, func), (_cc, ncalls, tottime, cumtime, _callers) in stats.stats.items():
        total += tottime
        part = _part(path, func)
        parts[part] = parts.get(part, 0.0) + tottime
        if "/psycopg/" in path and path.endswith("cursor.py") and func == "execute":
            calls["sql_statements"] += ncalls
        elif "/redis/" in path and path.endswith("connection.py") and func == "send_packed_command":
            calls["redis_round_trips"] += ncalls
        elif "/requests/" in path and path.endswith("sessions.py") and func == "request":
            calls["http_requests"] += ncalls
        elif "/urllib3/" in path and path.endswith("connection.py") and func == "_new_conn":
            calls["new_http_connections"] += ncalls
        if part.startswith("ours:"):
            ours.append((cumtime, f"{path[len(root):]}:{func}", ncalls))
    count = max(count, 1)
    return {
        f"{unit}s": count,
        f"wall_ms_per_{unit}": round(1000 * total / count, 2),
        f"ms_per_{unit}_by_part": {k: round(1000 * v / count, 2)
                                   for k, v in sorted(parts.items(), key=lambda x: -x[1]) if v / count >= 0.00001},
        f"per_{unit}": {k: round(v / count, 1) for k, v in calls.items()},
        f"our_functions_by_cumulative_ms_per_{unit}": [
            f"{round(1000 * c / count, 2)} ms  {name}  ({round(n / count, 1)} calls)"
            for c, name, n in sorted(ours, reverse=True)[:25]],
    }


if __name__ == "__main__" and len(sys.argv) == 3 and sys.argv[1] == "profile-worker":
    _run_profiled_worker(sys.argv[2])
