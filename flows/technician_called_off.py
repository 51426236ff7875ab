"""A technician passing on that a customer called the visit off: "me llamó la señora García,
dice que no vaya, que ya se lo arregló el yerno", "el de las 5 me escribió que lo cancela".

The contract has no intent for it (a technician's are notices of his own visits), so these arrived
as whatever the model guessed — "no pude terminar", or the menu of "no te entendí" — and the visit
stayed booked: the owner kept counting it, and the customer could be sent a reminder. The visit is
found among his own not begun by the customer's name, the number or the hour (or, when he has one
visit left to go, that one), and asked once with buttons, since a cancelled visit frees his hour:
on "Sí, cancelar" it is cancelled, the customer gets a line confirming it and the owners hear it.
"""

from __future__ import annotations

import re

from core import es_ar, jobs
from core.errors import DomainError
from core.messaging import texts
from core.messaging.replies import Button, Buttons, Reply, Text
from core.models import ConversationRole, Job, JobStatus, Role
from flows.buttons import CalledOffTap
from flows.customer_job_change import visit
from flows.engine import FlowSpec
from flows.job_lookup import names_job
from flows.technician_jobs import own_job, tell_customer
from flows.turn import Turn
from nlu.extract.text import fold_aligned

# The customer said it ("me llamó", "me escribió", "me avisó", "dice que"), and what: not to go,
# called off, fixed by someone else, not needed
_SAID_BY_CUSTOMER = re.compile(
    r"\b(?:me|nos)\s+(?:llamo|llamaron|escribio|escribieron|aviso|avisaron|dijo|dijeron|mando|mandaron)\b"
    r"|\bdice(?:n)?\s+(?:que|q)\b|\bcancel(?:o|aron)\b|\bsuspendi(?:o|eron)\b")
_CALLED_OFF = re.compile(
    r"\b(?:que|q)\s+no\s+(?:vaya|vayamos|vaya\s+nadie|venga|vengas|pase|pasemos)\b"
    r"|\bno\s+(?:hace|hacia)\s+(?:mas\s+)?falta\s+(?:que\s+|q\s+)?(?:vaya|vayamos|ir|pase)\b"
    r"|\bcancel\w+|\bsuspend\w+|\bya\s+(?:se\s+)?(?:lo|la|le)\s+(?:arreglo|arreglaron|soluciono|solucionaron)\b"
    r"|\bya\s+(?:no\s+)?(?:lo|la)\s+necesita\b|\bya\s+no\s+(?:lo|la|los)\s+necesita\b")


def says_called_off(said: str) -> bool:
    """Whether a technician's folded words pass on that the customer called a visit off."""
    return bool(_SAID_BY_CUSTOMER.search(said)) and bool(_CALLED_OFF.search(said))


def handle(turn: Turn) -> list[Reply] | None:
    """The question before cancelling the visit the technician says was called off; None when
    the words are not that, or name no visit of his not yet begun."""
    if turn.role is not ConversationRole.TECHNICIAN or turn.tap is not None or not turn.text \
            or turn.user is None:
        return None
    said = fold_aligned(turn.text).lower()
    if not says_called_off(said):
        return None
    waiting = [job for job in turn.open_jobs if job.status is JobStatus.SCHEDULED
               and job.technician_id == turn.user.id]
    named = [job for job in waiting if names_job(job, turn.text)]
    found = named or (waiting if len(waiting) == 1 else [])
    if len(found) != 1:
        return None  # none of his, or more than one fits: the rest of the flows read it
    job = found[0]
    customer = (job.customer.name if job.customer else None) or "el cliente"
    return [Buttons(body=texts.render("tech_called_off_ask", number=job.number, customer=customer,
                                      when=visit(job, turn.now)),
                    buttons=(Button(CalledOffTap("yes", job.id).encode(), "Sí, cancelar"),
                             Button(CalledOffTap("no", job.id).encode(), "No, sigue")))]


def _tapped(turn: Turn) -> list[Reply]:
    tap = turn.tap
    job = own_job(turn, tap.job_id) if isinstance(tap, CalledOffTap) else None
    if job is None or job.status is not JobStatus.SCHEDULED:
        return [Text(texts.render("tech_called_off_gone"))]
    if tap.choice != "yes":
        return [Text(texts.render("tech_called_off_kept", number=job.number))]
    return _cancel(turn, job)


def _cancel(turn: Turn, job: Job) -> list[Reply]:
    when = visit(job, turn.now)
    try:
        with turn.session.begin_nested():
            jobs.transition(turn.session, job.id, JobStatus.CANCELLED, turn.actor,
                            note="el cliente le avisó al técnico que no vaya")
    except DomainError as exc:
        return [Text(texts.render("tech_error", reason=str(exc).rstrip(".")))]
    technician = es_ar.first_name(turn.user.name) if turn.user is not None else None
    customer = (job.customer.name if job.customer else None) or "el cliente"
    told = tell_customer(turn, job, "customer_called_off_confirmed", number=job.number, when=when)
    turn.tell_staff(texts.render("staff_called_off", technician=technician or "El técnico",
                                 customer=customer, number=job.number, when=when),
                    roles=(Role.OWNER,))
    return [Text(texts.render("tech_called_off_done", number=job.number,
                              customer=es_ar.first_name(customer) or customer, told=told))]


SPEC = FlowSpec(name="technician_called_off", roles=frozenset({ConversationRole.TECHNICIAN}),
                handle=_tapped, taps=(CalledOffTap,))
