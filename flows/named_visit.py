"""Which of a customer's open visits their words name, when they have more than one: by its
trade ("el gasista", "lo del plomero", "la luz"), or by its day ("el del jueves", "el de
mañana"). A customer with a plumber tomorrow and a gas fitter on Thursday who writes "el gasista
cancelalo" means Thursday's; "¿a qué hora era el plomero?" means tomorrow's. None when the words
name none of them, or more than one."""

from __future__ import annotations

from core import es_ar
from core.models import Job
from flows.booking_job import JOB_SERVICE
from flows.turn import Turn
from nlu.extract.dates import find_dates
from nlu.extract.services import classify_service
from nlu.extract.text import fold_aligned


def named_visit(turn: Turn, text: str | None = None) -> Job | None:
    """The one open visit of the customer that `text` (the turn's words by default) names."""
    jobs = turn.open_jobs
    if len(jobs) < 2:
        return None
    words = text if text is not None else turn.text or ""
    service = JOB_SERVICE.get(classify_service(es_ar.folded(words)) or "")
    by_trade = [job for job in jobs if service and _service(job) == service]
    days = {day for _, _, day in find_dates(fold_aligned(words), turn.today)}
    by_day = [job for job in jobs if job.scheduled_start is not None
              and es_ar.aware(job.scheduled_start).astimezone(turn.zone).date() in days]
    for found in ([job for job in by_trade if job in by_day], by_trade, by_day):
        if len(found) == 1:
            return found[0]
    return None


def _service(job: Job) -> str | None:
    service = job.service
    return getattr(service, "value", service)
