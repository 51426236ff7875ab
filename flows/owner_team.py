"""The owner asking about the team, not the money: "¿quién está de guardia?", "¿dónde anda
Carlos?", "¿cómo vienen los chicos hoy?", "pasame el cel de Diego". The contract has no intent
for it (an owner's is a summary or who owes), so these arrive as `other` and, without this flow,
met "no te entendí" — or worse, a question with "quién" read as "quién me debe". The answer is
one line a technician: their phone, on call or not, where they are now (on the way to or at a
customer's, with the job's number), and what is left of their day."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from core import es_ar
from core.messaging import texts
from core.messaging.replies import Reply, Text
from core.models import ConversationRole, Job, JobStatus, User
from flows import owner
from flows.engine import FlowSpec
from flows.turn import Turn
from nlu.extract.message_kinds import LOAD_ASKED, TEAM_MISREAD, asks_about_team

TEAM_ASKED = "team_asked"  # the owner's slot: when the team was last asked about
DAY_STATUSES = (JobStatus.SCHEDULED, JobStatus.EN_ROUTE, JobStatus.ON_SITE)
MOVING = {JobStatus.EN_ROUTE: "en camino a lo de", JobStatus.ON_SITE: "en lo de"}
TEAM_LINES = 8


def handle(turn: Turn) -> list[Reply]:
    technicians = owner.active_technicians(turn)
    said = es_ar.folded(turn.text)
    names = tuple(n for n in (es_ar.folded(es_ar.first_name(t.name)) for t in technicians) if n)
    # "el cel de Nico": a name as the team calls them, too
    names += tuple(w for w in set(said.split()) if len(w) > 2 and owner.named_in(w, technicians))
    named = owner.named_in(said, technicians)
    about_team = asks_about_team(said, names)
    stretch = owner.stretch_ahead(turn, of_someone=True) \
        if named and turn.intent != "owner_unpaid" else None
    if stretch is not None and (not owner.is_day_named(stretch) or not about_team):
        # "¿cuántos trabajos tiene Carlos esta semana?", "¿y Diego qué tiene el lunes?": their
        # visits of those days (a single day asked as "¿dónde anda Diego mañana?" is the team's)
        return [owner.agenda_ahead(turn, stretch, named)]
    if not about_team:
        return []  # not about the team after all: the owner's other answers or the fallback
    if not technicians:
        return [Text(texts.render("owner_team", members=[], more=0))]
    return team_answer(turn, named or technicians, said)


def team_answer(turn: Turn, everyone: list[User], said: str) -> list[Reply]:
    """The lines of `everyone` for the day asked (today unless a later one is named)."""
    day = asked_day(turn)
    jobs = _jobs_on(turn, [t.id for t in everyone], day)
    if (load := LOAD_ASKED.search(said)) is not None:
        # "¿quién tiene más visitas hoy?", "¿y el que menos tiene?": the busiest (or the freest) first
        fewest = "menos" in load.group() or "libre" in load.group() or "tranq" in load.group()
        everyone = sorted(everyone, key=lambda t: len(jobs.get(t.id, [])) * (1 if fewest else -1))
    shown = everyone[:TEAM_LINES]
    members = [_member(turn, t, jobs.get(t.id, []), later=day != turn.today, listed=len(shown) == 1)
               for t in shown]
    turn.save(**{TEAM_ASKED: turn.now.isoformat()})  # "¿y el de Walter?" next is the team again
    return [Text(texts.render("owner_team", members=members, day=day_heading(turn, day),
                              more=len(everyone) - len(shown)))]


def asked_day(turn: Turn) -> date:
    """The day asked about ("¿mañana quién labura?", "el lunes"): today unless a later one is named."""
    try:
        named = date.fromisoformat(turn.result.date) if turn.result.date else None
    except ValueError:
        named = None
    return named if named is not None and named > turn.today else turn.today


def day_heading(turn: Turn, day: date) -> str:
    return "hoy" if day == turn.today else es_ar.day_phrase(day, turn.today)


def _jobs_on(turn: Turn, technician_ids: list[int], day: date) -> dict[int, list[Job]]:
    """Each technician's visits of `day`; for today, also whoever is on the way or on site now."""
    start = datetime.combine(day, time(), tzinfo=turn.zone)
    rows = turn.session.scalars(
        select(Job).options(joinedload(Job.customer))
        .where(Job.technician_id.in_(technician_ids), Job.status.in_(DAY_STATUSES),
               Job.scheduled_start >= start, Job.scheduled_start < start + timedelta(days=1))
        .order_by(Job.scheduled_start, Job.number)).unique()
    moving = turn.session.scalars(
        select(Job).options(joinedload(Job.customer))
        .where(Job.technician_id.in_(technician_ids),
               Job.status.in_((JobStatus.EN_ROUTE, JobStatus.ON_SITE)))).unique() \
        if day == turn.today else []
    found: dict[int, list[Job]] = {}
    for job in [*moving, *rows]:
        jobs = found.setdefault(job.technician_id, [])
        if job not in jobs:
            jobs.append(job)
    return found


def _member(turn: Turn, technician: User, jobs: list[Job], *, later: bool = False,
            listed: bool = False) -> dict:
    """One technician's line; `later` for a day still to come (all of its visits ahead);
    `listed`: with each visit ahead ("¿qué le queda a Juan hoy?" asks for them, not a count)."""
    now_job = next((j for j in jobs if j.status in MOVING), None)
    booked = [j for j in jobs if j.status is JobStatus.SCHEDULED and j is not now_job]
    upcoming = booked if later else [j for j in booked if j.scheduled_start is None
                                     or es_ar.aware(j.scheduled_start) >= turn.now - timedelta(hours=2)]
    following = upcoming[0] if upcoming else None
    return {
        "name": technician.name,
        "phone": es_ar.readable_phone(technician.phone),
        "on_call": bool(technician.on_call),
        "now": {"where": MOVING[now_job.status], "customer": _customer(now_job),
                "number": now_job.number} if now_job else None,
        "next": {"time": es_ar.clock_hm(es_ar.aware(following.scheduled_start).astimezone(turn.zone)),
                 "customer": _customer(following), "number": following.number,
                 # its hour went by and he has not set out: late
                 "late": not later and es_ar.aware(following.scheduled_start) < turn.now}
        if following and following.scheduled_start else None,
        "left": len(upcoming),
        "visits": [{"time": es_ar.clock_hm(es_ar.aware(j.scheduled_start).astimezone(turn.zone)),
                    "customer": _customer(j), "number": j.number, "address": _address(j)}
                   for j in upcoming[:LISTED_VISITS] if j.scheduled_start] if listed and len(upcoming) > 1 else [],
    }


LISTED_VISITS = 8


def _address(job: Job) -> str | None:
    a = job.address
    return " ".join(p for p in (a.street, a.number) if p) if a is not None and a.street else None


def _customer(job: Job) -> str:
    return (job.customer.name if job.customer else None) or "un cliente"


SPEC = FlowSpec(name="owner_team", roles=frozenset({ConversationRole.OWNER}), handle=handle,
                intents=TEAM_MISREAD)
