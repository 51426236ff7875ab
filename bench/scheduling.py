"""Free-slot search as the bookings grow: the cost of one slot-offering burst's search with 0,
200 and 1,000 booked jobs in the fortnight it searches (JSON).

The baseline is the same search with no bookings, in the same run; the figures are the median of
repeated searches (with a preferred day and part of the day, as a customer's "el jueves a la
tarde" asks), each in its own session as the flows run it.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import time
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bench._infra import stack
from core import jobs, migrate
from core.customers import create_customer, find_by_phone
from core.db import Database
from core.identity.users import create_user
from core.jobs import scheduling
from core.models import Organization
from core.organizations import create_organization
from core.settings import load_settings

TZ = ZoneInfo("America/Argentina/Buenos_Aires")


def _seed(db: Database, org_id: int, technicians: list[int], bookings: int, now: datetime,
          rng: random.Random) -> None:
    """`bookings` scheduled jobs spread over the next 14 days' working hours."""
    with db.org_session(org_id) as s:
        customer = find_by_phone(s, "+5491166660001") or create_customer(
            s, {"name": "Marta García", "phone": "+5491166660001"})
        for _ in range(bookings):
            day = now.date() + timedelta(days=rng.randrange(14))
            start = datetime(day.year, day.month, day.day, rng.randrange(8, 17), tzinfo=TZ)
            job = jobs.create_job(s, {"customer_id": customer.id, "service": "plumbing",
                                      "technician_id": rng.choice(technicians)})
            jobs.schedule(s, job.id, start, start + timedelta(hours=2), "user:1")


def _search_ms(db: Database, org_id: int, now: datetime, repeats: int) -> float:
    thursday = now.date() + timedelta(days=(3 - now.weekday()) % 7 or 7)
    times = []
    for _ in range(repeats):
        with db.org_session(org_id) as s:
            org = s.get(Organization, org_id)
            started = time.perf_counter()
            scheduling.free_slots(s, org, now=now, preferred_date=thursday,
                                  preferred_window="afternoon")
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


@contextmanager
def _settings(database: str):
    """A migrated PostgreSQL (production's database, as the workers use it) or SQLite file."""
    if database == "postgresql":
        with stack() as settings:
            yield settings
        return
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(database_url=f"sqlite:///{Path(tmp) / 'bench.db'}", log_json=False)
        migrate.upgrade(settings)
        yield settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--technicians", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--bookings", default="0,200,1000")
    parser.add_argument("--database", choices=("postgresql", "sqlite"), default="postgresql")
    args = parser.parse_args()
    counts = [int(n) for n in args.bookings.split(",")]
    now = datetime(2026, 3, 2, 9, 30, tzinfo=TZ)  # a Monday morning
    rng = random.Random(7)
    load_before = os.getloadavg()
    results = {}
    with _settings(args.database) as settings:
        db = Database(settings)
        seeded = 0
        for count in sorted(counts):
            if count == min(counts):
                with db.system_session() as s:
                    org_id = create_organization(s, {"name": "Bench", "slug": "bench"}).id
                with db.org_session(org_id) as s:
                    technicians = [
                        create_user(s, {"name": f"Técnico {n}", "role": "technician",
                                        "phone": f"+54911700000{n:02d}"}).id
                        for n in range(args.technicians)]
            if count > seeded:
                _seed(db, org_id, technicians, count - seeded, now, rng)
                seeded = count
            results[count] = _search_ms(db, org_id, now, args.repeats)
        db.dispose()
    baseline = results[min(counts)]
    print(json.dumps({
        "bench": "scheduling",
        "config": {"technicians": args.technicians, "repeats": args.repeats,
                   "database": args.database, "window_days": scheduling.LOOKAHEAD_DAYS},
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "search_ms": {str(n): round(ms, 2) for n, ms in results.items()},
        "over_no_bookings": {str(n): round(ms / baseline, 2) for n, ms in results.items()},
        "target_ms_max_at_1000": 5.0,  # #20: under 5 ms per slot-offering burst at 1,000 bookings
    }))


if __name__ == "__main__":
    main()
