"""A technician who cannot get to a visit ("llueve a cántaros, no llego a lo de Luis, lo paso
para mañana", "no voy a poder ir hoy, se me rompió la camioneta"). Nothing was started, so
nothing is left to finish: the same job moves to the day they name (their first free hour), or
goes back to the office to coordinate when they name none, and the customer hears that the
technician cannot come — not that they "come back to finish the job", which a follow-up job
(flows/technician_close.cannot_complete, for work begun) would tell them."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

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
    # "no llego a pasar por el corralón", "no llego a comprar el repuesto": an errand, not the visit
    r"(?!\s+a\s+(?:pasar|comprar|buscar|conseguir|traer|ir\s+a\s+(?:comprar|buscar))\b"
    r"|\s+(?:por|x)\s+(?:el|la)\s+(?:corralon|ferreteria|casa\s+de\s+\w+|negocio|deposito|taller)\b)"
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
    r"\bno\s+(?:me\s+)?(?:atiende|atienden|abre|abren|contesta|contestan|atendio|abrio|contesto"
    r"|atendieron|abrieron|contestaron)\b|\bnadie\s+(?:me\s+)?(?:atiende|abre|contesta|atendio|abrio)\b"
    r"|\bsin\s+(?:atender|abrir|contestar)\b"
    r"|\bno\s+(?:hay|habia|estaba|esta)\s+nadie\b|\bno\s+(?:estaba|esta)\s+(?:el|la)\s+(?:cliente|senora|senor|duen[oa])\b"
    # "ponele que no estaba", "toqué y no estaban": not home, said on its own
    r"|\bno\s+(?:estaba|estaban|esta|estan)\b(?=\s*(?:$|[.,;!?\n]|y\b|asi\b|nadie\b))"
    r"|\btoc\w*\s+(?:el\s+)?timbre\s+y\s+nada\b"
)


# Given up on the door ("no había nadie, me fui", "esperé 20 minutos", "me voy", "pasalo para
# otro día"), as opposed to standing at it ("estoy en la puerta y no me atiende nadie")
_GAVE_UP = re.compile(
    r"(?<!\bsi\sno\s)\bme\s+(?:voy|fui|retiro|vuelvo|rajo|las\s+tomo|muevo)\b|\bya\s+me\s+(?:fui|voy)\b"
    r"|\bno\s+(?:habia|estaba|hubo)\b|\bespere\b|\bsigo\s+(?:con|viaje|camino)\b|\bpaso\s+a\s+(?:otro|lo\s+de)\b"
    r"|\bpas(?:alo|ala|amos)\b|\breprogram\w*|\botro\s+dia\b|\bvolvi\b|\bme\s+fui\b|\bde\s+nuevo\b"
    r"|\bsigue\s+sin\b|\btodavia\s+(?:nada|nadie|no)\b|\bnada\b(?<!\btimbre\sy\snada)(?<!\bllame\sy\snada)")
# Work told as begun or done, beside the words of a door nobody opens ("le cambié el cuerito
# pero no está la dueña para pagarme"): that visit happened
_WORK_BEGUN = re.compile(
    r"\b(?:termin|empec|arregl|cambi|instal|destap|repar|revis|cobr|hice|hicimos|deje\s+(?:andando|funcionando))\w*")
DOOR_WAIT = timedelta(hours=3)  # a second "nadie abre" within this gives up on the visit


def first_knock(turn: Turn, job: Job, text: str, asked: date | None) -> bool:
    """Whether the technician stands at the door with nobody opening, for the first time: the
    customer is told to open before the visit is given up ("estoy en la puerta y no me atiende
    nadie" — the customer may be inside, or around the corner)."""
    said = es_ar.folded(text)
    if asked is not None or not _NOBODY_HOME.search(said) or _GAVE_UP.search(said):
        return False
    return not _knocked_lately(turn, job)


def _knocked_lately(turn: Turn, job: Job) -> bool:
    """Whether the technician told of this visit's door nobody opened within DOOR_WAIT."""
    return any((event.data or {}).get("door")
               for event in jobs.notes_since(turn.session, job.id, turn.now - DOOR_WAIT))


def given_up_at_the_door(turn: Turn, text: str) -> Job | None:
    """The visit whose door the technician stood at (told so within DOOR_WAIT) and now gives up
    on ("ya van 15 minutos, me voy, anotá que no estaba"), whatever else the words look like (a
    note to take, a question): None when no door is waiting or the words do not give it up."""
    said = es_ar.folded(text)
    if not (_GAVE_UP.search(said) or _NOBODY_HOME.search(said)) or _WORK_BEGUN.search(said):
        return None
    at_door = [job for job in turn.open_jobs
               if job.status in (*NOT_STARTED, S.ON_SITE) and _knocked_lately(turn, job)]
    return at_door[0] if len(at_door) == 1 else None


def at_the_door(turn: Turn, job: Job, text: str) -> list[Reply]:
    """The customer hears the technician is at the door; the technician, that they were told
    and what to say if nobody opens in a while. Nothing moves yet."""
    jobs.add_note(turn.session, job.id, f"En la puerta, nadie abre: {text}", turn.actor,
                  data={"door": True})
    notified = tell_customer(turn, job, "customer_tech_at_door")
    customer = first_name(job.customer.name if job.customer else None) or THE_CUSTOMER
    return [Text(texts.render("tech_at_door", number=job.number, customer=customer,
                              notified=notified))]


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


def not_getting_there(text: str) -> bool:
    """Whether the technician says they are not going or not getting there."""
    return _NOT_GETTING_THERE.search(es_ar.folded(text)) is not None


def never_got_there(job: Job, text: str) -> str | None:
    """Why a visit not begun is not happening: "nobody_home" (at the door, nobody opened) or
    "not_going" (not getting there); None when the visit was begun or the words tell of work
    begun (then it is a follow-up)."""
    said = es_ar.folded(text)
    if job.status is S.ON_SITE:
        # "llegué", then nobody opens: the arrival was at the door, and nothing was begun
        return "nobody_home" if _NOBODY_HOME.search(said) and not _WORK_BEGUN.search(said) else None
    if job.status not in NOT_STARTED:
        return None
    if _NOBODY_HOME.search(said):
        return "nobody_home"
    return "not_going" if _NOT_GETTING_THERE.search(said) else None


def move_visit(turn: Turn, job: Job, why: str, reason: str, asked: date | None,
               start: datetime | None) -> list[Reply]:
    """The job itself moves to `start` (the technician's first free hour on the day they named);
    without one it waits for the office, pending, with the reason on its history."""
    if job.status is S.EN_ROUTE:
        jobs.transition(turn.session, job.id, S.SCHEDULED, turn.actor, note=reason or None)
    elif job.status is S.ON_SITE:  # "llegué", and then nobody opened
        jobs.transition(turn.session, job.id, S.PENDING, turn.actor, note=reason or "no había nadie")
    customer = first_name(job.customer.name if job.customer else None) or THE_CUSTOMER
    if start is not None:
        jobs.schedule(turn.session, job.id, start, start + DEFAULT_DURATION, turn.actor)
        when = f"{weekday_date(start.date())} {at_hour(start)}"
        notified = tell_customer(turn, job, "customer_visit_moved", when=when, why=why)
        return [Text(texts.render("tech_visit_moved", number=job.number, when=when,
                                  customer=customer, notified=notified))]
    if job.status is not S.PENDING:
        jobs.transition(turn.session, job.id, S.PENDING, turn.actor, note=reason or "no llegó")
    notified = tell_customer(turn, job, "customer_visit_moved", when=None, why=why)
    _tell_office(turn, job, reason, why)
    asked_text = es_ar.day_phrase(asked, turn.today) if asked else None
    return [Text(texts.render("tech_visit_moved", number=job.number, when=None, asked=asked_text,
                              customer=customer, notified=notified))]
