"""Time ranges on an organization's clock: hours as stored ("08:00"), a day's ranges from them,
merging, overlap, and one technician's bookings as a searchable timeline."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from datetime import date, datetime, time, timedelta

Range = tuple[datetime, datetime]

_DAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def day_ranges(hours: dict | None, day: date, tz) -> list[Range]:
    ranges = []
    for start, end in (hours or {}).get(_DAY_KEYS[day.weekday()], []):
        ranges.append((at_hhmm(day, start, tz), at_hhmm(day, end, tz)))
    return merge(ranges)


def merge(ranges: list[Range]) -> list[Range]:
    """Sorted, with touching or overlapping ranges joined (split shifts stay split)."""
    merged: list[Range] = []
    for lo, hi in sorted(ranges):
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


def aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetime: pass an aware one")
    return value


def at_hhmm(day: date, hhmm: str, tz) -> datetime:
    hour, minute = (int(x) for x in hhmm.split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=tz)


def ceil_hour(value: datetime) -> datetime:
    """The next whole hour on the local clock (unchanged if already whole)."""
    whole = value.replace(minute=0, second=0, microsecond=0)
    # Aware arithmetic in Python is wall-clock: 9:00 + 1 h is 10:00 local, whatever the offset.
    return whole if whole == value else whole + timedelta(hours=1)


def overlaps(start: datetime, end: datetime, other: Range) -> bool:
    return start < other[1] and other[0] < end


class Timeline:
    """One technician's booked windows, merged and sorted as epoch seconds: whether a window is
    free costs one bisection instead of a comparison of aware datetimes with every booking."""

    def __init__(self, windows: list[tuple[float, float]]):
        """`windows`: (start, end) in epoch seconds, in any order, overlapping or not."""
        seconds = sorted(windows)
        self.booked_starts = [lo for lo, _ in seconds]  # every booking's start, merged or not
        merged: list[list[float]] = []
        for lo, hi in seconds:
            if merged and lo <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], hi)
            else:
                merged.append([lo, hi])
        self.starts = [lo for lo, _ in merged]
        self.ends = [hi for _, hi in merged]

    def is_free(self, start: datetime, end: datetime) -> bool:
        return self.is_free_seconds(start.timestamp(), end.timestamp())

    def is_free_seconds(self, lo: float, hi: float) -> bool:
        """`is_free` for a window given as epoch seconds."""
        n = bisect_right(self.ends, lo)  # the first booking that ends after `lo`
        return n == len(self.starts) or self.starts[n] >= hi

    def starting_between(self, lo: float, hi: float) -> int:
        """How many bookings start in [lo, hi) (epoch seconds)."""
        return bisect_left(self.booked_starts, hi) - bisect_left(self.booked_starts, lo)
