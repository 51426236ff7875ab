"""Who goes to an emergency: the on-call technician, or the free one whose next job is nearest.

An emergency job is never left waiting for someone to notice it: `assign_emergency` gives it a
technician right away when anyone can go, and says so when nobody can (then the owner is told
to assign it by hand). The choice, in order:

1. the technician on call (`User.on_call`), if any is active with a phone — on call means
   "call me whatever I am doing";
2. otherwise a free technician: active, with a phone, not en route or on site right now and
   with no visit under way; among them the one whose next visit today is nearest to the
   emergency (same street, then same locality), then the one with the most time before that
   next visit, then the one with the fewest visits left today.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from core import jobs
from core.customers.search import fold
from core.es_ar import aware, zone
from core.models import Job, JobStatus, Organization, Role, User

BUSY = (JobStatus.EN_ROUTE, JobStatus.ON_SITE)
UPCOMING = (JobStatus.SCHEDULED,)
FAR_AWAY = 3  # rank of a next visit with no address in common


@dataclass(frozen=True)
class Assignment:
    technician: User | None
    why: str  # on_call, nearest_free, nobody


def _aware(value: datetime | None) -> datetime | None:
    return aware(value) if value is not None else None


def _place(job: Job) -> tuple[str, str]:
    """(street, locality) folded, for comparing where two jobs are."""
    address = job.address
    street = fold(address.street) if address is not None and address.street else ""
    locality = fold(address.locality) if address is not None and address.locality else ""
    if not street and job.address_text:
        street = fold(job.address_text.split(",")[0])
    return street, locality


def _distance_rank(here: tuple[str, str], there: tuple[str, str]) -> int:
    """0 same street, 1 same locality, FAR_AWAY otherwise (no geocoding: words only)."""
    if here[0] and here[0] == there[0]:
        return 0
    if here[1] and here[1] == there[1]:
        return 1
    return FAR_AWAY


def pick_technician(session: Session, job: Job, now: datetime) -> Assignment:
    """Who should go to `job` (an emergency) now; never someone inactive or without a phone."""
    staff = list(session.scalars(
        select(User).where(User.role == Role.TECHNICIAN, User.active.is_(True),
                           User.phone.is_not(None)).order_by(User.id)
    ))
    if not staff:
        return Assignment(None, "nobody")
    on_call = [user for user in staff if user.on_call]
    if on_call:
        return Assignment(on_call[0], "on_call")
    org = session.get(Organization, job.org_id)
    tz = zone(org.time_zone if org else None)
    local_now = now.astimezone(tz)
    day_end = datetime.combine(local_now.date(), time(), tzinfo=tz) + timedelta(days=1)
    others = list(session.scalars(
        select(Job).options(joinedload(Job.address))
        .where(Job.technician_id.in_([u.id for u in staff]), Job.id != job.id,
               Job.status.in_(BUSY + UPCOMING))
    ).unique())
    here = _place(job)
    ranked = []
    for user in staff:
        own = [j for j in others if j.technician_id == user.id]
        if any(j.status in BUSY for j in own):
            continue
        under_way = [j for j in own if (_aware(j.scheduled_start) or day_end) <= now
                     < (_aware(j.scheduled_end) or _aware(j.scheduled_start) or now)]
        if under_way:
            continue
        upcoming = sorted((j for j in own if j.scheduled_start is not None
                           and now <= _aware(j.scheduled_start) < day_end),
                          key=lambda j: _aware(j.scheduled_start))
        if upcoming:
            nearest = min(_distance_rank(here, _place(j)) for j in upcoming)
            gap = (_aware(upcoming[0].scheduled_start) - now).total_seconds()
        else:
            nearest, gap = FAR_AWAY, float("inf")
        ranked.append(((nearest, -gap, len(upcoming), user.id), user))
    if not ranked:
        return Assignment(None, "nobody")
    ranked.sort(key=lambda row: row[0])
    return Assignment(ranked[0][1], "nearest_free")


def assign_emergency(session: Session, job: Job, now: datetime, actor: str) -> Assignment:
    """Give the emergency a technician now (see the module's rules), or say nobody can go."""
    if job.technician_id is not None:
        return Assignment(session.get(User, job.technician_id), "already")
    choice = pick_technician(session, job, now)
    if choice.technician is not None:
        jobs.assign_technician(session, job.id, choice.technician.id, actor)
    return choice
