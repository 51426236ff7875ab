"""A customer cancelling their visit: "Sí, cancelar" / "No", then the job is cancelled and the
technician told. Declared as data (`CANCEL_FLOW`, a `flows.steps.Flow`); `flows/customer_jobs.py`
routes the turn here. State kept in the conversation (JSON-safe):
    state "confirm": (slots: job_id, job_number); then decision yes/no
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core import jobs
from core.errors import DomainError
from core.messaging import texts
from core.messaging.replies import Button, Buttons, Reply, Text
from core.models import Invoice, Job, JobEvent, JobStatus
from flows import customer_job_change as change
from flows.booking_job import withdraw
from flows.buttons import CancelTap
from flows.engine import BOOKING
from flows.steps import Flow, Step
from flows.turn import Turn

# User-facing words (Rioplatense Spanish).
CANCEL_YES_TITLE, CANCEL_NO_TITLE = "Sí, cancelar", "No"
# A visit called off this recently is still what "¿quedó cancelado?" or "¿me cobran algo por
# cancelar?" is about.
RECENT = timedelta(days=2)


def start_cancel(turn: Turn, job: Job | None = None) -> list[Reply]:
    """The cancellation asked of the visit named (`job`, else the one the words name among
    several, else the most relevant one)."""
    from flows.named_visit import named_visit  # it imports the turn's helpers

    job = job or named_visit(turn) or turn.open_job
    if job is None and turn.in_flow(BOOKING):
        return withdraw(turn)  # nothing booked yet: the booking under way is what they call off
    if job is None:
        if (called_off := recently_cancelled(turn)) is not None:
            return already_cancelled(turn, called_off)
        return [Text(texts.render("cust_cancel_none"))]
    if job.status in change.MOVING:
        return change.in_progress(turn, job, change.FLOW_CANCEL)
    return CANCEL_FLOW.start(turn, job_id=job.id, job_number=job.number)


def recently_cancelled(turn: Turn) -> Job | None:
    """The customer's visit cancelled within `RECENT`, the latest first, if any."""
    customer = turn.customer
    if customer is None:
        return None
    return turn.session.scalar(
        select(Job).join(JobEvent, JobEvent.job_id == Job.id).where(
            Job.customer_id == customer.id, Job.status == JobStatus.CANCELLED,
            JobEvent.to_status == JobStatus.CANCELLED, JobEvent.created_at >= turn.now - RECENT)
        .order_by(JobEvent.created_at.desc()).limit(1))


def already_cancelled(turn: Turn, job: Job) -> list[Reply]:
    """After the visit was called off, "¿quedó cancelado?" or "¿me cobran algo por cancelar?"
    is about that visit: it stands cancelled, and without an invoice it costs nothing (not
    "no encuentro un trabajo abierto para cancelar", nor the ways to pay)."""
    charged = turn.session.scalar(select(Invoice.id).where(Invoice.job_id == job.id).limit(1))
    return [Text(texts.render("cust_cancel_already", number=job.number, free=charged is None))]


def _cancel_question(turn: Turn, *, retry: bool = False) -> list[Reply]:
    job = change.flow_job(turn)
    body = texts.render("cust_cancel_confirm", number=job.number,
                        current=change.visit(job, turn.now), retry=retry)
    return [Buttons(body=body, buttons=(Button(CancelTap("yes").encode(), CANCEL_YES_TITLE),
                                        Button(CancelTap("no").encode(), CANCEL_NO_TITLE)))]


def _cancel_done(turn: Turn) -> list[Reply]:
    job, conversation = change.flow_job(turn), turn.conversation
    if turn.slots.get("decision") == "no":
        change.clear(conversation)
        return [Text(texts.render("cust_cancel_kept", number=job.number,
                                  current=change.visit(job, turn.now)))]
    try:
        with turn.session.begin_nested():
            jobs.transition(turn.session, job.id, JobStatus.CANCELLED, turn.actor,
                            note="cancelado por el cliente por WhatsApp")
    except DomainError:
        return change.hand_over(turn, "cust_job_error")
    change.tell_technician(turn, job, "cancelled")
    change.clear(conversation)
    return [Text(texts.render("cust_cancelled", number=job.number))]


CANCEL_FLOW = Flow(
    name=change.FLOW_CANCEL,
    steps=(Step("confirm", ask=_cancel_question, read=change.read_decision,
                needed=lambda turn: not turn.slots.get("decision"),
                reask=lambda turn: _cancel_question(turn, retry=True)),),
    finish=_cancel_done,
    hand_over=lambda turn: change.hand_over(turn),
    idle=change.IDLE,
    misses_before_person=change.MISSES_BEFORE_PERSON,
)
