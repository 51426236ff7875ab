"""The owner passing a word on to a customer (or a technician) through the bot, and the answer
coming back: "decile a Marta que Carlos llega una hora tarde", "preguntale a Graciela si puede
mañana a las 9", "avisale que sí" (to whoever was written to last), "¿le avisaste a Marta?".

The contract has no intent for it (an owner's is a summary or who owes), so these arrive as
`other` and used to meet "no te entendí". The customer is found by name among those with an open
visit, then among every customer; a technician by first name. The message goes out in the
business's voice ("Te escribo de parte de Roberto, de Plomería Rápida: …", the owner's words with
the chat abbreviations written out), and the owner sees exactly what was sent.

A customer's next message after such a word (within `ANSWER_WINDOW`) answers the person who
wrote it, not the bot: it is passed back to them ("💬 Marta García te contestó: …") and the
customer hears it was, instead of the bot reading "uh bueno, pero que no pase de las 5" as a
request to move the visit. An emergency still goes the emergency's way. What was passed on, when,
whether it was read and the answer are kept on the customer's conversation
(`Conversation.relay`), which is how "¿le avisaste a Marta?" is answered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from core import es_ar
from core.customers import find_by_phone as find_customer
from core.customers.search import customers_named
from core.jobs import OPEN_STATUSES
from core.messaging import texts
from core.messaging.conversations import conversation_with
from core.messaging.outbox import customer_conversation
from core.messaging.replies import Reply, Text
from core.models import (
    Conversation,
    ConversationRole,
    Customer,
    DeliveryStatus,
    Direction,
    Job,
    JobStatus,
    Message,
    User,
)
from core.phones import wa_id_for
from flows import owner, owner_reminder
from flows.turn import INBOX_ROLES, Turn
from nlu.extract.message_kinds import asks_about_team
from nlu.extract.text import fold_aligned
from nlu.intent.evaluate import ASK_BELOW

# a technician's notices: never an answer to pass back
TECHNICIAN_NOTICES = frozenset({"tech_on_the_way", "tech_arrived", "tech_job_done", "tech_cannot_complete"})
ANSWER_WINDOW = timedelta(hours=12)  # a customer's message this soon after the word answers it
# a technician's short reply this soon after a word that asked nothing ("lleva la escalera" →
# "ok dale la llevo") answers it
STATEMENT_REPLY_WINDOW = timedelta(hours=2)
STATEMENT_REPLY_WORDS = 10
NEW_REQUEST = 0.8  # a new job with its trade, this sure, is a request of its own, not the answer
# a customer turning to something else: "otra cosa", "otra consulta", "aparte", "cambiando de tema"
_NEW_TOPIC = re.compile(r"^\W*(?:(?:ah\s+)?(?:y\s+)?otra\s+(?:cosa|consulta|pregunta)|aparte\b|"
                        r"cambiando\s+de\s+tema|por\s+otro\s+lado)")
PEER_WINDOW = timedelta(hours=12)  # "avisale que sí" with no name: who was written to last
MAX_TEXT = 600

# The asking verbs, folded: "decile", "avisale", "comunicale", "escribile", "recordale",
# "preguntale", "mandale un mensaje", "le podés decir", "avisales".
_ASK = r"pregunta(?:le|les)|consulta(?:le|les)|(?:pod(?:es|rias)\s+)?preguntar(?:le|les)"
_VERB = re.compile(
    r"\b(?:deci(?:le|les|selo|sela|seles)|avisa(?:le|les|selo|sela)|comunica(?:le|les)|"
    r"informa(?:le|les)|escribi(?:le|les)|recorda(?:le|les)|confirma(?:le|les)|"
    r"(?:le\s+|les\s+)?(?:pod(?:es|rias)\s+)(?:decir|avisar|escribir|recordar)(?:le|les)?|"
    r"(?:decir|avisar|escribir|recordar)(?:le|les)|"
    r"manda(?:le|les)\s+(?:un\s+|el\s+|este\s+)?(?:mensaje|mensajito|msj|wsp|whatsapp|wasap|aviso)|"
    rf"{_ASK})\b")
# where the person ends and the words begin: "a Marta que …", "a la señora de Gorriti: …"
_CONNECTOR = re.compile(r"\s*(?:[:,;\n]|\b(?:que|q|k|si|diciendo(?:le)?(?:\s+que)?)\b)")
_LEADING_THAT = re.compile(r"^\s*(?:[:,;-]\s*)?(?:(?:diciendo(?:le)?\s+)?(?:que|q|k)\b\s*)?",
                           re.IGNORECASE)
# words of a "who" that name nobody
_NOT_NAME = frozenset({
    "a", "al", "la", "el", "los", "las", "lo", "de", "del", "senora", "sra", "senor", "sr", "don",
    "dona", "cliente", "clienta", "flia", "familia", "chica", "chico", "muchacho", "muchacha",
    "vecino", "vecina", "tambien", "tb", "porfa", "por", "favor", "che", "ahora", "ya", "y",
    "le", "les", "mensaje", "msj",
})
# "¿le avisaste a Marta?", "¿Marta contestó?", "¿qué dijo Marta?", "¿lo leyó?"
_ASKED_IF_TOLD = re.compile(
    r"\b(?:le|les)\s+(?:avisaste|dijiste|escribiste|mandaste|preguntaste|pasaste|llego)\b"
    r"|\b(?:contesto|contestaron|respondio|respondieron|que\s+dijo|que\s+dijeron|dijo\s+algo"
    r"|lo\s+leyo|lo\s+vio|lo\s+leyeron)\b")
# chat spellings written out in what a customer reads (folded word -> as written)
_SPELLED = {
    "q": "que", "k": "que", "xq": "porque", "pq": "porque", "porq": "porque", "x": "por",
    "tb": "también", "tmb": "también", "tbn": "también", "d": "de", "mñn": "mañana",
    "mnn": "mañana", "dsp": "después", "dps": "después", "bn": "bien", "cdo": "cuando",
    "qdo": "cuando", "xfa": "por favor", "porfa": "por favor", "msj": "mensaje", "hs": "hs",
    "pa": "para", "p": "para", "c": "con", "tmp": "tampoco", "nd": "nada", "sta": "está",
}
_WORD = re.compile(r"[^\W\d_]+")
# the person named before the verb, as the last clause before it: "a la señora de Medina (de
# mañana) decile …", "che, al de Gorriti avisale …"
_WHO_AHEAD = re.compile(r"(?:^|[,.;:\n]\s*|\bche\s+)(?:a|al|para)\s+"
                        r"(?!(?:las|eso|esa|esta|ese|hoy|manana|pasado|la\s+(?:manana|tarde|noche|hora|vuelta|salida)"
                        r"|(?:el\s+)?(?:lunes|martes|miercoles|jueves|viernes|sabado|domingo))\b|\d)"
                        r"(?P<who>[^,.;:\n]+?)\s*,?\s*$")


@dataclass(frozen=True)
class Ask:
    """An owner's message read as a word to pass on."""

    who: str  # the folded words naming the person ("marta", "la senora de gorriti"), or ""
    words: str  # what to say, as the owner wrote it
    question: bool  # "preguntale": they ask, the customer answers
    named_inside: bool = False  # the person is named in the words ("lo de Marta no se cobra…")


def parse(text: str) -> Ask | None:
    """The person and the words of "decile a Marta que …"; None when the message asks no
    passing on."""
    folded = fold_aligned(text)
    verb = _VERB.search(folded)
    if verb is None:
        return None
    question = re.fullmatch(_ASK, verb.group(0)) is not None
    rest, start = folded[verb.end():], verb.end()
    before = text[:verb.start()].strip(" ,.;:-\n")
    if _WORD.search(before) and not re.search(r"[^\W_]", re.sub(r"\b(?:porfa|por\s+favor|xfa|plis)\b", "", rest)):
        # "lo de Marta no se cobra la visita de hoy, avisale": the words come first, and the
        # person is the one they name
        return Ask("", before, question, named_inside=True)
    who = ""
    ahead = _WHO_AHEAD.search(folded[:verb.start()])
    to = re.match(r"\s+a\s+", rest)
    if ahead and not to:
        # "a la señora de Medina de mañana decile q …": the person said before the verb
        return Ask(ahead.group("who").strip(),
                   _kept_that(_LEADING_THAT.sub("", text[start:].strip(), count=1)).strip(" \n"), question)
    if to:
        cut = _CONNECTOR.search(rest, to.end())
        end = cut.start() if cut else len(rest)
        who = rest[to.end():end].strip()
        if cut is None:  # "avisale a Marta Pérez": nothing said yet
            return Ask(who, "", question)
        start += end
    words = text[start:].strip()
    if question:  # "preguntale si puede": the "si" is part of the question
        words = re.sub(r"^\s*[:,;-]\s*", "", words)
    else:
        words = _kept_that(_LEADING_THAT.sub("", words, count=1))
    return Ask(who, words.strip(" \n"), question)


def _kept_that(words: str) -> str:
    """"(decile) que me llame", "que me despeje abajo de la mesada": a request of the sender's,
    which without its "que" reads as his own deed ("Me despeje…"); the "que" stays. His own news
    ("que me voy a demorar", "que me quedo hasta las 6": a first person's -o, voy, estoy) does not
    keep it."""
    asked = re.match(r"(?:me|nos)\s+(?:(?:lo|la|los|las)\s+)?(?P<verb>\w+)", words.strip(), re.IGNORECASE)
    if asked is None or re.fullmatch(r"\w*o|voy|doy|estoy|soy", asked.group("verb").lower()):
        return words
    return f"que {words}"


def handle(turn: Turn) -> list[Reply] | None:
    """The owner's word passed on, or the answer about one; None when the message is neither."""
    if turn.tap is not None or not turn.text:
        return None
    if turn.role is ConversationRole.TECHNICIAN:
        if _ASKED_IF_TOLD.search(turn.said) and (told := _status(turn, turn.said)) is not None:
            return told  # "¿te contestó algo? ¿le viene bien?" after his word was passed on
        return _technician_asks(turn)
    if turn.role is not ConversationRole.OWNER:
        return None
    said = turn.said
    ask = parse(turn.text)
    pending = _pending(turn)
    if PENDING in turn.slots:  # asked once: the next message answers it, or it is dropped
        turn.conversation.slots = {k: v for k, v in turn.slots.items()
                                   if k not in (PENDING, f"{PENDING}_at")}
    if ask is None and "?" not in turn.text and _AND_ALSO.match(said) \
            and (again := _kept_person(turn, LAST_TOLD)) is not None:
        # "y para lo de Paz que lleve la sonda" right after "decile a Carlos que…": to him too
        target, ask = again, Ask("", re.sub(r"^\W*y\s+", "", turn.text.strip(), count=1), question=False)
        return _send(turn, target, _written(ask.words, turn, target, question=False), question=False)
    if ask is None:
        if _ASKED_IF_TOLD.search(said):
            return _status(turn, said)
        if pending is not None and _NEVER_MIND.fullmatch(said):
            return [Text(texts.render("relay_dropped"))]
        if pending is None or turn.intent != "other" or asks_about_team(said, _team_names(turn)):
            return None  # "pasame el resumen", "¿quién está de guardia?": not the words
        # the words, after "¿qué le digo a Graciela?"
        target, ask = pending, Ask("", _LEADING_THAT.sub("", turn.text.strip(), count=1), question=False)
    elif _THE_TEAM.fullmatch(es_ar.folded(ask.who or "")):
        return _to_team(turn, ask)  # "avisale a los chicos que mañana arrancamos 7:30"
    elif _MANY.match(ask.who or ""):
        return None  # "avisale a los clientes de mañana que cerramos": a day closed, not one person
    elif ask.named_inside:
        target = _named_inside(turn, ask.words)
        lead = _LEAD_NAME.match(ask.words)
        if lead and not isinstance(target, list) and set(es_ar.folded(lead.group()).split()) & set(
                es_ar.folded(target.name).split()):
            ask = Ask("", ask.words[lead.end():], ask.question)  # "no se cobra la visita de hoy…"
    else:
        target = _recipient(turn, ask.who)
    if isinstance(target, list):  # a question back: who, or which of them
        return target
    if not _WORD.search(ask.words):
        if turn.role is ConversationRole.OWNER and (reminded := owner_reminder.visits(turn)) is not None:
            return reminded  # "recordale a Jorge lo de mañana": the visit's reminder, not words
        turn.save(**{PENDING: _key(target), f"{PENDING}_at": turn.now.isoformat()})
        return [Text(texts.render("relay_what", name=_first(target)))]
    body = _written(ask.words, turn, target, question=ask.question)
    return _send(turn, target, body, question=ask.question)


# a technician's own news, which the technician flow tells the customer and marks on the visit
_TECH_OWN = frozenset({"tech_on_the_way", "tech_arrived", "tech_job_done"})
_OWN_NEWS = re.compile(r"\b(?:llego|llegando|salgo|saliendo|voy|vamos|camino|yendo|termine|terminamos"
                       r"|cobr\w*)\b")


def _technician_asks(turn: Turn) -> list[Reply] | None:
    """"Preguntale si le va en una hora": a technician's question for the customer of the visit
    (named, or the next one of the day), passed on and answered back to him — not an arrival
    told ("va en camino, llega en 60 minutos") nor a miss. A word that is no question ("decile
    que en media hora termino") goes to the customer of the visit he is at or on his way to (or
    the one named). "Avisale que llego en 10" is the technician flow's, which also marks the
    visit."""
    from flows.job_lookup import candidate_jobs, names_job  # imports flows that import this module

    ask = parse(turn.text)
    if ask is None or turn.user is None:
        return None
    if _the_office(turn, ask.who):
        # "decile a Roberto que me llame, es por lo de García": to the office, never to the
        # customer the words name
        from flows import staff_questions  # it reaches the engine, which imports this module

        return staff_questions.forward(turn, request=True)
    found = candidate_jobs(turn.session, turn.user.id, f"{ask.who} {ask.words}", turn.today)
    if not ask.question and (turn.intent in _TECH_OWN or _OWN_NEWS.search(es_ar.folded(ask.words))):
        # "avisale a la que sigue, la sra Pereyra, que llego más tarde": his news for a later
        # visit named, not the one he is at (that is the technician flow's, which marks it)
        later = _later_named(turn, found, f"{ask.who} {ask.words}")
        if later is None or later.customer is None or turn.result.eta_minutes:
            return None  # "decile a Funes que llego en 20": on his way there, the technician flow's
        words = _AFTER_THAT.search(ask.words)
        said = _PLEASE_LAST.sub("", words.group(1) if words else ask.words) or ask.words
        return _send(turn, later.customer, _written(said, turn, later.customer), question=False)
    if not ask.question:
        named = [job for job in found if names_job(job, f"{ask.who} {ask.words}")]
        found = named or [job for job in found
                          if job.status in (JobStatus.ON_SITE, JobStatus.EN_ROUTE)]
        if len(found) != 1 and not named and (peer := _last_peer(turn)) is not None:
            # "decile q suele estar al lado del medidor": to the customer he was just talking with
            return _send(turn, peer, _written(ask.words, turn, peer), question=False)
        if len(found) != 1:
            return None
    if ask.question and not any(names_job(job, f"{ask.who} {ask.words}") for job in found):
        from flows.technician import details_shown  # it imports this module

        if (just := details_shown(turn)) is not None:
            found = [just]  # "preguntale a la señora si…" right after her visit's card
    customer = found[0].customer if found else None
    if customer is None:
        return None
    if not _WORD.search(ask.words):
        return [Text(texts.render("relay_what", name=_first(customer)))]
    return _send(turn, customer, _written(ask.words, turn, customer, question=ask.question),
                 question=ask.question)


# the office named as such: "al jefe", "a la oficina", "al dueño", "a administración"
_OFFICE_WORDS = frozenset({"jefe", "jefa", "patron", "oficina", "dueno", "duena", "administracion",
                           "admin", "secretaria"})


def _the_office(turn: Turn, who: str) -> bool:
    """Whether a technician's "decile a …" names the office: a word for it, or the first name of
    an owner, an administrator or a dispatcher (not of a customer of his with that name too)."""
    words = {w for w in es_ar.folded(who or "").split() if w not in _NOT_NAME}
    if not words:
        return False
    if words & _OFFICE_WORDS:
        return True
    office = [u for u in _team(turn) if u.role in INBOX_ROLES and u.name]
    return any(es_ar.folded(es_ar.first_name(u.name) or "") in words for u in office)


# "la que sigue", "el próximo", "al siguiente": the next visit of his day
_NEXT_ONE = re.compile(r"\b(?:(?:el|la|al|a\s+la)\s+(?:que|q)\s+sigue|(?:el|la|al|a\s+la)\s+(?:proxim[oa]|siguiente))\b")
_AFTER_THAT = re.compile(r"\b(?:que|q)\s+(.+)$")
_PLEASE_LAST = re.compile(r"[\s,]*\b(?:porfa|por\s+favor|x\s+fa|plis|pls|gracias)\W*$", re.IGNORECASE)


def _later_named(turn: Turn, found: list[Job], said: str) -> Job | None:
    """The one visit not begun yet that the words name, or "la que sigue": the next of the day."""
    from flows.job_lookup import names_job  # imports flows that import this module

    waiting = [job for job in found if job.status is JobStatus.SCHEDULED]
    named = [job for job in waiting if names_job(job, said)]
    if len(named) == 1:
        return named[0]
    if not named and _NEXT_ONE.search(es_ar.folded(said)):
        today = [job for job in waiting if job.scheduled_start is not None
                 and es_ar.aware(job.scheduled_start).astimezone(turn.zone).date() == turn.today]
        return min(today, key=lambda job: job.scheduled_start) if today else None
    return None


# "nada", "dejá", "olvidate": the word asked for is not coming
_NEVER_MIND = re.compile(r"\W*(?:(?:nada|no|deja|dejalo|dejala|olvidate|olvidalo|cancela|cancelar|ninguno|"
                         r"importa|despues|veo|mejor)\W*)+")


def _team_names(turn: Turn) -> tuple[str, ...]:
    return tuple(es_ar.folded(es_ar.first_name(u.name)) for u in _team(turn) if u.name)


# every technician: "a los chicos", "a todos los técnicos", "a los muchachos"
_THE_TEAM = re.compile(r"\s*(?:a\s+)?(?:todos\s+)?(?:los|mis)\s+(?:chicos|tecnicos|muchachos|pibes|operarios"
                       r"|empleados)(?:\s+todos)?\s*")


def _to_team(turn: Turn, ask: Ask) -> list[Reply]:
    """The owner's word to every active technician, at once."""
    team = [user for user in owner.active_technicians(turn) if user.phone]
    if not team:
        return [Text(texts.render("owner_team", members=[], more=0))]
    if not _WORD.search(ask.words):
        return [Text(texts.render("relay_what", name="los chicos"))]
    body = _written(ask.words, turn, team[0])
    boss = _record(turn, body)["by_name"]
    for user in team:
        turn.notify(wa_id_for(user.phone), Text(texts.render(
            "relay_to_technician", boss=boss, text=body, question=False, inline=False)))
    return [Text(texts.render("relay_done_team", names=[es_ar.first_name(u.name) for u in team],
                              message=body))]


# several people at once: "a los clientes de mañana", "a todos los de hoy"
_MANY = re.compile(r"(?:a\s+)?(?:los|las|todos|todas)\b")
PENDING = "relay_to"  # the owner's slot: whom "¿qué le digo a Graciela?" was about
PENDING_FOR = timedelta(minutes=30)


def _key(target: Customer | User) -> list:
    return ["user" if isinstance(target, User) else "customer", target.id]


LAST_TOLD = "relay_last"  # the owner's slot: whom a word was last passed to
# more words for the one just written to: "y para lo de Paz que lleve la sonda", "y que traiga
# la escalera también", "y también que…"
_AND_ALSO = re.compile(r"^\W*y\s+(?:(?:tambien|ademas|para|en|sobre|con)\b(?:\s+\w+){0,5}?\s+)?(?:que|q)\s+"
                       r"(?!(?:tal|onda|paso|hay|hace|hacemos|dijo|dice|tiene|tienen|le\s+queda|me\s+debe|cuenta|onda)\b)\S")


def _kept_person(turn: Turn, slot: str) -> Customer | User | None:
    """The person the owner's slot `slot` names (`_key`), kept within `PENDING_FOR`; else None."""
    key = turn.slots.get(slot)
    if not key or not turn.lately(f"{slot}_at", PENDING_FOR):
        return None
    return turn.session.get(User if key[0] == "user" else Customer, key[1])


def _pending(turn: Turn) -> Customer | User | None:
    """Whom the owner was asked "¿qué le digo?" about, lately."""
    return _kept_person(turn, PENDING)


# -- who ------------------------------------------------------------------------------------------

def _recipient(turn: Turn, who: str) -> Customer | User | list[Reply]:
    words = {w for w in who.split() if w not in _NOT_NAME and len(w) > 1}
    if not words:
        # "preguntale si le falta mucho" right after "¿hace cuánto que Tomás está en lo de
        # Sergio?": the one just talked about; else whoever was written to last
        peer = _just_named(turn) or _just_wrote(turn) or _last_peer(turn)
        if peer is not None:
            return peer
        return [Text(texts.render("relay_who", asked=who))]
    team = owner.named_in(" ".join(words), owner.active_technicians(turn))
    customers = _customers_named(turn, words, who)
    if len(customers) == 1 and not team:
        return customers[0]
    if len(team) == 1 and not customers:
        return team[0]
    if customers or team:
        return [Text(texts.render("relay_which", people=[_line(turn, p) for p in [*team, *customers][:5]]))]
    return [Text(texts.render("relay_who", asked=who))]


# "lo de Marta …", "a Marta …": the person, said first in the words passed on
_LEAD_NAME = re.compile(r"^\s*(?:lo\s+de|a)\s+[A-ZÁÉÍÓÚÑa-záéíóúñ]+(?:\s+[A-ZÁÉÍÓÚÑ][a-záéíóúñ]+)?\s*,?\s*")


def _named_inside(turn: Turn, words: str) -> Customer | list[Reply]:
    """The one customer with an open visit the words name ("lo de Marta no se cobra…")."""
    said = {w for w in es_ar.folded(words).split() if w not in _NOT_NAME and len(w) > 2}
    open_named = _customers_named(turn, said, "", open_only=True)
    if len(open_named) == 1:
        return open_named[0]
    if open_named:
        return [Text(texts.render("relay_which", people=[_line(turn, p) for p in open_named[:5]]))]
    return [Text(texts.render("relay_who", asked=None))]


def _customers_named(turn: Turn, words: set[str], who: str, *, open_only: bool = False
                     ) -> list[Customer]:
    """Customers with an open visit whose name (or the visit's street) holds one of `words`;
    else the best match among every customer, when it is clear."""
    open_jobs = list(turn.session.scalars(
        select(Job).options(joinedload(Job.customer), joinedload(Job.address))
        .where(Job.status.in_(OPEN_STATUSES)).order_by(Job.scheduled_start, Job.number)).unique())
    found: dict[int, Customer] = {}
    for job in open_jobs:
        customer = job.customer
        if customer is None:
            continue
        name_words = {w for w in es_ar.folded(customer.name).split() if len(w) > 2}
        place = " ".join(p for p in (job.address.street, job.address.locality) if p) \
            if job.address is not None else ""
        if words & name_words or words & {w for w in es_ar.folded(place).split() if len(w) > 3}:
            found.setdefault(customer.id, customer)
    if found:
        named = [c for c in found.values() if words <= set(es_ar.folded(c.name).split())]
        return named or list(found.values())  # "Marta García" among two Martas: her
    if open_only:
        return []
    return customers_named(turn.session, " ".join(sorted(words)))


JUST_NOW = timedelta(minutes=15)


def _just_named(turn: Turn) -> User | None:
    """The one technician the owner named in the message before this one, lately."""
    first = min((item.message_id for item in turn.burst.items), default=None)
    if first is None:
        return None
    before = turn.session.execute(
        select(Message.body, Message.created_at).where(
            Message.conversation_id == turn.conversation.id, Message.direction == Direction.INBOUND,
            Message.id < first).order_by(Message.id.desc()).limit(1)).first()
    if before is None or not before.body or before.created_at is None \
            or turn.now - es_ar.aware(before.created_at) > JUST_NOW:
        return None
    named = owner.named_in(es_ar.folded(before.body), owner.active_technicians(turn))
    return named[0] if len(named) == 1 else None


def _just_wrote(turn: Turn) -> Customer | list[Reply] | None:
    """"Decile que la visita de hoy no se la cobramos" right after a customer wrote (and the
    owner was told, or handed the chat): that customer, when only one wrote lately; the list
    when several did."""
    rows = turn.session.scalars(
        select(Conversation).where(Conversation.role == ConversationRole.CUSTOMER,
                                   Conversation.last_inbound_at >= turn.now - JUST_NOW)
        .order_by(Conversation.last_inbound_at.desc()).limit(6)).all()
    customers = [c for c in (turn.session.get(Customer, r.customer_id) if r.customer_id
                             else find_customer(turn.session, r.phone) if r.phone else None
                             for r in rows) if c]
    if len(customers) == 1:
        return customers[0]
    if customers:
        return [Text(texts.render("relay_which", people=[_line(turn, c) for c in customers[:5]]))]
    return None


def _relayed_by_writer(turn: Turn, limit: int) -> list[Conversation]:
    """The customers' conversations the writer passed a word to, the latest touched first."""
    rows = turn.session.scalars(
        select(Conversation).where(Conversation.relay.is_not(None),
                                   Conversation.customer_id.is_not(None))
        .order_by(Conversation.updated_at.desc()).limit(limit))
    return [c for c in rows if (c.relay or {}).get("by") == turn.conversation.wa_id]


def _last_peer(turn: Turn) -> Customer | None:
    """The customer this owner passed a word to, or heard from, most recently (and lately)."""
    latest = max(_relayed_by_writer(turn, 20), key=lambda c: _last_heard(c.relay), default=None)
    if latest is None or turn.now - _last_heard(latest.relay) > PEER_WINDOW:
        return None
    return turn.session.get(Customer, latest.customer_id)


def _last_heard(relay: dict) -> datetime:
    return datetime.fromisoformat(relay.get("answered_at") or relay["at"])


def _line(turn: Turn, person: Customer | User) -> str:
    if isinstance(person, User):
        return f"{person.name} (técnico)"
    job = turn.session.scalar(select(Job).where(Job.customer_id == person.id,
                                                Job.status.in_(OPEN_STATUSES))
                              .order_by(Job.scheduled_start).limit(1))
    return f"{person.name} (#{job.number})" if job is not None else person.name


def _first(person: Customer | User) -> str:
    return es_ar.first_name(person.name) or person.name


# -- what ---------------------------------------------------------------------------------------

# a question told as such: "si puede mañana", "cuándo le queda bien", "a qué hora…"
_ASKED_WORD = re.compile(r"^(?:si|cuando|cuanto|cuanta|que|a\s+que|en\s+que|donde|como|quien|por\s+que)\b")


def _written(words: str, turn: Turn, target: Customer | User, *, question: bool = False) -> str:
    """The owner's words as a customer reads them: chat spellings written out, a leading "le"
    turned to "te" (it is said to them now), the team's and the customer's names capitalized,
    a capital first and a full stop last ("te pregunta si puede…" goes on in lower case)."""
    names = {es_ar.folded(n): n for person in [target, *_team(turn)]
             for n in (person.name or "").split() if len(n) > 2}

    def word(m: re.Match) -> str:
        w = m.group(0)
        low = w.lower()
        if low in _SPELLED:
            return _SPELLED[low]
        return names.get(es_ar.folded(w), w) if w.islower() else w

    text = _WORD.sub(word, " ".join(words.split()))[:MAX_TEXT]
    # said to them now: "le mando el presupuesto", "si le va en una hora" → "te"
    text = re.sub(r"^((?:si|cuando|a\s+que\s+hora)\s+)?(?:le|les)\b", lambda m: (m.group(1) or "") + "te", text,
                  flags=re.IGNORECASE)
    if question and _ASKED_WORD.match(es_ar.folded(text)):
        text = text.rstrip(" ?")  # "te pregunta si puede mañana a las 9."
    else:
        text = text[:1].upper() + text[1:]
    if not re.search(r"[.!?…)\U0001f000-\U0001faff\u2600-\u27bf]$", text):
        text += "."
    return text


def _team(turn: Turn) -> list[User]:
    return list(turn.session.scalars(select(User).where(User.active.is_(True))))


def _send(turn: Turn, target: Customer | User, body: str, *, question: bool) -> list[Reply]:
    record = _record(turn, body)
    if turn.role is ConversationRole.OWNER:
        turn.save(**{LAST_TOLD: _key(target), f"{LAST_TOLD}_at": turn.now.isoformat()})
    boss = record["by_name"]
    if isinstance(target, User):
        if not target.phone:
            return [Text(texts.render("relay_no_number", name=target.name))]
        message = texts.render("relay_to_technician", boss=boss, text=body, question=question,
                               inline=_ASKED_WORD.match(es_ar.folded(body)) is not None)
        # his answer comes back (passed on beside his notices); to a word that asks nothing,
        # only a short reply soon after ("ok dale, la llevo") is one
        conversation_with(turn.session, wa_id_for(target.phone)).relay = \
            record if question else {**record, "statement": True}
        turn.notify(wa_id_for(target.phone), Text(message))
        return [Text(texts.render("relay_done", name=target.name, message=body, customer=False))]
    conversation = customer_conversation(turn.session, target)
    if conversation is None:
        return [Text(texts.render("relay_no_number", name=target.name))]
    return _to_customer(turn, conversation, target.name, body, record, question=question)


def ask_customer(turn: Turn, customer: Customer, question: str) -> list[Reply]:
    """A technician's question for a customer, put by the bot in his name ("te pregunta en qué
    piso…"); her answer comes back to him, as his own "preguntale…" would."""
    return _send(turn, customer, _written(question, turn, customer, question=True), question=True)


def _record(turn: Turn, body: str) -> dict:
    """What `answered` and "¿le avisaste?" read back of a word passed on."""
    boss = es_ar.first_name(turn.user.name if turn.user else None) or "el dueño"
    return {"by": turn.conversation.wa_id, "by_name": boss, "at": turn.now.isoformat(),
            "text": body, "answer": None, "answered_at": None}


def _to_customer(turn: Turn, conversation, name: str | None, body: str, record: dict, *,
                 question: bool) -> list[Reply]:
    boss, business = record["by_name"], turn.org.name if turn.org else ""
    message = texts.render("relay_to_customer", name=es_ar.first_name(name), boss=boss,
                           business=business, text=body, question=question,
                           inline=_ASKED_WORD.match(es_ar.folded(body)) is not None)
    conversation.relay = record
    turn.notify(conversation.wa_id, Text(message))
    return [Text(texts.render("relay_done", name=name or es_ar.readable_phone(conversation.phone),
                              message=body, customer=True))]


# -- the owner's answer to what was passed on ---------------------------------------------------

FORWARDED = "forwarded"  # an office member's slot: whose question or request was just passed on
FORWARD_ANSWER_FOR = timedelta(minutes=30)
# "¿qué dijo?", "¿qué quería la de Palermo?", "¿qué me pasaste?": what was passed on, again
_WHAT_SAID = re.compile(r"\bque\s+(?:dijo|queria|quiere|pidio|pide|pregunto|pregunta|escribio|necesita"
                        r"|me\s+(?:pasaste|mandaste|dijiste)|paso\s+con)\b")
_OWN_ORDERS = frozenset({"owner_summary", "owner_unpaid"})


def remember_forward(turn: Turn, staff: list[User], asker: Customer | User | None) -> None:
    """Each of `staff`, just passed `asker`'s question or request (or, with None, that of the
    stranger writing), may answer it in this chat."""
    key = _key(asker) if asker is not None else ["wa", turn.conversation.wa_id]
    name, _ = turn.writer
    for user in staff:
        if not user.phone:
            continue
        conversation = conversation_with(turn.session, wa_id_for(user.phone))
        conversation.slots = {**(conversation.slots or {}), FORWARDED: key,
                              f"{FORWARDED}_at": turn.now.isoformat(),
                              f"{FORWARDED}_said": [name, es_ar.shortened(turn.text or "", MAX_TEXT)]}


def answer_forwarded(turn: Turn) -> list[Reply] | None:
    """The office's reply, typed in its chat with the bot, to the question or request just passed
    on ("lo compra Fer a la mañana y se lo alcanza a las 9"): to whoever asked, once. Orders the
    bot reads ("pasale lo de Paz a Diego", "resumen") stay orders."""
    from flows.owner_assign import gives_order  # they reach the engine, which imports us
    from flows.owner_booking import asks_to_book
    from flows.staff_questions import is_question

    key, at = turn.slots.get(FORWARDED), turn.slots.get(f"{FORWARDED}_at")
    if not key or not at or turn.tap is not None or not turn.text or turn.conversation.flow:
        return None
    if turn.now - datetime.fromisoformat(at) > FORWARD_ANSWER_FOR:
        return None
    said = es_ar.folded(turn.text)
    if is_question(turn.text):
        # "¿qué dijo la clienta de Palermo?": asked of the bot, never an answer to pass on
        name, text = turn.slots.get(f"{FORWARDED}_said") or [None, None]
        if text and _WHAT_SAID.search(said):
            return [Text(texts.render("relay_forwarded_again", name=name, text=text))]
        return None
    if (turn.intent in _OWN_ORDERS and turn.result.confidence >= ASK_BELOW) or gives_order(said) \
            or asks_to_book(said) or not _WORD.search(turn.text):
        return None
    turn.conversation.slots = {k: v for k, v in turn.slots.items()
                               if k not in (FORWARDED, f"{FORWARDED}_at", f"{FORWARDED}_said")}
    if key[0] == "wa":  # someone not yet a customer: their chat
        chat = conversation_with(turn.session, key[1])
        body = _written(turn.text, turn, turn.user) if turn.user is not None else turn.text
        return _to_customer(turn, chat, chat.profile_name, body, _record(turn, body), question=False)
    target = turn.session.get(User if key[0] == "user" else Customer, key[1])
    if target is None:
        return None
    return _send(turn, target, _written(turn.text, turn, target), question=False)


# -- "¿le avisaste a Marta?" -------------------------------------------------------------------

def _status(turn: Turn, said: str) -> list[Reply] | None:
    words = {w for w in said.split() if w not in _NOT_NAME and len(w) > 2}
    relayed = _relayed_by_writer(turn, 50)
    if not relayed:
        return None  # nothing was passed on: "¿contestó Carlos?" is another question
    customers = {c.id: turn.session.get(Customer, c.customer_id) for c in relayed}
    named = [c for c in relayed if customers[c.id] is not None
             and words & set(es_ar.folded(customers[c.id].name).split())]
    if not named and words & _names_of_anyone(turn):
        # about someone nothing was passed on to
        return [Text(texts.render("relay_status", name=None, asked=" ".join(sorted(words))))]
    conversation = (named or relayed)[0] if named or len(relayed) == 1 else \
        max(relayed, key=lambda c: _last_heard(c.relay))
    relay = conversation.relay
    at = datetime.fromisoformat(relay["at"]).astimezone(turn.zone)
    sent = turn.session.scalar(
        select(Message).where(Message.conversation_id == conversation.id,
                              Message.direction == Direction.OUTBOUND,
                              Message.created_at >= at - timedelta(seconds=5))
        .order_by(Message.id).limit(1))
    answered = relay.get("answered_at")
    return [Text(texts.render(
        "relay_status", name=customers[conversation.id].name, asked=None,
        when=es_ar.day_phrase(at.date(), turn.today) + f" a las {es_ar.clock_hm(at)}",
        text=relay["text"], delivery=_delivery(sent),
        answer=relay.get("answer"),
        answered=es_ar.clock_hm(datetime.fromisoformat(answered).astimezone(turn.zone))
        if answered else None))]


def _names_of_anyone(turn: Turn) -> set[str]:
    names = turn.session.scalars(select(Customer.name).where(Customer.name.is_not(None)).limit(5000))
    return {w for n in names for w in es_ar.folded(n).split() if len(w) > 2}


def _delivery(message: Message | None) -> str:
    if message is None:
        return "queued"
    status = message.status
    if status in (DeliveryStatus.READ, DeliveryStatus.PLAYED):
        return "read"
    if status == DeliveryStatus.DELIVERED:
        return "delivered"
    if status == DeliveryStatus.FAILED:
        return "failed"
    return "sent" if status == DeliveryStatus.SENT else "queued"


# -- the customer's answer ------------------------------------------------------------------------

def answered(turn: Turn) -> list[Reply] | None:
    """A customer's message right after a word passed on to them: back to whoever wrote it."""
    c = turn.conversation
    relay = c.relay
    if (c.role not in (ConversationRole.CUSTOMER, ConversationRole.TECHNICIAN) or not relay
            or relay.get("answered_at") or turn.tap is not None or not turn.text):
        return None
    # "llegué", "terminé, cobrale 15", "salgo, llego en 20": his notices are taken as always, and
    # the one who asked hears them too. "Sí, a las 8 estoy" answers a question about a time: only
    # passed on (read as "on the way" it told today's customer he was coming)
    result = turn.result
    notice = c.role is ConversationRole.TECHNICIAN and result.confidence >= ASK_BELOW and (
        turn.intent in TECHNICIAN_NOTICES - {"tech_on_the_way"}
        or (turn.intent == "tech_on_the_way" and result.eta_minutes and not result.time
            and not result.date))
    if turn.now - datetime.fromisoformat(relay["at"]) > ANSWER_WINDOW:
        return None
    if relay.get("statement") and (
            turn.intent != "other" or len(es_ar.folded(turn.text).split()) > STATEMENT_REPLY_WORDS
            or turn.now - datetime.fromisoformat(relay["at"]) > STATEMENT_REPLY_WINDOW):
        return None  # "q tengo hoy" after "lleva la escalera": his own request, answered
    if result.intent == "new_job" and (
            result.urgency == "emergency" or result.service and result.confidence >= NEW_REQUEST):
        return None  # "¡se inundó todo!", "ah, y se me tapó la pileta": a request of its own
    if _NEW_TOPIC.match(es_ar.folded(turn.text)):
        return None  # "otra cosa, ¿cuánto sale…?": not the answer (still awaited)
    name, phone = turn.writer
    turn.notify(relay["by"], Text(texts.render(
        "relay_answer", name=name or phone, phone=phone,
        text=es_ar.shortened(turn.text, MAX_TEXT), said=es_ar.shortened(relay["text"], 120))))
    c.relay = {**relay, "answer": es_ar.shortened(turn.text, MAX_TEXT),
               "answered_at": turn.now.isoformat()}
    if notice:
        return None
    if c.role is ConversationRole.CUSTOMER and turn.intent == "job_status" and turn.open_job is not None:
        # "ok gracias, ¿ya viene entonces?": passed back, and the visit's state answered too
        from flows import status  # it reaches the engine, which imports this module

        if answer := status.handle(turn):
            return answer
    customer = turn.customer
    name = es_ar.first_name(customer.name if customer else turn.user.name if turn.user else None)
    return [Text(texts.render("relay_passed_back", boss=relay.get("by_name") or "el dueño", name=name))]
