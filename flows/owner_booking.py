"""The owner loading a job from WhatsApp: "agendame un trabajo para mañana a las 10 en Cabildo
2000, cambiar una canilla, cliente Marta 11 5566-7788".

A customer who phones the owner instead of writing is the owner's to load, and the owner lives in
WhatsApp as much as the customer does. The contract has no intent for it (an owner's is a summary
or who owes), so these arrive as `other` or, because of the day in them, as `owner_summary`; without
this flow they met "no te entendí" or a summary nobody asked for.

As with handing a visit to a technician (`owner_assign`), the owner's word is the order: the job
is created at once, as the back office's "Crear trabajo" does, and the owner gets it back with its
link to correct anything. The customer is found by the phone given (either of the two forms an
Argentine number may be stored in) or by a name only one customer has; a new one needs a phone.
A day and an hour schedule it (two hours, as the back office does; "a la mañana" is the morning's
window); a technician named by first name gets it and is told, and so is the customer, on
WhatsApp, once the visit has its day and hour. What cannot be read is never guessed: without a
customer the owner is told what to send, with an example."""

from __future__ import annotations

import logging
import re
from datetime import date, datetime, time, timedelta

import phonenumbers
from sqlalchemy import select

from core import customers, es_ar, jobs
from core.errors import DomainError
from core.jobs.scheduling import WINDOWS
from core.links import back_office_link, job_link
from core.messaging import texts
from core.messaging.replies import Reply, Text
from core.models import ConversationRole, Customer
from core.phones import normalize_phone
from flows import owner, owner_assign
from flows.booking_job import JOB_SERVICE, address_id_for, address_in, summary_address
from flows.customer_job_change import tell_technician
from flows.engine import FlowSpec
from flows.technician_jobs import tell_customer
from flows.turn import Turn
from flows.understood import SERVICES
from nlu.extract.message_kinds import TEAM_MISREAD
from nlu.extract.names import FIRST_NAMES
from nlu.extract.services import classify_service
from nlu.extract.text import fold_aligned

log = logging.getLogger(__name__)

# "agendame/cargá/anotá/poné/creá/abrí/reservá un trabajo (una visita, un laburo, un turno)",
# "quiero cargar un trabajo", "nuevo trabajo:", "agendá a Marta para mañana"
_VERB = (r"(?:agenda|carga|anota|pone|arma|crea|abri|mete|reserva|registra|suma|programa)"
         r"(?:me|le|nos|lo|la)?|agendar|cargar|anotar|poner|armar|crear|abrir|meter|reservar|"
         r"registrar|sumar|programar")
_JOB = r"(?:trabajo|laburo|visita|turno|servicio|pedido|changa|orden\s+de\s+trabajo|cliente\s+nuevo)"
_ASKS = re.compile(
    rf"\b(?:{_VERB})\s+(?:(?:un|una|el|la|otro|otra|nuevo|nueva)\s+)?{_JOB}\b"
    rf"|^(?:\w+\s+){{0,2}}(?:nuevo\s+{_JOB}|{_JOB}\s+nuevo)\b"
    rf"|\bagenda(?:me|le)?\s+a\s+(?:la\s+|el\s+)?(?:sra|senora|sr|senor|don|dona|\w+\s+(?:para|el|la|manana|hoy))\b"
    # a call taken and dictated: "me llamó una señora, Elena Ruiz, le gotea el termotanque…"
    r"|\bme\s+(?:llamo|llamaron|escribio|escribieron|hablo)\s+(?:un|una|el|la)\s+(?:senor|senora|cliente|clienta"
    r"|vecin[oa]|muchach[oa]|chic[oa]|flac[oa]|tip[oa]|pibe|piba)\b")
# a question about doing it ("¿cómo cargo un trabajo?") is told how; something done is no order
_HOW = re.compile(r"\b(?:como|donde)\s+(?:se\s+|te\s+|les?\s+)?(?:cargo|agendo|anoto|creo|carga|agenda|"
                  r"anota|crea|cargan|agendan|hago\s+para\s+(?:cargar|agendar|anotar))\b"
                  r"|\b(?:puedo|se\s+puede|podes)\s+(?:cargar|agendar|anotar|crear)\b.*\bpor\s+aca\b")
_DONE = re.compile(r"\bya\s+(?:lo\s+|la\s+|te\s+)?(?:cargue|agende|anote|puse|cree|arme)\b")
_NAME_WORD = r"[A-ZÁÉÍÓÚÑ][a-záéíóúñü]+"
# after "cliente", "a nombre de", "Sra.": any word; after "de", "a", "para": a capital only
_MARKED_NAME = re.compile(
    r"(?i:\b(?:cliente|clienta|a\s+nombre\s+de|sra\.?|señora|senora|sr\.?|señor|senor|don|doña|dona))"
    r"(?:\s+(?i:es|era|se\s+llama))?\s*:?\s+(?:de\s+)?(?P<n>[A-Za-zÁÉÍÓÚÑáéíóúñü]+(?:\s+" + _NAME_WORD + r")?)"
    r"|(?i:\b(?:de|a|para))\s+(?P<c>" + _NAME_WORD + r"(?:\s+" + _NAME_WORD + r")?)")
_FIRST_AFTER = re.compile(r"\s*,\s*([A-Za-zÁÉÍÓÚÑáéíóúñü]{3,})\b")
_BARE_NAME = re.compile(_NAME_WORD + r"(?:\s+" + _NAME_WORD + r")?")
_NOT_NAMES = frozenset((
    "lunes", "martes", "miercoles", "jueves", "viernes", "sabado", "domingo", "hoy", "manana",
    "pasado", "enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
    "septiembre", "setiembre", "octubre", "noviembre", "diciembre", "la", "el", "los", "las", "un",
    "una", "cambiar", "arreglar", "revisar", "instalar", "destapar", "ver", "mi", "su", "este",
    "esta", "nuevo", "nueva", "que", "del", "de", "mio", "mia", "nos", "me", "le", "llamo", "tiene",
))


def asks_to_book(said: str) -> bool:
    """Whether the owner's folded words ask to load a job."""
    return bool(_ASKS.search(said)) and not _DONE.search(said) and not _HOW.search(said)


# A technician sent to a place with work to do: "mandale a Carlos mañana a las 10 a mi casa, que
# pierde el termotanque", "que vaya Diego a Thames 1200 a cambiar una canilla"
_SEND = re.compile(r"\b(?:manda(?:le)?|envia(?:le)?|que\s+(?:vaya|pase|se\s+de\s+una\s+vuelta))\s+"
                   r"(?:a\s+|el\s+|la\s+)?[a-z]+\b")
# the owner's own place: "a mi casa", "al local", "en casa"
_OWN_PLACE = re.compile(r"\b(?:a|en|para)\s+(?:mi\s+(?:casa|depto|departamento|local|taller|oficina|negocio"
                        r"|deposito)|casa\b(?!\s+de)|el\s+local\b|la\s+oficina\b|el\s+taller\b)")


def _sends_to_new_place(turn: Turn, said: str) -> bool:
    """Whether the owner sends a technician somewhere no open visit is at, with work to do:
    a job to load (a visit already booked there is a handover, `owner_assign`'s)."""
    if not _SEND.search(said) or not owner.named_in(said, owner.active_technicians(turn)):
        return False
    if not (turn.result.service or _WORK_VERB.search(said)):
        return False
    if _OWN_PLACE.search(said):
        return True
    address = dict(turn.result.address or {})
    street = address.get("street")
    if not street or not address.get("number"):
        return False
    return not any(job.address is not None and es_ar.folded(job.address.street or "") == es_ar.folded(street)
                   for job in owner_assign.open_jobs_of(turn))


def _owner_as_customer(turn: Turn, address: dict) -> Customer:
    """The owner as the customer of a visit to their own place (found by phone, else made)."""
    phone = turn.user.phone if turn.user is not None else None
    found = customers.find_by_phone(turn.session, phone) if phone else None
    if found is not None:
        return found
    return customers.create_customer(turn.session, {
        "name": turn.user.name if turn.user is not None else None, "phone": phone,
        "addresses": [address_in(address)] if address.get("street") else [],
    }, actor=turn.actor)


def asks_how(said: str) -> bool:
    """"¿Cómo cargo un trabajo?", "¿puedo agendar un trabajo por acá?"."""
    return bool(_HOW.search(said)) and bool(re.search(_JOB, said)) and not _DONE.search(said)


def handle(turn: Turn) -> list[Reply]:
    said = es_ar.folded(turn.text)
    if asks_how(said):
        return [Text(texts.render("owner_book_missing", why="how", link=_new_job_link(turn)))]
    sent = not asks_to_book(said) and _sends_to_new_place(turn, said)
    if not (sent or asks_to_book(said)):
        return []
    technicians = owner.active_technicians(turn)
    named_techs = owner.named_in(said, technicians)
    tech_words = {es_ar.folded(es_ar.first_name(t.name)) for t in technicians}
    r = turn.result
    address = dict(r.address or {})
    phone_raw = phone_in(turn.text or "")
    name = customer_name(turn.text or "", tech_words | _words(address.get("street")))
    own_place = sent and _OWN_PLACE.search(said) is not None and not phone_raw and not name
    customer, why = (_owner_as_customer(turn, address), None) if own_place \
        else _customer(turn, phone_raw, name)
    if customer is None and why:
        return [Text(texts.render("owner_book_missing", why=why, link=_new_job_link(turn)))]
    start, end = _window(turn)
    technician = named_techs[0] if len(named_techs) == 1 else None
    work = work_description(turn.text or "", phone_raw)
    # a day without an hour is kept in the job's words, for whoever sets the hour
    day_only = es_ar.day_phrase(date.fromisoformat(turn.result.date), turn.today) \
        if turn.result.date and start is None else None
    description = f"{work} (para {day_only})" if day_only else work
    try:
        with turn.session.begin_nested():
            if customer is None:
                customer = customers.create_customer(turn.session, {
                    "name": name, "phone": mobile_e164(phone_raw),
                    "addresses": [address_in(address)] if address.get("street") else [],
                }, actor=turn.actor)
            address_id = _address_id(turn, customer, address)
            job = jobs.create_job(turn.session, {
                "customer_id": customer.id, "service": JOB_SERVICE.get(r.service or "", "other"),
                "description": description, "address_id": address_id,
                "urgency": "emergency" if r.urgency == "emergency" else "normal",
                "technician_id": technician.id if technician else None,
                "scheduled_start": start, "scheduled_end": end,
            }, actor=turn.actor)
    except DomainError as exc:
        return [Text(texts.render("tech_error", reason=str(exc).rstrip(".")))]
    told = tell_technician(turn, job, "assigned", technician) if technician is not None else None
    log.info("job loaded by the owner on WhatsApp", extra={"job_id": job.id, "number": job.number})
    owner_assign.remember(turn, job)
    where = job.address_text or (summary_address(address) if address.get("street") else None)
    # a visit with its day and hour is the customer's to hear, in the chat where they will ask
    # "¿cuándo vienen?" (a job without an hour waits for one)
    customer_told = start is not None and not own_place and tell_customer(
        turn, job, "cust_booked_by_office", business=turn.org.name,
        service=SERVICES.get(r.service or "", None), when=es_ar.visit_phrase(start, end, turn.today),
        address=where, number=job.number)
    return [Text(texts.render(
        "owner_book_done", number=job.number, customer=customer.name or "el cliente",
        phone=es_ar.readable_phone(customer.phone), service=SERVICES.get(r.service or "", None),
        description=work, address=where,
        when=es_ar.visit_phrase(start, end, turn.today) if start else None, day_only=day_only,
        technician=technician.name if technician else None, told=told,
        customer_told=es_ar.first_name(customer.name) or "el cliente" if customer_told else None,
        link=job_link(turn.settings, job.id)))]


def phone_in(text: str) -> str | None:
    """The first phone number written in `text` ("11 5566-7788", "011 15 5566 7788", "+54 9 …")."""
    for match in phonenumbers.PhoneNumberMatcher(text, "AR", leniency=phonenumbers.Leniency.VALID):
        return match.raw_string
    return None


def mobile_e164(raw: str | None) -> str | None:
    """The number as a customer's phone: an Argentine number typed without the mobile's 9 or 15
    is taken as a mobile, the line a customer is reached on by WhatsApp."""
    if not raw:
        return None
    e164 = normalize_phone(raw)
    if e164.startswith("+54") and not e164.startswith("+549"):
        try:
            return normalize_phone("+549" + e164[3:])
        except DomainError:
            return e164
    return e164


def customer_name(text: str, not_names: set[str]) -> str | None:
    """The customer's name as the owner wrote it ("cliente Marta", "a nombre de Julia Ferreyra",
    "para la Sra. Gómez"), never a technician's, a street's or a day's."""
    for m in _MARKED_NAME.finditer(text):
        name = (m.group("n") or m.group("c") or "").strip()
        words = es_ar.folded(name).split()
        if not words or words[0] in _NOT_NAMES or words[0] in not_names:
            continue
        titled = m.group("n") is not None  # "la sra ferreyra", "a nombre de julia": in any case
        if m.group("c") is None and not (name[0].isupper() or words[0] in FIRST_NAMES or titled):
            continue
        if len(words) > 1 and (words[1] in _NOT_NAMES or words[1] in not_names):
            name = name.split()[0]
        first = _FIRST_AFTER.match(text, m.end())  # "la sra ferreyra, marta": Marta Ferreyra
        if len(name.split()) == 1 and first and es_ar.folded(first.group(1)) in FIRST_NAMES:
            name = f"{first.group(1)} {name}"
        return " ".join(w[:1].upper() + w[1:] for w in name.split())
    for m in _BARE_NAME.finditer(text):  # "…, Marta Suárez, …": a first name, capitalized
        words = es_ar.folded(m.group(0)).split()
        if words[0] in FIRST_NAMES and words[0] not in not_names:
            return m.group(0) if len(words) == 1 or words[1] not in _NOT_NAMES | not_names \
                else m.group(0).split()[0]
    return None


def _customer(turn: Turn, phone_raw: str | None, name: str | None) -> tuple[Customer | None, str | None]:
    """(the customer meant, None) or (None, why it cannot be told) or (None, None): a new one."""
    if phone_raw:
        try:
            e164 = mobile_e164(phone_raw)
        except DomainError:
            return None, "bad_phone"
        for form in {e164, e164.replace("+549", "+54", 1)}:
            found = turn.session.scalar(select(Customer).where(Customer.phone == form))
            if found is not None:
                return found, None
        return None, None
    if not name:
        return None, "who"
    words = es_ar.folded(name).split()
    matches = [c for c in turn.session.scalars(select(Customer).where(Customer.name.is_not(None)))
               if set(words) <= set(es_ar.folded(c.name).split())]
    if len(matches) == 1:
        return matches[0], None
    return None, "phone" if not matches else "which"


def _window(turn: Turn) -> tuple[datetime | None, datetime | None]:
    r = turn.result
    if not r.date:
        return None, None
    day = date.fromisoformat(r.date)
    if r.time:
        start = datetime.combine(day, time.fromisoformat(r.time), turn.zone)
        return start, start + timedelta(hours=2)
    if r.window in WINDOWS:
        lo, hi = WINDOWS[r.window]
        return (datetime.combine(day, time(lo), turn.zone), datetime.combine(day, time(hi), turn.zone))
    return None, None


def _address_id(turn: Turn, customer: Customer, address: dict) -> int | None:
    """The customer's address said (added when new), or their only one when none is said."""
    if not address.get("street"):
        known = list(customer.addresses)
        return known[0].id if len(known) == 1 else None
    return address_id_for(turn.session, customer, address, actor=turn.actor)


_COMMAND = re.compile(rf"^\s*(?:(?:hola|buenas|che|porfa|por\s+favor)[\s,!.]*)*(?:{_VERB})\s+"
                      rf"(?:(?:un|una|el|la|otro|otra|nuevo|nueva)\s+)?{_JOB}\s*[:,-]?\s*",
                      re.IGNORECASE)


# the work itself: "(para) cambiar una canilla", "destapar la pileta"
_WORK_VERB = re.compile(
    r"\b(?:para\s+)?(?P<w>(?:cambiar|arreglar|revisar|instalar|destapar|reparar|colocar|ver|mirar|"
    r"limpiar|conectar|sacar|tapar|pintar|sellar|probar|presupuestar|chequear|controlar|hacer|"
    r"reemplazar|desarmar|armar|mover|agregar|purgar|cargar)\b.*"
    # the problem as the caller told it: "se le tapó la cocina", "le gotea el termotanque"
    r"|(?:se\s+(?:le|les)\s+|le\s+|les\s+)(?:tapo|rompio|quemo|corto|trabo|cayo|inundo|lleno|gotea|pierde"
    r"|sale|salta|tira|no\s+anda|no\s+funciona|no\s+prende|no\s+calienta|no\s+enfria|anda\s+mal)\b.*)")


def work_description(text: str, phone_raw: str | None) -> str:
    """What to do, in the owner's words: the clauses that name the work ("para cambiar una
    canilla", "se le tapó el inodoro"), without the order, the day, the address, the customer or
    the technician; the whole message, less the order and the phone, when none does."""
    work = []
    for clause in re.split(r"[,;\n]+", text):
        aligned = fold_aligned(clause)  # same length as `clause`: its positions hold
        cut = _COMMAND.match(aligned)
        start = cut.end() if cut else 0
        if (m := _WORK_VERB.search(aligned, start)) is not None:
            work.append(clause[m.start("w"):])
        elif classify_service(es_ar.folded(clause[start:])) and not phonenumbers.PhoneNumberMatcher(
                clause, "AR").has_next() and not _MARKED_NAME.search(clause):
            # "…, que pierde el termotanque": the problem, without the "que" that links it
            work.append(re.sub(r"^\s*(?:que|q|xq|porque)\s+", "", clause[start:], flags=re.IGNORECASE))
    if work:
        out = ", ".join(w.strip() for w in work)
        return out[:1].upper() + out[1:]
    cut = _COMMAND.match(fold_aligned(text))
    out = text[cut.end():] if cut else text
    if phone_raw:
        out = out.replace(phone_raw, "")
    out = re.sub(r"\s+([,.;])", r"\1", re.sub(r"\s{2,}", " ", out)).strip(" ,.;:-")
    return (out[:1].upper() + out[1:]) or "Trabajo cargado por WhatsApp"


def _new_job_link(turn: Turn) -> str:
    return back_office_link(turn.settings, "jobs/new")


def _words(text: str | None) -> set[str]:
    return set(es_ar.folded(text or "").split())


SPEC = FlowSpec(name="owner_booking", roles=frozenset({ConversationRole.OWNER}), handle=handle,
                intents=TEAM_MISREAD)
