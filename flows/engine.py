"""The conversation engine: a burst in, the replies out, through flows registered as data.

Each flow declares a `FlowSpec` (in its own module): which roles it serves, the intents and
button kinds that enter it, the conversation states it owns and the intents that leave it, and
one `handle(turn)` that answers ([] means "not mine after all": the engine tries the next).
`flows/registry.py` lists them in priority order. The engine itself only knows what is the same
for every flow (the way python-telegram-bot's ConversationHandler keeps entry points, states
and fallbacks apart):

1. a person was promised: silence until staff answer or the wait runs out;
2. reactions and stickers alone are not messages to answer (and not misses); an edit or a
   deletion of a message already answered is a question only inside a booking (staff see it
   anyway), never an answer to the step;
3. a flow that expired is dropped, with a word about it;
4. global commands, declared once: "menú", "cancelar", "hablar con una persona";
5. when the intent is unsure and the person is not answering a question of the bot's, one
   short question with the likeliest meanings as buttons (`flows/clarify.py`);
6. the first registered flow that wants the turn (tap kind, entry intent, or its own state);
7. fallbacks: a greeting gets the menu, the not-understood gets help and, after two misses in a
   row, a person; anything else understood but unhandled is acknowledged.

However a turn ends up promising a person (asked for, two misses, no free slot, a visit under
way), the staff who answer the inbox hear of it on WhatsApp then (`handover.tell_staff`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.orm import Session

from core import es_ar
from core.jobs.opening import describe_opening, is_open
from core.jobs.reminders import REMINDER_HOUR
from core.links import back_office_link
from core.messaging import texts
from core.messaging.replies import Button, Buttons, Reply, Text
from core.models import Conversation, ConversationRole, JobStatus, Organization, User
from core.settings import Settings, get_settings
from flows import (
    business_hours,
    clarify,
    handover,
    owner_customer,
    owner_invoice,
    owner_payment,
    owner_reminder,
    photos,
    prices,
    staff_questions,
    steps,
)
from flows.burst import Burst, BurstItem
from flows.buttons import CallbackData, MenuTap, decode
from flows.context import org_context
from flows.customer_job_change import tell_technician, visit
from flows.customer_rating import FLOW_RATING
from flows.turn import Notify, Turn, flow_active
from flows.typed_answer import typed_tap
from flows.understood import understood
from nlu.extract import extract, first_names, says_danger, spoken
from nlu.extract.message_kinds import (
    acknowledgement,
    asks_about_team,
    disputes_charge,
    general_outage,
    keeps_booking,
    names_its_day_as_fine,
    setup_change,
    someone_else_receives,
    wrong_number,
)
from nlu.extract.text import fold_aligned
from nlu.intent.evaluate import ASK_BELOW
from nlu.schema import Extraction, OrgContext

PREVIEW = 120
MISSES_BEFORE_PERSON = 2
CUSTOMER, TECHNICIAN, OWNER = (ConversationRole.CUSTOMER, ConversationRole.TECHNICIAN,
                               ConversationRole.OWNER)
# What someone can say in the middle of a flow without it being read as an answer.
INTERRUPTIONS = frozenset({"menu", "cancel_flow", "human", "job_status", "cancel", "greeting"})
PHOTO_PARTS = frozenset({"una foto", "un video", "un archivo"})
NOT_MESSAGES = frozenset({"reaction", "sticker"})  # a 👍 or a sticker asks for nothing
# An edit or a deletion of a message answered in an earlier burst (bot.revisions settles those
# inside the open burst): they revise what was said, they do not say something new.
REVISIONS = frozenset({"edit", "revoke"})
BOOKING = "booking"  # flows/booking.py's FLOW (it imports this module)
MEDIA_PARTS = {"image": "una foto", "document": "un archivo", "video": "un video"}

COMMANDS = {
    "menu": "menu", "menú": "menu", "inicio": "menu", "opciones": "menu",
    "cancelar": "cancel_flow", "cancela": "cancel_flow", "salir": "cancel_flow",
    "humano": "human", "persona": "human", "operador": "human", "hablar con una persona": "human",
    "hablar con alguien": "human",
}


@dataclass(frozen=True)
class FlowSpec:
    """A flow as the engine sees it: who it serves, what enters it, what it owns."""

    name: str
    roles: frozenset[ConversationRole]
    handle: Callable[[Turn], list[Reply]]
    intents: frozenset[str] = frozenset()  # entry points by intent
    taps: tuple[type[CallbackData], ...] = ()  # entry points by button kind
    states: frozenset[str] = frozenset()  # the `conversation.flow` values it owns
    leave_on: frozenset[str] = INTERRUPTIONS  # said mid-flow, these go to the engine

    def wants(self, turn: Turn) -> bool:
        if turn.role not in self.roles:
            return False
        if turn.tap is not None and isinstance(turn.tap, self.taps):
            return True
        if turn.intent in self.intents:
            return True
        return bool(self.states) and turn.in_flow(*self.states) and turn.intent not in self.leave_on


def handle_burst(
    session: Session, conversation: Conversation, burst: Burst, settings: Settings | None = None,
    notify: Notify | None = None,
) -> list[Reply]:
    """The replies to one burst (in the caller's session, uncommitted)."""
    settings = settings or get_settings()
    org = session.get(Organization, burst.org_id)
    now = datetime.now(es_ar.zone(org.time_zone if org else None))
    if handover.waiting(conversation, now):
        if not _danger_while_waiting(conversation, burst):
            return []  # a person was promised: the bot does not talk over them
        # ... unless what the customer writes while waiting is a danger now ("me quedé
        # encerrada", "hay olor a gas"): the emergency is answered and the office alerted at
        # once, as any emergency is; the conversation stays first in the inbox.
        handover.stop_waiting(conversation)
    asked = _revised(conversation, now, [i for i in burst.items if i.type in REVISIONS])
    context = org_context(session, burst.org_id)
    items = _heard([i for i in burst.items if i.type not in NOT_MESSAGES | REVISIONS], context)
    parts, replies = _parts_and_media_replies(items)
    replies[:0] = asked
    if handover.timed_out(conversation, now):
        replies.insert(0, handover.resume_after_wait(conversation))
    if not items:
        return replies
    user = session.get(User, conversation.user_id) if conversation.user_id else None
    if conversation.role is TECHNICIAN and (job := photos.attach(session, conversation, burst)):
        replies.append(Text(texts.render("tech_photo_saved", number=job.number)))
        if not any(i.text for i in items) or all(p in PHOTO_PARTS for p in parts):
            return replies
    text = "\n".join(i.text for i in items if i.text)
    tap = decode(next((i.reply_id for i in reversed(items) if i.reply_id), None))
    turn = Turn(session=session, conversation=conversation, org=org, now=now, settings=settings,
                burst=Burst(burst.org_id, burst.conversation_id, burst.burst_id, tuple(items)),
                text=text, tap=tap, command=_command(text, tap), user=user,
                notify=notify or (lambda wa_id, reply, key=None: None))
    if turn.role in (OWNER, TECHNICIAN) and (typed := typed_tap(turn, [i.message_id for i in items])):
        turn.tap = typed  # "si dale" to "¿Paso igual…?" [Sí, pasarla igual] [No, dejarla]
    if not text and not tap and (answer := photos.without_words(turn)) is not None:
        return replies + answer  # media, contact cards, what we cannot read (flows/photos.py)
    if not parts:
        return replies
    if (meant := clarify.meant(turn)) is not None:
        # The answer to "¿qué necesitás?": the kept message, read with the meaning chosen.
        turn.text, turn.tap = meant[0], None
        turn.result = extract(turn.text, conversation.role.value, now, context, settings,
                              turn.context).model_copy(update={"intent": meant[1], "confidence": 1.0})
    else:
        turn.result = extract(text, conversation.role.value, now, context, settings,
                              turn.context)
    replies[:0] = _expire(turn)
    if conversation.role is CUSTOMER and turn.intent != "human" and len(parts) > 1 \
            and (person := _person_in_burst(turn, parts, context)) is not None:
        # "para el seguro me piden un informe… / eso prefiero hablarlo con una persona": a
        # person asked for outright in one message of the burst is the burst's request
        turn.result = turn.result.model_copy(update={"intent": "human", "confidence": person})
    if conversation.role is TECHNICIAN and len(parts) > 1 and clarify.unsure(turn) \
            and (step := _work_step_in_burst(turn, parts, context)) is not None:
        # "terminé lo de Paz, cobrale 14 lucas / ahora salgo para lo de Molina": each message
        # says one thing plainly, the two together read unsure; the visit closed comes first
        # (its flow tells the next customer he is on his way after the close's OK)
        turn.result = turn.result.model_copy(update={"intent": step[0], "confidence": step[1]})
    if conversation.role is TECHNICIAN and (fixed := _address_put_right(turn)):
        # "la llamé, es 2510 no 2150" (and "estoy a 10 min"): the visit's number is put right,
        # and whatever else the burst says about the visit is still acted on
        rest = _route(turn, parts) if turn.intent in ("tech_on_the_way", "tech_arrived",
                                                      "tech_job_done", "tech_cannot_complete") else []
        if rest and isinstance(rest[0], Text) and isinstance(fixed[-1], Text):
            # one answer to him: "Corregí la dirección…" and "le aviso que llegás en 10" together
            rest = [Text(f"{fixed[-1].body}\n{rest[0].body}"), *rest[1:]]
            fixed = fixed[:-1]
        return replies + fixed + rest
    answer = _each_question(turn, items, context) or _route(turn, parts)
    if handover.handed_over(conversation):  # whatever the way: asked, misses, no slot, moving
        handover.tell_staff(turn)
        answer = _when_closed(turn, answer)
    return replies + answer


# A person asked for in so many words ("quiero hablar con alguien", "que me llame una persona")
_PERSON_WORDS = re.compile(
    r"\b(?:persona|humano|operador\w*|encargad\w*|alguien|empleado|hablar\s+con|comunicar\w*\s+con"
    r"|me\s+llam\w+|llam(?:ame|ame|enme|eme)|atiend\w+)\b")


def _answer_read_as_person(turn: Turn) -> bool:
    """The answer to the flow's question, read as asking for a person: an address given with
    someone else's phone and "coordinen con ella" ("Bulnes 845 / ella se llama Sofía, el cel es
    11 5555 0298 / coordinen con ella el horario") is the address asked for, not a hand-over.
    Only when the model is unsure and the words never ask for a person outright."""
    asked = turn.context.asked
    result = turn.result
    if turn.intent != "human" or asked is None or (result.confidence or 0) >= 0.8 \
            or _PERSON_WORDS.search(es_ar.folded(turn.text or "")):
        return False
    return ((asked == "address" and result.address is not None)
            or (asked == "day" and (result.date is not None or result.window is not None))
            or (asked == "name" and result.name is not None))


# Words beside an address that say nothing more ("hola", "es en", "piso 3 dto B")
_ADDRESS_FILLER = frozenset({
    "hola", "buenas", "buen", "dia", "dias", "tardes", "noches", "es", "en", "la", "el", "calle",
    "av", "avenida", "nro", "n", "no", "numero", "al", "piso", "dto", "depto", "departamento",
    "dpto", "timbre", "entre", "y", "esquina", "barrio", "de", "del", "mi", "direccion", "casa",
    "ok"
})


def _address_alone(turn: Turn) -> list[Reply] | None:
    """A customer's burst that is only an address, before saying what they need ("Córdoba
    1650 piso 3 dto B"): kept for the booking that follows, and what they need asked — not "no
    te entendí", and not the address asked again once they say it. None for anything else."""
    from flows import booking  # it imports this module's users

    r = turn.result
    if r.address is None or not r.address.number or r.service or turn.open_jobs \
            or r.intent not in ("other", "new_job", "greeting"):
        return None
    said = set(es_ar.folded(turn.text or "").replace(",", " ").replace(".", " ").split())
    address_words = set(es_ar.folded(" ".join(
        p for p in (r.address.street, r.address.number, r.address.unit, r.address.locality) if p)).split())
    if said - address_words - _ADDRESS_FILLER - {w for w in said if w.isdigit() or len(w) <= 1}:
        return None
    turn.conversation.misses = 0
    booking.keep_given_address(turn, r.address.model_dump())
    where = " ".join(p for p in (r.address.street, r.address.number) if p)
    return [Text(texts.render("cust_address_first", address=where, name=turn.first_name))]


# A burst's messages
_LINES = re.compile(r"\n+")


def _question_for_the_office_among(turn: Turn, parts: list[str]) -> bool:
    """Whether a customer's burst of several messages, read whole as a request, holds a question
    that read alone is about nothing the bot does ("¿el gasista que mandan está matriculado? lo
    pide el consorcio"), surely: the request is booked and the question still reaches the office.
    A question about the visit itself ("¿pueden venir mañana?") reads as the request, not this."""
    if turn.intent != "new_job" or len(parts) < 2:
        return False
    context = org_context(turn.session, turn.org.id)
    return any(staff_questions.is_question(part)
               and (read := _sure_alone(turn, part, context)) is not None
               and read.intent == "other" for part in parts)


def _request_and_question(turn: Turn) -> list[Reply] | None:
    """A request for work with a question the bot cannot answer in the same burst ("quiero
    cambiar el calefactor por uno de tiro balanceado / ¿el gasista es matriculado?"), read whole
    as neither: the question goes to the office and the booking starts with the request, not
    one of them dropped. None when the burst is not both."""
    from flows import booking  # it imports this module's users

    parts = [p.strip() for p in _LINES.split(turn.text or "") if p.strip()]
    questions = [p for p in parts if staff_questions.is_question(p)]
    request = [p for p in parts if p not in questions]
    if not questions or not request:
        return None
    said = "\n".join(request)
    result = extract(said, turn.role.value, turn.now, org_context(turn.session, turn.org.id),
                     turn.settings, turn.context)
    if result.intent != "new_job" or result.service is None or (result.confidence or 0) < ASK_BELOW:
        return None
    asked = staff_questions.forward(replace(turn, text="\n".join(questions)))
    if not asked:
        return None
    turn.conversation.misses = 0
    replies = booking.handle(replace(turn, text=said, result=result))
    if not replies:
        return asked
    # one message: the question passed on, then the booking's question (answered next)
    return [steps.prefixed(replies[0], asked[0].body), *replies[1:]]


def _danger_while_waiting(conversation: Conversation, burst: Burst) -> bool:
    """A customer waiting for a person writes of a danger now (a burst that says nothing new
    stays unanswered: the person will read it)."""
    if conversation.role is not CUSTOMER:
        return False
    return says_danger("\n".join(i.text for i in burst.items if i.text))


def _when_closed(turn: Turn, answer: list[Reply]) -> list[Reply]:
    """A person promised while the business is closed: "en un ratito" becomes when a person is
    back ("te escriben mañana a las 8:00"), not a promise the night cannot keep."""
    org = turn.org
    if org is None or is_open(org, turn.now) or turn.conversation.role is not CUSTOMER:
        return answer
    soon = texts.render("human_handoff")
    later = texts.render("human_handoff_closed", opening=describe_opening(org, turn.now))
    return [Text(later) if isinstance(reply, Text) and reply.body == soon else reply
            for reply in answer]


# the utilities and carriers people mistake a business's WhatsApp for, and what they write them
_UTILITY = re.compile(
    r"\b(?:naturgy|metrogas|camuzzi|litoral\s+gas|ecogas|edenor|edesur|edelap|epec|aysa|absa|"
    r"telecom|movistar|fibertel|telecentro|personal\s+flow)\b")  # not "claro": a word of every day
_UTILITY_MATTER = re.compile(
    r"\b(?:reclamo|reclamar|boleta|factura|medidor|corte|cortaron|deuda|nro\s+de\s+cliente|numero\s+de\s+cliente"
    r"|servicio|tarifa|me\s+vino|vino\s+(?:el\s+doble|carisim\w*|muy\s+alta))\b|\?\s*$")


# "¿sos un bot?", "¿esto es automático?", "¿me atiende una persona o una máquina?"
_ASKS_BOT = re.compile(
    r"\b(?:bot|robot|chatbot|maquina|contestador\w*|respuesta\s+automatica|inteligencia\s+artificial"
    r"|asistente\s+virtual)\b|\b(?:es|sos|esto\s+es)\s+(?:algo\s+)?automatico\b")
# a reminder asked for: "¿me mandan un recordatorio el día anterior?", "¿me avisan el día antes?",
# "recordámelo porfa que me olvido"
_REMINDER_ASKED = re.compile(
    r"\brecordatorio\b|\brecorda(?:me|melo|mela)\b|\bacorda(?:me|melo)\b"
    r"|\b(?:me\s+)?(?:avisan|avisas|avisen|escriben|mandan\s+un\s+mensaje)\s+(?:el\s+dia\s+)?(?:antes|anterior|previo)\b")


def _coming_visit(turn: Turn):
    """The customer's next visit booked and not begun, if any."""
    coming = [job for job in turn.open_jobs if job.status is JobStatus.SCHEDULED and job.scheduled_start]
    return min(coming, key=lambda job: job.scheduled_start) if coming else None


# checking the number reached is the business's: "¿me comunico con el servicio de gasistas?",
# "hola, ¿hablo con la plomería?", "¿ustedes son los electricistas?", "¿es acá el cerrajero?"
_RIGHT_PLACE = re.compile(
    r"\b(?:me\s+(?:estoy\s+)?comunic\w+|(?:estoy\s+)?habl(?:o|ando)|le\s+escribo|te\s+escribo"
    r"|estoy\s+escribiendo(?:le)?)\s+(?:con|a)(?P<a>(?:\s+\w+){1,5})"
    r"|\b(?:ustedes|uds|usted|vos)\s+(?:son|sos|es)(?P<b>(?:\s+\w+){1,4})"
    r"|\b(?:es|son)\s+(?:aca|este\s+(?:el\s+)?(?:numero|whatsapp|wsp|celu))\b(?P<c>(?:\s+\w+){0,5})"
    r"|\beste\s+(?:es\s+)?(?:el\s+)?(?:numero|whatsapp|wsp|celu)\s+de\b(?P<d>(?:\s+\w+){0,5})")
_RIGHT_PLACE_REST = re.compile(
    r"\b(?:hola|buen[oa]s?|dias?|tardes|noches|que\s+tal|como\s+va|disculpe|disculpa|perdon"
    r"|consulta|una\s+pregunta)\b")
# what the business is called by: a trade, a service, the firm
_A_TRADE = re.compile(r"\b(?:plomer\w*|gasist\w*|electricist\w*|cerrajer\w*|servicio\w*|empresa|service"
                      r"|tecnic\w*|refrigeracion|aires?|urgencias|matriculad\w*|destapacion\w*)\b")


def _asks_right_place(text: str, business: str = "") -> bool:
    """Whether the message only checks the number reached is the business's ("¿hablo con la
    plomería?", "¿es acá el cerrajero?"), a greeting around it and nothing asked for yet (not a
    person asked for, nor "¿ustedes son de Capital?")."""
    folded = es_ar.folded(text)
    if "?" not in text and not folded.startswith(("es aca", "hablo con", "me comunico")):
        return False
    found = _RIGHT_PLACE.search(folded)
    if found is None:
        return False
    named = next((g for g in found.groups() if g), "")
    ours = {w for w in es_ar.folded(business).split() if len(w) > 3}
    if named.strip() and not (_A_TRADE.search(named) or ours & set(named.split())):
        return False
    rest = _RIGHT_PLACE_REST.sub(" ", folded[:found.start()] + " " + folded[found.end():]).split()
    return len(rest) <= 1


# a person asked for outright: "quiero hablar con una persona", "pasame con alguien"
_WANTS_PERSON = re.compile(
    r"\b(?:quiero|necesito|prefiero|quisiera)\s+(?:hablar|que\s+me\s+atienda)\b|\bpasa(?:me)?\s+con\b"
    r"|\bhablar\s+con\s+(?:una\s+persona|alguien|un\s+humano)\b")


# a person asked for outright, with the thing to talk about before it: "eso prefiero hablarlo
# con una persona", "quiero tratarlo con alguien del equipo, no con el bot"
_PERSON_OUTRIGHT = re.compile(
    r"\b(?:quiero|necesito|prefiero|quisiera|preferiria)\s+(?:hablar\w*|tratar\w*|verlo|charlar\w*"
    r"|que\s+me\s+atienda)\s+(?:\w+\s+){0,2}?con\s+(?:una\s+persona|alguien|un\s+humano|un\s+empleado"
    r"|una\s+persona\s+real|gente|el\s+dueno|la\s+duena|el\s+encargado|la\s+encargada)\b"
    r"|\b(?:no\s+con\s+(?:el|un)\s+(?:bot|robot|contestador|asistente))\b")


def _sure_alone(turn: Turn, part: str, context: OrgContext) -> Extraction | None:
    """One message of the burst read on its own, when the model is sure of it; None otherwise."""
    read = extract(part, turn.role.value, turn.now, context, turn.settings, turn.context)
    return read if (read.confidence or 0) >= ASK_BELOW else None


def _person_in_burst(turn: Turn, parts: list[str], context: OrgContext) -> float | None:
    """The model's confidence that a message of the burst asks for a person outright, when one
    does; None otherwise."""
    for part in parts:
        if not _PERSON_OUTRIGHT.search(es_ar.folded(part)):
            continue
        if (read := _sure_alone(turn, part, context)) is not None and read.intent == "human":
            return read.confidence
    return None


# A technician's steps through a visit; a burst that closes one and sets out for another is the
# close first, then (after its OK) the next one's notice
_WORK_STEPS = ("tech_job_done", "tech_cannot_complete", "tech_arrived", "tech_on_the_way")


def _work_step_in_burst(turn: Turn, parts: list[str],
                        context: OrgContext) -> tuple[str, float] | None:
    """(intent, confidence) of a technician's burst read unsure as a whole when every message
    of it, read alone, is sure and at least one is a step of a visit: the furthest step (a
    close before an arrival before a departure), whose flow takes the rest of the burst. None
    when any message is unsure or none is a step."""
    reads = [_sure_alone(turn, part, context) for part in parts]
    if None in reads:
        return None
    steps = [read for read in reads if read.intent in _WORK_STEPS]
    if not steps:
        return None
    first = min(steps, key=lambda read: _WORK_STEPS.index(read.intent))
    return first.intent, first.confidence


def _address_put_right(turn: Turn) -> list[Reply]:
    from flows import technician  # it imports this module for FlowSpec

    return technician.corrected_address(turn)


# Where an owner's voice note or message turns to another request: "y otra cosa", "por otro
# lado", "ah, y otra cosa"
_ANOTHER_THING = re.compile(r"[,.;:\n]?\s*\b(?:(?:y|ah|ah\s+y|che)\s+)?(?:otra\s+cosa|por\s+otro\s+lado)\b\s*[,.:;!]*\s*")
MIN_REQUEST_WORDS = 3


def _owner_requests(turn: Turn) -> list[Reply] | None:
    """An owner's message with two requests joined by "y otra cosa": each answered as if sent on
    its own, in one message (before: read whole as one, and one of them dropped). None when the
    message is one request."""
    text = turn.text or ""
    cuts = list(_ANOTHER_THING.finditer(fold_aligned(text)))
    if not cuts:
        return None
    pieces, start = [], 0
    for cut in cuts:
        pieces.append(text[start:cut.start()])
        start = cut.end()
    pieces.append(text[start:])
    pieces = [p.strip(" ,.;:") for p in pieces if len(p.split()) >= MIN_REQUEST_WORDS]
    if len(pieces) < 2:
        return None
    context = org_context(turn.session, turn.org.id)
    answers: list[Reply] = []
    for piece in pieces:
        result = extract(piece, turn.role.value, turn.now, context, turn.settings, turn.context)
        answers += _route(replace(turn, text=piece, result=result), [piece])
    if answers and all(isinstance(a, Text) for a in answers):
        return [Text("\n\n".join(a.body for a in answers))]
    return answers


def _cancel_and_more(turn: Turn, parts: list[str]) -> list[Reply] | None:
    """A burst that calls off one of the customer's visits and says or asks something of
    another ("el gasista del jueves cancelalo / el plomero que venga igual mañana / ¿a qué hora
    era?"), read whole as a question: the question answered about the visit it names, and the
    cancellation asked of the one the cancelling words name (before: only the question was
    answered, and the visit stayed). None when the burst is not that."""
    if len(parts) < 2 or len(turn.open_jobs) < 2:
        return None
    from flows import status, steps  # they import this module's users
    from flows.customer_cancel import start_cancel
    from flows.named_visit import named_visit

    context = org_context(turn.session, turn.org.id)
    for i, part in enumerate(parts):
        read = extract(part, turn.role.value, turn.now, context, turn.settings, turn.context)
        if read.intent not in ("cancel", "cancel_job") or (read.confidence or 0) < ASK_BELOW:
            continue
        job = named_visit(turn, part)
        if job is None:
            return None
        cancel = start_cancel(turn, job)
        rest = "\n".join(p for j, p in enumerate(parts) if j != i)
        asked = extract(rest, turn.role.value, turn.now, context, turn.settings, turn.context)
        if asked.intent != "job_status" or named_visit(turn, rest) in (None, job):
            return cancel
        answer = status.handle(replace(turn, text=rest, result=asked))
        if not cancel or not answer or not isinstance(answer[0], Text):
            return [*answer, *cancel]
        return [steps.prefixed(cancel[0], answer[0].body), *cancel[1:], *answer[1:]]
    return None


def _route(turn: Turn, parts: list[str]) -> list[Reply]:
    """Steps 4 to 7: a global command, the clarifying question, the first flow, the fallbacks."""
    from flows.registry import FLOWS  # the flows import this module for FlowSpec

    if turn.role is CUSTOMER and not turn.conversation.flow and turn.tap is None \
            and turn.intent in ("human", "other", "greeting") and _ASKS_BOT.search(es_ar.folded(turn.text)) \
            and not _WANTS_PERSON.search(es_ar.folded(turn.text)):
        # "¿esto es un bot o me atiende alguien?": said plainly what answers, and a person one
        # tap away — not a hand-over nobody asked for, which silences the bot for hours
        return [menu(turn.conversation, texts.render("bot_disclosure", business=turn.org.name if turn.org else ""))]
    if turn.role is CUSTOMER and not turn.conversation.flow and turn.tap is None \
            and turn.open_job is None and _asks_right_place(turn.text or "", turn.org.name if turn.org else "") \
            and not _WANTS_PERSON.search(es_ar.folded(turn.text)):
        # "Buenos días, ¿me comunico con el servicio de gasistas?": yes, and what to tell us —
        # not a hand-over (read "comunico con" as asking for a person), which silences the bot
        return [menu(turn.conversation, texts.render(
            "right_place", business=turn.org.name if turn.org else ""))]
    if turn.role is CUSTOMER and not turn.conversation.flow and turn.tap is None \
            and turn.open_job is None and general_outage(es_ar.folded(turn.text or "")):
        # "sí, es Edesur, ya lo pusieron en el grupo del barrio. perdón la molestia", nothing
        # booked: the area's cut, nothing of ours to do or call off — said warmly, no miss
        turn.conversation.misses = 0
        return [Text(texts.render("outage_ack", name=turn.first_name))]
    if turn.role is CUSTOMER and not turn.conversation.flow and turn.tap is None \
            and _REMINDER_ASKED.search(es_ar.folded(turn.text or "")) \
            and (coming := _coming_visit(turn)) is not None:
        # "¿me mandan un recordatorio el día anterior? soy re colgada": yes, the evening before
        start = es_ar.aware(coming.scheduled_start).astimezone(turn.zone)
        return [Text(texts.render("cust_reminder_yes", name=turn.first_name, number=coming.number,
                                  hour=REMINDER_HOUR, today=start.date() == turn.today))]
    if turn.role is CUSTOMER and not turn.conversation.flow and turn.tap is None \
            and turn.intent != "new_job" and (company := _UTILITY.search(es_ar.folded(turn.text))) \
            and _UTILITY_MATTER.search(es_ar.folded(turn.text)):
        # "hola Naturgy? quiero hacer un reclamo x la factura del gas": the utility, not us —
        # said so, with what we do, rather than our invoice or a hand-over
        return [menu(turn.conversation, texts.render(
            "wrong_business", business=turn.org.name if turn.org else "", company=company.group().title()))]
    if turn.role is OWNER and turn.tap is None and not turn.conversation.flow \
            and (several := _owner_requests(turn)) is not None:
        return several  # "¿qué le queda a Juan hoy? y otra cosa, el resumen mandámelo a las 9"
    if turn.role is TECHNICIAN and turn.tap is None and not turn.conversation.flow:
        from flows import (  # they import this module
            technician_called_off,
            technician_owed,
            technician_payment,
        )

        if (answer := technician_called_off.handle(turn)) is not None:
            return answer  # "me llamó la señora García, dice que no vaya": that visit, asked
        if (answer := technician_owed.handle(turn)) is not None:
            return answer  # "¿quién me debe todavía?": his visits still owed
        if (answer := technician_payment.handle(turn)) is not None:
            return answer  # "mandale de nuevo el link", "¿ya pagó?": the visit he closed last
    if turn.role is OWNER and turn.tap is None:
        from flows import (  # they import this module
            owner_address,
            owner_alias,
            owner_hold,
            owner_new_customer,
            owner_trade,
        )

        if (answer := owner_alias.handle(turn)) is not None:
            return answer  # "el alias nuevo es gasista.paredes.mp", whatever the model read
        if (answer := owner_hold.handle(turn)) is not None:
            return answer  # "a Quiroga no le tomes más trabajos hasta que pague; si escribe, pasámelo"
        if (answer := owner_trade.handle(turn)) is not None:
            return answer  # "¿qué trabajos de gas tenemos agendados?", "¿y de plomería?"
        if (answer := owner_new_customer.handle(turn)) is not None:
            return answer  # "agregá un cliente nuevo: Lucía Romero, 11 5555-0203, San Martín 2450"
        if (answer := owner_address.handle(turn)) is not None:
            return answer  # "Marta García se mudó, la dirección nueva es Thames 1520": kept, visits moved
    if turn.intent in GLOBALS and _answer_read_as_person(turn):
        # the booking's answer, as an address alone is read there
        turn.result = turn.result.model_copy(update={"intent": "new_job", "confidence": 1.0})
    if turn.intent in GLOBALS:
        return GLOBALS[turn.intent](turn)
    if turn.role is CUSTOMER and turn.tap is None and disputes_charge(es_ar.folded(turn.text or "")):
        # "me cobraron dos veces": money gone wrong is a person's to sort out, at once (not the
        # payment link again, not "no te entendí")
        return handover.hand_to_person(turn.conversation, turn.now, turn.settings,
                                       template="human_charge_dispute")
    from flows import (  # they import this module's users
        customer_callback,
        relay,
        status,
        technician,
        visit_addition,
        visit_address,
    )

    if (passed := relay.answered(turn)) is not None:
        return passed  # the customer answering the owner's word: back to the owner, not a request
    if (callback := customer_callback.handle(turn)) is not None:
        return callback  # "la pérdida sigue igual": a finished job's call-back, a person's to plan

    if turn.role is CUSTOMER and not turn.conversation.flow \
            and (moved := visit_address.handle(turn)) is not None:
        return moved  # "me equivoqué, es en lo de mi hermana: San Martín 2150": that visit moves
    if turn.role is CUSTOMER and (passed := status.about_visit_under_way(turn)) is not None:
        return passed  # "el muchacho dice que hay que cambiar la termocupla…": to him, not a booking
    if turn.role is CUSTOMER and (noted := visit_addition.note_for_visit(turn)) is not None:
        return noted  # "avisame antes de llegar, no anda el portero": a word for the technician
    if turn.role is OWNER:
        from flows import owner_days  # it imports this module for FlowSpec

        if (told := owner_days.typed_tell(turn)) is not None:
            return told  # "sí, avisales" to the "Avisarles" just offered
        if (hour := owner_days.summary_hour_said(turn)) is not None:
            return hour  # "mandame esto todos los días a las 8 de la noche"
    if turn.role is TECHNICIAN and (answer := technician.at_door(turn)) is not None:
        return answer  # "avisale que estoy en la puerta, no me atienden": the door notice, not a relay
    if turn.role in (OWNER, TECHNICIAN) and (answer := relay.handle(turn)) is not None:
        return answer  # "decile a Marta que…", a technician's "preguntale si le va en una hora"
    if turn.role is TECHNICIAN and (answer := technician.aside(turn)) is not None:
        return answer  # "ya casi termino", "¿puedo arrancar más tarde mañana?"
    if turn.role is OWNER:
        from flows import (  # they import this module
            owner,
            owner_close,
            owner_days,
            owner_free,
            owner_hold,
            owner_prices,
        )

        if (answer := owner_close.handle(turn)) is not None:  # "cerralo vos, fue un destape, 25 lucas"
            return answer
        if (answer := owner_prices.handle(turn)) is not None:  # "subí el cambio de flexible a 15 lucas"
            return answer
        if (answer := owner_free.handle(turn)) is not None:  # "¿tenemos lugar mañana a la tarde?"
            return answer
        if (answer := owner_reminder.handle(turn)) is not None:  # "mandale un recordatorio amable"
            return answer
        if (answer := owner_invoice.handle(turn)) is not None:  # "no le llegó la factura, reenviásela"
            return answer
        if (answer := owner_payment.handle(turn)) is not None:  # "sí, entró la de Raúl"
            return answer
        if turn.conversation.flow is None and (answer := prices.owner_answer(turn)) is not None:
            return answer  # "¿la visita de diagnóstico cuánto la tenemos?": the price book's
        if turn.conversation.flow is None and (answer := owner_customer.handle(turn)) is not None:
            return answer  # "¿qué onda con la señora Suárez?": her card

        if (answer := owner.follow_up(turn)) is not None:  # "¿y Diego?" after Carlos's days
            return answer
        if (answer := owner_days.closing_or_opening(turn)) is not None:
            return answer  # "mañana no trabajamos, es feriado": the day closed
        if (answer := relay.answer_forwarded(turn)) is not None:
            return answer  # "lo compra Fer a la mañana": the answer to the request just passed on
    if turn.role is CUSTOMER and turn.conversation.flow is None and not turn.open_jobs \
            and turn.intent in ("job_status", "new_job", "other") \
            and (answer := status.for_someone_else(turn)) is not None:
        return answer  # "soy el hijo de Marta García, ¿a qué hora va el plomero?": her visit
    if turn.role is CUSTOMER and not turn.conversation.flow and turn.tap is None \
            and (given := _address_alone(turn)) is not None:
        return given  # "Córdoba 1650 piso 3 dto B" and nothing else: kept for what comes
    if turn.role is CUSTOMER and not turn.conversation.flow and turn.intent in ("other", "new_job") \
            and (clarify.unsure(turn) or turn.intent == "other"
                 or _question_for_the_office_among(turn, parts)) \
            and (both := _request_and_question(turn)) is not None:
        return both  # "quiero cambiar el calefactor / ¿el gasista es matriculado?": both
    if turn.role is CUSTOMER and not turn.conversation.flow and turn.tap is None \
            and turn.intent != "new_job" and (both := _cancel_and_more(turn, parts)) is not None:
        return both  # "el gasista cancelalo / ¿a qué hora era el plomero?": both, each its visit
    if clarify.unsure(turn):
        return clarify.ask(turn)
    for spec in FLOWS:
        if spec.wants(turn) and (answer := spec.handle(turn)):
            if not turn.conversation.flow:  # inside a flow the step engine counts its own misses
                turn.conversation.misses = 0
            return answer
    return _fallback(turn, parts)


def _each_question(turn: Turn, items: list[BurstItem], context: OrgContext) -> list[Reply]:
    """A burst that asks two things in two messages gets each answered, in order: an owner's
    "¿qué tenemos mañana?" then "¿y quién me debe?"; a customer's "ya te transferí" then "¿me
    mandás la factura?". A request in several messages ("che", "pasame el resumen"; "hola", "se
    me rompió el termo", "estoy en Palermo") or one question and small talk is read whole, as
    any burst ([] for those)."""
    said = [i.text for i in items if i.text]
    free = turn.conversation.flow is None or (
        turn.role is CUSTOMER and turn.conversation.flow == FLOW_RATING)
    if (turn.role not in (OWNER, CUSTOMER) or len(said) < 2 or turn.tap is not None
            or turn.command or not free):
        return []
    if turn.role is CUSTOMER and turn.intent not in CUSTOMER_ONE_SHOT:
        return []  # a booking told in several messages (each read alone would cost a rush)
    questions: list[Turn] = []
    for text in said:
        result = extract(text, turn.role.value, turn.now, context, turn.settings, turn.context)
        if (result.confidence or 0) >= ASK_BELOW and _one_shot(turn.role, result.intent, text,
                                                               context):
            questions.append(replace(turn, text=text, result=result))
    # a customer's two messages of one intent are one question ("¿cuándo vienen?" "¿hoy?")
    if len(questions) < 2 or (turn.role is CUSTOMER
                              and len({q.intent for q in questions}) < len(questions)):
        return []
    answers: list[Reply] = []
    for question in questions:
        answers.extend(a for a in _route(question, [question.text]) if a not in answers)
    return answers


# What a customer asks that is answered on its own, whatever else the burst says
CUSTOMER_ONE_SHOT = frozenset({"job_status", "invoice_request", "payment"})


def _one_shot(role: ConversationRole, intent: str, text: str, context: OrgContext) -> bool:
    """A message answered on its own: an owner's figures, debts or team; a customer's visit,
    invoice or payment."""
    if role is CUSTOMER:
        return intent in CUSTOMER_ONE_SHOT
    if intent in ("owner_summary", "owner_unpaid"):
        return True
    return intent == "other" and asks_about_team(es_ar.folded(text), first_names(context))


def _revised(conversation: Conversation, now: datetime, revisions: list[BurstItem]) -> list[Reply]:
    """One question when the customer edited or deleted something the booking under way may rest
    on; outside a booking the change is only shown to staff."""
    if not revisions or conversation.role is not CUSTOMER or not flow_active(conversation, now, BOOKING):
        return []
    last = revisions[-1]
    if last.type == "edit" and last.text:
        return [Text(texts.render("revised_edit", text=_short(last.text)))]
    return [Text(texts.render("revised_delete"))]


def _expire(turn: Turn) -> list[Reply]:
    """Drop a flow the person left for too long; say so unless it was only the bot's own."""
    c = turn.conversation
    if not c.flow or turn.in_flow(c.flow) or c.flow == handover.FLOW:
        return []
    quiet = c.flow == handover.AFTER_PERSON
    turn.clear()
    return [] if quiet else [Text(texts.render("flow_expired"))]


# ---- global commands, declared once -------------------------------------------------------------

def _command(text: str, tap: CallbackData | None) -> str | None:
    """A global command typed on its own ("menú", "cancelar", "humano") or a menu button."""
    if isinstance(tap, MenuTap):
        return {"new_job": "menu:new_job", "status": "menu:status", "human": "human"}[tap.choice]
    if tap is not None:
        return None
    folded = " ".join(re.sub(r"[^\wáéíóúüñ ]+", " ", text.lower()).split())
    return COMMANDS.get(folded)


def _on_menu(turn: Turn) -> list[Reply]:
    turn.conversation.misses = 0
    return [menu(turn.conversation)]


def _on_cancel(turn: Turn) -> list[Reply]:
    turn.conversation.misses = 0
    if (turn.conversation.flow is None and turn.role is CUSTOMER and turn.open_job is not None
            and es_ar.folded(turn.text).strip(" .!¡") in ("cancelar", "cancela")):
        # No step under way to leave: a customer with a visit booked who types "cancelar" means
        # the visit. "Listo, lo dejamos acá" would read as done while the technician still comes;
        # they are asked "¿Cancelamos el trabajo #…?" with the buttons instead.
        from flows.customer_cancel import start_cancel

        return start_cancel(turn)
    turn.clear()
    return [Text(texts.render("flow_cancelled"))]


def _on_human(turn: Turn) -> list[Reply]:
    if turn.conversation.role is OWNER:
        # "pasame el cel de Benítez q lo llamo": a customer's card, not a person to talk to
        return owner_customer.handle(turn) \
            or _owner_help(turn, page=setup_change(es_ar.folded(turn.text or "")))
    if turn.conversation.role is TECHNICIAN:
        return _relay_technician(turn)
    return handover.hand_to_person(turn.conversation, turn.now, turn.settings)


def _relay_technician(turn: Turn, *, missed: bool = False) -> list[Reply]:
    """"Necesito hablar con el jefe, llamame": a technician is staff; their chat is where the day's
    notices come in ("voy para lo de Graciela", "terminé"), so it is never handed over and left
    quiet (those were swallowed for the hand-over's two hours). The office is told, with the
    words and the open job, and calls them; the bot goes on taking the notices."""
    c = turn.conversation
    c.misses = 0
    job = turn.open_job
    name, phone = turn.writer
    office = turn.tell_staff(texts.render(
        "staff_tech_wants_person", name=name, phone=phone, missed=missed,
        number=job.number if job else None, text=es_ar.shortened(turn.text or "", 300)))
    boss = es_ar.first_name(office[0].name) if len(office) == 1 else None
    return [Text(texts.render("tech_person_passed", missed=missed, boss=boss, told=bool(office)))]


def _owner_help(turn: Turn, *, missed: bool = False, page: str | None = None) -> list[Reply]:
    """The owner (or an admin) is the person a conversation is handed to: asking for one ("agregá
    a Pedro como técnico, su cel es…", "pasame con alguien"), or not understood twice, they get
    where the back office does what the bot does not, never "te paso con una persona" and the
    bot's silence in their own chat."""
    turn.conversation.misses = 0
    pages = {name: back_office_link(turn.settings, page)
             for name, page in (("team", "team"), ("prices", "price-book"), ("settings", "settings"))}
    asked = back_office_link(turn.settings, page) if page else None
    return [Text(texts.render("owner_help", missed=missed, asked=asked, **pages))]


def _on_new_job_button(turn: Turn) -> list[Reply]:
    turn.conversation.misses = 0
    return [Text(texts.render("ask_problem"))]


def _on_status_button(turn: Turn) -> list[Reply]:
    from flows import status

    turn.conversation.misses = 0
    return status.handle(turn) if turn.role is CUSTOMER else [menu(turn.conversation)]


GLOBALS: dict[str, Callable[[Turn], list[Reply]]] = {
    "menu": _on_menu, "cancel_flow": _on_cancel, "human": _on_human,
    "menu:new_job": _on_new_job_button, "menu:status": _on_status_button,
}


# ---- fallbacks ------------------------------------------------------------------------------

def _fallback(turn: Turn, parts: list[str]) -> list[Reply]:
    c, intent = turn.conversation, turn.intent
    if handover.just_handed_back(c, turn.now):
        turn.clear()
        if intent == "other":  # "gracias", "ok": said to the person who just answered
            c.misses = 0
            return [Text(texts.render("after_person"))]
    if intent == "greeting":
        c.misses = 0
        # "Buen día" in the middle of a booking: the menu would leave them wondering where
        # their booking went (a flow that reads greetings itself answers them in `Flow.walk`)
        flow = steps.running(turn)
        # a customer the business has on file is greeted by name ("Hola, Lucía 👋")
        known = turn.customer.name if c.role is CUSTOMER and turn.customer is not None else None
        body = texts.render("menu_customer", name=turn.first_name) if known else None
        return (flow.welcome_back(turn) if flow is not None else None) or [menu(c, body)]
    said = acknowledgement(turn.text) if intent == "other" else None
    if said:
        # "gracias!!", "dale 👍": no request, and no miss either; a customer gets a warm word back
        c.misses = 0
        name = turn.first_name
        return [Text(texts.render("acknowledged", thanks=said == "thanks", name=name,
                                  customer=c.role is CUSTOMER))]
    if intent == "other" and c.role is CUSTOMER and wrong_number(es_ar.folded(turn.text or "")):
        # "ay perdón, número equivocado": no request, nobody to hand it to; and no miss either
        c.misses = 0
        return [Text(texts.render("wrong_number", business=turn.org.name))]
    kept = _kept_booking(turn) if intent == "other" and c.role is CUSTOMER else None
    if kept:
        c.misses = 0
        return kept
    # A customer's question about the business's hours or a price ("¿cuánto sale cambiar un
    # flexible?"), before asking for anything: answered, no miss
    asked_us = (business_hours.answer(turn)
                or prices.answer(turn, offer_booking=turn.open_job is None)) \
        if intent == "other" and c.role is CUSTOMER else None
    if asked_us:
        c.misses = 0
        return asked_us
    page = setup_change(es_ar.folded(turn.text or "")) if intent == "other" and c.role is OWNER else None
    if page:  # "agregá a Pedro como técnico", "subí la visita a 40 lucas": the back office's
        return _owner_help(turn, page=page)
    asked = staff_questions.forward(turn) if intent == "other" else None
    if asked:  # a technician's question for the business: passed to the office, no miss
        c.misses = 0
        return asked
    if intent == "other" and c.role is CUSTOMER and not c.flow:
        from flows import visit_addition  # it imports this module's users

        if (noted := visit_addition.word_during_visit(turn)) is not None:
            return noted  # "yo en dos horas me tengo que ir": for the technician on his way
    if intent == "other":
        c.misses = (c.misses or 0) + 1
        if c.misses >= MISSES_BEFORE_PERSON:
            if c.role is OWNER:
                return _owner_help(turn, missed=True)
            if c.role is TECHNICIAN:
                return _relay_technician(turn, missed=True)
            return handover.hand_to_person(c, turn.now, turn.settings)
        # a customer's examples are not a technician's or an owner's: their menu has their own
        return [menu(c, texts.render("not_understood", customer=c.role is CUSTOMER))]
    c.misses = 0
    name = turn.first_name
    return [Text(texts.render("ack", name=name, parts=parts, understood=understood(turn.result)))]


def _kept_booking(turn: Turn) -> list[Reply] | None:
    """"No lo muevas, el horario me queda perfecto": the visit stands, and the customer hears it
    back (not "no te entendí", which would count toward handing them to a person)."""
    job = turn.open_job
    if job is None or job.scheduled_start is None:
        return None
    zone = es_ar.zone(turn.org.time_zone)
    start = es_ar.aware(job.scheduled_start).astimezone(zone)
    its_day = (es_ar.folded(es_ar.weekday(start.date())),
               {0: "hoy", 1: "manana"}.get((start.date() - turn.today).days, ""))
    folded = es_ar.folded(turn.text)
    someone_else = someone_else_receives(folded)  # "va a estar mi marido": it stands, as it is
    if not (keeps_booking(turn.text) or names_its_day_as_fine(folded, its_day) or someone_else):
        return None
    told = _tell_technician_who_receives(turn, job) if someone_else else None
    return [Text(texts.render("booking_kept", name=turn.first_name, told=told,
                              when=visit(job, turn.now)))]


def _tell_technician_who_receives(turn: Turn, job) -> str | None:
    """The job's technician hears, in the customer's words, who will be there; their first
    name, or None when nobody could be told."""
    return tell_technician(turn, job, "note",
                           note=es_ar.shortened(" ".join(turn.text.split()), 300))


def menu(conversation: Conversation, body: str | None = None) -> Reply:
    if conversation.role is CUSTOMER:
        return Buttons(
            body=body or texts.render("menu_customer"),
            buttons=(Button(MenuTap("new_job").encode(), "Pedir un servicio"),
                     Button(MenuTap("status").encode(), "¿Cuándo vienen?"),
                     Button(MenuTap("human").encode(), "Hablar con alguien")),
        )
    return Text((body + "\n\n" if body else "") + texts.render(f"menu_{conversation.role.value}"))


def _parts_and_media_replies(items) -> tuple[list[str], list[Reply]]:
    parts: list[str] = []
    replies: list[Reply] = []
    for item in items:
        if item.type == "audio":
            if item.transcript_status == "done" and item.text:
                parts.append(f"🎤 {_short(item.text)}")
            elif item.transcript_status == "too_long":
                replies.append(Text(texts.render("audio_too_long")))
            else:
                replies.append(Text(texts.render("audio_unheard")))
        elif item.media_error:
            replies.append(Text(texts.render("media_rejected", reason=item.media_error)))
        elif item.pin:
            parts.append(f"📍 {item.pin.address or item.pin.name or 'tu ubicación'}")
        elif item.text:
            parts.append(_short(item.text))
        elif item.type in MEDIA_PARTS:
            parts.append(MEDIA_PARTS[item.type])
    return parts, replies


def _heard(items: list[BurstItem], context: OrgContext) -> list[BurstItem]:
    """Voice notes as staff and the extractor read them: the transcript with misheard words
    fixed toward the trade's and the organization's vocabulary, fillers gone (the raw transcript
    stays stored on the message)."""
    if not any(i.type == "audio" and i.text for i in items):
        return items
    hearing = spoken.hearing_for(context.price_book,
                                 context.streets + context.customers + context.technicians)
    return [replace(i, text=hearing.tidy(i.text)) if i.type == "audio" and i.text else i
            for i in items]


def _short(text: str) -> str:
    return es_ar.shortened(text, PREVIEW)
