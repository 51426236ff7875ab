"""Whether the business is open right now, and when a person will answer if it is not."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from core import es_ar
from core.jobs.time_ranges import Range, at_hhmm, aware, day_ranges, merge
from core.models import Organization

_OPEN_NOW = "ahora"
_NO_OPENING = "apenas podamos"


def business_ranges(org: Organization, day: date, tz) -> list[Range]:
    """When the business is open that local day: its weekly hours, none on a day it closed
    (`Organization.closed_days`: a holiday, a day off), that day's own hours when the owner
    changed them (`Organization.day_hours`: closing early, opening late)."""
    if is_closed_day(org, day):
        return []
    own = (org.day_hours or {}).get(day.isoformat())
    if own is not None:
        return merge([(at_hhmm(day, lo, tz), at_hhmm(day, hi, tz)) for lo, hi in own])
    return day_ranges(org.business_hours, day, tz)


def is_closed_day(org: Organization, day: date) -> bool:
    """Whether the owner closed that day beyond the weekly hours."""
    return day.isoformat() in (org.closed_days or ())


def is_open(org: Organization, at: datetime) -> bool:
    local = aware(at).astimezone(ZoneInfo(org.time_zone))
    ranges = business_ranges(org, local.date(), local.tzinfo)
    return any(lo <= local < hi for lo, hi in ranges)


def next_opening(org: Organization, at: datetime) -> datetime | None:
    """`at` itself when open, else the next time the business opens; None if it never does."""
    tz = ZoneInfo(org.time_zone)
    local = aware(at).astimezone(tz)
    if is_open(org, local):
        return local
    for offset in range(15):  # a week, and a week more for the days it closed
        for lo, _hi in business_ranges(org, local.date() + timedelta(days=offset), tz):
            if lo > local:
                return lo
    return None


def describe_opening(org: Organization, at: datetime) -> str:
    """When a person answers: "hoy a las 14:00", "mañana a las 8:00", "el lunes a las 8:00"."""
    local = aware(at).astimezone(ZoneInfo(org.time_zone))
    opening = next_opening(org, local)
    if opening is None:
        return _NO_OPENING
    if opening == local:
        return _OPEN_NOW
    # "a las 8:00", not es_ar.at_hour's "a las 8": this one always shows the minutes.
    article = "la" if opening.hour == 1 else "las"
    hour = f"a {article} {es_ar.clock_hm(opening)}"
    days = (opening.date() - local.date()).days
    if days == 0:
        return f"hoy {hour}"
    if days == 1:
        return f"mañana {hour}"
    if days < 7:
        return f"el {es_ar.weekday(opening.date())} {hour}"
    return f"el {es_ar.weekday_date(opening.date())} {hour}"
