"""RQ job accounting and profiling for the benchmarks: the jobs Redis still holds and their run
times, and a worker whose every job is profiled, summarized by part of the stack.

Run as `python -m bench._jobs profile-worker PREFIX` by `profiled_worker_argv`."""

from __future__ import annotations

import glob
import os
import sys
from pathlib import Path


def noop_round_trips(redis_url: str, runs: int) -> list[float]:
    """Seconds from enqueueing an empty task on "high" to seeing it finished, `runs` times: the
    queue's own floor, the baseline a bench's latencies are compared with in the same run."""
    import time

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


# -- profiling the workers' jobs ------------------------------------------------------------

def profiled_worker_argv(prefix: str) -> list[str]:
    """`python -m workers.worker` with every job it runs profiled (wall time, per task), written
    to `{prefix}-{pid}-{task}.prof` when the worker stops (SIGTERM)."""
    return [sys.executable, "-m", "bench._jobs", "profile-worker", prefix]


def _profiler():
    """Wall time by default; BENCH_PROFILE_CLOCK=cpu counts the job thread's own CPU only (time
    waiting on PostgreSQL, Redis or the GIL then costs nothing)."""
    import cProfile
    import time

    if os.environ.get("BENCH_PROFILE_CLOCK") == "cpu":
        return cProfile.Profile(time.thread_time)
    return cProfile.Profile()


def _run_profiled_worker(prefix: str) -> None:
    import json
    import runpy

    from rq import SimpleWorker

    profiles: dict[str, list] = {}
    execute_job = SimpleWorker.execute_job

    def profiled(self, job, *args, **kwargs):  # the task and rq's bookkeeping around it
        entry = profiles.setdefault(job.func_name.rsplit(".", 1)[-1], [_profiler(), 0])
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
