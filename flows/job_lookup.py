"""Which of a technician's open jobs a message is about: a job number or a customer's name."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from core import es_ar, tenancy
from core.customers.search import fold
from core.jobs.work_summary import words
from core.models import Job, JobStatus
from core.organizations import zone_of
from nlu.extract.text import fold_aligned

NAME_CUTOFF = 80.0  # a customer's name right after "lo de", "la señora"...
BARE_NAME_CUTOFF = 88.0  # ...or anywhere else in the message
CANDIDATE_STATUSES = (
    JobStatus.SCHEDULED, JobStatus.EN_ROUTE, JobStatus.ON_SITE, JobStatus.NEEDS_FOLLOWUP,
)

_NAME_MARKERS = (
    ("lo", "de"), ("casa", "de"), ("senora",), ("senor",), ("sra",), ("sr",), ("don",),
    ("dona",), ("donde",), ("cliente",), ("flia",), ("familia",),
)
_NAME_SKIP = words("la el los las de del senora senor sra sr don dona flia familia")
_NAME_STOP = words(
    "de del la las el los y e da do dos sra sr senora senor don dona flia familia sa srl"
)
# Words that look like names but are the talk of a working day.
_COMMON = words(
    "lunes martes miercoles jueves viernes sabado domingo hoy manana ayer tarde noche "
    "termine listo cambie puse instale destape arregle repare revise cargue cobrale cobrar "
    "lucas luca mil pesos flexible flexibles canilla canillas pileta inodoro mochila "
    "termotanque calefactor cuerito todo trabajo laburo casa"
)
_JOB_NUMBER = re.compile(
    r"(?:#|\b(?:trabajo|laburo|orden|job|ot)\s*(?:n(?:ro|umero|°)?\.?\s*)?#?\s*)(\d{1,7})\b"
)


def local_date(moment: datetime | None, zone: ZoneInfo) -> date | None:
    return None if moment is None else es_ar.aware(moment).astimezone(zone).date()


def _marked_tokens(tokens: list[str]) -> set[int]:
    """Positions of the words right after "lo de", "la señora", "don"...: likely a name."""
    marked: set[int] = set()
    for i in range(len(tokens)):
        for marker in _NAME_MARKERS:
            if tuple(tokens[i:i + len(marker)]) != marker:
                continue
            j = i + len(marker)
            while j < len(tokens) and tokens[j] in _NAME_SKIP:
                j += 1
            marked.update(range(j, min(j + 2, len(tokens))))
    return marked


def _name_score(name: str | None, tokens: list[str], marked: set[int]) -> float:
    parts = [p for p in fold(name).split() if p not in _NAME_STOP and len(p) >= 3]
    best = 0.0
    for i, token in enumerate(tokens):
        if token in _NAME_STOP or len(token) < 3:
            continue
        is_marked = i in marked
        if token in _COMMON and not is_marked:
            continue
        cutoff = NAME_CUTOFF if is_marked else BARE_NAME_CUTOFF
        for part in parts:
            if len(part) <= 3 or len(token) <= 3:
                score = 100.0 if part == token else 0.0
            else:
                score = fuzz.ratio(part, token)
                if (is_marked and part[0] == token[0]
                        and Levenshtein.distance(part, token, score_cutoff=1) <= 1):
                    score = max(score, NAME_CUTOFF)  # "la sra ruis": one letter off a short name
            if score >= cutoff:
                best = max(best, score)
    return best


def candidate_jobs(session: Session, technician_id: int, text: str, today: date) -> list[Job]:
    """The technician's open jobs that `text` may be about, most likely first.

    Open means scheduled, en route, on site or needing follow-up. A job number ("#123",
    "trabajo 123") picks that job; a customer's name ("lo de García", "la señora Ruiz",
    "Fernández", typos allowed) narrows to that customer's jobs. Otherwise: today's open jobs,
    or every open job when there are none today. Ordered today first, then by visit time.
    Other technicians' jobs are never returned.
    """
    jobs = list(session.scalars(
        select(Job).options(joinedload(Job.customer))
        .where(Job.technician_id == technician_id, Job.status.in_(CANDIDATE_STATUSES))
    ).unique())
    if not jobs:
        return []
    zone = zone_of(session, tenancy.current_scope(session).org_id)
    far = datetime.max.replace(tzinfo=UTC)

    def order(job: Job) -> tuple:
        start = es_ar.aware(job.scheduled_start) if job.scheduled_start is not None else None
        return (local_date(job.scheduled_start, zone) != today, start is None, start or far,
                job.number)

    jobs.sort(key=order)
    numbers = _job_numbers(text)
    by_number = [job for job in jobs if job.number in numbers]
    if by_number:
        return by_number
    tokens = fold(text).split()
    marked = _marked_tokens(tokens)
    scores = {job.id: _name_score(job.customer.name if job.customer else None, tokens, marked)
              for job in jobs}
    top = max(scores.values())
    if top > 0:
        return [job for job in jobs if scores[job.id] >= max(top - 10, NAME_CUTOFF)]
    todays = [job for job in jobs if local_date(job.scheduled_start, zone) == today]
    return todays or jobs


def _job_numbers(text: str) -> set[int]:
    """The job numbers a text names ("#123", "trabajo 123")."""
    return {int(n) for n in _JOB_NUMBER.findall(fold_aligned(text or ""))}


def names_job(job: Job, text: str) -> bool:
    """Whether `text` names this job: its number, or its customer's name."""
    if job.number in _job_numbers(text):
        return True
    tokens = fold(text).split()
    return _name_score(job.customer.name if job.customer else None, tokens, _marked_tokens(tokens)) > 0
