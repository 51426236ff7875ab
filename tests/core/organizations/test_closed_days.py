"""Days the business closes beyond its weekly hours: kept on the organization, audited, and read
by the hours, the opening and the free slots."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from core.identity.users import create_user
from core.jobs import opening, scheduling
from core.models import AuditEntry, Organization
from core.organizations import set_days_closed

BA = ZoneInfo("America/Argentina/Buenos_Aires")
MON, TUE = date(2025, 11, 24), date(2025, 11, 25)


def test_a_closed_day_has_no_hours_slots_nor_opening_and_opens_again(db, make_org):
    org_id = make_org("Plomería Ramos")
    with db.org_session(org_id) as s:
        create_user(s, {"name": "Carlos", "role": "technician", "phone": "+5491155550101"})
        assert set_days_closed(s, org_id, [TUE], True, today=MON, actor="user:1")
        assert not set_days_closed(s, org_id, [TUE], True, today=MON, actor="user:1")  # already
        org = s.get(Organization, org_id)
        assert org.closed_days == ["2025-11-25"]
        assert opening.business_ranges(org, TUE, BA) == []
        assert opening.business_ranges(org, MON, BA)  # the other days keep their hours
        assert not opening.is_open(org, datetime(2025, 11, 25, 10, tzinfo=BA))
        # Monday evening: the next opening skips the closed Tuesday
        assert opening.next_opening(org, datetime(2025, 11, 24, 20, tzinfo=BA)) == \
            datetime(2025, 11, 26, 8, tzinfo=BA)
        slots = scheduling.free_slots(s, org, now=datetime(2025, 11, 24, 12, tzinfo=UTC), count=50)
        assert slots and all(x.start.astimezone(BA).date() != TUE for x in slots)
        assert set_days_closed(s, org_id, [TUE], False, today=MON, actor="user:1")
        assert org.closed_days == []
        assert opening.business_ranges(org, TUE, BA)
        actions = [a.action for a in s.scalars(select(AuditEntry).where(
            AuditEntry.action.like("organization.day_%")).order_by(AuditEntry.id))]
        assert actions == ["organization.day_closed", "organization.day_opened"]


def test_days_gone_by_are_dropped_when_another_is_closed(db, make_org):
    org_id = make_org("Plomería Ramos")
    with db.org_session(org_id) as s:
        set_days_closed(s, org_id, [MON], True, today=MON)
        set_days_closed(s, org_id, [date(2025, 12, 8)], True, today=date(2025, 12, 1))
        assert s.get(Organization, org_id).closed_days == ["2025-12-08"]


def test_a_day_with_its_own_hours_offers_and_opens_only_within_them(db, make_org):
    from core.organizations import set_day_hours

    org_id = make_org("Plomería Ramos")
    with db.org_session(org_id) as s:
        create_user(s, {"name": "Carlos", "role": "technician", "phone": "+5491155550101"})
        assert set_day_hours(s, org_id, [TUE], [("08:00", "13:00")], today=MON, actor="user:1")
        assert not set_day_hours(s, org_id, [TUE], [("08:00", "13:00")], today=MON)  # already
        org = s.get(Organization, org_id)
        assert opening.business_ranges(org, TUE, BA) == [
            (datetime(2025, 11, 25, 8, tzinfo=BA), datetime(2025, 11, 25, 13, tzinfo=BA))]
        assert opening.is_open(org, datetime(2025, 11, 25, 12, tzinfo=BA))
        assert not opening.is_open(org, datetime(2025, 11, 25, 15, tzinfo=BA))
        slots = scheduling.free_slots(s, org, now=datetime(2025, 11, 24, 12, tzinfo=UTC), count=50)
        tuesday = [x for x in slots if x.start.astimezone(BA).date() == TUE]
        assert tuesday and all(x.end.astimezone(BA).hour <= 13 for x in tuesday)
        # a closed day given hours is open with them; opening it again drops them
        set_days_closed(s, org_id, [TUE], True, today=MON)
        assert opening.business_ranges(org, TUE, BA) == []
        set_day_hours(s, org_id, [TUE], [("10:00", "12:00")], today=MON)
        assert org.closed_days == [] and org.day_hours == {"2025-11-25": [["10:00", "12:00"]]}
        assert set_days_closed(s, org_id, [TUE], False, today=MON) == [TUE]
        assert org.day_hours == {}
        actions = [a.action for a in s.scalars(select(AuditEntry).where(
            AuditEntry.action == "organization.day_hours"))]
        assert len(actions) == 2
