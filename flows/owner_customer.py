"""The owner asking about one customer: "¿qué onda con la señora Suárez?", "pasame el cel de
Fernández", "¿cómo viene lo de Benítez?". The customer's card: phone, address, the visits still
open (when, with whom), what they owe, and the last job done. Asked what one visit is ("¿y el de
Sergio de las 9 qué era?", "¿de qué es lo de Ojeda?"), that visit's card: when, with whom,
where, and the problem. Several customers fitting the
words get their names back to choose; none, and the turn is not this module's (the engine goes
on: "¿qué onda el día?" is the day's summary)."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from core import es_ar
from core.billing.reports import owed_by
from core.customers.search import customers_named
from core.jobs import OPEN_STATUSES
from core.messaging import texts
from core.messaging.replies import Reply, Text
from core.models import Customer, Job, JobStatus
from flows.turn import Turn

# what asks about someone: "qué onda con", "cómo viene lo de", "pasame el cel de"
_ABOUT = re.compile(
    r"\b(?:(?:que|q)\s+onda\s+con|como\s+(?:viene|va|anda|esta|sigue)\s+(?:lo\s+de|la\s+de|el\s+de|con)"
    r"|(?:que|q)\s+(?:paso|hay|sabemos|onda)\s+(?:con|de)|info\s+de|datos\s+de|ficha\s+de"
    r"|(?:pasame|pasa|dame|mandame|cual\s+es|tenes)\s+(?:el\s+|su\s+|la\s+)?(?:cel|celu|celular|telefono|tel"
    r"|numero|whatsapp|wsp|direccion|dire|domicilio)\s+(?:de|del)(?:\s+(?:la|el))?"
    # "¿qué dirección tiene Lucía Romero?", "¿dónde vive Quiroga?", "¿qué cel tiene la de Flores?"
    r"|(?:que|q)\s+(?:direccion|dire|domicilio|cel|celu|celular|telefono|numero)\s+tiene(?:\s+(?:la|el))?"
    r"|donde\s+vive(?:\s+(?:la|el))?)\b")
# words around a name that are no part of it
_NOT_NAME = frozenset({
    "senora", "senor", "sra", "sr", "don", "dona", "cliente", "clienta", "flaco", "tipo", "chica",
    "chico", "vecina", "vecino", "los", "las", "del", "que", "con", "por", "para", "hoy", "ayer",
    "manana", "algo", "debe", "nos", "esta", "todo", "bien", "porfa", "llamo", "llamar", "ella",
    "ese", "esa", "familia", "casa",
})
# what a visit is about: "¿qué era?", "¿de qué es?", "¿qué hay que hacer?" about "el/la/lo de …"
_WHAT_JOB = re.compile(
    r"\b(?:que|q)\s+(?:era|es|tenia|tiene|hay\s+que\s+hacer|hay\s+q\s+hacer|hacemos|le\s+pasa)\b"
    r"|\bde\s+(?:que|q)\s+(?:era|es|se\s+trata)\b"
    # how it goes or when it is: "¿en qué anda lo de Paz?", "¿lo de Sosa para cuándo es?"
    r"|\ben\s+(?:que|q)\s+(?:anda|esta|quedo|va|vamos)\b|\bcomo\s+(?:va|viene|anda|sigue|quedo)\b"
    r"|\bcuando\s+(?:le\s+|les\s+)?(?:es|era|va|vamos|viene|vienen|toca)\b"
    # whether it stands: "¿lo de Ferreyra sigue en pie?", "¿sigue o lo cancelaron?"
    r"|\bsigue\s+(?:en\s+pie|firme|agendad\w*|vigente|confirmad\w*|o\s+(?:no|se|lo|la)\b)"
    r"|\b(?:se|lo|la)\s+(?:cancel[oó]|cancelaron|suspendi\w+|bajaron)\b|\besta\s+confirmad\w*"
    # a follow-up with a name alone: "¿y lo de Fernández?", "el de Jorge"
    r"|^(?:y\s+)?(?:lo|la|el)\s+de\s+(?:la\s+|el\s+|don\s+|dona\s+)?[a-z]+(?:\s+[a-z]+)?\s*$")
_OF = re.compile(r"\b(?:el|la|lo)\s+de\b")
LISTED = 5
SHOWN_VISITS = 3
DONE = (JobStatus.COMPLETED, JobStatus.INVOICED, JobStatus.PAID)


def handle(turn: Turn) -> list[Reply] | None:
    """The card of the customer the owner asks about; None when the words ask about nobody
    on file."""
    said = es_ar.folded(turn.text)
    if turn.tap is not None:
        return None
    if (reminders := _reminders(turn, said)) is not None:
        return reminders  # "a la señora Quiroga no le manden más recordatorios"
    if _WHAT_JOB.search(said) and _THAT_ONE.search(said) and (shown := _last_card(turn)) is not None:
        return [Text(card(turn, shown))]  # "¿y cuándo le toca a ella la visita?"
    if (other := _the_other_one(turn, said)) is not None:
        return other  # "no no, la otra Torres, la que tiene lo del aire"
    asked = _ABOUT.search(said)
    if asked is None and _WHAT_JOB.search(said) and _OF.search(said):
        return _what_job(turn, said)
    if asked is None:
        return None
    words = [w for w in re.findall(r"[a-zñ]+", said[asked.end():]) if len(w) > 2 and w not in _NOT_NAME]
    if not words:
        return None
    found = customers_named(turn.session, " ".join(words[:3]), limit=LISTED)
    if not found:
        return None
    if len(found) > 1:
        return [Text(texts.render("owner_customer_which", names=[c.name for c in found]))]
    turn.save(**{LAST_CARD: found[0].id})
    return [Text(card(turn, found[0]))]


LAST_CARD = "last_card"  # the owner's slot: the customer whose card was just shown
_THAT_ONE = re.compile(r"\b(?:a\s+)?(?:ella|el|esa\s+senora|ese\s+senor|esa\s+clienta|ese\s+cliente)\b")
# "no le manden más recordatorios a Quiroga", "dejá de mandarle avisos", "sin recordatorios para Paz"
_NO_REMINDERS = re.compile(
    r"\bno\s+(?:le|les)\s+(?:manden|mandes|mandemos|envien|escriban|escribas)\s+(?:mas\s+)?"
    r"(?:recordatorios?|avisos|mensajes)\b"
    r"|\b(?:deja|dejen|dejemos)\s+de\s+(?:mandar|escribir|enviar)(?:le|les)?\s+(?:recordatorios?|avisos|mensajes)\b"
    r"|\bsin\s+recordatorios\b|\b(?:saca|sacale|desactiva|desactivale|apaga)\w*\s+(?:los\s+)?recordatorios\b")
# "volvé a mandarle recordatorios a Quiroga", "activale los recordatorios"
_REMINDERS_BACK = re.compile(
    r"\b(?:volve|volvamos|vuelvan)\s+a\s+(?:mandar|escribir|enviar)(?:le|les)?\s+(?:los\s+)?recordatorios\b"
    r"|\b(?:activa|activale|prende|prendele)\s+(?:los\s+)?recordatorios\b"
    r"|\bmanda(?:le|les)\s+(?:los\s+)?recordatorios\b")
_REMINDER_WORDS = frozenset({"manden", "mandes", "mandemos", "envien", "escriban", "escribas", "mas",
                             "recordatorios", "recordatorio", "avisos", "mensajes", "deja", "dejen",
                             "mandarle", "escribirle", "enviarle", "volve", "activale", "sacale",
                             "quejo", "tienen", "loca", "tantos", "visita", "sigue", "pie", "solo",
                             "che", "mandarles", "escribirles", "porque", "xq"})


def _last_card(turn: Turn) -> Customer | None:
    kept = turn.slots.get(LAST_CARD)
    return turn.session.get(Customer, kept) if isinstance(kept, int) else None


def _reminders(turn: Turn, said: str) -> list[Reply] | None:
    """The day-before reminders (and any promotion) stopped or started again for one customer;
    what happens with their visits is still told."""
    off = _NO_REMINDERS.search(said)
    on = None if off else _REMINDERS_BACK.search(said)
    if off is None and on is None:
        return None
    words = [w for w in re.findall(r"[a-zñ]+", said)
             if len(w) > 2 and w not in _NOT_NAME and w not in _REMINDER_WORDS]
    found = customers_named(turn.session, " ".join(words[:4]), limit=LISTED) if words else []
    if not found and (shown := _last_card(turn)) is not None:
        found = [shown]
    if not found:
        return None
    if len(found) > 1:
        return [Text(texts.render("owner_customer_which", names=[c.name for c in found]))]
    customer = found[0]
    customer.marketing_opt_out = off is not None
    customer.marketing_opt_out_at = turn.now if off is not None else None
    turn.save(**{LAST_CARD: customer.id})
    coming = turn.session.scalars(
        select(Job).where(Job.customer_id == customer.id, Job.status.in_(OPEN_STATUSES),
                          Job.scheduled_start.is_not(None))
        .order_by(Job.scheduled_start).limit(1)).first()
    return [Text(texts.render("owner_reminders", off=off is not None, name=customer.name,
                              first=es_ar.first_name(customer.name) or customer.name,
                              visit=_visit(turn, coming) if coming is not None else None))]
# "no, la otra Torres": the other customer of that name than the one just shown
_OTHER_ONE = re.compile(r"\b(?:la|el)\s+otr[oa]\s+(?P<w>[a-zñ]{3,})\b")


def _the_other_one(turn: Turn, said: str) -> list[Reply] | None:
    """The card of the other customer named like the one just shown; None when the words say
    no such thing, or do not tell one other customer."""
    shown = turn.slots.get(LAST_CARD)
    asked = _OTHER_ONE.search(said)
    if not shown or asked is None:
        return None
    others = [c for c in customers_named(turn.session, asked.group("w"), limit=LISTED)
              if c.id != shown and asked.group("w") in es_ar.folded(c.name or "").split()]
    if len(others) > 1 and turn.result.service:
        # "la que tiene lo del aire": the one with an open visit of that trade
        from flows.booking_job import JOB_SERVICE

        trade = JOB_SERVICE.get(turn.result.service)
        having = set(turn.session.scalars(select(Job.customer_id).where(
            Job.customer_id.in_([c.id for c in others]), Job.status.in_(OPEN_STATUSES),
            Job.service == trade)))
        others = [c for c in others if c.id in having] or others
    if len(others) != 1:
        return None
    turn.save(**{LAST_CARD: others[0].id})
    return [Text(card(turn, others[0]))]


def card(turn: Turn, customer: Customer) -> str:
    """The customer as the owner needs them at a glance."""
    visits = list(turn.session.scalars(
        select(Job).options(joinedload(Job.technician))
        .where(Job.customer_id == customer.id, Job.status.in_(OPEN_STATUSES))
        .order_by(Job.scheduled_start.is_(None), Job.scheduled_start, Job.number)).unique())
    last = turn.session.scalars(
        select(Job).options(joinedload(Job.technician))
        .where(Job.customer_id == customer.id, Job.status.in_(DONE))
        .order_by(Job.completed_at.desc().nulls_last(), Job.number.desc()).limit(1)).first()
    owed = owed_by(turn.session, customer.id)
    address = customer.addresses[0].one_line if customer.addresses else None
    return texts.render(
        "owner_customer_card", name=customer.name, phone=es_ar.readable_phone(customer.phone),
        address=address, owed=es_ar.pesos(owed) if owed else None,
        visits=[_visit(turn, job) for job in visits[:SHOWN_VISITS]],
        more=max(0, len(visits) - SHOWN_VISITS),
        last=_visit(turn, last, done=True) if last is not None else None)


def _visit(turn: Turn, job: Job, *, done: bool = False) -> dict:
    moment = job.completed_at if done and job.completed_at else job.scheduled_start
    when = None
    if moment is not None:
        local = es_ar.aware(moment).astimezone(turn.zone)
        when = es_ar.day_phrase(local.date(), turn.today) if done \
            else es_ar.visit_phrase(local, None, turn.today)
    return {"number": job.number, "when": when,
            "technician": es_ar.first_name(job.technician.name) if job.technician else None,
            "pending": job.status is JobStatus.NEEDS_FOLLOWUP,
            "moving": job.status in (JobStatus.EN_ROUTE, JobStatus.ON_SITE)}


def _what_job(turn: Turn, said: str) -> list[Reply] | None:
    """The open visit the owner asks about, by its customer's name or number ("el de Lorena
    Paz"), or else by its technician and hour ("el de Sergio de las 9"); several are named back
    to choose. None when the words name no open visit."""
    from flows import owner, owner_assign  # both reach the engine, which imports this module

    found = owner_assign.jobs_meant(turn, said, "")
    technicians = owner.named_in(said, owner.active_technicians(turn))
    if not found and technicians and turn.result.time:
        ids = {t.id for t in technicians}
        found = [job for job in owner_assign.open_jobs_of(turn) if job.technician_id in ids
                 and job.scheduled_start is not None
                 and es_ar.aware(job.scheduled_start).astimezone(turn.zone).strftime("%H:%M")
                 == turn.result.time]
    if not found:
        return None
    if len(found) > 1:
        return [Text(texts.render("owner_move_which", asked=True,
                                  jobs=[owner_assign.line(turn, job) for job in found[:LISTED]]))]
    owner_assign.remember(turn, found[0])
    return [Text(job_card(turn, found[0]))]


def job_card(turn: Turn, job: Job) -> str:
    """One visit as the owner needs it: who, when and with whom, where, and what for."""
    from flows.technician_jobs import SERVICE_LABELS, STATE_LABELS

    customer = job.customer
    start = es_ar.aware(job.scheduled_start).astimezone(turn.zone) if job.scheduled_start else None
    end = es_ar.aware(job.scheduled_end).astimezone(turn.zone) if job.scheduled_end else None
    return texts.render(
        "owner_job_card", number=job.number, customer=customer.name if customer else None,
        phone=es_ar.readable_phone(customer.phone) if customer else None,
        service=SERVICE_LABELS.get(job.service), description=job.description,
        when=es_ar.visit_phrase(start, end, turn.today) if start else None,
        technician=job.technician.name if job.technician else None,
        state=STATE_LABELS.get(job.status),
        address=job.address.one_line if job.address is not None else None)
