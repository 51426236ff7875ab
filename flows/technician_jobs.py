"""What the technician's flows share: their words, which jobs each action fits, the job asked
about (theirs only), the customer told, and the conversation cleared (`flows/technician.py`).
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from core.es_ar import first_name
from core.messaging import texts
from core.messaging.replies import (
    Reply,
    Text,
)
from core.models import (
    Conversation,
    ConversationRole,
    Job,
    JobStatus,
    Service,
)
from core.phones import wa_id_for
from flows.turn import Turn

MAX_ETA = 600
AGENDA_LIMIT = 15

FLOW_DONE, FLOW_PICK = "tech_done", "tech_pick"
IDLE = timedelta(hours=12)

S = JobStatus
AGENDA_STATUSES = (S.SCHEDULED, S.EN_ROUTE, S.ON_SITE, S.NEEDS_FOLLOWUP)
# Which jobs each action fits, and the status that makes one the obvious pick among several
# ("llegué" while en route to García: García; "terminé" while at García's: García).
ACTIONS: dict[str, tuple[tuple[JobStatus, ...], JobStatus | None]] = {
    "on_the_way": ((S.SCHEDULED,), None),
    "arrived": ((S.SCHEDULED, S.EN_ROUTE), S.EN_ROUTE),
    "done": ((S.ON_SITE, S.EN_ROUTE, S.SCHEDULED), S.ON_SITE),
    "cannot": ((S.ON_SITE, S.EN_ROUTE, S.SCHEDULED), S.ON_SITE),
}
INTENT_ACTIONS = {
    "tech_on_the_way": "on_the_way", "tech_arrived": "arrived", "tech_job_done": "done",
    "tech_cannot_complete": "cannot",
}
INTENTS = frozenset({*INTENT_ACTIONS, "tech_agenda"})

# User-facing words (Rioplatense Spanish).
SERVICE_LABELS = {
    Service.PLUMBING: "Plomería", Service.ELECTRICAL: "Electricidad", Service.GAS: "Gas",
    Service.HVAC: "Climatización", Service.LOCKSMITH: "Cerrajería", Service.OTHER: "Otro",
}
STATE_LABELS = {  # "El #12 de García figura <...>"
    S.PENDING: "sin agendar", S.SCHEDULED: "agendado", S.EN_ROUTE: "en camino",
    S.ON_SITE: "en curso", S.COMPLETED: "terminado", S.INVOICED: "facturado", S.PAID: "cobrado",
    S.CANCELLED: "cancelado", S.NEEDS_FOLLOWUP: "pendiente de otra visita",
}
AGENDA_STATES = {S.EN_ROUTE: "en camino", S.ON_SITE: "estás ahí",
                 S.NEEDS_FOLLOWUP: "pendiente de otra visita"}
THE_CUSTOMER = "el cliente"
ROWS_BUTTON = "Ver trabajos"
CONFIRM_TITLE, CANCEL_TITLE = "Confirmar", "Cancelar"
REST_OF_LINES = "…y {n} ítems más"
NO_EXTRA = frozenset({"no lo cierres", "no cierres", "cancelo", "cancelar"})


# ---- who, where, when ----------------------------------------------------------------------

def parse_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def customer_wa_id(job: Job) -> str | None:
    customer = job.customer
    if customer is None:
        return None
    if customer.phone:
        return wa_id_for(customer.phone)
    return customer.wa_id or None


def tell_customer(turn: Turn, job: Job, template: str, **context: object) -> bool:
    """Queue a text to the job's customer; False when there is no number to write to."""
    wa_id = customer_wa_id(job)
    if not wa_id:
        return False
    name = first_name(job.customer.name if job.customer else None)
    tech = context.pop("tech", None) or (
        (first_name(turn.user.name) or turn.user.name) if turn.user is not None else None)
    turn.notify(wa_id, Text(texts.render(template, name=name, tech=tech, **context)))
    return True


def clear(conversation: Conversation) -> None:
    conversation.flow = conversation.state = None
    conversation.slots = {}
    conversation.expires_at = None


def short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def wrong_state(job: Job) -> Reply:
    customer = (job.customer.name if job.customer else None) or THE_CUSTOMER
    return Text(texts.render("tech_wrong_state", number=job.number, customer=customer,
                             state=STATE_LABELS[job.status]))


def own_job(turn: Turn, job_id: int) -> Job | None:
    """The technician's job `job_id`; for the owner, who closes for anyone, any of the
    organization's (the session is scoped to it)."""
    query = select(Job).options(joinedload(Job.customer)).where(Job.id == job_id)
    if turn.role is not ConversationRole.OWNER:
        query = query.where(Job.technician_id == turn.user.id)
    return turn.session.scalar(query)
