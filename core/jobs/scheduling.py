"""Free visit slots to offer a customer (whether the business is open: `core.jobs.opening`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from sqlalchemy import Float, and_, cast, extract, or_, select
from sqlalchemy.orm import Session

from core import es_ar
from core.identity.users import technicians
from core.jobs.opening import business_ranges
from core.jobs.time_ranges import (
    Range,
    Timeline,
    at_hhmm,
    aware,
    ceil_hour,
    day_ranges,
    merge,
    overlaps,
)
from core.models import Conversation, Job, JobStatus, Organization, Role, User

DEFAULT_DURATION = timedelta(hours=2)
LOOKAHEAD_DAYS = 14
# A preferred date further away than this is not searched; the nearest slots are offered instead.
MAX_PREFERRED_DAYS = 90
LEAD_TIME = timedelta(hours=1)
LABEL_MAX = 20  # WhatsApp reply-button title limit
WINDOWS = {"morning": (8, 12), "afternoon": (12, 18), "evening": (18, 21)}
URGENT = frozenset({"high", "urgent", "emergency"})
# Jobs in these states no longer hold their technician's time.
FREEING_STATUSES = frozenset(
    {JobStatus.CANCELLED, JobStatus.COMPLETED, JobStatus.INVOICED, JobStatus.PAID}
)
SLOT_ID_PREFIX = "slot"
# A slot a customer picked is held for them while they give their name and confirm: nobody else
# is offered it, nor can book it, for this long. Without it, a rush of customers is offered the
# same few hours, and all but the first to confirm hear "ese horario se acaba de ocupar" at the
# end, over and over. A customer who comes back later still gets the slot if nobody took it.
HOLD_FOR = timedelta(minutes=15)
# The conversation keeps its pick in `slots`: the slot's id, and until when it is held (epoch s)
HELD_SLOT, HELD_UNTIL = "slot", "slot_held_until"

# User-facing words (Rioplatense Spanish); the short weekdays fit a 20-character button title.
_WEEKDAY_SHORT = ("Lun", "Mar", "Mié", "Jue", "Vie", "Sáb", "Dom")
_TODAY, _TOMORROW = "Hoy", "Mañana"

@dataclass(frozen=True)
class Slot:
    """A visit window for one technician; `start`/`end` are aware, in the organization's zone."""

    start: datetime
    end: datetime
    technician_id: int
    # The organization's "today" when the slot was offered, so labels say "Hoy"/"Mañana".
    today: date | None = field(default=None, compare=False, repr=False)

    @property
    def id(self) -> str:
        """A reply-button id: "slot:<technician_id>:<iso start>"."""
        return f"{SLOT_ID_PREFIX}:{self.technician_id}:{self.start.isoformat()}"

    @property
    def label(self) -> str:
        """A button title of at most 20 characters: "Hoy 14 a 16", "Mié 26/11 9 a 11"."""
        return self.label_on(self.today or datetime.now(self.start.tzinfo).date())

    def label_on(self, today: date) -> str:
        day = self.start.date()
        if day == today:
            prefix = _TODAY
        elif day == today + timedelta(days=1):
            prefix = _TOMORROW
        else:
            prefix = f"{_WEEKDAY_SHORT[day.weekday()]} {day.day}/{day.month}"
        text = f"{prefix} {es_ar.clock(self.start)} a {es_ar.clock(self.end)}"
        return text if len(text) <= LABEL_MAX else f"{prefix} {es_ar.clock(self.start)}"


def parse_slot_id(value: str, *, duration: timedelta = DEFAULT_DURATION,
                  time_zone: str | None = None) -> Slot | None:
    """The Slot behind a button id from `Slot.id`, or None if `value` is not one."""
    prefix, _, rest = (value or "").partition(":")
    tech, _, iso = rest.partition(":")
    if prefix != SLOT_ID_PREFIX or not tech.isdigit() or not iso:
        return None
    try:
        start = datetime.fromisoformat(iso)
    except ValueError:
        return None
    if start.tzinfo is None:
        return None
    if time_zone:
        start = start.astimezone(ZoneInfo(time_zone))
    return Slot(start=start, end=start + duration, technician_id=int(tech))


def free_slots(
    session: Session,
    org: Organization,
    *,
    now: datetime,
    count: int = 3,
    duration: timedelta = DEFAULT_DURATION,
    preferred_date: date | None = None,
    preferred_window: str | None = None,
    preferred_time: time | None = None,
    urgency: str = "normal",
    service: str | None = None,
    skip_start: datetime | None = None,
    skip_day: date | None = None,
    not_before: time | None = None,
    not_after: time | None = None,
    holder: int | None = None,
    moving: int | None = None,
) -> list[Slot]:
    """Up to `count` slots with distinct start times, best first.

    A slot is offered for an active technician inside both the organization's business hours
    and the technician's working hours, on whole hours, at least an hour after `now`, and not
    overlapping that technician's open jobs. Preferred date/window come first, then the
    nearest others; otherwise the offer spreads over days and times. A preferred time ("el
    martes tipo 6") beats the window: the starts nearest to it come first, on the preferred
    day or, without one, one per day. Urgent requests get the earliest slots and ignore
    preferences. `service` is accepted for when technicians record
    their trades; today every active technician can take any job. `skip_start` leaves out one
    start (a visit's own), `skip_day` a whole day (one the customer ruled out). `not_before`
    ("hasta las 11 no hay nadie") leaves out the starts before that hour on the preferred day,
    or on every day without one; `not_after` ("de 2 a 6") leaves out the visits that would end
    after that hour, on every day. Slots held by other conversations (`HOLD_FOR`) are taken;
    `holder`'s own hold, the asking conversation's, is not. `moving` is the job being moved: its
    own booking blocks nothing ("una hora más tarde" may overlap the hours it has now).
    """
    aware(now)
    if duration <= timedelta(0):
        raise ValueError("duration must be positive")
    if preferred_window is not None and preferred_window not in WINDOWS:
        raise ValueError(f"unknown window {preferred_window!r}; use one of {sorted(WINDOWS)}")
    if count <= 0:
        return []
    staff = technicians(session)
    if not staff:
        return []
    tz = ZoneInfo(org.time_zone)
    local_now = now.astimezone(tz)
    earliest = ceil_hour(local_now + LEAD_TIME)
    urgent = str(urgency).lower() in URGENT
    last_day = earliest.date() + timedelta(days=LOOKAHEAD_DAYS - 1)
    if preferred_date and not urgent:
        last_day = max(last_day, min(preferred_date + timedelta(days=7),
                                     earliest.date() + timedelta(days=MAX_PREFERRED_DAYS)))
    first_day = earliest.date()
    days = [first_day + timedelta(days=n) for n in range((last_day - first_day).days + 1)]
    horizon = datetime.combine(last_day + timedelta(days=1), time(), tzinfo=tz)
    booked = _busy(session, org.id, [u.id for u in staff], earliest, horizon, duration,
                   held=_held(session, org.id, now, holder), moving=moving)
    candidates = _candidates(org, staff, booked, days, earliest, duration, local_now.date())
    if skip_start is not None or skip_day is not None:
        candidates = [c for c in candidates if c.start != skip_start and c.start.date() != skip_day]
    if not_before is not None:
        candidates = [c for c in candidates if c.start.time() >= not_before
                      or (preferred_date is not None and c.start.date() != preferred_date)]
    if not_after is not None:
        candidates = [c for c in candidates
                      if c.end.date() == c.start.date() and c.end.time() <= not_after]
    if urgent:
        return _pick([(candidates, (_any,))], count)
    if preferred_time is not None:
        return _pick(_time_tiers(candidates, preferred_date, preferred_time), count)
    tiers = _tiers(candidates, preferred_date, preferred_window, duration)
    # The first tier spreads over days and parts of the day; fallbacks keep their nearness order.
    spread = (_new_day, _new_day_window, _no_overlap, _any)
    nearest = (partial(_new_day, vary=False), _new_day_window, _no_overlap, _any)
    return _pick([(tier, spread if n == 0 else nearest) for n, tier in enumerate(tiers)], count)


def is_slot_free(session: Session, org: Organization, slot: Slot, *, now: datetime,
                 holder: int | None = None, holds_at: datetime | None = None,
                 moving: int | None = None) -> bool:
    """Whether an offered slot can still be booked (the customer may answer hours later): no
    open job in it, nor another conversation's hold (`holder`'s own does not count) live at
    `holds_at` (default `now`, which a caller may set back to count the lead time from the offer)."""
    return slot.technician_id in free_technicians(session, org, [slot], now=now, holder=holder,
                                                  holds_at=holds_at, moving=moving)


def free_technicians(session: Session, org: Organization, slots: list[Slot], *, now: datetime,
                     holder: int | None = None, holds_at: datetime | None = None,
                     moving: int | None = None) -> set[int]:
    """The technicians of `slots` (the same hours, one slot per technician) free then, as
    `is_slot_free` tells it for one: their bookings and other conversations' holds are read once
    for all of them (two statements, however many technicians)."""
    aware(now)
    if not slots:
        return set()
    first = slots[0]
    if any((s.start, s.end) != (first.start, first.end) for s in slots):
        raise ValueError("free_technicians takes slots of the same hours")
    tz = ZoneInfo(org.time_zone)
    start, end = first.start.astimezone(tz), first.end.astimezone(tz)
    # Offers round the lead time up to the hour; a booking only needs the hour itself.
    if start < now + LEAD_TIME or start.minute or start.second:
        return set()
    working = []
    for slot in slots:
        user = session.get(User, slot.technician_id)
        if user is None or not user.active or user.role != Role.TECHNICIAN:
            continue
        if any(lo <= start and end <= hi for lo, hi in _work_ranges(org, user, start.date(), tz)):
            working.append(user.id)
    if not working:
        return set()
    booked = _busy(session, org.id, working, start, end, end - start,
                   held=_held(session, org.id, holds_at or now, holder), moving=moving)
    return {user_id for user_id in working if booked[user_id].is_free(start, end)}


def free_stretches(session: Session, org: Organization, day: date, *, now: datetime,
                   duration: timedelta = DEFAULT_DURATION,
                   technician_ids: list[int] | None = None) -> dict[int, list[Range]]:
    """Each active technician's free time on `day` (of `technician_ids`, or all), as the
    offers see it: whole-hour starts inside business and working hours, at least the lead
    time after `now`, a visit of `duration` free from their bookings and other conversations'
    holds; consecutive free starts merged into one stretch (start of the first, end of the last
    visit). What the owner asks with "¿tenemos lugar mañana a la tarde?"."""
    aware(now)
    staff = [u for u in technicians(session) if technician_ids is None or u.id in technician_ids]
    if not staff:
        return {}
    tz = ZoneInfo(org.time_zone)
    earliest = ceil_hour(now.astimezone(tz) + LEAD_TIME)
    midnight = datetime.combine(day, time(), tzinfo=tz)
    since, until = max(midnight, earliest), midnight + timedelta(days=1)
    if since >= until:
        return {u.id: [] for u in staff}
    booked = _busy(session, org.id, [u.id for u in staff], since, until, duration,
                   held=_held(session, org.id, now, None))
    business = business_ranges(org, day, tz)
    span = duration.total_seconds()
    found: dict[int, list[Range]] = {}
    for user in staff:
        starts = [at for lo, hi in _work_ranges(org, user, day, tz, business)
                  for at in _hourly_seconds(max(ceil_hour(lo), earliest), hi, duration)
                  if booked[user.id].is_free_seconds(at, at + span)]
        stretches: list[list[float]] = []
        for at in starts:
            if stretches and at <= stretches[-1][1]:
                stretches[-1][1] = at + span
            else:
                stretches.append([at, at + span])
        found[user.id] = [(datetime.fromtimestamp(lo, tz), datetime.fromtimestamp(hi, tz))
                          for lo, hi in stretches]
    return found


def at_same_time(session: Session, slot: Slot) -> list[Slot]:
    """The slot's hours with each other active technician, free or not: a customer picks a
    time, not a person, so another technician free then serves as well as the one offered."""
    return [Slot(slot.start, slot.end, user.id, slot.today) for user in technicians(session)
            if user.id != slot.technician_id]


def hold(slot: Slot, now: datetime) -> dict:
    """The conversation slots that hold `slot` for whoever picked it (`turn.save(**hold(...))`)."""
    return {HELD_SLOT: slot.id, HELD_UNTIL: (aware(now) + HOLD_FOR).timestamp()}


def _held(session: Session, org_id: int, now: datetime,
          holder: int | None) -> list[tuple[int, float, float]]:
    """(technician, start, end in epoch seconds) of every slot another conversation holds."""
    held_until = Conversation.slots[HELD_UNTIL].as_float()
    query = select(Conversation.slots[HELD_SLOT].as_string()).where(
        Conversation.org_id == org_id, held_until > aware(now).timestamp())
    if holder is not None:
        query = query.where(Conversation.id != holder)
    held = []
    for (slot_id,) in session.connection().execute(query):
        slot = parse_slot_id(slot_id) if slot_id else None
        if slot is not None:
            held.append((slot.technician_id, slot.start.timestamp(), slot.end.timestamp()))
    return held


# --- building candidates ---------------------------------------------------------------------


def _candidates(org: Organization, staff: list[User], booked: dict[int, Timeline],
                days: list[date], earliest: datetime, duration: timedelta,
                today: date) -> list[Slot]:
    """One slot per free start time: the free technician with the lightest day takes it.

    Starts are stepped and checked as epoch seconds (a fortnight of hourly starts for every
    technician is a few thousand checks per slot-offering burst); an aware datetime is made only
    for a start somebody is free at."""
    tz = earliest.tzinfo
    span = duration.total_seconds()
    order = {u.id: n for n, u in enumerate(staff)}
    free_at: dict[float, list[int]] = defaultdict(list)
    start_of: dict[float, datetime] = {}
    for day in days:
        business = business_ranges(org, day, tz)
        for user in staff:
            is_free = booked[user.id].is_free_seconds
            for lo, hi in _work_ranges(org, user, day, tz, business):
                first = max(ceil_hour(lo), earliest)
                for n, at in enumerate(_hourly_seconds(first, hi, duration)):
                    if is_free(at, at + span):
                        free_at[at].append(user.id)
                        if at not in start_of:
                            start_of[at] = first + timedelta(hours=n)
    loads: dict[date, dict[int, tuple[int, int]]] = {}

    def lightest(free: list[int], day: date) -> int:
        """Of the technicians free then, the one with the fewest bookings starting that local
        day (counted once per day, not once per start)."""
        if day not in loads:
            midnight = datetime.combine(day, time(), tzinfo=tz)
            lo, hi = midnight.timestamp(), (midnight + timedelta(days=1)).timestamp()
            loads[day] = {u.id: (booked[u.id].starting_between(lo, hi), order[u.id]) for u in staff}
        return min(free, key=loads[day].__getitem__)

    slots = []
    for at in sorted(free_at):
        start, free = start_of[at], free_at[at]
        chosen = free[0] if len(free) == 1 else lightest(free, start.date())
        slots.append(Slot(start=start, end=start + duration, technician_id=chosen, today=today))
    return slots


def _hourly_seconds(first: datetime, hi: datetime, duration: timedelta):
    """Epoch seconds of each start `first + n hours` (on the local clock, as aware arithmetic
    steps) whose visit ends by `hi`."""
    if first.utcoffset() == hi.utcoffset():  # no clock change inside: an hour is 3,600 s
        at, last = first.timestamp(), hi.timestamp() - duration.total_seconds()
        while at <= last:
            yield at
            at += 3600.0
        return
    start = first
    while start + duration <= hi:
        yield start.timestamp()
        start += timedelta(hours=1)


def _busy(session: Session, org_id: int, user_ids: list[int], since: datetime, until: datetime,
          duration: timedelta, held: Iterable[tuple[int, float, float]] = (),
          moving: int | None = None) -> dict[int, Timeline]:
    """Each technician's booked windows touching [since, until); no end means `duration`; the
    slots `held` by other conversations are booked too.

    Plain rows of epoch seconds through the session's connection: a thousand bookings cost the
    ORM's row machinery, and even Core's aware-datetime conversion of every value, more than
    the query. So the organization is named here rather than left to the tenancy hooks, which
    only see ORM statements."""
    rows = session.connection().execute(
        select(Job.technician_id, _epoch(Job.scheduled_start), _epoch(Job.scheduled_end)).where(
            Job.org_id == org_id,
            Job.technician_id.in_(user_ids),
            Job.status.not_in(FREEING_STATUSES),
            Job.scheduled_start.is_not(None),
            Job.scheduled_start < until,
            or_(Job.scheduled_end > since,
                and_(Job.scheduled_end.is_(None), Job.scheduled_start > since - duration)),
            *((Job.id != moving,) if moving is not None else ()),
        )
    ).all()  # one fetch: row by row, the driver's fetch costs more than the rows
    span = duration.total_seconds()
    windows: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for user_id, start, end in rows:
        windows[user_id].append((start, start + span if end is None else end))
    for user_id, start, end in held:
        windows[user_id].append((start, end))
    return {user_id: Timeline(windows.get(user_id, [])) for user_id in user_ids}


def _epoch(column):
    return cast(extract("epoch", column), Float)


def _work_ranges(org: Organization, user: User, day: date, tz,
                 business: list[Range] | None = None) -> list[Range]:
    """Where the business is open and the technician works; no hours of their own means the
    business's (`business`: the day's business ranges, when the caller has them already)."""
    if business is None:
        business = business_ranges(org, day, tz)
    if not user.working_hours:
        return business
    own = day_ranges(user.working_hours, day, tz)
    overlap = [(max(a, c), min(b, d)) for a, b in business for c, d in own]
    return merge([(lo, hi) for lo, hi in overlap if lo < hi])


# --- choosing which to offer -----------------------------------------------------------------


def _tiers(candidates: list[Slot], preferred_date: date | None, preferred_window: str | None,
           duration: timedelta) -> list[list[Slot]]:
    """Exact matches for the preference first, then the rest, nearest to it first."""
    if preferred_date is None and preferred_window is None:
        return [candidates]

    def matches(slot: Slot) -> bool:
        return ((preferred_date is None or slot.start.date() == preferred_date)
                and (preferred_window is None or _in_window(slot, preferred_window, duration)))

    first = [s for s in candidates if matches(s)]
    rest = [s for s in candidates if not matches(s)]
    if preferred_date is not None:
        # Nearest day first; on a tie the later day, since the customer may be away before.
        rest.sort(key=lambda s: (abs((s.start.date() - preferred_date).days),
                                 s.start.date() < preferred_date,
                                 preferred_window is not None
                                 and not _in_window(s, preferred_window, duration),
                                 s.start))
    return [first, rest]


def _time_tiers(candidates: list[Slot], preferred_date: date | None,
                at: time) -> list[tuple[list[Slot], tuple]]:
    """For "tipo 10": on the day said, the visits that cover 10:00, then the starts nearest to
    it (distinct starts, not three technicians' copies of one time); then the other days,
    nearest first, one slot per day at the nearest time. Without a day, the nearest time on
    each day from today."""

    def off(slot: Slot) -> tuple[bool, int]:
        """Visits that cover the time first, then by minutes between their start and it."""
        minutes = abs(slot.start.hour * 60 + slot.start.minute - (at.hour * 60 + at.minute))
        return not contains_time(slot, at), minutes

    if preferred_date is None:
        by_day = sorted(candidates, key=lambda s: (s.start.date(), off(s), s.start))
        return [(by_day, (partial(_new_day, vary=False), _any))]
    on_day = sorted((s for s in candidates if s.start.date() == preferred_date),
                    key=lambda s: (off(s), s.start))
    others = sorted((s for s in candidates if s.start.date() != preferred_date),
                    key=lambda s: (abs((s.start.date() - preferred_date).days),
                                   s.start.date() < preferred_date, off(s), s.start))
    return [(on_day, (_any,)), (others, (partial(_new_day, vary=False), _any))]


def contains_time(slot: Slot, at: time) -> bool:
    """Whether the visit covers that time of its day (a 16-18 visit covers "tipo 5")."""
    moment = slot.start.replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)
    return slot.start <= moment < slot.end


def _pick(tiers: list[tuple[list[Slot], tuple]], count: int) -> list[Slot]:
    """Fill from each tier in turn, loosening its spreading rules pass by pass."""
    picked: list[Slot] = []
    for tier, rules in tiers:
        taken_before = len(picked)
        for rule in rules:
            for slot in rule(tier, picked):
                if len(picked) == count:
                    break
                if all(slot.start != p.start for p in picked):
                    picked.append(slot)
        picked[taken_before:] = sorted(picked[taken_before:], key=lambda s: s.start)
        if len(picked) == count:
            break
    return picked


def _new_day(tier: list[Slot], picked: list[Slot], *, vary: bool = True):
    """One slot per day not offered yet; with `vary`, in a part of the day not offered yet."""
    days = {p.start.date() for p in picked}
    by_day: dict[date, list[Slot]] = defaultdict(list)
    for slot in tier:
        by_day[slot.start.date()].append(slot)
    for day, slots in by_day.items():
        if day in days:
            continue
        parts = {_part_of_day(p) for p in picked}
        chosen = next((s for s in slots if vary and _part_of_day(s) not in parts), slots[0])
        days.add(day)
        yield chosen


def _new_day_window(tier: list[Slot], picked: list[Slot]):
    for slot in tier:
        if all((slot.start.date(), _part_of_day(slot)) != (p.start.date(), _part_of_day(p))
               for p in picked):
            yield slot


def _no_overlap(tier: list[Slot], picked: list[Slot]):
    for slot in tier:
        if not any(overlaps(slot.start, slot.end, (p.start, p.end)) for p in picked):
            yield slot


def _any(tier: list[Slot], picked: list[Slot]):
    yield from tier


def part_of_day(moment: datetime) -> str:
    """"morning" before 12, "afternoon" before 18, else "evening" (the NLU's windows)."""
    return "morning" if moment.hour < 12 else "afternoon" if moment.hour < 18 else "evening"


def _part_of_day(slot: Slot) -> str:
    return part_of_day(slot.start)


def _in_window(slot: Slot, window: str, duration: timedelta) -> bool:
    """The whole visit fits the window (or starts in it, when the visit is longer)."""
    lo, hi = (at_hhmm(slot.start.date(), f"{h:02d}:00", slot.start.tzinfo)
              for h in WINDOWS[window])
    if duration > hi - lo:
        return lo <= slot.start < hi
    return lo <= slot.start and slot.end <= hi
