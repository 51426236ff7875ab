"""Webhook throughput and latency under gunicorn, next to a bare Flask endpoint in the same run (JSON).

Both servers run the same gunicorn configuration on 127.0.0.1, the Procfile's web options
(`bench._infra.procfile_gunicorn`: today 2 sync workers); the client posts signed,
distinct Meta payloads (one new text message each) at a fixed concurrency (closed loop), then
at a fixed rate of 200 requests/s (open loop: latency counts from each request's scheduled
time), and reports our figures as ratios of the bare endpoint's. Also printed: the
configuration, the load average before and after, and the CPU our closed loop cost per request
by process (gunicorn, PostgreSQL, Redis), next to #20's targets. With --profile N, the in-process
profile also counts per post the SQL statements sent (at the driver), the Redis round trips
and the transactions PostgreSQL finished.
"""

from __future__ import annotations

import argparse
import http.client
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._infra import (
    dumps,
    free_port,
    load_average,
    machine,
    percentile,
    procfile_gunicorn,
    stack,
)
from bench._procs import StackWatch
from bot import simulator

PHONE_NUMBER_ID = "100000000000777"
SECRET = "bench-app-secret"
# The web process as the Procfile runs it (2 sync workers), for ours and for bare Flask alike.
GUNICORN = procfile_gunicorn()
TARGETS = {"throughput_ratio_min": 0.45, "p99_at_200rps_ms_max": 20}  # issue #20


def _bodies(n: int) -> list[tuple[bytes, str]]:
    out = []
    for i in range(n):
        body = simulator.encode(simulator.text(PHONE_NUMBER_ID, f"54911{i % 5000:08d}", f"hola {i}"))
        out.append((body, simulator.sign(SECRET, body)))
    return out


def _gunicorn(app: str, port: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), app, "--bind", f"127.0.0.1:{port}",
         *GUNICORN, "--log-level", "warning", "--no-control-socket"],
        cwd=ROOT, env=os.environ.copy(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"gunicorn {app} did not start")


def _closed_loop(port: int, bodies: list[tuple[bytes, str]], concurrency: int, seconds: float,
                 *, reuse: bool = False) -> dict:
    """`concurrency` clients posting back to back for `seconds`; each body once unless `reuse`
    (the bare endpoint stores nothing, so it may see a body twice; ours would drop a duplicate)."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    cursor = iter(range(10**9 if reuse else len(bodies)))
    stop_at = time.monotonic() + seconds

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        mine = []
        while time.monotonic() < stop_at:
            with lock:
                i = next(cursor, None)
            if i is None:
                break
            body, sig = bodies[i % len(bodies)]
            t0 = time.perf_counter()
            conn.request("POST", "/webhooks/whatsapp", body=body,
                         headers={"Content-Type": "application/json", "X-Hub-Signature-256": sig})
            resp = conn.getresponse()
            resp.read()
            mine.append(time.perf_counter() - t0)
            if resp.status != 200:
                with lock:
                    errors[0] += 1
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    used = next(cursor, None)
    return {"latencies": latencies, "elapsed": time.perf_counter() - started, "errors": errors[0],
            "used": len(latencies) if used is None else used}


def _summary(rounds: list[dict]) -> dict:
    latencies = [x for r in rounds for x in r["latencies"]]
    elapsed = sum(r["elapsed"] for r in rounds)
    return {"requests": len(latencies), "rps": round(len(latencies) / elapsed, 1),
            "rps_by_round": [round(len(r["latencies"]) / r["elapsed"], 1) for r in rounds],
            "p50_ms": round(percentile(latencies, 50) * 1000, 2),
            "p99_ms": round(percentile(latencies, 99) * 1000, 2), "errors": sum(r["errors"] for r in rounds)}


def _profile(settings, bodies: list[tuple[bytes, str]]) -> dict:
    """Our webhook's request handling in this process (Flask's test client, no gunicorn), profiled."""
    import cProfile
    import pstats

    from bench._jobs import summarize_profile
    from web import create_app

    app = create_app(settings)
    client = app.test_client()

    def post(body: bytes, sig: str) -> None:
        resp = client.post("/webhooks/whatsapp", data=body,
                           headers={"Content-Type": "application/json", "X-Hub-Signature-256": sig})
        if resp.status_code != 200:
            raise SystemExit(f"webhook answered {resp.status_code} while profiled")

    for body, sig in bodies[:50]:  # warm: imports, the connection pools, the organization cache
        post(body, sig)
    transactions = _transactions(settings, app)
    profile = cProfile.Profile()
    profile.enable()
    for body, sig in bodies[50:]:
        post(body, sig)
    profile.disable()
    transactions = _transactions(settings, app) - transactions
    summary = summarize_profile(pstats.Stats(profile), len(bodies) - 50, "request")
    # Statements are counted at the driver (cursor.execute); transactions by PostgreSQL itself.
    summary["per_request"]["postgres_transactions"] = round(transactions / (len(bodies) - 50), 2)
    return summary


def _transactions(settings, app) -> int:
    """Transactions PostgreSQL has finished in the bench's database. A backend reports them
    for sure only when it exits: the app's connections are closed first (the profiled posts
    open theirs again, a few milliseconds over hundreds of posts)."""
    import psycopg
    from sqlalchemy.engine import make_url

    app.extensions["campotech.db"].dispose()
    time.sleep(0.5)
    url = make_url(settings.migration_database_url).set(drivername="postgresql")
    with psycopg.connect(url.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        return conn.execute("SELECT xact_commit + xact_rollback FROM pg_stat_database"
                            " WHERE datname = current_database()").fetchone()[0]


def _open_loop(port: int, bodies: list[tuple[bytes, str]], rate: float, seconds: float) -> dict:
    """Requests scheduled at a fixed rate; latency counts from the scheduled time (no omission)."""
    total = int(rate * seconds)
    workers = 16
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    start = time.perf_counter() + 0.2

    def client(k: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        mine = []
        for n in range(k, total, workers):
            due = start + n / rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            body, sig = bodies[n % len(bodies)]
            conn.request("POST", "/webhooks/whatsapp", body=body,
                         headers={"Content-Type": "application/json", "X-Hub-Signature-256": sig})
            resp = conn.getresponse()
            resp.read()
            mine.append(time.perf_counter() - due)
            if resp.status != 200:
                with lock:
                    errors[0] += 1
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    return {"rate": rate, "requests": len(latencies), "achieved_rps": round(len(latencies) / elapsed, 1),
            "p50_ms": round(percentile(latencies, 50) * 1000, 2),
            "p99_ms": round(percentile(latencies, 99) * 1000, 2), "errors": errors[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=6.0, help="closed loop, per server, in all rounds")
    parser.add_argument("--rounds", type=int, default=3,
                        help="closed-loop rounds, ours and bare alternating (a busy machine's swings hit both)")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--fixed-rate-seconds", type=float, default=5.0)
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="also profile N posts through our app in the bench process (no gunicorn)")
    args = parser.parse_args()

    before = machine()
    with stack(whatsapp_app_secret=SECRET, whatsapp_access_token="bench-token") as settings:
        from core.db import Database
        from core.organizations import create_organization

        db = Database(settings)
        with db.system_session() as s:
            create_organization(s, {"name": "Bench", "slug": "bench", "wa_phone_number_id": PHONE_NUMBER_ID})
        db.dispose()

        fixed = int(args.rate * args.fixed_rate_seconds)
        # Ours needs a new message per post (a duplicate is dropped early): enough for 2,000 req/s.
        bodies = _bodies(200 + int(args.seconds * 2000) + fixed + args.profile + 50)
        warm, rest = bodies[:200], bodies[200:]
        open_bodies, rest = rest[:fixed], rest[fixed:]
        profile_bodies, closed_bodies = rest[:args.profile + 50], rest[args.profile + 50:]
        ours_port, bare_port = free_port(), free_port()
        ours = _gunicorn("wsgi:app", ours_port)
        bare = _gunicorn("bench.bare_app:app", bare_port)
        try:
            # Warm both up (connections, imports) before measuring.
            _closed_loop(ours_port, warm, 4, 1.0)
            _closed_loop(bare_port, warm, 4, 1.0, reuse=True)
            watch = StackWatch(settings)
            ours_rounds, bare_rounds, ours_cpu = [], [], None
            per_round = args.seconds / args.rounds
            for n in range(args.rounds):
                if n == 0:
                    watch.start_cpu()
                ours_rounds.append(_closed_loop(ours_port, closed_bodies, args.concurrency, per_round))
                if n == 0:
                    ours_cpu = watch.cpu_report(len(ours_rounds[0]["latencies"]), "request")
                closed_bodies = closed_bodies[ours_rounds[-1]["used"]:]
                bare_rounds.append(_closed_loop(bare_port, warm, args.concurrency, per_round, reuse=True))
            ours_open = _open_loop(ours_port, open_bodies, args.rate, args.fixed_rate_seconds)
            bare_open = _open_loop(bare_port, open_bodies, args.rate, args.fixed_rate_seconds)
            watch.sample_memory()
            after = load_average()
        finally:
            for proc in (ours, bare):
                proc.terminate()
                proc.wait(10)
        profile = _profile(settings, profile_bodies) if args.profile else None

    ours_closed, bare_closed = _summary(ours_rounds), _summary(bare_rounds)
    ratio = round(ours_closed["rps"] / bare_closed["rps"], 3)
    print(dumps({
        "benchmark": "webhook",
        "configuration": {
            "gunicorn": " ".join(GUNICORN), "closed_loop_concurrency": args.concurrency,
            "closed_loop_seconds_per_server": args.seconds, "closed_loop_rounds": args.rounds,
            "fixed_rate_rps": args.rate, "fixed_rate_seconds": args.fixed_rate_seconds, "fixed_rate_clients": 16,
            "database": "PostgreSQL (fsync off)",
            "order": "closed loop: ours, bare, alternating by round; then fixed rate: ours, bare",
            **{k: v for k, v in before.items() if k != "load_average"},
        },
        "load_average_before": before["load_average"],
        "load_average_after": after,
        "ours": {"closed_loop": ours_closed, "fixed_rate": ours_open},
        "bare_flask": {"closed_loop": bare_closed, "fixed_rate": bare_open},
        "throughput_ratio": ratio,
        "throughput_ratio_by_round": [round(len(o["latencies"]) / o["elapsed"] / (len(b["latencies"]) / b["elapsed"]), 3)
                                      for o, b in zip(ours_rounds, bare_rounds, strict=True)],
        "p99_at_rate_ratio": round(ours_open["p99_ms"] / max(bare_open["p99_ms"], 0.001), 2),
        "ours_first_round_cpu": ours_cpu,
        "memory_after": watch.memory_report()["at_peak_by_role"],
        "targets": TARGETS,
        "meets_targets": {"throughput_ratio": ratio >= TARGETS["throughput_ratio_min"],
                          "p99_at_200rps": ours_open["p99_ms"] < TARGETS["p99_at_200rps_ms_max"]},
        "profile_in_process": profile,
    }))


if __name__ == "__main__":
    main()
