"""Back-office page latency on a large shop, as ratios of a no-database page in the same run (JSON).

Seeds one organization on a throwaway PostgreSQL (a few rows through the real services, so the
audit chain is real; the bulk by plain inserts, with the audit entries those services would
have written chained by hand so the chain still verifies), serves the real app under gunicorn
like bench/webhook.py, signs in as the owner over HTTP and times each page sequentially.

The baseline is the anonymous GET /app/login: a template render with no database or Redis
work. /healthz is not used as the baseline because it runs SELECT 1 and a Redis PING; it is
measured as a page instead.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests
from sqlalchemy import create_engine, text

from bench._infra import free_port, percentile, stack
from bench.backoffice_seed import EMAIL, PASSWORD, seed
from bench.webhook import _gunicorn

BASELINE = "/app/login"


def _login(base: str) -> requests.Session:
    http = requests.Session()
    form = http.get(f"{base}/app/login", timeout=10)
    token = re.search(r'name="csrf_token"\s+value="([^"]+)"', form.text)
    if form.status_code != 200 or token is None:
        raise SystemExit(f"login form: HTTP {form.status_code}, no csrf_token field")
    resp = http.post(f"{base}/app/login", data={"csrf_token": token.group(1), "email": EMAIL,
                                                "password": PASSWORD}, allow_redirects=False, timeout=10)
    if resp.status_code != 302 or "login" in resp.headers.get("Location", ""):
        raise SystemExit(f"login failed: HTTP {resp.status_code} -> {resp.headers.get('Location')}")
    return http


def _measure(http: requests.Session, base: str, path: str, n: int, warmup: int = 3) -> dict:
    times, size = [], 0
    for i in range(warmup + n):
        t0 = time.perf_counter()
        resp = http.get(base + path, allow_redirects=False, timeout=60)
        elapsed = time.perf_counter() - t0
        if resp.status_code != 200:
            raise SystemExit(f"GET {path}: HTTP {resp.status_code} (expected 200): {resp.text[:300]!r}")
        size = len(resp.content)
        if i >= warmup:
            times.append(elapsed)
    return {"p50_ms": round(percentile(times, 50) * 1000, 2), "p95_ms": round(percentile(times, 95) * 1000, 2),
            "bytes": size}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=30, help="timed requests per page (after 3 warm-ups)")
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--jobs", type=int, default=6000)
    parser.add_argument("--technicians", type=int, default=5)
    parser.add_argument("--days", type=int, default=90, help="jobs spread over this many past days")
    parser.add_argument("--invoices", type=int, default=3000)
    parser.add_argument("--conversations", type=int, default=500)
    parser.add_argument("--messages", type=int, default=10, help="messages per conversation")
    parser.add_argument("--items", type=int, default=300, help="price book items")
    parser.add_argument("--busy-events", type=int, default=80, help="status events on the busiest job")
    parser.add_argument("--query", default="garcia", help="the fuzzy customer search")
    parser.add_argument("--skip-analyze", action="store_true",
                        help="measure on the freshly loaded tables, before any planner statistics")
    args = parser.parse_args()
    started = time.perf_counter()

    with stack(whatsapp_access_token="bench-token") as settings:
        from core.db import Database

        db = Database(settings)
        t0 = time.perf_counter()
        shop = seed(db, args)
        db.dispose()
        if not args.skip_analyze:
            # A live shop's tables have planner statistics (autovacuum); freshly bulk-loaded ones do
            # not, and with rows=1 estimates the board's joins go quadratic. ANALYZE needs the owner.
            owner = create_engine(settings.migration_database_url, isolation_level="AUTOCOMMIT")
            with owner.connect() as conn:
                conn.execute(text("ANALYZE"))
            owner.dispose()
        seed_s = time.perf_counter() - t0

        port = free_port()
        server = _gunicorn("wsgi:app", port)
        base = f"http://127.0.0.1:{port}"
        paths = ["/healthz", "/app/", "/app/jobs", "/app/jobs?view=agenda", f"/app/jobs/{shop['busy_job']}",
                 "/app/customers", f"/app/customers?q={args.query}", f"/app/customers/{shop['customer']}",
                 "/app/invoices", "/app/invoices?page=20", "/app/invoices/export.csv", "/app/conversations",
                 "/app/price-book", "/app/audit", "/app/queues", "/app/settings", "/app/team"]
        try:
            t0 = time.perf_counter()
            baseline = _measure(requests.Session(), base, BASELINE, args.requests)
            http = _login(base)
            pages = {path: _measure(http, base, path, args.requests) for path in paths}
            # Measured again at the end: the ratio uses the faster of the two, so drift shows up.
            again = _measure(requests.Session(), base, BASELINE, args.requests)
            measure_s = time.perf_counter() - t0
            chain = http.get(f"{base}/app/audit", timeout=60).text
        finally:
            server.terminate()
            server.wait(10)

    base_p50 = min(baseline["p50_ms"], again["p50_ms"])
    for figures in pages.values():
        figures["p50_ratio_to_baseline"] = round(figures["p50_ms"] / max(base_p50, 0.001), 2)
    slowest = max(pages, key=lambda p: pages[p]["p50_ms"])
    print(json.dumps({
        "benchmark": "backoffice",
        "shop": shop["counts"],
        "requests_per_page": args.requests,
        "baseline": {"path": BASELINE, "p50_ms": base_p50, "p95_ms": max(baseline["p95_ms"], again["p95_ms"]),
                     "p50_ms_first_last": [baseline["p50_ms"], again["p50_ms"]], "bytes": baseline["bytes"]},
        "pages": pages,
        "slowest": slowest,
        "audit_chain_intact": "intacta" in chain.lower() or "íntegra" in chain.lower(),
        "analyzed": not args.skip_analyze,
        "seed_s": round(seed_s, 1),
        "measure_s": round(measure_s, 1),
        "wall_s": round(time.perf_counter() - started, 1),
        "note": ("Sequential GETs (concurrency 1) against gunicorn (2 gthread workers) as the signed-in owner. "
                 "Baseline is the anonymous /app/login (template only); /healthz does SELECT 1 and a Redis "
                 "PING so it is listed as a page. Ratios are p50 over the baseline's p50 (the faster of the "
                 "runs before and after the pages). Tables are ANALYZEd after seeding, as autovacuum would "
                 "have done on a live shop (--skip-analyze to see the fresh-load plans)."),
    }, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
