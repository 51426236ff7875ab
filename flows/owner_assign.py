"""The owner handing a visit to another technician from WhatsApp: "pasale lo de Graciela a
Diego", "que lo haga Diego al #12", "asignale el 12 a Carlos".

The contract has no intent for it (an owner's is a summary or who owes), so these arrive as
`other` and, without this flow, met "no te entendí". The job is found among the open ones by its
number or its customer's name, the technician by first name; one of each, and it is done at once
(the owner's word is the order, as the back-office's "Asignar" button is): both technicians hear
it on WhatsApp and the owner gets the visit back. Two jobs that fit are listed, never guessed."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from core import es_ar, jobs
from core.errors import DomainError
from core.jobs import OPEN_STATUSES
from core.jobs.notices import technician_notice
from core.messaging import texts
from core.messaging.replies import Reply, Text
from core.models import ConversationRole, Job, JobStatus, Urgency, User
from flows import owner
from flows.customer_job_change import visit
from flows.engine import FlowSpec
from flows.turn import Turn
from nlu.extract.message_kinds import TEAM_MISREAD
from nlu.extract.times import afternoon_hour

LISTED = 5
# "pasale/pasáselo/dale/asignale/mandale … a Diego", "que lo haga Diego", "que vaya Diego"
# ("¿qué pasa con Diego?" or "dale, gracias" are no order: the bare verbs are left out)
_HAND = re.compile(
    r"\b(?:pasa(?:le|selo|sela|lo|la)|da(?:selo|sela)|dale\s+(?:el|lo|la)|"
    r"asigna(?:le|selo|sela|lo|la)?|manda(?:le|lo|la)|cambia(?:le)?\s+(?:el\s+)?tecnico|"
    r"reasigna(?:le|lo|la)?)\b"
    r"|\bque\s+(?:lo\s+|la\s+)?(?:haga|agarre|tome|vaya|cubra)\b"
)
# "#12", "el 12", "el trabajo 12" (not a date: "el 7/12")
_NUMBER = re.compile(r"(?:#|\bel\s+|\btrabajo\s+|\bnumero\s+|\bnro\s+)(\d{1,6})\b(?![/.]\d)")


# the open visits nobody has: "¿qué trabajos no tienen técnico?", "¿hay algo sin asignar?"
_NOBODYS = re.compile(
    r"\b(?:sin\s+(?:tecnico|asignar|asignacion)|no\s+tienen?\s+(?:tecnico|a\s+nadie)|nadie\s+asignado"
    r"|no\s+(?:esta|estan)\s+asignad[oa]s?|falta(?:n)?\s+asignar|no\s+tiene\s+nadie)\b")


def gives_order(said: str) -> bool:
    """Whether the owner's folded words hand a visit over or move it, or ask for the ones nobody
    has: rules precise enough to go before any doubt of the model's."""
    from flows.owner_move import asks_to_move  # it imports this module

    return bool(_HAND.search(said) or _NOBODYS.search(said)) or asks_to_move(said)


def handle(turn: Turn) -> list[Reply]:
    said = es_ar.folded(turn.text)
    if _NOBODYS.search(said) and not _HAND.search(said):
        nobodys = [job for job in open_jobs_of(turn) if job.technician_id is None]
        team = owner.active_technicians(turn)
        example = es_ar.first_name(team[0].name) if team else "Carlos"
        turn.save(**{NOBODYS_SHOWN: {"ids": [job.id for job in nobodys[:10]], "at": turn.now.isoformat()}})
        return [Text(texts.render("owner_unassigned", jobs=[line(turn, job) for job in nobodys[:10]],
                                  more=max(0, len(nobodys) - 10), example=example))]
    if not _HAND.search(said):
        return []
    parts = _ORDERS.split(said)
    if len(parts) == 1:
        done: set[int] = set()
        replies = _assign(turn, said, done)
        if len(done) == 1 and (at := _hour_too(said)) is not None:
            # "pasásela a Luis y que sea a las 15 en vez de a las 10": handed over and moved
            moved = _moved_too(turn, next(iter(done)), at)
            if replies and moved and isinstance(replies[-1], Text) and isinstance(moved[0], Text):
                return [*replies[:-1], Text(f"{replies[-1].body}\n{moved[0].body}"), *moved[1:]]
            replies += moved
        return replies
    # "el de Triunvirato dáselo a Juan y los otros 2 a Lucas": each order, in one answer
    done: set[int] = set()
    replies = [reply for part in parts for reply in _assign(turn, part, done)]
    bodies = [reply.body for reply in replies if isinstance(reply, Text)]
    return [Text("\n".join(bodies))] if bodies else []


# a new hour said with the order: "y que sea a las 15 (en vez de a las 10)", "y ponela a las 9"
_AND_AT = re.compile(r"\b(?:que\s+sea|que\s+vaya|y\s+(?:pone|pasa|move|corre)(?:la|lo)|para)\s+a\s+las\s+"
                     r"(?P<h>\d{1,2})(?::(?P<m>[0-5]\d))?\b(?!\s*(?:hs\s+)?(?:no|tampoco)\b)")


def _hour_too(said: str) -> time | None:
    """The new hour an order to hand a visit over also gives, or None."""
    found = _AND_AT.search(said)
    if found is None:
        return None
    hour = afternoon_hour(int(found.group("h")))
    return time(hour, int(found.group("m") or 0)) if 0 <= hour <= 23 else None


def _moved_too(turn: Turn, job_id: int, at: time) -> list[Reply]:
    """The visit just handed over moved to `at` on its day, as "pasala a las 16" would."""
    from flows import owner_move  # it imports this module

    job = turn.session.get(Job, job_id)
    if job is None or job.scheduled_start is None:
        return []
    day = es_ar.aware(job.scheduled_start).astimezone(turn.zone).date()
    start = datetime.combine(day, at, tzinfo=turn.zone)
    if start <= turn.now or es_ar.aware(job.scheduled_start) == start:
        return []
    return owner_move.move_to(turn, job, start)


# a second order in the same breath: "…a Juan y los otros 2 a Lucas", "…a Juan, el de Lugones a Lucas"
_ORDERS = re.compile(r",?\s+y\s+(?=(?:el|la|lo|los|las)\s+\w+.*\ba\s+\w+)|,\s+(?=(?:el|la|lo|los|las)\s+de\s+\w+.*\ba\s+\w+)")
# "los otros 2", "las demás": the rest of the visits nobody had, as just listed
_THE_REST = re.compile(r"\b(?:los|las)\s+(?:otr[oa]s|demas|restantes)\b")
NOBODYS_SHOWN = "nobodys_shown"  # the owner's slot: the visits without technician just listed


def _the_rest(turn: Turn, done: set[int]) -> list[Job]:
    shown = turn.slots.get(NOBODYS_SHOWN)
    if not shown or turn.now - datetime.fromisoformat(shown["at"]) > LAST_JOB_FOR:
        return []
    return [job for job in open_jobs_of(turn)
            if job.id in shown["ids"] and job.id not in done and job.technician_id is None]


def _assign(turn: Turn, said: str, done: set[int]) -> list[Reply]:
    """One order: the visits it names handed to the technician it names; `done` gathers the
    visits handed over in this message (so "los otros" are the ones left)."""
    technicians = owner.active_technicians(turn)
    named = everyone = owner.named_in(said, technicians)
    if len(named) > 1:
        # "pasásela a Diego que Carlos está lejos": the one the order hands it to
        named = [t for t in named if _handed_to(said, t)]
    if len(named) != 1:
        return []  # no technician, or two ("pasale a Diego lo de Carlos"): not for a guess
    technician = named[0]
    if _THE_REST.search(said) and (rest := _the_rest(turn, done)):
        return [reply for job in rest for reply in _hand(turn, job, technician, done)]
    found = jobs_meant(turn, said, es_ar.folded(es_ar.first_name(technician.name)),
                       [t for t in everyone if t.id != technician.id])
    if not found and (just := last_job(turn)) is not None:
        found = [just]  # "daselo a Carlos" right after booking it
    if not found:
        return [Text(texts.render("owner_assign_which", jobs=[], technician=technician.name))]
    if len(found) > 1 and _DAYS_OF.search(said) and all(job.technician_id == found[0].technician_id
                                                         for job in found):
        # "pasale a Nico todo lo que tiene Darío mañana": every one of them, in one answer
        bodies = [reply.body for job in found for reply in _hand(turn, job, technician, done)
                  if isinstance(reply, Text)]
        return [Text("\n".join(bodies))]
    if len(found) > 1:
        return [Text(texts.render("owner_assign_which", technician=technician.name,
                                  jobs=[line(turn, job) for job in found[:LISTED]]))]
    return _hand(turn, found[0], technician, done)


def _hand(turn: Turn, job: Job, technician: User, done: set[int]) -> list[Reply]:
    done.add(job.id)
    previous = job.technician
    if previous is not None and previous.id == technician.id:
        return [Text(texts.render("owner_assign_done", already=True, technician=technician.name,
                                  **line(turn, job)))]
    try:
        with turn.session.begin_nested():
            jobs.assign_technician(turn.session, job.id, technician.id, turn.actor)
    except DomainError as exc:
        return [Text(texts.render("tech_error", reason=str(exc).rstrip(".")))]
    turn.session.refresh(job)
    remember(turn, job)
    told = []
    for change, who in (("assigned", technician), ("unassigned", previous)):
        notice = technician_notice(turn.session, job, change, technician=who, now=turn.now) \
            if who is not None else None
        if notice is not None:
            turn.notify(*notice)
            told.append(es_ar.first_name(who.name))
    return [Text(texts.render("owner_assign_done", already=False, technician=technician.name,
                              previous=previous.name if previous else None, told=told,
                              **line(turn, job)))]


def _handed_to(said: str, technician: User) -> bool:
    """Whether the order names `technician` as the one who takes it: right after the verb
    ("pasásela a Diego", "que lo haga Diego"), not as the one it is taken from."""
    for hand in _HAND.finditer(said):
        after = said[hand.end():]
        # "a Diego" within a few words, or the name right after the verb ("que lo haga Diego")
        to = re.match(r"\W*(?:(?:\w+\s+){0,7}?al?\s+(?P<a>\w+)|(?:\w+\s+){0,1}?(?P<b>\w+))", after)  # "al Juli" too
        if to and owner.named_in(to.group("a") or to.group("b") or "", [technician]):
            return True
    return False


# "la urgencia", "la emergencia": the open emergency
_EMERGENCY = re.compile(r"\b(?:urgencia|emergencia|urgente)s?\b")


NOT_BEGUN = (JobStatus.PENDING, JobStatus.SCHEDULED)
# "lo de hoy", "lo de mañana", "las de hoy", "todo lo que tiene Darío mañana", "todas las visitas
# de Darío": the visits of the technician they are taken from (of the day said, if one is)
_DAYS_OF = re.compile(r"\b(?:lo|los|las|el|la)\s+(?:trabajos?\s+|visitas?\s+)?de\s+(?P<day>hoy|manana)\b"
                      r"|\btodo\s+lo\s+(?:que\s+|q\s+)?tiene\b|\btodo\s+lo\s+de\b"
                      r"|\btod[oa]s\s+(?:los|las|sus)\s+(?:trabajos|visitas|laburos)\b")


def jobs_meant(turn: Turn, said: str, technician_word: str, others: list[User] = ()) -> list[Job]:
    """The open jobs the message names: by number, else by a word of the customer's name or of
    the place ("la urgencia de Flores", "lo de Juramento"); "la urgencia" is an emergency; "lo de
    hoy" with another technician named ("Diego se enfermó, pasale lo de hoy a Facu") is that
    technician's visits of the day."""
    open_jobs = open_jobs_of(turn)
    numbers = {int(n) for n in _NUMBER.findall(said)}
    if numbers:
        return [job for job in open_jobs if job.number in numbers]
    if _EMERGENCY.search(said):
        open_jobs = [job for job in open_jobs if job.urgency == Urgency.EMERGENCY]
    if (day := _DAYS_OF.search(said)) and len(others) == 1:
        return _visits_of(turn, open_jobs, others[0], said, day)
    words = set(said.split()) - {technician_word} - _NOT_NAMES
    by_name = [job for job in open_jobs if job.customer is not None and job.customer.name
               and words & {w for w in es_ar.folded(job.customer.name).split() if len(w) > 2}]
    if by_name:
        return by_name
    by_place = [job for job in open_jobs if words & _place_words(job)]
    if by_place or not _EMERGENCY.search(said):
        return by_place
    return open_jobs  # "pasale la urgencia a Diego": the open emergency, if one


def _visits_of(turn: Turn, open_jobs: list[Job], technician: User, said: str, day: re.Match) -> list[Job]:
    """The visits not yet begun of `technician` on the day said ("lo de mañana", "todo lo que
    tiene mañana", "el jueves"), or on every day when none is."""
    wanted = turn.today + timedelta(days=1) if day.group("day") == "manana" or re.search(r"\bmanana\b", said) \
        else turn.today if day.group("day") == "hoy" or re.search(r"\bhoy\b", said) \
        else date.fromisoformat(turn.result.date) if turn.result.date else None
    return [job for job in open_jobs if job.technician_id == technician.id
            and job.status in NOT_BEGUN and job.scheduled_start is not None
            and (wanted is None or es_ar.aware(job.scheduled_start).astimezone(turn.zone).date() == wanted)]


LAST_JOB = "last_job"  # the owner's slot: the visit just booked, shown, moved or handed over
LAST_JOB_FOR = timedelta(minutes=30)


def remember(turn: Turn, job: Job) -> None:
    """Keep `job` as the one "daselo a Carlos", "pasala a las 16" mean next."""
    turn.save(**{LAST_JOB: {"id": job.id, "at": turn.now.isoformat()}})


def last_job(turn: Turn) -> Job | None:
    """The open visit the owner was just talking about, lately; None otherwise."""
    kept = turn.slots.get(LAST_JOB)
    if not kept or turn.now - datetime.fromisoformat(kept["at"]) > LAST_JOB_FOR:
        return None
    job = turn.session.get(Job, kept["id"])
    return job if job is not None and job.status in OPEN_STATUSES else None


def open_jobs_of(turn: Turn) -> list[Job]:
    """Every open job, soonest first, with its customer, technician and address."""
    return list(turn.session.scalars(
        select(Job).options(joinedload(Job.customer), joinedload(Job.technician),
                            joinedload(Job.address))
        .where(Job.status.in_(OPEN_STATUSES)).order_by(Job.scheduled_start, Job.number)).unique())


# Words of a place that say nothing about which ("calle", "av", "de")
_NOT_NAMES = frozenset({"calle", "av", "avenida", "de", "del", "la", "el", "los", "las", "san",
                        "santa", "villa", "pasaje", "pje"})


def _place_words(job: Job) -> set[str]:
    place = " ".join(p for p in (job.address.street, job.address.locality) if p) \
        if job.address is not None else ""
    return {w for w in es_ar.folded(place).split() if len(w) > 2} - _NOT_NAMES


def line(turn: Turn, job: Job) -> dict:
    return {"number": job.number,
            "customer": (job.customer.name if job.customer else None) or "un cliente",
            "when": visit(job, turn.now),
            "current": job.technician.name if job.technician else None}


SPEC = FlowSpec(name="owner_assign", roles=frozenset({ConversationRole.OWNER}), handle=handle,
                intents=TEAM_MISREAD)
