"""The customer's "¿cuándo vienen?": their open job's state, day, technician, ETA and a link;
asked about the visit's price or how to get ready for it, that answer instead."""

from __future__ import annotations

import re

from core import es_ar
from core.jobs.tracking import job_view, tracking_token, tracking_url
from core.messaging import texts
from core.messaging.replies import Reply, Text
from core.models import ConversationRole, JobStatus
from flows import prices, staff_questions
from flows.engine import FlowSpec
from flows.turn import Turn
from nlu.extract.message_kinds import asks_to_get_ready


def handle(turn: Turn) -> list[Reply]:
    job = turn.open_job
    if job is not None and (price := prices.answer(turn)):
        return price  # "¿cuánto me va a salir más o menos?" about the visit booked: its price
    if job is not None and asks_to_get_ready(es_ar.folded(turn.text)) \
            and (passed := staff_questions.forward(turn)):
        return passed  # "¿compro algo antes o el técnico lleva todo?": the office answers
    if job is None:
        return [Text(texts.render("status_none"))]
    settings = turn.settings
    view = job_view(turn.session, job, now=turn.now)
    url = tracking_url(settings, tracking_token(settings, job.org_id, job.id, now=turn.now))
    # "¿dónde está el técnico?" before they set out: not yet on the way, said plainly
    not_yet = job.status in NOT_SET_OUT and _WHERE.search(es_ar.folded(turn.text or "")) is not None
    return [Text(texts.render("status_job", view=view, url=url, not_yet=not_yet,
                              undated=job.scheduled_start is None))]


NOT_SET_OUT = frozenset({JobStatus.SCHEDULED, JobStatus.PENDING, JobStatus.NEEDS_FOLLOWUP})
# "¿dónde está el técnico?", "¿por dónde viene?", "¿ya salió?"
_WHERE = re.compile(r"\b(?:donde|por\s+donde)\s+(?:esta|anda|viene|va)\b|\bya\s+salio\b|\bviene\s+en\s+camino\b")


SPEC = FlowSpec(name="status", roles=frozenset({ConversationRole.CUSTOMER}), handle=handle,
                intents=frozenset({"job_status"}))
