"""A customer with a visit coming who asks for something else to be looked at on it ("el inodoro
también anda medio tapado, ¿lo pueden ver el mismo día?", "ya que vienen, mírenme la canilla"):
it is added to that visit and its technician is told — not booked as a second job with its own
address, day and confirmation.

Only a visit of the same trade, not begun, in the next weeks; never an emergency (that is booked
and dispatched), another address or another day named (a visit of its own)."""

from __future__ import annotations

import re
from datetime import timedelta

from core import es_ar, jobs
from core.messaging import texts
from core.messaging.replies import Reply, Text
from core.models import JobStatus
from flows.booking_job import JOB_SERVICE
from flows.customer_job_change import tell_technician, visit
from flows.technician_jobs import parse_date
from flows.turn import Turn
from nlu.extract.message_kinds import access_note, acknowledgement, someone_else_opens

HORIZON = timedelta(days=21)  # a visit further away than this is not "the same trip"
NOTE_MAX = 300

# The same visit: "también", "ya que vienen", "aprovechando", "de paso", "el mismo día"
_JOINS = re.compile(
    r"\b(?:tambien|tmb|tb|ademas|ya\s+(?:que|q)\s+(?:viene|vienen|vas|van|esta|estan|estas|venis)|aprovech\w+"
    r"|de\s+paso|el\s+mismo\s+dia|la\s+misma\s+visita|en\s+el\s+mismo\s+viaje"
    r"|cuando\s+(?:venga|vengan|vaya|vayan|este|esten|vengas))\b")
# Somewhere else: a visit of its own
_ANOTHER_PLACE = re.compile(
    r"\b(?:otra\s+direccion|otra\s+casa|otro\s+departamento|en\s+lo\s+de\s+mi|en\s+la\s+casa\s+de"
    r"|en\s+el\s+local|en\s+la\s+oficina|en\s+el\s+negocio)\b")


def add_to_visit(turn: Turn) -> list[Reply] | None:
    """The replies when `turn` adds to a coming visit; None when it is a booking of its own."""
    result = turn.result
    if turn.customer is None or turn.tap is not None or result.urgency == "emergency" \
            or result.address:
        return None
    said = es_ar.folded(turn.text or "")
    if not _JOINS.search(said) or _ANOTHER_PLACE.search(said):
        return None
    service = JOB_SERVICE.get(result.service or "")
    asked = parse_date(result.date)
    coming = []
    for job in turn.open_jobs:
        start = es_ar.aware(job.scheduled_start) if job.scheduled_start is not None else None
        if job.status is not JobStatus.SCHEDULED or start is None \
                or not turn.now < start <= turn.now + HORIZON:
            continue
        if service is not None and job.service != service:
            continue  # another trade: maybe another technician
        if asked is not None and start.astimezone(turn.zone).date() != asked:
            continue  # another day named: a visit of its own
        coming.append((start, job))
    if not coming:
        return None
    _, job = min(coming, key=lambda pair: pair[0])
    words = " ".join((turn.text or "").split())
    jobs.add_to_description(turn.session, job.id, words, f"whatsapp:{turn.conversation.wa_id}")
    told = tell_technician(turn, job, "note", note=es_ar.shortened(words, NOTE_MAX))
    turn.conversation.misses = 0
    return [Text(texts.render("cust_added_to_visit", name=turn.first_name, number=job.number,
                              when=visit(job, turn.now), told=told))]


def note_for_visit(turn: Turn) -> list[Reply] | None:
    """"Avisame antes de llegar así bajo a abrir, no anda el portero": with a visit coming or on
    its way, the customer's words go to its technician, and the customer hears they will be told
    when the technician sets out; None otherwise."""
    if turn.conversation.flow:
        return None
    return take_note(turn)


def take_note(turn: Turn) -> list[Reply] | None:
    """`note_for_visit` whatever flow the conversation is in: a job change waiting for its OK
    ("¿Pasamos el trabajo #1 al martes?" answered "¿el técnico me puede llamar antes? el portero
    no anda") takes the word too, then asks its question again."""
    if turn.customer is None or turn.tap is not None \
            or not access_note(es_ar.folded(turn.text or "")):
        return None
    coming = [job for job in turn.open_jobs
              if job.status in (JobStatus.SCHEDULED, JobStatus.EN_ROUTE)]
    if not coming:
        return None
    job = min(coming, key=lambda j: (j.status is not JobStatus.EN_ROUTE,
                                     es_ar.aware(j.scheduled_start) if j.scheduled_start
                                     else turn.now + HORIZON * 10))
    return _pass_on(turn, job, on_the_way=job.status is JobStatus.EN_ROUTE)


def _pass_on(turn: Turn, job, *, on_the_way: bool) -> list[Reply]:
    """The customer's words to the visit's technician (the office when it has none), and the
    customer told so (when he sets out, unless he is on his way or there)."""
    words = es_ar.shortened(" ".join((turn.text or "").split()), NOTE_MAX)
    told = tell_technician(turn, job, "note", note=words)
    if told is None:
        turn.tell_staff(texts.render("staff_visit_note", number=job.number, text=words,
                                     name=turn.writer[0], phone=turn.writer[1]))
    turn.conversation.misses = 0
    return [Text(texts.render("cust_visit_note", name=turn.first_name, told=told,
                              on_the_way=on_the_way,
                              # "¿hay que estar yo o puede abrir el encargado?": yes, anyone
                              someone_else=someone_else_opens(es_ar.folded(turn.text or ""))))]


SOON = timedelta(hours=3)  # a visit starting within this is under way for the customer


def word_during_visit(turn: Turn) -> list[Reply] | None:
    """"Uh bueno, pero yo en dos horas me tengo que ir", "ay perdón, estaba en la ducha, ya bajo",
    "que traiga escalera": words the bot cannot act on, said while a visit is on its way, under
    way or about to start, are for its technician — passed on, not "no te entendí" (the
    customer is answering his notice). None without such a visit."""
    if turn.customer is None or turn.tap is not None or not turn.text \
            or acknowledgement(turn.text) is not None:
        return None  # "ok gracias x avisar" is no word for him: the bot thanks back
    live = [job for job in turn.open_jobs
            if job.status in (JobStatus.EN_ROUTE, JobStatus.ON_SITE)
            or (job.status is JobStatus.SCHEDULED and job.scheduled_start is not None
                and turn.now - SOON / 3 <= es_ar.aware(job.scheduled_start) <= turn.now + SOON)]
    if not live:
        return None
    job = min(live, key=lambda j: (j.status is JobStatus.SCHEDULED,
                                   es_ar.aware(j.scheduled_start) if j.scheduled_start else turn.now))
    return _pass_on(turn, job, on_the_way=job.status is not JobStatus.SCHEDULED)
