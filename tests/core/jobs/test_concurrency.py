"""Concurrent writers in one organization get gapless job numbers and an unbroken audit chain."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

from core import audit, jobs
from core.models import Job
from tests.factories import add_customer_row, create_org


def test_parallel_job_creation_on_postgresql(pg_db):
    org = create_org(pg_db, "Plomería Paralela", "paralela")
    customer = add_customer_row(pg_db, org)

    def create_many(n: int) -> list[int]:
        numbers = []
        for _ in range(n):
            with pg_db.org_session(org) as s:
                numbers.append(jobs.create_job(s, {"customer_id": customer, "service": "plumbing"}).number)
        return numbers

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = [n for batch in pool.map(create_many, [8, 8, 8, 8]) for n in batch]

    assert sorted(results) == list(range(1, 33))
    with pg_db.org_session(org) as s:
        assert len(s.scalars(select(Job)).all()) == 32
        report = audit.verify(s)
        # organization.create + one job.create per job
        assert report.ok and report.entries == 33
