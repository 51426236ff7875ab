"""A customer's "¿cuánto sale destapar una cañería?": the price book's price for the work named,
or, when the work is not in it, how the price is set (and what the visit costs, if listed).

Asked before hiring (the model reads it as a new job or as chit-chat: people write it both
ways), and in the middle of a booking, where the answer comes first and the booking goes on."""

from __future__ import annotations

import re
from datetime import timedelta

from rapidfuzz import fuzz

from core import es_ar
from core.billing.price_book import list_items
from core.jobs.opening import is_open
from core.links import back_office_link
from core.messaging import texts
from core.messaging.replies import Reply, Text
from core.models import ConversationRole, PriceBookItem, Urgency
from flows.turn import Turn
from flows.work_text import COUNT_WORDS, COUNTED, match_lines
from nlu.extract.message_kinds import PRICE_QUESTION
from nlu.extract.text import fold_aligned

MAX_ITEMS = 3
_ASKS = PRICE_QUESTION  # the question, on folded text


# "¿y destapar el inodoro?" right after a price was given asks for another one in fewer words:
# the price words were in the question before. Read so only for a while after a price answer,
# in a short message that starts with "y" and names work of the price book (so "¿y el martes?"
# is still a day).
FOLLOW_UP_WINDOW = timedelta(minutes=30)
FOLLOW_UP_WORDS = 8
_FOLLOW_UP = re.compile(r"^\W*y\s+(?:(?:para|por|lo\s+de|el\s+de|la\s+de)\s+)?")

# What is cut in front of the work once the question is: a greeting, "quería saber", a
# preposition ("cuánto cobran por destapar…")
_LEAD = re.compile(
    r"^\W*(?:hola|buenas\s+tardes|buenas\s+noches|buenas|buen\s+dia|buenos\s+dias|que\s+tal"
    r"|(?:queria|quisiera|quiero|queriamos)\s+saber|(?:tengo\s+)?una\s+(?:consulta|duda|pregunta)|consulta"
    r"|por|x|para|de|del|en)"
    r"\b\W*")


def asks_price(text: str) -> bool:
    return _ASKS.search(fold_aligned(text or "")) is not None


def without_question(text: str) -> str:
    """The work asked about, without the price question: "Cuánto sale cambiar un flexible" →
    "Cambiar un flexible" (what a job's description should say).

    A question inside a sentence stays ("se me tapó el inodoro y quería que me pasen
    presupuesto para pintar el living"): cutting it out of the middle left "que me para pintar"."""
    folded = fold_aligned(text or "")
    found = _ASKS.search(folded)
    if found is None:
        return text
    before = folded[:found.start()]
    while (lead := _LEAD.match(before)) and lead.end():
        before = before[lead.end():]
    if before.strip() and not re.search(r"[,.;:?!¿¡\n]\s*$", before):
        return text
    if len(before.split()) >= 3:
        # The problem told first, then the question about it ("Tengo una pérdida en el baño.
        # ¿Cuánto cobran la visita?"): the problem is the description.
        rest = text[found.start() - len(before):found.start()]  # folded and written align
        rest = rest.strip(" ,.;:¿?¡!\n")
        return rest[:1].upper() + rest[1:]
    rest = _work_asked(text, found)
    return rest[:1].upper() + rest[1:]


def _work_asked(text: str, found: re.Match) -> str:
    """The words of `text` around the price question `found` (a span of its folded text), less
    what stands in front of the work."""
    rest = " ".join(f"{text[:found.start()]} {text[found.end():]}".split())
    while (lead := _LEAD.match(fold_aligned(rest))) and lead.end():
        rest = rest[lead.end():]
    return rest.strip(" ,.;:¿?¡!")


def asks(turn: Turn) -> bool:
    """Whether this turn asks for a price, a follow-up to the last price answer included."""
    return _asked(turn) is not None


def answer(turn: Turn, *, offer_booking: bool = False) -> list[Reply] | None:
    """The prices for the work asked about, when the customer's message asks for a price."""
    lines = _asked(turn)
    if lines is None:
        return None
    items = _priced(turn, lines)
    # "¿cuánto sale cambiar la llave de paso?" priced by a part alone would read as the whole
    # job: the labour is said to be apart, with the visit's price when listed
    parts_only = bool(items) and all(item["part"] for item in items)
    visit = _visit_price(turn) if not items or parts_only else None
    turn.save(priced_at=turn.now.isoformat())  # a "¿y …?" next is another price
    return [Text(texts.render("cust_price", items=items, visit=visit, parts_only=parts_only,
                              offer=offer_booking))]


# What names work (a service), as opposed to a part ("Llave esférica 1/2\"", "Canilla
# monocomando"), in a price book whose units are often left as "unidad"
_WORK_NOUNS = re.compile(
    r"\b(?:cambio|instalacion|colocacion|reparacion|destapacion|service|revision|limpieza|carga"
    r"|deteccion|apertura|visita|mano\s+de\s+obra|ajuste|armado|conexion|sellado|purga"
    r"|mantenimiento|reemplazo|desobstruccion)\b")
WORK_UNITS = ("servicio", "visita", "hora")
_STOP = frozenset({"el", "la", "los", "las", "un", "una", "unos", "unas", "de", "del", "al", "a", "y",
                   "o", "para", "con"})


def _is_work(item: PriceBookItem) -> bool:
    return item.unit in WORK_UNITS or bool(_WORK_NOUNS.search(es_ar.folded(item.name)))


def _priced(turn: Turn, lines) -> list[dict]:
    """The lines as the customer reads them: a part comes with the work of fitting it when the
    price book lists one for the same thing ("Instalación de canilla o grifería" before
    "Canilla monocomando de cocina"), and is marked as the part; a quantity asked ("3 splits")
    is priced each and in total when the item is priced per unit."""
    book = {item.id: item for item in list_items(turn.session)}
    shown: list[dict] = []
    seen: set[int] = set()
    for line in lines:
        item = book.get(line.item_id)
        part = item is not None and not _is_work(item)
        if part and (work := _work_for(book.values(), item, line.said)) is not None \
                and work.id not in seen:
            seen.add(work.id)
            shown.append(_shown(work.name, work.price, work, line, part=False))
        if line.item_id in seen:
            continue
        seen.add(line.item_id)
        shown.append(_shown(line.description, line.unit_price, item, line, part=part))
    return shown[:MAX_ITEMS]


# The units of an item priced per thing (the price book's default is "unidad"); a visit, an
# hour or a metre is not one per thing asked
_PER_THING = frozenset({"unidad", "unidades", "u", "un", "und", "unid", "c u", "servicio", "equipo",
                        "pieza"})
# Masculine nouns ending in -a, and feminine ones that do not ("el toma", "la llave")
_MASCULINE_A = frozenset({"toma", "sistema", "problema", "clima", "tema", "dia", "programa",
                          "lavarropa", "secarropa", "lavavajilla"})
_FEMININE = frozenset({"llave", "luz", "red", "fuente", "pared", "calle", "base", "clave"})


def _shown(name: str, price, item: PriceBookItem | None, line, *, part: bool) -> dict:
    """One line of the answer; with the price for the quantity asked when priced per thing."""
    shown = {"name": name, "price": es_ar.pesos(price), "part": part, "total": None}
    count = int(line.quantity) if line.quantity == int(line.quantity) else 1
    if count > 1 and item is not None and es_ar.folded(item.unit) in _PER_THING:
        counted = COUNTED.search(es_ar.folded(line.said))
        shown.update(total=es_ar.pesos(price * count), count=COUNT_WORDS.get(count, str(count)),
                     feminine=counted is not None and _feminine(counted.group(1)))
    return shown


def _feminine(noun: str) -> bool:
    """Whether a (folded, maybe plural) noun takes "la": canillas, térmicas, instalaciones."""
    if noun.endswith("ces"):
        single = noun[:-3] + "z"  # luces
    else:
        single = noun[:-2] if noun.endswith(("nes", "des")) else noun.removesuffix("s")
    if single in _MASCULINE_A or noun in _MASCULINE_A:
        return False
    return single in _FEMININE or single.endswith(("a", "cion", "sion", "dad", "tud", "umbre"))


def _work_for(items, part: PriceBookItem, said: str) -> PriceBookItem | None:
    """The listed work of fitting `part`: a service whose name has the part's first word."""
    words = [w for w in COUNTED.sub(r"\1", es_ar.folded(said or part.name)).split()
             if w not in _STOP]
    head = words[0] if words else None
    if head is None:
        return None
    fits = [item for item in items if _is_work(item) and item.unit not in ("visita", "hora")
            and not re.search(r"\b(?:visita|mano\s+de\s+obra)\b", es_ar.folded(item.name))
            and any(fuzz.ratio(head, word) >= 85 for word in es_ar.folded(item.name).split())]
    if not fits:
        return None
    return max(fits, key=lambda item: fuzz.token_set_ratio(" ".join(words), es_ar.folded(item.name)))


def _asked(turn: Turn):
    """The price book's lines for the work asked about (maybe none), or None when the turn asks
    no price."""
    text = turn.text or ""
    if turn.session is None or not text.strip():
        return None
    folded = fold_aligned(text)  # the same length as the text: its spans cut the text as written
    found = _ASKS.search(folded)
    if found is not None:
        # "¿cuánto me va a salir todo?" in a booking names no work: the booking's problem does
        # and with a visit booked ("¿cuánto me va a salir más o menos?"), the visit's problem
        return (_lines(turn, _work_asked(text, found))
                or _lines(turn, turn.slots.get("description") or "")
                or _lines(turn, _open_job_work(turn)))
    follow = _FOLLOW_UP.match(folded)
    if follow is None or len(folded.split()) > FOLLOW_UP_WORDS or not turn.lately("priced_at", FOLLOW_UP_WINDOW):
        return None
    return _lines(turn, text[follow.end():]) or None


# What asks for the whole, not for a piece of work: "¿cuánto me van a cobrar al final?"
_WHOLE = re.compile(r"\b(?:al\s+final|en\s+total|total|todo|mas\s+o\s+menos|masomenos"
                    r"|aprox\w*|mas\s+que\s+nada)\b")


def _lines(turn: Turn, words: str):
    words = _WHOLE.sub(" ", fold_aligned(words))
    if not words.strip():
        return []
    # no amount: items only, and only those that are the work asked about
    return match_lines(turn.session, words, None, quote=True).lines[:MAX_ITEMS]


def _open_job_work(turn: Turn) -> str:
    job = turn.open_job if turn.role is ConversationRole.CUSTOMER else None
    return (job.description or "") if job is not None else ""


# A price-book item that is a visit, an urgent one, and one only for out of hours
_VISIT = re.compile(r"\bvisita\b")
_URGENT = re.compile(r"\burgen|\bemergen")
_OUT_OF_HOURS = re.compile(r"\bfuera\s+de(?:l)?\s+horario|\bnocturn|\bferiado")


def urgent_visit(turn: Turn) -> tuple[str, str] | None:
    """(name, price) of the urgent visit the price book lists for now, if any: one "fuera de
    horario" only while the business is closed. Said when an emergency is dispatched, so the
    customer knows what the visit costs before the technician rings (not on the invoice)."""
    closed = turn.org is not None and not is_open(turn.org, turn.now)
    for item in _visits(turn):
        name = es_ar.folded(item.name)
        if _URGENT.search(name) and (closed or not _OUT_OF_HOURS.search(name)):
            return item.name, es_ar.pesos(item.price)
    return None


def _visits(turn: Turn) -> list[PriceBookItem]:
    return [item for item in list_items(turn.session) if _VISIT.search(es_ar.folded(item.name))]


def _visit_price(turn: Turn) -> str | None:
    """The listed price of a visit ("Visita de diagnóstico"), if the price book has one; for
    an emergency booked, the urgent visit's when the book lists one ("Visita de urgencia")."""
    job = turn.open_job if turn.role is ConversationRole.CUSTOMER else None
    item = visit_item(turn, urgent=job is not None and job.urgency is Urgency.EMERGENCY)
    return es_ar.pesos(item.price) if item is not None else None


def visit_item(turn: Turn, *, urgent: bool = False) -> PriceBookItem | None:
    """The price book's visit ("Visita de diagnóstico"), the urgent one when `urgent` and
    listed ("Visita de urgencia"); None when the book lists none."""
    visits = _visits(turn)
    urgents = [item for item in visits if _URGENT.search(es_ar.folded(item.name))]
    visits = (urgents or visits) if urgent else ([i for i in visits if i not in urgents] or visits)
    return visits[0] if visits else None


# The owner asks what the price book says in the trade's words: "¿la visita cuánto la tenemos?",
# "¿a cuánto estamos cobrando el destape?", "¿en cuánto tenemos el cambio de flexible?"
_OWNER_ASKS = re.compile(
    r"\b(?:a\s+|en\s+)?cuanto\s+(?:la|lo|las|los)\s+(?:tenemos|cobramos|estamos\s+cobrando|cobran|pusimos)\b"
    r"|\b(?:a|en)\s+cuanto\s+(?:esta|estan|tenemos|cobramos|estamos\s+cobrando|sale|salen)\b"
    r"|\bcuanto\s+(?:tenemos|estamos\s+cobrando)\s+(?:el|la|los|las)\b")


def owner_answer(turn: Turn) -> list[Reply] | None:
    """An owner asking a listed price ("¿la visita de diagnóstico cuánto la tenemos?"): the
    price book's lines and where to change them; None when no listed work is named, so "¿cuánto
    cobramos hoy?" stays the day's takings."""
    text = turn.text or ""
    folded = fold_aligned(text)
    if turn.session is None or not (_ASKS.search(folded) or _OWNER_ASKS.search(folded)):
        return None
    lines = _lines(turn, text)
    if not lines:
        return None
    return [Text(texts.render("owner_price", items=_priced(turn, lines),
                              link=back_office_link(turn.settings, "price-book")))]
