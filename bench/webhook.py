"""Webhook throughput and latency under gunicorn, next to a bare Flask endpoint in the same run (JSON).

Both servers run the same gunicorn configuration on 127.0.0.1; the client posts signed,
distinct Meta payloads (one new text message each) at a fixed concurrency (closed loop), then
at a fixed rate of 200 requests/s (open loop: latency counts from each request's scheduled
time), and reports our figures as ratios of the bare endpoint's. Also printed: the
configuration, the load average before and after, and the CPU our closed loop cost per request
by process (gunicorn, PostgreSQL, Redis), next to #20's targets.
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

from bench._infra import StackWatch, dumps, free_port, load_average, machine, percentile, stack
from bot import simulator

PHONE_NUMBER_ID = "100000000000777"
SECRET = "bench-app-secret"
GUNICORN = ["--workers", "2", "--threads", "4", "--worker-class", "gthread"]
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


def _closed_loop(port: int, bodies: list[tuple[bytes, str]], concurrency: int, seconds: float) -> dict:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    cursor = iter(range(len(bodies)))
    stop_at = time.monotonic() + seconds

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        mine = []
        while time.monotonic() < stop_at:
            with lock:
                i = next(cursor, None)
            if i is None:
                break
            body, sig = bodies[i]
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
    elapsed = time.perf_counter() - started
    return {"requests": len(latencies), "rps": round(len(latencies) / elapsed, 1),
            "p50_ms": round(percentile(latencies, 50) * 1000, 2),
            "p99_ms": round(percentile(latencies, 99) * 1000, 2), "errors": errors[0]}


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
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rate", type=float, default=200.0)
    args = parser.parse_args()

    before = machine()
    with stack(whatsapp_app_secret=SECRET, whatsapp_access_token="bench-token") as settings:
        from core.db import Database
        from core.organizations import create_organization

        db = Database(settings)
        with db.system_session() as s:
            create_organization(s, {"name": "Bench", "slug": "bench", "wa_phone_number_id": PHONE_NUMBER_ID})
        db.dispose()

        bodies = _bodies(int(args.seconds * 3000) + int(args.rate * args.seconds) * 2)
        ours_port, bare_port = free_port(), free_port()
        ours = _gunicorn("wsgi:app", ours_port)
        bare = _gunicorn("bench.bare_app:app", bare_port)
        try:
            # Warm both up (connections, imports) before measuring.
            _closed_loop(ours_port, bodies[:200], 4, 1.0)
            _closed_loop(bare_port, bodies[:200], 4, 1.0)
            fresh = bodies[200:]
            half = len(fresh) // 2
            watch = StackWatch(settings)
            watch.start_cpu()
            ours_closed = _closed_loop(ours_port, fresh[:half], args.concurrency, args.seconds)
            ours_cpu = watch.cpu_report(ours_closed["requests"], "request")
            bare_closed = _closed_loop(bare_port, fresh[:half], args.concurrency, args.seconds)
            ours_open = _open_loop(ours_port, fresh[half:], args.rate, args.seconds)
            bare_open = _open_loop(bare_port, fresh[half:], args.rate, args.seconds)
            watch.sample_memory()
            after = load_average()
        finally:
            for proc in (ours, bare):
                proc.terminate()
                proc.wait(10)

    ratio = round(ours_closed["rps"] / bare_closed["rps"], 3)
    print(dumps({
        "benchmark": "webhook",
        "configuration": {
            "gunicorn": " ".join(GUNICORN), "closed_loop_concurrency": args.concurrency,
            "closed_loop_seconds": args.seconds, "fixed_rate_rps": args.rate, "fixed_rate_clients": 16,
            "database": "PostgreSQL (fsync off)", "order": "ours closed, bare closed, ours fixed rate, bare fixed rate",
            **{k: v for k, v in before.items() if k != "load_average"},
        },
        "load_average_before": before["load_average"],
        "load_average_after": after,
        "ours": {"closed_loop": ours_closed, "fixed_rate": ours_open},
        "bare_flask": {"closed_loop": bare_closed, "fixed_rate": bare_open},
        "throughput_ratio": ratio,
        "p99_at_rate_ratio": round(ours_open["p99_ms"] / max(bare_open["p99_ms"], 0.001), 2),
        "ours_closed_loop_cpu": ours_cpu,
        "memory_after": watch.memory_report()["at_peak_by_role"],
        "targets": TARGETS,
        "meets_targets": {"throughput_ratio": ratio >= TARGETS["throughput_ratio_min"],
                          "p99_at_200rps": ours_open["p99_ms"] < TARGETS["p99_at_200rps_ms_max"]},
    }))


if __name__ == "__main__":
    main()
