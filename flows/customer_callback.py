"""A customer saying a finished job's work did not hold: "la pérdida sigue igual, no sirvió de
nada lo que hizo", "el calefón que arreglaron el martes se volvió a apagar", "otra vez se tapó la
pileta, ¿tienen garantía?".

Whether someone goes back, and whether it is charged, is the business's call: a person takes the
conversation at once, told which job it was about, and the customer hears that job named. Not a
new booking at full price (the words are a request's), not "no encuentro un trabajo abierto" (the
job is finished, not open). An emergency ("otra vez hay olor a gas") is still dispatched as one,
and a problem of another trade ("otra vez se cortó la luz" after a plumbing job) is a new request.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from core import es_ar
from core.jobs.opening import describe_opening, is_open
from core.messaging.replies import Reply
from core.models import ConversationRole, Job, JobStatus
from flows import handover
from flows.booking_job import JOB_SERVICE
from flows.customer_rating import FLOW_RATING
from flows.job_lookup import local_date
from flows.turn import Turn
from nlu.extract.message_kinds import work_did_not_hold

log = logging.getLogger("campotech.flows.customer_callback")

RECENT = timedelta(days=90)  # how long after a job its work is still "what they did"
FINISHED = (JobStatus.COMPLETED, JobStatus.INVOICED, JobStatus.PAID)
SLOT = "callback_job"  # the job's number, kept for the person who takes the conversation


def handle(turn: Turn) -> list[Reply] | None:
    """The hand-over for a call-back, or None when the message is not one."""
    if turn.role is not ConversationRole.CUSTOMER or turn.tap is not None or turn.customer is None:
        return None
    c = turn.conversation
    if c.flow and c.flow != FLOW_RATING and turn.in_flow(c.flow):
        # an answer inside a flow (a booking's, a change's) is that flow's; the stars asked
        # after the job are no answer to wait for when the work failed
        return None
    r = turn.result
    if r.urgency == "emergency" or not work_did_not_hold(es_ar.folded(turn.text or "")):
        return None
    if any(j.status in (JobStatus.EN_ROUTE, JobStatus.ON_SITE) for j in turn.open_jobs):
        return None  # the technician is on the way or there: about today's visit
    job = turn.session.scalar(
        select(Job).where(Job.customer_id == turn.customer.id, Job.status.in_(FINISHED),
                          Job.completed_at.is_not(None), Job.completed_at >= turn.now - RECENT)
        .order_by(Job.completed_at.desc()).limit(1))
    if job is None:
        return None
    if r.service and JOB_SERVICE.get(r.service, "other") != job.service.value \
            and job.service.value != "other":
        return None  # another trade's problem: a new request
    log.info("customer reports finished job #%s did not hold", job.number)
    turn.conversation.slots = {**turn.slots, SLOT: job.number}
    org = turn.org
    opening = describe_opening(org, turn.now) if org is not None and not is_open(org, turn.now) else None
    return handover.hand_to_person(
        turn.conversation, turn.now, turn.settings, template="cust_callback",
        number=job.number, day=es_ar.day_phrase(  # the visit's day, the one the customer remembers
            local_date(job.scheduled_start or job.completed_at, turn.zone), turn.today),
        opening=opening)
