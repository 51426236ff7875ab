"""Cost of tenant scoping: scoped ORM lookups vs the same lookups unscoped, as a ratio (JSON)."""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from sqlalchemy import select

from core import migrate
from core.db import Database
from core.models import Customer
from core.organizations import create_organization
from core.settings import load_settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lookups", type=int, default=3000)
    parser.add_argument("--customers", type=int, default=2000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(database_url=f"sqlite:///{Path(tmp) / 'bench.db'}", log_json=False)
        migrate.upgrade(settings)
        db = Database(settings)
        with db.system_session() as s:
            org_id = create_organization(s, {"name": "Bench", "slug": "bench"}).id
            s.add_all(Customer(org_id=org_id, name=f"Cliente {i}", phone=f"+54911{i:08d}")
                      for i in range(args.customers))
        phones = [f"+54911{(i * 7919) % args.customers:08d}" for i in range(args.lookups)]

        def scoped() -> None:
            with db.org_session(org_id) as s:
                for p in phones:
                    s.scalar(select(Customer).where(Customer.phone == p))

        def unscoped() -> None:
            # The read-only system scope adds no criteria: the hand-written filter is the baseline.
            with db.system_session() as s:
                for p in phones:
                    s.scalar(select(Customer).where(Customer.org_id == org_id, Customer.phone == p))

        timings = {}
        for name, fn in (("unscoped", unscoped), ("scoped", scoped), ("unscoped", unscoped), ("scoped", scoped)):
            start = time.perf_counter()
            fn()
            timings.setdefault(name, []).append(time.perf_counter() - start)
        db.dispose()
    best = {k: min(v) for k, v in timings.items()}
    print(json.dumps({
        "bench": "tenancy",
        "lookups": args.lookups,
        "scoped_per_s": round(args.lookups / best["scoped"]),
        "unscoped_per_s": round(args.lookups / best["unscoped"]),
        "scoped_over_unscoped_time": round(best["scoped"] / best["unscoped"], 3),
    }))


if __name__ == "__main__":
    main()
