"""A technician who cannot get to a visit ("llueve a cántaros, no llego a lo de Luis, lo paso
para mañana", "no voy a poder ir hoy, se me rompió la camioneta"). Nothing was started, so
nothing is left to finish: the same job moves to the day they name (their first free hour), or
goes back to the office to coordinate when they name none, and the customer hears that the
technician cannot come — not that they "come back to finish the job", which a follow-up job
(flows/technician_close.cannot_complete, for work begun) would tell them."""

from __future__ import annotations

import re
from datetime import date, datetime

from core import es_ar, jobs
from core.es_ar import at_hour, first_name, weekday_date
from core.jobs.scheduling import DEFAULT_DURATION
from core.links import job_link
from core.messaging import texts
from core.messaging.replies import Reply, Text
from core.models import Job, JobStatus
from flows.technician_jobs import THE_CUSTOMER, tell_customer
from flows.turn import Turn

S = JobStatus
NOT_STARTED = (S.SCHEDULED, S.EN_ROUTE)
# Not going or not getting there — as opposed to not finishing what was begun
_NOT_GETTING_THERE = re.compile(
    r"\bno\s+(?:voy\s+a\s+)?(?:llego|llegue|llegar|llegamos|voy|vamos|ir|paso|pasar|puedo\s+ir"
    r"|puedo\s+pasar|puedo\s+llegar|podre\s+ir|alcanzo|alcance)\b"
    r"|\bno\s+(?:voy\s+a\s+)?poder\s+(?:ir|llegar|pasar|ir\s+hoy|llegar\s+hoy)\b"
    r"|\b(?:suspend\w+|postergu?\w+)\b|\b(?:no\s+)?(?:me\s+)?(?:quede|estoy)\s+varad[oa]\b"
)


def _tell_office(turn: Turn, job: Job, reason: str, why: str) -> None:
    """"Lo coordina la oficina": so the office (owners, admins, dispatchers with a phone) hears it."""
    turn.tell_staff(texts.render(
        "staff_visit_unscheduled", tech=turn.user.name, number=job.number, why=why,
        customer=(job.customer.name if job.customer else None) or THE_CUSTOMER,
        reason=es_ar.shortened(reason, 200), link=job_link(turn.settings, job.id)))


# At the door with nobody to open it ("toqué timbre y no hay nadie", "no atiende nadie")
_NOBODY_HOME = re.compile(
    r"\bno\s+(?:me\s+)?(?:atiende|atienden|abre|abren|contesta|contestan)\b|\bnadie\s+(?:atiende|abre|contesta)\b"
    r"|\bno\s+(?:hay|habia|estaba|esta)\s+nadie\b|\bno\s+(?:estaba|esta)\s+(?:el|la)\s+(?:cliente|senora|senor|duen[oa])\b"
)


# A day the visit goes to ("lo paso para mañana", "mejor el jueves", "voy el lunes"), as opposed
# to the day they cannot make ("el martes no voy a poder ir")
_MOVED_TO = re.compile(
    r"(?<!\bno\s)\b(?:para|mejor|voy|paso|pasalo|vuelvo|recien|caigo)\s+(?:el\s+|la\s+|a\s+la\s+)?"
    r"(?:hoy|manana|pasado|lunes|martes|miercoles|jueves|viernes|sabado|domingo|finde|\d)")


def day_to_move_to(job: Job, text: str, asked: date | None, zone) -> date | None:
    """The day a visit not begun moves to: the day the technician named, unless it is the
    visit's own day named as the one they cannot make ("el martes no voy a poder ir a lo de
    Pablo" moves nothing to Tuesday: the office coordinates another day)."""
    if asked is None or job.scheduled_start is None:
        return asked
    if es_ar.aware(job.scheduled_start).astimezone(zone).date() != asked:
        return asked
    return asked if _MOVED_TO.search(es_ar.folded(text)) else None


def never_got_there(job: Job, text: str) -> str | None:
    """Why a visit not begun is not happening: "nobody_home" (at the door, nobody opened) or
    "not_going" (not getting there); None when the visit was begun or the words tell of work
    begun (then it is a follow-up)."""
    if job.status not in NOT_STARTED:
        return None
    said = es_ar.folded(text)
    if _NOBODY_HOME.search(said):
        return "nobody_home"
    return "not_going" if _NOT_GETTING_THERE.search(said) else None


def move_visit(turn: Turn, job: Job, why: str, reason: str, asked: date | None,
               start: datetime | None) -> list[Reply]:
    """The job itself moves to `start` (the technician's first free hour on the day they named);
    without one it waits for the office, pending, with the reason on its history."""
    if job.status is S.EN_ROUTE:
        jobs.transition(turn.session, job.id, S.SCHEDULED, turn.actor, note=reason or None)
    customer = first_name(job.customer.name if job.customer else None) or THE_CUSTOMER
    if start is not None:
        jobs.schedule(turn.session, job.id, start, start + DEFAULT_DURATION, turn.actor)
        when = f"{weekday_date(start.date())} {at_hour(start)}"
        notified = tell_customer(turn, job, "customer_visit_moved", when=when, why=why)
        return [Text(texts.render("tech_visit_moved", number=job.number, when=when,
                                  customer=customer, notified=notified))]
    jobs.transition(turn.session, job.id, S.PENDING, turn.actor, note=reason or "no llegó")
    notified = tell_customer(turn, job, "customer_visit_moved", when=None, why=why)
    _tell_office(turn, job, reason, why)
    asked_text = es_ar.day_phrase(asked, turn.today) if asked else None
    return [Text(texts.render("tech_visit_moved", number=job.number, when=None, asked=asked_text,
                              customer=customer, notified=notified))]
