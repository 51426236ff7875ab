"""The owner moving a visit from WhatsApp: "la de Ojeda ponela a las 8", "pasá lo de García al
jueves a las 10", "el 12 movelo para mañana".

The contract has no intent for it (an owner's is a summary or who owes), so these arrive as
`other` or a summary and, without this flow, met "no te entendí" or the day's agenda. The visit
is found among the open ones by its number or its customer's name (as a handover finds it); the
new day and hour are the ones said, the rest kept: an hour alone keeps the day, a day alone keeps
the hour, and the visit keeps its length. The owner's word is the order, as the back-office's
"Reprogramar" is: it is moved at once, the technician and the customer are told, and the owner
hears it back. A move onto another visit of the same technician is asked first ("¿la paso
igual?"): the team never has two visits in one technician's hour by a slip. Two visits that fit
are listed, never guessed."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

from sqlalchemy import select

from core import es_ar, jobs
from core.errors import DomainError
from core.es_ar import visit_phrase
from core.jobs import OPEN_STATUSES
from core.jobs.scheduling import WINDOWS
from core.messaging import texts
from core.messaging.replies import Button, Buttons, Reply, Text
from core.models import ConversationRole, Job
from flows import owner_assign
from flows.buttons import MoveTap
from flows.customer_job_change import tell_technician
from flows.engine import FlowSpec
from flows.job_lookup import local_date
from flows.technician_jobs import parse_date, tell_customer
from flows.turn import Turn
from nlu.extract.message_kinds import TEAM_MISREAD

LISTED = 5
MOVE_ANYWAY, LEAVE_IT = "Sí, pasarla igual", "No, dejarla"
DEFAULT_LENGTH = timedelta(hours=2)
# "ponela", "pasala", "movelo", "correla", "cambiale el horario", "adelantalo", "pasá lo de…",
# "reprogramá el 12" ("¿qué pasa con García?" is no order: a bare "pasa" needs what it moves)
_MOVE = re.compile(
    r"\b(?:pone(?:la|lo|le)|pasa(?:la|lo)|move(?:la|lo)?|mueve(?:la|lo)|corre(?:la|lo)|"
    r"cambia(?:la|lo)|cambiale\s+(?:el\s+)?(?:horario|dia|hora|turno)|adelanta(?:la|lo|le)?|"
    r"atrasa(?:la|lo|le)?|reprograma(?:la|lo|le)?|reagenda(?:la|lo|le)?|"
    r"(?:pasa|move|corre|cambia)\s+(?:lo|la|el|los|las)\b)"
)
_NOT_AFTER_QUE = re.compile(r"\bque\s+pasa\b")
# "ponela igual a las 8": over another visit of the technician's, knowingly
_ANYWAY = re.compile(r"\b(?:igual|de\s+todas\s+formas|aunque\s+se\s+pisen?)\b")


def asks_to_move(said: str) -> bool:
    """Whether the owner's folded words order a visit moved ("la de Ojeda ponela a las 8")."""
    return bool(_MOVE.search(said)) and not _NOT_AFTER_QUE.search(said)


def handle(turn: Turn) -> list[Reply]:
    if isinstance(turn.tap, MoveTap):
        return _tapped(turn, turn.tap)
    said = es_ar.folded(turn.text)
    result = turn.result
    if not asks_to_move(said) or not (result.date or result.time or result.window):
        return []
    found = owner_assign.jobs_meant(turn, said, "")  # open ones only
    if not found and (just := owner_assign.last_job(turn)) is not None:
        found = [just]  # "pasala a las 16" right after asking about it
    if not found:
        return [Text(texts.render("owner_move_which", jobs=[]))]
    if len(found) > 1:
        day = parse_date(result.date)
        on_day = [job for job in found
                  if day is not None and local_date(job.scheduled_start, turn.zone) == day]
        found = on_day if len(on_day) == 1 else found
    if len(found) > 1:
        return [Text(texts.render("owner_move_which",
                                  jobs=[owner_assign.line(turn, job) for job in found[:LISTED]]))]
    job = found[0]
    start, end = _new_window(turn, job)
    if start is None:
        return [Text(texts.render("owner_move_when", **owner_assign.line(turn, job)))]
    if start <= turn.now:
        return [Text(texts.render("owner_move_past", **owner_assign.line(turn, job)))]
    if job.scheduled_start is not None and es_ar.aware(job.scheduled_start) == start \
            and job.scheduled_end is not None and es_ar.aware(job.scheduled_end) == end:
        return [Text(texts.render("owner_move_done", already=True, **owner_assign.line(turn, job)))]
    return move_to(turn, job, start, anyway=bool(_ANYWAY.search(said)))


def move_to(turn: Turn, job: Job, start: datetime, *, anyway: bool = False) -> list[Reply]:
    """`job` moved to start at `start`, keeping its length; another visit of its technician at
    that hour is asked about first, unless `anyway` ("ponela igual a las 8")."""
    end = start + _length(job)
    if not anyway and (clashes := _clashes(turn, job, start, end)):
        body = texts.render("owner_move_clash", clashes=clashes, to=visit_phrase(
            start.astimezone(turn.zone), end.astimezone(turn.zone), turn.today),
            **owner_assign.line(turn, job))
        return [Buttons(body=body, buttons=(
            Button(MoveTap(job.id, start.isoformat()).encode(), MOVE_ANYWAY),
            Button(MoveTap(job.id).encode(), LEAVE_IT)))]
    return _move(turn, job, start, end, anyway=anyway)


def _tapped(turn: Turn, tap: MoveTap) -> list[Reply]:
    job = turn.session.get(Job, tap.job_id)
    if job is None or job.status not in OPEN_STATUSES:
        return [Text(texts.render("owner_move_which", jobs=[]))]
    if tap.start is None:
        return [Text(texts.render("owner_move_done", already=True, **owner_assign.line(turn, job)))]
    start = datetime.fromisoformat(tap.start)
    if start <= turn.now:
        return [Text(texts.render("owner_move_past", **owner_assign.line(turn, job)))]
    return move_to(turn, job, start, anyway=True)


def _move(turn: Turn, job: Job, start: datetime, end: datetime, *, anyway: bool = False) -> list[Reply]:
    try:
        with turn.session.begin_nested():
            jobs.schedule(turn.session, job.id, start, end, turn.actor, overlap_accepted=anyway)
    except DomainError as exc:
        return [Text(texts.render("tech_error", reason=str(exc).rstrip(".")))]
    turn.session.refresh(job)
    owner_assign.remember(turn, job)
    line = owner_assign.line(turn, job)
    told = []
    if technician := tell_technician(turn, job, "rescheduled"):
        told.append(technician)
    if tell_customer(turn, job, "customer_visit_moved_by_office", number=job.number, when=line["when"]):
        told.append(es_ar.first_name(job.customer.name) or "el cliente")
    return [Text(texts.render("owner_move_done", already=False, told=told, **line))]


def _new_window(turn: Turn, job: Job) -> tuple[datetime | None, datetime | None]:
    """The visit's new start and end: the day and hour said, the rest as it was; (None, None)
    when no hour can be told (a visit with no day yet, moved to a day without an hour)."""
    result = turn.result
    current = es_ar.aware(job.scheduled_start).astimezone(turn.zone) \
        if job.scheduled_start is not None else None
    length = _length(job)
    day = parse_date(result.date) or (current.date() if current else None)
    if result.time:
        at = time.fromisoformat(result.time)
    elif result.window in WINDOWS:
        at = time(WINDOWS[result.window][0])
    else:
        at = current.time() if current else None
    if at is None:
        return None, None
    if day is None:  # a pending visit given an hour only: today, or tomorrow if it has passed
        day = turn.today
        if datetime.combine(day, at, tzinfo=turn.zone) <= turn.now:
            day += timedelta(days=1)
    start = datetime.combine(day, at, tzinfo=turn.zone)
    return start, start + length


def _length(job: Job) -> timedelta:
    if job.scheduled_start is None or job.scheduled_end is None:
        return DEFAULT_LENGTH
    return es_ar.aware(job.scheduled_end) - es_ar.aware(job.scheduled_start)


def _clashes(turn: Turn, job: Job, start: datetime, end: datetime) -> list[dict]:
    """The technician's other open visits that [start, end) would overlap."""
    if job.technician_id is None:
        return []
    others = turn.session.scalars(
        select(Job).where(Job.technician_id == job.technician_id, Job.id != job.id,
                          Job.status.in_(OPEN_STATUSES), Job.scheduled_start < end,
                          Job.scheduled_end > start)
        .order_by(Job.scheduled_start))
    return [owner_assign.line(turn, other) for other in others]


SPEC = FlowSpec(name="owner_move", roles=frozenset({ConversationRole.OWNER}), handle=handle,
                intents=TEAM_MISREAD, taps=(MoveTap,))
