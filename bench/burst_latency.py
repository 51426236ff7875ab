"""Time from a burst's quiet window closing to its reply reaching the Graph API (JSON).

Runs the real processes — gunicorn in sandbox mode (its own Graph stand-in records replies),
one RQ worker and the burst clock — on PostgreSQL and Redis. Each burst is three text messages
from a new sender; the quiet window closes `quiet` seconds after the last one. The baseline in
the same run is an empty RQ job's enqueue-to-finish time on the same worker. The reply is seen
at the stand-in's feed (`bot.sandbox_graph.feed_after`, a cursor read that blocks until
something arrives), not by polling the app. Prints its configuration and the load average
before and after.
"""

from __future__ import annotations

import argparse
import http.client
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._http import signed_webhook, wait_healthy
from bench._infra import dumps, free_port, load_average, machine, percentile, stack
from bench._jobs import noop_round_trips
from bot import sandbox_graph, simulator

PHONE_NUMBER_ID = "100000000000888"
SECRET = "bench-app-secret"


def _post(conn: http.client.HTTPConnection, payload: dict) -> None:
    body, headers = signed_webhook(payload, SECRET)
    conn.request("POST", "/webhooks/whatsapp", body=body, headers=headers)
    resp = conn.getresponse()
    resp.read()
    if resp.status != 200:
        raise SystemExit(f"webhook answered {resp.status}")


def _first_reply(redis, cursor: str, wa_id: str, give_up: float) -> tuple[str, dict]:
    """The first message the stand-in accepted for `wa_id` after `cursor`, and the cursor after it."""
    while time.monotonic() < give_up:
        cursor, items = sandbox_graph.feed_after(redis, cursor, block_ms=500)
        for item in items:
            if item["kind"] == "message" and item["to"] == wa_id:
                return cursor, item
    raise SystemExit(f"no reply for {wa_id}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bursts", type=int, default=20)
    parser.add_argument("--quiet", type=float, default=0.5)
    args = parser.parse_args()

    before = machine()
    port = free_port()
    with stack(whatsapp_app_secret=SECRET, whatsapp_access_token=None,
               whatsapp_phone_number_id=PHONE_NUMBER_ID, burst_quiet_seconds=args.quiet,
               public_base_url=f"http://127.0.0.1:{port}") as settings:
        from core.db import Database
        from core.organizations import create_organization

        db = Database(settings)
        with db.system_session() as s:
            create_organization(s, {"name": "Bench", "slug": "bench", "wa_phone_number_id": PHONE_NUMBER_ID})
        db.dispose()
        bindir = Path(sys.executable).parent
        env = os.environ.copy()
        procs = [
            subprocess.Popen([str(bindir / "gunicorn"), "wsgi:app", "--bind", f"127.0.0.1:{port}",
                              "--workers", "2", "--threads", "4", "--worker-class", "gthread",
                              "--no-control-socket", "--log-level", "warning"], cwd=ROOT, env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
            subprocess.Popen([sys.executable, "-m", "workers.worker"],
                             cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
            subprocess.Popen([sys.executable, "-m", "workers.clock"], cwd=ROOT, env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
        ]
        try:
            wait_healthy(port, timeout=30)
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            baseline = noop_round_trips(settings.redis_url, max(10, args.bursts))
            from redis import Redis

            redis, cursor = Redis.from_url(settings.redis_url), "0"
            latencies = []
            for n in range(args.bursts):
                wa_id = f"5491170{n:06d}"
                for words in ("hola", "se me rompió el termotanque", "estoy en Palermo"):
                    _post(conn, simulator.text(PHONE_NUMBER_ID, wa_id, words))
                closes = time.time() + args.quiet
                cursor, first = _first_reply(redis, cursor, wa_id, time.monotonic() + 30)
                latencies.append(first["at"] - closes)
            after = load_average()
        finally:
            for p in procs:
                p.terminate()
            for p in procs:
                p.wait(10)

    p95 = percentile(latencies, 95)
    print(dumps({
        "benchmark": "burst_latency",
        "configuration": {"bursts": len(latencies), "messages_per_burst": 3, "quiet_seconds": args.quiet,
                          "rq_workers": 1, "gunicorn": "--workers 2 --threads 4 --worker-class gthread",
                          **{k: v for k, v in before.items() if k != "load_average"}},
        "load_average_before": before["load_average"],
        "load_average_after": after,
        "quiet_close_to_reply_ms": {"p50": round(percentile(latencies, 50) * 1000, 1),
                                    "p95": round(p95 * 1000, 1), "max": round(max(latencies) * 1000, 1)},
        "baseline_empty_rq_job_ms": {"p50": round(percentile(baseline, 50) * 1000, 1),
                                     "p95": round(percentile(baseline, 95) * 1000, 1)},
        "p95_ratio_to_baseline": round(p95 / max(percentile(baseline, 95), 1e-6), 2),
        "target_p95_ms_max": 300,
    }))


if __name__ == "__main__":
    main()
