"""What a customer's change to a job (reschedule, cancel) shares: the job the flow is about,
the yes/no that confirms it, telling the technician, and a person when the bot cannot move it.
The flows themselves are in `flows/customer_reschedule.py` and `flows/customer_cancel.py`;
`flows/customer_jobs.py` routes the turn to them."""

from __future__ import annotations

from datetime import datetime, timedelta

from core import jobs
from core.es_ar import first_name, visit_phrase, yes_or_no
from core.jobs.notices import technician_notice
from core.messaging import texts
from core.messaging.replies import Reply, Text
from core.models import Conversation, Job, JobStatus, Urgency, User
from flows import handover
from flows.buttons import CancelTap, RescheduleTap
from flows.turn import Turn

FLOW_RESCHEDULE, FLOW_CANCEL = "reschedule", "cancel_job"
IDLE = timedelta(hours=24)
MISSES_BEFORE_PERSON = 2
MOVING = (JobStatus.EN_ROUTE, JobStatus.ON_SITE)

# User-facing words (Rioplatense Spanish).
MOVING_WORDS = {JobStatus.EN_ROUTE: "en camino", JobStatus.ON_SITE: "en tu casa"}
WHAT_FOR = {FLOW_RESCHEDULE: "ver el cambio de día", FLOW_CANCEL: "ver la cancelación"}
# Said to the confirm question, these answer it (besides the bare yes/no words).
YES_EXTRA = frozenset({"cancelalo", "si cancelalo", "si cancelar", "confirmar cambio",
                       "si cambialo", "cambialo"})
NO_EXTRA = frozenset({"dejalo como estaba", "dejarlo como estaba", "no cancelar",
                      "no lo cancelen"})


def flow_job(turn: Turn) -> Job | None:
    """The job the flow is about, if still open and still this customer's."""
    job_id = turn.slots.get("job_id")
    job = turn.session.get(Job, job_id) if isinstance(job_id, int) else None
    customer = turn.customer
    if job is None or customer is None or job.customer_id != customer.id:
        return None
    return job if job.status in jobs.OPEN_STATUSES else None


def decision(turn: Turn) -> str | None:
    """"yes" or "no" from the confirm buttons or the words ("dale", "mejor no")."""
    tap = turn.tap
    choice = tap.choice if isinstance(tap, RescheduleTap | CancelTap) else None
    said = turn.said  # empty for a tap
    if choice == "yes" or said in YES_EXTRA or yes_or_no(said) == "yes":
        return "yes"
    if choice == "no" or said in NO_EXTRA or yes_or_no(said) == "no":
        return "no"
    return None


def read_decision(turn: Turn) -> bool:
    said = decision(turn)
    if said:
        turn.save(decision=said)
    return said is not None


def in_progress(turn: Turn, job: Job, flow: str) -> list[Reply]:
    """En route or on site: the bot does not move it; a person calls."""
    handover.hand_to_person(turn.conversation, turn.now, turn.settings)
    return [Text(texts.render("cust_job_in_progress", state=MOVING_WORDS[job.status],
                              what=WHAT_FOR[flow]))]


def tell_technician(turn: Turn, job: Job, change: str, technician=None, *,
                    note: str | None = None) -> str | None:
    """The technician hears of the change on WhatsApp (the new one and the one taken off; for a
    "note", the customer's words); their first name, or None when nobody could be told."""
    notice = technician_notice(turn.session, job, change, technician=technician, now=turn.now,
                               note=note)
    if notice is None:
        return None
    turn.notify(*notice)
    # by id, as the notice finds them: a reassignment just flushed leaves `job.technician` stale
    return first_name((technician or turn.session.get(User, job.technician_id)).name)


def clear(conversation: Conversation) -> None:
    conversation.flow = conversation.state = None
    conversation.slots = {}
    conversation.expires_at = None


def hand_over(turn: Turn, template: str = "human_handoff") -> list[Reply]:
    return handover.hand_to_person(turn.conversation, turn.now, turn.settings, template)


def current_start(job: Job, now: datetime) -> datetime | None:
    return job.scheduled_start.astimezone(now.tzinfo) if job.scheduled_start else None


# Today's emergency: its window is the booking's moment plus a margin ("de 12:09 a 14:09"), a
# time nobody agreed on, so the customer hears what was promised instead
TODAYS_EMERGENCY = "hoy, lo antes posible"


def visit(job: Job | None, now: datetime) -> str | None:
    """The job's current visit, "mañana de 9 a 11" ("hoy, lo antes posible" for today's
    emergency), or None when it has no day yet."""
    start = current_start(job, now) if job is not None else None
    if start is None:
        return None
    if job.urgency is Urgency.EMERGENCY and start.date() == now.date():
        return TODAYS_EMERGENCY
    end = job.scheduled_end.astimezone(now.tzinfo) if job.scheduled_end else None
    return visit_phrase(start, end, now.date())
