"""The customer's "¿cuándo vienen?": their open job's state, day, technician, ETA and a link;
asked about the visit's price or how to get ready for it, that answer instead."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from core import es_ar
from core.jobs import OPEN_STATUSES
from core.jobs.tracking import job_view, tracking_token, tracking_url
from core.messaging import texts
from core.messaging.replies import Reply, Text
from core.models import ConversationRole, Job, JobStatus
from flows import prices, staff_questions
from flows.engine import FlowSpec
from flows.turn import Turn
from nlu.extract.message_kinds import ADDRESS_ON_FILE, asks_booking_details, asks_to_get_ready


def handle(turn: Turn) -> list[Reply]:
    from flows.named_visit import named_visit  # it imports the turn's helpers

    job = named_visit(turn) or turn.open_job
    if job is not None and (price := prices.answer(turn)):
        return price  # "¿cuánto me va a salir más o menos?" about the visit booked: its price
    if job is not None and asks_to_get_ready(es_ar.folded(turn.text)) \
            and (passed := staff_questions.forward(turn)):
        return passed  # "¿compro algo antes o el técnico lleva todo?": the office answers
    if job is None:
        # "soy el hijo de Marta García, la de Gorriti 3400: ¿a qué hora va el plomero?": the
        # visit of the one named, from another phone
        return for_someone_else(turn) or [Text(texts.render("status_none"))]
    if job.status is JobStatus.ON_SITE and _WHEN_DONE.search(es_ar.folded(turn.text or "")) \
            and (asked := _ask_technician(turn, job)) is not None:
        return asked  # "¿a qué hora termina? tengo que salir a las 5": he knows, not the bot
    settings = turn.settings
    view = job_view(turn.session, job, now=turn.now)
    url = tracking_url(settings, tracking_token(settings, job.org_id, job.id, now=turn.now))
    # "¿dónde está el técnico?" before they set out: not yet on the way, said plainly
    not_yet = job.status in NOT_SET_OUT and _WHERE.search(es_ar.folded(turn.text or "")) is not None
    # "¿qué dirección tienen cargada?": the address on file, to put right if anything is missing
    said = es_ar.folded(turn.text or "")
    address = _address_line(job) if asks_booking_details(said) and ADDRESS_ON_FILE.search(said) else None
    return [Text(texts.render("status_job", view=view, url=url, not_yet=not_yet,
                              undated=job.scheduled_start is None, address=address))]


def _address_line(job: Job) -> str:
    if job.address is not None:
        return job.address.one_line
    return job.address_text or "ninguna todavía"


# what asks about a visit booked: "tiene turno", "¿a qué hora va el plomero?", "¿sigue en pie?"
_A_VISIT = re.compile(
    r"\b(?:turno|visita|agendad[oa]|a\s+(?:que|q)\s+hora\s+(?:va|viene|vienen|van|llega|llegan|pasa|pasan)"
    r"|cuando\s+(?:va|viene|vienen|van|pasa|pasan)|ya\s+salio|sigue\s+en\s+pie)\b")
NOT_SET_OUT = frozenset({JobStatus.SCHEDULED, JobStatus.PENDING, JobStatus.NEEDS_FOLLOWUP})
# "¿dónde está el técnico?", "¿por dónde viene?", "¿ya salió?"
_WHERE = re.compile(r"\b(?:donde|por\s+donde)\s+(?:esta|anda|viene|va)\b|\bya\s+salio\b|\bviene\s+en\s+camino\b")


# how long the work at home still takes: "¿a qué hora termina?", "¿le falta mucho?"
_WHEN_DONE = re.compile(
    r"\b(?:a\s+(?:que|q)\s+hora\s+(?:termina|terminan|terminaria|se\s+va|se\s+van)|cuanto\s+(?:mas\s+)?"
    r"(?:le\s+|les\s+)?(?:falta|tarda|demora|queda)|(?:le\s+|les\s+)?(?:falta|queda)\s+mucho"
    r"|(?:para\s+)?cuando\s+(?:termina|terminan)|ya\s+(?:termina|terminan)|termina\s+pronto)\b")


# the work going on at home, spoken of: "el muchacho dice que hay que cambiar…", "que lo haga
# nomás", "¿me mandan el presupuesto antes de que lo haga?"
_WORK_HERE = re.compile(
    r"\b(?:el|la)\s+(?:muchacho|chico|tecnico|plomero|gasista|electricista|senor|pibe|flaco)\b"
    r"|\b(?:esta|estan)\s+(?:aca|aqui)\b|\bpresupuesto\b|\b(?:que|q)\s+lo\s+haga\b|\blo\s+haga\b"
    r"|\bantes\s+de\s+(?:que|q)\s+(?:lo\s+|la\s+)?(?:haga|cambie|arranque|empiece)\b")


def about_visit_under_way(turn: Turn) -> list[Reply] | None:
    """A customer writing about the work going on at home while the technician is there ("el
    muchacho dice que hay que cambiar la termocupla, ¿me mandan el presupuesto por escrito?",
    "listo, que lo haga nomás"): his to answer, passed on to him — never a second booking."""
    if turn.tap is not None or turn.conversation.flow or not turn.text \
            or turn.result.urgency == "emergency" or turn.result.address:
        return None
    here = [job for job in turn.open_jobs if job.status is JobStatus.ON_SITE]
    if len(here) != 1 or not _WORK_HERE.search(es_ar.folded(turn.text)):
        return None
    if turn.intent == "payment" and _HOW_TO_PAY.search(es_ar.folded(turn.text)):
        return None  # "me dijo el técnico q te transfiera, ¿a qué alias?": the ways to pay answer it
    return _ask_technician(turn, here[0], told="?" not in turn.text)  # a question, or word for him


# how to pay, which the business's payment details answer: "¿a qué alias?", "¿me pasás el CBU?"
_HOW_TO_PAY = re.compile(r"\b(?:alias|cbu|cvu|cuenta|transfer\w*|mercado\s*pago|link\s+de\s+pago|efectivo|tarjeta)\b")


def _ask_technician(turn: Turn, job: Job, *, told: bool = False) -> list[Reply] | None:
    """The customer's question passed to the technician at their home, who answers with "decile
    que…"; None when he has no phone."""
    from core.jobs.notices import technician_conversation
    from core.phones import wa_id_for

    technician = job.technician
    if technician is None or not technician.phone or not technician.active:
        return None
    customer = es_ar.first_name(job.customer.name if job.customer else None) or "El cliente"
    words = es_ar.shortened(" ".join((turn.text or "").split()), 300)
    conversation = technician_conversation(turn.session, technician, wa_id_for(technician.phone))
    turn.notify(conversation.wa_id, Text(texts.render("tech_customer_asks", customer=customer,
                                                      number=job.number, words=words, told=told)))
    return [Text(texts.render("cust_asked_technician", tech=es_ar.first_name(technician.name),
                              told=told))]


CONTACT_DIGITS = 8  # a mobile's number without its area code: "11 5555 0298" → 55550298


SPEC = FlowSpec(name="status", roles=frozenset({ConversationRole.CUSTOMER}), handle=handle,
                intents=frozenset({"job_status"}))


def for_someone_else(turn: Turn) -> list[Reply] | None:
    """The open visit of the customer a writer with none names in full (first name and surname,
    or a surname with the visit's street): its day and technician, never its address, and the
    office told who asked, to add them as a contact. None when nobody, or more than one, fits."""
    folded = es_ar.folded(turn.text)
    said = set(folded.split())
    if len(said) < 3 or (turn.intent != "job_status" and not _A_VISIT.search(folded)):
        return None
    street = getattr(turn.result.address, "street", None) if turn.result else None
    street_words = {w for w in es_ar.folded(street).split() if len(w) > 3} if street else set()
    fitting = []
    mine = re.sub(r"\D", "", turn.conversation.wa_id or "")[-CONTACT_DIGITS:]
    for job in turn.session.scalars(select(Job).options(joinedload(Job.customer), joinedload(Job.address))
                                    .where(Job.status.in_(OPEN_STATUSES))).unique():
        customer = job.customer
        if customer is None or customer.name is None:
            continue
        names = [w for w in es_ar.folded(customer.name).split() if len(w) > 2]
        at = {w for w in es_ar.folded(job.address.street).split() if len(w) > 3} \
            if job.address is not None and job.address.street else set()
        full = len(names) >= 2 and set(names) <= said
        surname_and_street = bool(names) and names[-1] in said and bool(at & street_words)
        # the number writing is the one the visit was booked with as its contact ("la que va a
        # estar es mi inquilina, su cel es 11 5555 0298"): her visit, whatever name she gives
        contact = bool(mine) and mine in re.sub(r"\D", "", job.description or "")
        if full or surname_and_street or contact:
            fitting.append(job)
    customers_fitting = {job.customer_id for job in fitting}
    if len(customers_fitting) != 1:
        return None
    job = min(fitting, key=lambda j: (j.scheduled_start is None, es_ar.aware(j.scheduled_start)
                                      if j.scheduled_start else turn.now))
    who, phone = turn.writer
    turn.tell_staff(texts.render("staff_asked_for_someone", who=who, phone=phone,
                                 customer=job.customer.name, number=job.number,
                                 text=es_ar.shortened(turn.text, 200)))
    view = job_view(turn.session, job, now=turn.now)
    return [Text(texts.render("status_for_someone", customer=es_ar.first_name(job.customer.name),
                              view=view, number=job.number))]
