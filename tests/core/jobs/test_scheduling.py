"""Free slots to offer on WhatsApp, their button labels and ids, and business-hours checks."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from core import jobs
from core.customers import create_customer
from core.customers import find_by_phone as find_customer
from core.identity.users import create_user
from core.jobs import scheduling
from core.jobs.opening import describe_opening, is_open, next_opening
from core.jobs.scheduling import Slot, parse_slot_id
from core.models import DEFAULT_BUSINESS_HOURS, Conversation, JobStatus, Organization, User
from tests.factories import add_technician, create_org

TZ = ZoneInfo("America/Argentina/Buenos_Aires")
# November 2025: Monday 24 ... Friday 28, Saturday 29, Sunday 30; Monday 1 December.
MON, TUE, WED, THU, FRI, SAT, SUN = (date(2025, 11, d) for d in range(24, 31))
NEXT_MON = date(2025, 12, 1)
ALL = 1000  # more than a fortnight can hold: every free start
DAY = r"(Hoy|Mañana|(Lun|Mar|Mié|Jue|Vie|Sáb|Dom) \d{1,2}/\d{1,2})"
LABEL = re.compile(rf"^{DAY} \d{{1,2}}(:\d\d)? a \d{{1,2}}(:\d\d)?$")


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)


def starts(slots: list[Slot]) -> list[datetime]:
    return [s.start for s in slots]


@pytest.fixture
def org_id(pg_db) -> int:
    return create_org(pg_db, "Plomería Ramos", slug="plomeria-ramos")


def technician(db, org_id: int, name: str, phone: str, working_hours: dict | None = None) -> int:
    with db.org_session(org_id) as s:
        return create_user(s, {"name": name, "role": "technician", "phone": phone,
                               "working_hours": working_hours}).id


def book(db, org_id: int, technician_id: int, start: datetime, *, end: datetime | None = None,
         cancel: bool = False, open_ended: bool = False) -> int:
    """A scheduled job through the real services, for Marta (created on first use)."""
    with db.org_session(org_id) as s:
        customer = find_customer(s, "+5491166660001") or create_customer(
            s, {"name": "Marta García", "phone": "+5491166660001"})
        job = jobs.create_job(s, {"customer_id": customer.id, "service": "plumbing",
                                  "technician_id": technician_id})
        jobs.schedule(s, job.id, start, end, "user:1")
        if cancel:
            jobs.transition(s, job.id, JobStatus.CANCELLED, "user:1")
        if open_ended:
            job.scheduled_end = None  # older rows: a start without an end
        return job.id


def offer(db, org_id: int, **kwargs) -> list[Slot]:
    with db.org_session(org_id) as s:
        return scheduling.free_slots(s, s.get(Organization, org_id), **kwargs)


def inside_business_hours(slot: Slot) -> bool:
    ranges = DEFAULT_BUSINESS_HOURS[("mon", "tue", "wed", "thu", "fri", "sat", "sun")[
        slot.start.weekday()]]
    return any(at(slot.start.date(), int(lo[:2])) <= slot.start
               and slot.end <= at(slot.start.date(), int(hi[:2])) for lo, hi in ranges)


# --- free_slots ------------------------------------------------------------------------------


def test_slots_follow_business_hours_short_saturday_and_closed_sunday(pg_db, org_id):
    add_technician(pg_db, org_id)
    slots = offer(pg_db, org_id, now=at(FRI, 17, 30), count=ALL)

    assert len(slots) > 20
    assert all(inside_business_hours(s) for s in slots)
    assert [s.start.hour for s in slots if s.start.date() == SAT] == [9, 10, 11]
    assert not [s for s in slots if s.start.date() == SUN]
    assert slots[0].start == at(SAT, 9) and slots[0].end == at(SAT, 11)
    assert all(s.start.tzinfo == TZ and s.start.minute == 0 for s in slots)


def test_default_offer_spreads_over_days_and_parts_of_the_day(pg_db, org_id):
    add_technician(pg_db, org_id, "Ana", "+5491155550101")
    add_technician(pg_db, org_id, "Beto", "+5491155550102")
    slots = offer(pg_db, org_id, now=at(MON, 10, 20))

    assert starts(slots) == [at(MON, 12), at(TUE, 8), at(WED, 8)]
    assert [s.label for s in slots] == ["Hoy 12 a 14", "Mañana 8 a 10", "Mié 26/11 8 a 10"]


def test_no_two_offered_slots_start_together_even_with_many_technicians(pg_db, org_id):
    for n in range(3):
        add_technician(pg_db, org_id, f"Técnico {n}", f"+549115555010{n}")
    slots = offer(pg_db, org_id, now=at(MON, 7), count=12, preferred_date=TUE)

    assert len(set(starts(slots))) == len(slots) == 12
    assert starts(slots)[:9] == [at(TUE, h) for h in range(8, 17)]  # all of Tuesday first
    assert all(s.start.date() != TUE for s in slots[9:])


def test_nothing_starts_within_an_hour_of_now(pg_db, org_id):
    add_technician(pg_db, org_id)
    on_the_hour = offer(pg_db, org_id, now=at(MON, 10), urgency="high", count=1)
    just_after = offer(pg_db, org_id, now=at(MON, 10, 1), urgency="high", count=1)
    many = offer(pg_db, org_id, now=at(MON, 10, 1), count=ALL)

    assert starts(on_the_hour) == [at(MON, 11)]
    assert starts(just_after) == [at(MON, 12)]
    assert min(starts(many)) >= at(MON, 12)


def test_now_in_utc_gives_slots_in_the_organization_zone(pg_db, org_id):
    add_technician(pg_db, org_id)
    slots = offer(pg_db, org_id, now=datetime(2025, 11, 24, 13, 0, tzinfo=UTC), urgency="high")

    assert slots[0].start == at(MON, 11) and slots[0].start.tzinfo == TZ


def test_urgent_offers_the_earliest_slots_first(pg_db, org_id):
    add_technician(pg_db, org_id)
    slots = offer(pg_db, org_id, now=at(MON, 14, 30), urgency="high",
                  preferred_date=FRI, preferred_window="morning")

    assert starts(slots) == [at(MON, 16), at(TUE, 8), at(TUE, 9)]
    assert [s.label for s in slots] == ["Hoy 16 a 18", "Mañana 8 a 10", "Mañana 9 a 11"]
    assert starts(offer(pg_db, org_id, now=at(MON, 14, 30), urgency="emergency")) == starts(slots)


def test_technician_working_hours_narrow_the_business_hours(pg_db, org_id):
    afternoons = {day: [["14:00", "20:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
    afternoons["sat"] = [["07:00", "10:00"]]  # only one hour inside Saturday's 9-13
    tech_id = technician(pg_db, org_id, "Ana Tarde", "+5491155550101", afternoons)
    slots = offer(pg_db, org_id, now=at(MON, 7), count=ALL)

    assert slots and all(s.technician_id == tech_id for s in slots)
    assert all(s.start.weekday() < 5 for s in slots)
    assert all(s.start.hour >= 14 and s.end.hour <= 18 for s in slots)


def test_mornings_go_to_the_technician_who_works_mornings(pg_db, org_id):
    technician(pg_db, org_id, "Ana Tarde", "+5491155550101",
               {day: [["14:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")})
    full_day = technician(pg_db, org_id, "Beto", "+5491155550102")  # business hours
    slots = offer(pg_db, org_id, now=at(MON, 7), preferred_date=TUE, preferred_window="morning")

    assert starts(slots) == [at(TUE, 8), at(TUE, 9), at(TUE, 10)]
    assert all(s.technician_id == full_day for s in slots)
    assert all(s.start.date() == TUE and s.end <= at(TUE, 12) for s in slots)


def test_existing_jobs_block_overlapping_slots(pg_db, org_id):
    tech_id = add_technician(pg_db, org_id)
    book(pg_db, org_id, tech_id, at(TUE, 10))  # 10 to 12
    book(pg_db, org_id, tech_id, at(WED, 8), cancel=True)  # frees its time again
    book(pg_db, org_id, tech_id, at(THU, 14), end=at(THU, 15))
    book(pg_db, org_id, tech_id, at(FRI, 9), open_ended=True)  # takes the 2 h being offered

    every = offer(pg_db, org_id, now=at(MON, 7), count=ALL)
    hours = {day: [s.start.hour for s in every if s.start.date() == day]
             for day in (TUE, WED, THU, FRI)}

    assert hours[TUE] == [8, 12, 13, 14, 15, 16]
    assert hours[WED] == [8, 9, 10, 11, 12, 13, 14, 15, 16]
    assert hours[THU] == [8, 9, 10, 11, 12, 15, 16]
    assert hours[FRI] == [11, 12, 13, 14, 15, 16]
    tuesday_morning = offer(pg_db, org_id, now=at(MON, 7), preferred_date=TUE,
                            preferred_window="morning")
    assert tuesday_morning[0].start == at(TUE, 8)
    assert tuesday_morning[0].label_on(MON) == "Mañana 8 a 10"


def test_a_busy_technician_leaves_the_slot_to_a_free_one(pg_db, org_id):
    ana = add_technician(pg_db, org_id, "Ana", "+5491155550101")
    beto = add_technician(pg_db, org_id, "Beto", "+5491155550102")
    book(pg_db, org_id, ana, at(TUE, 10))
    slots = offer(pg_db, org_id, now=at(MON, 7), count=ALL)
    by_start = {s.start: s.technician_id for s in slots}

    assert by_start[at(TUE, 10)] == beto
    assert by_start[at(TUE, 8)] == beto  # Ana already has a visit that day
    assert by_start[at(WED, 8)] == ana  # a free day each: the first by name


def test_preferred_date_and_window_come_first(pg_db, org_id):
    add_technician(pg_db, org_id)
    three = offer(pg_db, org_id, now=at(MON, 9), preferred_date=THU, preferred_window="afternoon")
    five = offer(pg_db, org_id, now=at(MON, 9), count=5, preferred_date=THU,
                 preferred_window="afternoon")

    assert starts(three) == [at(THU, 12), at(THU, 14), at(THU, 16)]
    assert starts(five) == [at(THU, h) for h in range(12, 17)]


def test_a_full_preferred_window_falls_back_to_the_same_day_and_the_nearest(pg_db, org_id):
    tech_id = add_technician(pg_db, org_id)
    book(pg_db, org_id, tech_id, at(THU, 8), end=at(THU, 12))
    slots = offer(pg_db, org_id, now=at(MON, 9), preferred_date=THU, preferred_window="morning")

    assert starts(slots) == [at(WED, 8), at(THU, 12), at(FRI, 8)]


def test_a_partly_free_preferred_window_is_offered_before_the_rest(pg_db, org_id):
    tech_id = add_technician(pg_db, org_id)
    book(pg_db, org_id, tech_id, at(THU, 10), end=at(THU, 12))
    slots = offer(pg_db, org_id, now=at(MON, 9), preferred_date=THU, preferred_window="morning")

    assert [s.label_on(MON) for s in slots] == ["Jue 27/11 8 a 10", "Mié 26/11 8 a 10",
                                                "Vie 28/11 8 a 10"]


def test_preferred_date_only_spreads_over_that_day(pg_db, org_id):
    add_technician(pg_db, org_id)
    slots = offer(pg_db, org_id, now=at(MON, 9), preferred_date=WED)

    assert starts(slots) == [at(WED, 8), at(WED, 10), at(WED, 12)]


def test_a_preferred_time_offers_the_visits_that_cover_it_on_that_day(pg_db, org_id):
    add_technician(pg_db, org_id)
    add_technician(pg_db, org_id, "Beto", "+5491155550102")
    slots = offer(pg_db, org_id, now=at(MON, 9), preferred_date=THU, preferred_time=time(10, 0),
                  preferred_window="morning")  # "el jueves tipo 10 de la mañana": the time wins

    assert starts(slots) == [at(THU, 9), at(THU, 10), at(THU, 11)]
    assert [scheduling.contains_time(s, time(10, 0)) for s in slots] == [True, True, False]


def test_a_time_past_closing_offers_the_latest_visits_of_that_day(pg_db, org_id):
    add_technician(pg_db, org_id)
    slots = offer(pg_db, org_id, now=at(MON, 9), preferred_date=THU, preferred_time=time(19, 0))

    assert starts(slots) == [at(THU, 14), at(THU, 15), at(THU, 16)]
    assert not any(scheduling.contains_time(s, time(19, 0)) for s in slots)


def test_a_time_without_a_day_is_offered_on_the_next_days_at_that_time(pg_db, org_id):
    add_technician(pg_db, org_id)
    slots = offer(pg_db, org_id, now=at(MON, 7), preferred_time=time(15, 30))

    assert starts(slots) == [at(MON, 15), at(TUE, 15), at(WED, 15)]


def test_a_full_day_at_the_time_falls_back_to_the_nearest_days_at_that_time(pg_db, org_id):
    tech_id = add_technician(pg_db, org_id)
    book(pg_db, org_id, tech_id, at(THU, 8), end=at(THU, 18))
    slots = offer(pg_db, org_id, now=at(MON, 9), preferred_date=THU, preferred_time=time(10, 0))

    # The day after before the day before (the customer may be away until then), then Saturday.
    assert starts(slots) == [at(WED, 10), at(FRI, 10), at(SAT, 10)]


def test_hours_said_bound_every_visit_and_a_day_set_aside_is_never_offered(pg_db, org_id):
    add_technician(pg_db, org_id)
    # "cualquier día menos el martes, de 2 a 5": from 14, ending by 17, never Tuesday
    slots = offer(pg_db, org_id, now=at(MON, 9), count=ALL, skip_day=TUE,
                  not_before=time(14, 0), not_after=time(17, 0))

    assert slots and not [s for s in slots if s.start.date() == TUE]
    assert all(s.start.time() >= time(14, 0) and s.end.time() <= time(17, 0) for s in slots)
    assert {s.start.hour for s in slots if s.start.date() == WED} == {14, 15}


def test_a_job_being_moved_does_not_block_its_own_hours(pg_db, org_id):
    tech_id = add_technician(pg_db, org_id)
    job_id = book(pg_db, org_id, tech_id, at(WED, 10), end=at(WED, 12))
    asked = {"now": at(MON, 9), "preferred_date": WED, "preferred_time": time(11, 0)}

    assert at(WED, 11) not in starts(offer(pg_db, org_id, **asked))  # someone else's hour
    assert starts(offer(pg_db, org_id, moving=job_id, **asked))[0] == at(WED, 10)
    assert at(WED, 11) in starts(offer(pg_db, org_id, moving=job_id, **asked))


def test_preferred_date_beyond_two_weeks_is_still_searched(pg_db, org_id):
    add_technician(pg_db, org_id)
    far = MON + timedelta(days=22)  # a Tuesday
    slots = offer(pg_db, org_id, now=at(MON, 9), preferred_date=far, count=1)

    assert starts(slots) == [at(far, 8)]
    assert slots[0].label_on(MON) == "Mar 16/12 8 a 10"


def test_no_active_technicians_means_no_slots(pg_db, org_id):
    assert offer(pg_db, org_id, now=at(MON, 9)) == []
    with pg_db.org_session(org_id) as s:
        create_user(s, {"name": "Dora Despacho", "role": "dispatcher", "phone": "+5491155550109"})
    tech_id = add_technician(pg_db, org_id)
    with pg_db.org_session(org_id) as s:
        s.get(User, tech_id).active = False

    assert offer(pg_db, org_id, now=at(MON, 9)) == []


def test_bad_arguments_are_refused(pg_db, org_id):
    add_technician(pg_db, org_id)
    with pytest.raises(ValueError, match="naive"):
        offer(pg_db, org_id, now=datetime(2025, 11, 24, 9))
    with pytest.raises(ValueError, match="window"):
        offer(pg_db, org_id, now=at(MON, 9), preferred_window="siesta")
    assert offer(pg_db, org_id, now=at(MON, 9), count=0) == []


def test_an_offered_slot_stops_being_free_once_booked(pg_db, org_id):
    tech_id = add_technician(pg_db, org_id)
    slot = offer(pg_db, org_id, now=at(MON, 9), count=1)[0]
    with pg_db.org_session(org_id) as s:
        org = s.get(Organization, org_id)
        assert scheduling.is_slot_free(s, org, slot, now=at(MON, 9))
        assert not scheduling.is_slot_free(s, org, slot, now=slot.start)  # too late now
        sunday = Slot(at(SUN, 10), at(SUN, 12), tech_id)
        assert not scheduling.is_slot_free(s, org, sunday, now=at(MON, 9))
    book(pg_db, org_id, tech_id, slot.start)
    with pg_db.org_session(org_id) as s:
        assert not scheduling.is_slot_free(s, s.get(Organization, org_id), slot, now=at(MON, 9))



def _conversation_holding(db, org_id: int, wa_id: str, slot: Slot | None, now: datetime) -> int:
    with db.org_session(org_id) as s:
        c = Conversation(org_id=org_id, wa_id=wa_id, flow="booking", state="confirm",
                         slots=scheduling.hold(slot, now) if slot else {})
        s.add(c)
        s.flush()
        return c.id


def test_a_slot_picked_by_one_customer_is_held_from_the_others(pg_db, org_id):
    # Marta tapped Monday 14 to 16 at 9:00 and is giving her name: for a quarter of an hour
    # nobody else is offered it nor can book it; Marta can.
    first = Slot(at(MON, 14), at(MON, 16), add_technician(pg_db, org_id))
    marta = _conversation_holding(pg_db, org_id, "5491166660001", first, at(MON, 9))
    julia = _conversation_holding(pg_db, org_id, "5491166660002", None, at(MON, 9))
    with pg_db.org_session(org_id) as s:
        org = s.get(Organization, org_id)
        later = at(MON, 9, 10)
        assert first.start not in starts(scheduling.free_slots(s, org, now=later, count=ALL,
                                                              holder=julia))
        assert first.start in starts(scheduling.free_slots(s, org, now=later, count=ALL,
                                                          holder=marta))
        assert not scheduling.is_slot_free(s, org, first, now=later, holder=julia)
        assert not scheduling.is_slot_free(s, org, first, now=later)  # anyone but Marta
        assert scheduling.is_slot_free(s, org, first, now=later, holder=marta)
        # the hold runs out: the slot is anybody's again
        expired = at(MON, 9) + scheduling.HOLD_FOR + timedelta(seconds=1)
        assert scheduling.is_slot_free(s, org, first, now=expired, holder=julia)
        assert first.start in starts(scheduling.free_slots(s, org, now=expired, count=ALL,
                                                          holder=julia))
        # holds are read at `holds_at` when the lead time is counted from another moment
        assert scheduling.is_slot_free(s, org, first, now=at(MON, 9), holder=julia,
                                       holds_at=expired)
        assert not scheduling.is_slot_free(s, org, first, now=expired, holder=julia,
                                           holds_at=later)



def test_who_is_free_at_some_hours_is_read_for_every_technician_at_once(pg_db, org_id):
    # Monday 14 to 16: Carlos has a visit, Laura's hours are held by Marta's booking, Diego
    # works mornings only and Pedro is free. One look tells Julia that only Pedro is, and Marta
    # that Laura and Pedro are.
    carlos = technician(pg_db, org_id, "Carlos", "+5491155550101")
    laura = technician(pg_db, org_id, "Laura", "+5491155550102")
    diego = technician(pg_db, org_id, "Diego", "+5491155550103",
                       working_hours={"mon": [["08:00", "12:00"]]})
    pedro = technician(pg_db, org_id, "Pedro", "+5491155550104")
    book(pg_db, org_id, carlos, at(MON, 15))
    hours = [Slot(at(MON, 14), at(MON, 16), who) for who in (carlos, laura, diego, pedro)]
    marta = _conversation_holding(pg_db, org_id, "5491166660001", hours[1], at(MON, 9))
    julia = _conversation_holding(pg_db, org_id, "5491166660002", None, at(MON, 9))
    with pg_db.org_session(org_id) as s:
        org = s.get(Organization, org_id)
        now = at(MON, 9, 10)
        assert scheduling.free_technicians(s, org, hours, now=now, holder=julia) == {pedro}
        assert scheduling.free_technicians(s, org, hours, now=now, holder=marta) == {laura, pedro}
        assert scheduling.free_technicians(s, org, hours, now=at(MON, 13, 30)) == set()  # too late
        assert scheduling.free_technicians(s, org, [], now=now) == set()
        with pytest.raises(ValueError):
            scheduling.free_technicians(s, org, [hours[0], Slot(at(MON, 16), at(MON, 18), laura)],
                                        now=now)

# --- labels and ids --------------------------------------------------------------------------


@pytest.mark.parametrize(("start", "hours", "label"), [
    (at(MON, 14), 2, "Hoy 14 a 16"),
    (at(TUE, 9), 2, "Mañana 9 a 11"),
    (at(WED, 9), 2, "Mié 26/11 9 a 11"),
    (at(SAT, 10), 1.5, "Sáb 29/11 10 a 11:30"),
    (at(NEXT_MON, 8), 2, "Lun 1/12 8 a 10"),
])
def test_labels_read_naturally_and_fit_a_button(start, hours, label):
    slot = Slot(start, start + timedelta(hours=hours), 3)

    assert slot.label_on(MON) == label
    assert len(label) <= 20


def test_every_offered_label_fits_a_whatsapp_button(pg_db, org_id):
    add_technician(pg_db, org_id)
    slots = offer(pg_db, org_id, now=at(MON, 7), count=60, duration=timedelta(minutes=90))

    assert len(slots) == 60
    assert all(len(s.label) <= 20 and LABEL.match(s.label) for s in slots), [s.label for s in slots]


def test_slot_id_round_trip():
    slot = Slot(at(WED, 9), at(WED, 11), 7)

    assert slot.id == "slot:7:2025-11-26T09:00:00-03:00"
    assert len(slot.id) <= 256
    assert parse_slot_id(slot.id) == slot
    parsed = parse_slot_id(slot.id, time_zone="America/Argentina/Buenos_Aires")
    assert parsed == slot and parsed.start.tzinfo == TZ
    assert parse_slot_id(slot.id, duration=timedelta(hours=1)).end == at(WED, 10)


@pytest.mark.parametrize("value", [
    "", "menu", "slot:", "slot:7:", "slot:x:2025-11-26T09:00:00-03:00",
    "slot:7:mañana", "slot:7:2025-11-26T09:00:00", "job:7:2025-11-26T09:00:00-03:00",
])
def test_parse_slot_id_rejects_anything_else(value):
    assert parse_slot_id(value) is None


# --- opening hours ---------------------------------------------------------------------------


def organization(hours: dict | None = None) -> Organization:
    return Organization(name="Plomería Ramos", slug="plomeria-ramos",
                        time_zone="America/Argentina/Buenos_Aires",
                        business_hours=dict(DEFAULT_BUSINESS_HOURS) if hours is None else hours)


@pytest.mark.parametrize(("moment", "open_", "opening", "phrase"), [
    (at(MON, 10), True, at(MON, 10), "ahora"),
    (at(MON, 8), True, at(MON, 8), "ahora"),
    (at(MON, 3), False, at(MON, 8), "hoy a las 8:00"),
    (at(MON, 18), False, at(TUE, 8), "mañana a las 8:00"),
    (at(FRI, 22, 15), False, at(SAT, 9), "mañana a las 9:00"),
    (at(SAT, 12, 59), True, at(SAT, 12, 59), "ahora"),
    (at(SAT, 13), False, at(NEXT_MON, 8), "el lunes a las 8:00"),
    (at(SUN, 11), False, at(NEXT_MON, 8), "mañana a las 8:00"),
])
def test_open_and_next_opening_over_nights_and_the_weekend(moment, open_, opening, phrase):
    org = organization()

    assert is_open(org, moment) is open_
    assert next_opening(org, moment) == opening
    assert describe_opening(org, moment) == phrase


def test_opening_from_a_utc_instant_is_given_in_the_organization_zone():
    org = organization()
    moment = datetime(2025, 11, 24, 10, 30, tzinfo=UTC)  # 7:30 in Buenos Aires

    assert not is_open(org, moment)
    opening = next_opening(org, moment)
    assert opening == at(MON, 8) and opening.tzinfo == TZ


def test_split_shift_reopens_after_lunch():
    org = organization({"mon": [["08:00", "12:00"], ["14:00", "18:00"]]})

    assert not is_open(org, at(MON, 12, 30))
    assert describe_opening(org, at(MON, 12, 30)) == "hoy a las 14:00"


def test_opening_a_week_away_names_the_date_and_never_opening_says_so():
    mondays = organization({"mon": [["01:00", "05:00"]]})

    assert describe_opening(mondays, at(MON, 9)) == "el lunes 1/12 a la 1:00"
    assert next_opening(organization({}), at(MON, 9)) is None
    assert describe_opening(organization({}), at(MON, 9)) == "apenas podamos"


def test_booked_time_is_seen_on_both_databases(db, make_org):
    """Stored windows come back in UTC (SQLite keeps no zone); the overlap check must agree."""
    org_id = make_org("Electricidad Sosa")
    tech_id = add_technician(db, org_id)
    book(db, org_id, tech_id, at(TUE, 10))
    book(db, org_id, tech_id, at(TUE, 15), open_ended=True)
    slots = offer(db, org_id, now=at(MON, 7), count=ALL)

    assert [s.start.hour for s in slots if s.start.date() == TUE] == [8, 12, 13]


@pytest.mark.parametrize("day", [date(2026, 3, 29), date(2026, 10, 25), date(2026, 6, 10)])
def test_hourly_starts_step_the_local_clock_across_a_clock_change(day):
    # Madrid changes its clocks on the last Sundays of March and October; Buenos Aires does not,
    # but an organization may be anywhere. Epoch seconds are what aware arithmetic steps to.
    madrid = ZoneInfo("Europe/Madrid")
    first = datetime(day.year, day.month, day.day, 0, tzinfo=madrid)
    hi = datetime(day.year, day.month, day.day, 8, tzinfo=madrid)
    expected, start = [], first
    while start + timedelta(hours=2) <= hi:
        expected.append(start.timestamp())
        start += timedelta(hours=1)
    assert list(scheduling._hourly_seconds(first, hi, timedelta(hours=2))) == expected
    assert len(expected) == 7


def test_bookings_are_read_alike_on_both_databases(db):
    # The search reads bookings as epoch seconds computed by the database (PostgreSQL's and
    # SQLite's own functions): a visit with an end and one without keep their hours on both.
    org = create_org(db, "Gas Sur", slug="gas-sur")
    ana = add_technician(db, org, "Ana", "+5491155550101")
    book(db, org, ana, at(TUE, 10), end=at(TUE, 12))
    book(db, org, ana, at(WED, 14), open_ended=True)  # the default two hours
    free = set(starts(offer(db, org, now=at(MON, 7), count=ALL)))

    assert {at(TUE, 8), at(TUE, 12), at(WED, 12), at(WED, 16)} <= free
    assert not {at(TUE, 9), at(TUE, 10), at(TUE, 11), at(WED, 13), at(WED, 14), at(WED, 15)} & free
    with db.org_session(org) as s:
        tuesday = scheduling.Slot(start=at(TUE, 11), end=at(TUE, 13), technician_id=ana)
        assert not scheduling.is_slot_free(s, s.get(Organization, org), tuesday, now=at(MON, 7))
