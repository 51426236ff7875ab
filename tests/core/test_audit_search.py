"""Reading the audit trail: filters over one organization's entries, on both databases."""

from __future__ import annotations

from datetime import timedelta

from core import audit, customers, jobs
from core.models import utcnow


def _seqs(db, org_id: int, **filters) -> list[int]:
    with db.org_session(org_id) as s:
        return [e.seq for e in s.scalars(audit.trail_query(audit.TrailFilters(**filters)))]


def test_filters_narrow_the_trail_newest_first(db, make_org):
    a, b = make_org(), make_org()
    for org in (b, a):  # b first, so a's ids and numbers differ
        with db.org_session(org) as s:
            marta = customers.create_customer(s, {"name": "Marta García", "phone": f"+54911666600{org:02d}"},
                                              actor="user:7")
            jobs.create_job(s, {"customer_id": marta.id, "service": "plumbing", "description": "flexible"},
                            actor="whatsapp:5491166660001")
            audit.record(s, actor="system", action="invoice.payment_link", entity_type="invoice", entity_id=3)
    # organization.create is #1 in each; then customer #2, job #3, link #4.
    assert _seqs(db, a) == [4, 3, 2, 1]
    assert _seqs(db, a, entity_type="job", entity_id="1") == [3]  # job number 1, whatever its id
    assert _seqs(db, a, entity_type="job", entity_id="2") == []
    assert _seqs(db, a, actor="whatsapp") == [3]
    assert _seqs(db, a, actor="user:7") == [2]
    assert _seqs(db, a, actor="user") == [2]
    assert _seqs(db, a, action="invoice.payment_link", entity_type="invoice", entity_id="3") == [4]
    now = utcnow()
    assert _seqs(db, a, since=now - timedelta(minutes=5), until=now + timedelta(minutes=5)) == [4, 3, 2, 1]
    assert _seqs(db, a, until=now - timedelta(minutes=5)) == []
    with db.org_session(a) as s:
        actions, kinds = audit.recorded_values(s)
    assert actions == ["customer.create", "invoice.payment_link", "job.create", "organization.create"]
    assert kinds == ["customer", "invoice", "job", "organization"]
