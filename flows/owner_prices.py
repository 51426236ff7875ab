"""The owner's price book from WhatsApp: "subí el cambio de flexible a 15 lucas", "la visita
ponela en 10 mil", "agregá destapación de cloaca 35 mil", "aumentá todo un 10%".

Prices move every few weeks in Argentina, and the owner who lives in WhatsApp should not need
the back office for it. One item named with its new price is changed at once (the owner's word
is the order, as with a handover) and told back old → new with the price book's link, so a
slip is one tap from being fixed. A percentage over the whole list touches every price, so it
is asked first with buttons and an example. What cannot be told apart is asked ("¿cuál de
estas?"), never guessed: two items match the words equally, or no item does. Invoices already
issued keep their prices; only what is billed from now on changes."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from rapidfuzz import fuzz

from core import es_ar
from core.billing.price_book import create_item, list_items, update_item
from core.errors import DomainError
from core.links import back_office_link
from core.messaging import texts
from core.messaging.replies import Button, Buttons, Reply, Text
from core.models import ConversationRole, PriceBookItem
from flows.booking_job import JOB_SERVICE
from flows.buttons import PriceTap
from flows.engine import FlowSpec
from flows.turn import Turn
from nlu.extract.money import find_amount
from nlu.extract.services import classify_service
from nlu.extract.text import fold_aligned

# "subí", "subile", "poné", "ponela", "cambiá", "actualizá", "bajá", "dejá", "pasá": a price set
_SET = re.compile(
    r"\b(?:subi|subile|subilo|subila|subime|sube|aumenta|aumentale|aumentalo|aumentala|baja|bajale|bajalo"
    r"|bajala|pone|ponele|ponelo|ponela|cambia|cambiale|cambialo|cambiala|actualiza|actualizale"
    r"|actualizalo|actualizala|deja|dejalo|dejala|pasa|pasalo|pasala|remarca|remarcale)\b")
_DOWN = re.compile(r"\b(?:baja|bajale|bajalo|bajala|rebaja\w*|descont\w*)\b")
# "agregá", "sumá a la lista", "cargá", "creá", "anotá": a new item
_ADD_VERB = (r"(?:agrega|agregale|agregame|suma|sumale|sumame|carga|cargame|crea|anota|anotame"
             r"|mete|metele)")
_ADD = re.compile(rf"\b{_ADD_VERB}\b")
# the list itself, or a price: what makes "agregá" or "subí" about the price book at all
_PRICE_WORDS = re.compile(r"\b(?:precios?|lista|tarifario|tarifas?|cuesta|cobramos|sale)\b")
# a listed price asked: "¿cuánto tenemos la visita?", "¿a cuánto está el destape?", "¿qué precio
# tiene el cambio de flexible?"
_ASKED = re.compile(
    r"\b(?:a\s+|en\s+)?cuanto\s+(?:la\s+|lo\s+|las\s+|los\s+)?(?:tenemos|cobramos|estamos\s+cobrando|pusimos"
    r"|esta|estan|sale|salen)\b|\bque\s+precio\s+(?:tiene|tenemos|le\s+pusimos)\b|\bprecio\s+(?:de(?:l)?|tiene)\b")
_PERCENT = re.compile(r"(?P<n>\d{1,2}(?:[.,]\d)?)\s*(?:%|por\s*ciento|porciento)")
_ALL = re.compile(r"\b(?:todo|todos|toda\s+la\s+lista|la\s+lista|los\s+precios|todas?\s+las?\s+(?:cosas|precios))\b")
# words that say how or when, never what: "desde hoy", "de ahora en más", "porfa"
_NOT_ITEM = frozenset({
    "el", "la", "los", "las", "un", "una", "de", "del", "al", "a", "en", "y", "o", "para", "con", "que",
    "desde", "hoy", "ahora", "mas", "porfa", "che", "lucas", "luca", "mil", "pesos", "precio", "precios",
    "lista", "nuevo", "nueva", "tambien", "por", "favor", "ya", "me", "lo", "le", "nos",
})
MATCH_WORD = 85  # rapidfuzz ratio at or above which a written word is the item's word
PRICE_STEP = Decimal(100)  # a list moved by a percentage is rounded to $100
MAX_ITEM_NAME = 160
MAX_LISTED = 5


def handle(turn: Turn) -> list[Reply] | None:
    """A price set, an item added or the whole list moved by a percentage; None when the owner's
    words are none of these (a price asked is `prices.owner_answer`'s)."""
    if turn.role is not ConversationRole.OWNER or turn.tap is not None or not turn.text \
            or turn.session is None or turn.conversation.flow is not None:
        return None
    said = es_ar.folded(turn.text)
    if _ASKED.search(said) and not _SET.search(said) and not _ADD.search(said):
        return price_asked(turn)
    if (percent := _PERCENT.search(fold_aligned(turn.text))) is not None and _ALL.search(said) \
            and (_SET.search(said) or re.search(r"\b(?:aumento|inflacion|suba)\b", said)):
        return _ask_all(turn, said, percent)
    add = _ADD.search(said)
    if add is None and _SET.search(said) is None or _names_a_customer(turn, said):
        return None  # "dejá la visita de Gómez en 8 mil": that visit's charge, not the list
    amount = find_amount(fold_aligned(turn.text))
    if amount is None:
        return None
    items = list_items(turn.session)
    found = _named(items, said)
    if not found and add is None and (shown := _just_shown(turn)) is not None:
        found = [shown]  # "subilo a 16 lucas" right after "¿a cuánto tenemos el flexible?"
    if add is not None and (not found or len(found) > 1 or not _whole_name(found[0], said)):
        if not (_PRICE_WORDS.search(said) or classify_service(said)):
            return None  # "sumale 5000 al de Gómez": no item of a price book
        return _add(turn, amount)
    if not found:
        if not _PRICE_WORDS.search(said):
            return None  # "pasá lo de García a las 10": no price book item named at all
        return [Text(texts.render("owner_price_unknown", link=_link(turn)))]
    if len(found) > 1:
        return [Text(texts.render("owner_price_which", items=[
            {"name": item.name, "price": es_ar.pesos(item.price)} for item in found[:MAX_LISTED]]))]
    return _set(turn, found[0], Decimal(str(amount)))


def _names_a_customer(turn: Turn, said: str) -> bool:
    """Whether the words name the customer of an open visit ("lo de Gómez", "la de Paz")."""
    from flows.owner_assign import open_jobs_of  # it reaches the engine, which imports us

    words = set(said.split())
    return any(words & {w for w in es_ar.folded(job.customer.name or "").split() if len(w) > 2}
               for job in open_jobs_of(turn) if job.customer is not None)


def price_asked(turn: Turn) -> list[Reply] | None:
    """A listed price asked by the team ("¿a cuánto tenemos la visita?", "¿cuánto está el cambio
    de sifón en la lista?"): the lines the words name (the owner also gets where to change them);
    None when it is no such question or no item is named."""
    if turn.tap is not None or not turn.text or turn.session is None:
        return None
    said = es_ar.folded(turn.text)
    if not _ASKED.search(said) or _SET.search(said) or _ADD.search(said):
        return None
    asked = _named(list_items(turn.session), said)
    if not asked:
        return None
    if len(asked) == 1:
        turn.save(**{PRICE_SHOWN: {"id": asked[0].id, "at": turn.now.isoformat()}})
    return [Text(texts.render("owner_price", link=_link(turn), owner=turn.role is ConversationRole.OWNER,
                              items=[{"name": item.name, "price": es_ar.pesos(item.price)}
                                     for item in asked[:MAX_LISTED]]))]


PRICE_SHOWN = "price_shown"  # the item whose price was just asked: "subilo a 16 lucas" next
PRICE_SHOWN_FOR = timedelta(minutes=30)


def _just_shown(turn: Turn) -> PriceBookItem | None:
    shown = turn.slots.get(PRICE_SHOWN)
    if not shown or turn.now - datetime.fromisoformat(shown["at"]) > PRICE_SHOWN_FOR:
        return None
    item = turn.session.get(PriceBookItem, shown["id"])
    return item if item is not None and not item.archived else None


def _named(items: list[PriceBookItem], said: str) -> list[PriceBookItem]:
    """The items the words name best: the share of each item's words found in them (a word
    written with a slip still counts); several when they tie."""
    written = [w for w in re.findall(r"[a-zñ]+", said) if w not in _NOT_ITEM and len(w) > 2]
    scored = []
    for item in items:
        words = _item_words(item)
        if not words:
            continue
        hits = sum(1 for w in words if any(fuzz.ratio(w, x) >= MATCH_WORD for x in written))
        if hits:
            scored.append((hits / len(words), hits, item))
    if not scored:
        return []
    best = max((share, hits) for share, hits, _ in scored)
    return [item for share, hits, item in scored if (share, hits) == best]


def _whole_name(item: PriceBookItem, said: str) -> bool:
    written = said.split()
    return all(any(fuzz.ratio(w, x) >= MATCH_WORD for x in written) for w in _item_words(item))


def _item_words(item: PriceBookItem) -> list[str]:
    """The words that name an item ("Cambio de flexible" → cambio, flexible)."""
    return [w for w in re.findall(r"[a-zñ0-9/]+", es_ar.folded(item.name)) if w not in _NOT_ITEM]


def _set(turn: Turn, item: PriceBookItem, price: Decimal) -> list[Reply]:
    old = item.price
    try:
        update_item(turn.session, item.id, {"price": price}, actor=turn.actor)
    except DomainError as exc:
        return [Text(texts.render("tech_error", reason=str(exc).rstrip(".")))]
    return [Text(texts.render("owner_price_changed", name=item.name, old=es_ar.pesos(old),
                              new=es_ar.pesos(price), same=old == price, link=_link(turn)))]


# what goes before the new item's name: the order and its list ("agregá a la lista …")
_ADD_LEAD = re.compile(
    rf"^.*?\b{_ADD_VERB}\b"
    r"(?:\s+(?:a\s+la\s+lista|al\s+tarifario|en\s+la\s+lista)(?:\s+de\s+precios)?)?\s*:?\s*", re.IGNORECASE)
# what goes after it: its price ("a 35 mil", "35 lucas", "$35.000", "en 35k")
_PRICE_TAIL = re.compile(r"(?:^|[\s,:-])(?:(?:a|en|por|x|que\s+(?:sale|cuesta)|sale|cuesta)\s+)?\$?\s*\d.*$",
                         re.IGNORECASE)


def _order_line(text: str) -> str:
    """The line of a burst that gives the order ("hola" / "agregá … 14 lucas" / "es de gas"):
    the item's name is read from it alone, never from a greeting or an aside around it."""
    lines = [line for line in text.splitlines() if line.strip()]
    return next((line for line in lines if _ADD.search(es_ar.folded(line))), text)


def _add(turn: Turn, amount: float) -> list[Reply]:
    text = _order_line(turn.text)
    aligned = fold_aligned(text)
    lead = _ADD_LEAD.match(aligned)
    rest = text[lead.end():] if lead else text
    tail = _PRICE_TAIL.search(fold_aligned(rest))
    name = (rest[:tail.start()] if tail else rest).strip(" ,.;:-")
    name = re.sub(r"\s+a\s+la\s+lista(?:\s+de\s+precios)?$", "", name, flags=re.IGNORECASE).strip(" ,.;:-")
    if not name or len(name) > MAX_ITEM_NAME:
        return [Text(texts.render("owner_price_unknown", link=_link(turn)))]
    name = name[:1].upper() + name[1:]
    folded = es_ar.folded(name)
    # the trade from the name, else from the rest of the burst ("… termocupla 14 lucas" / "es de gas")
    service = JOB_SERVICE.get(classify_service(folded) or classify_service(es_ar.folded(turn.text)) or "",
                              None)
    work = bool(re.search(r"\b(?:cambio|instalacion|colocacion|reparacion|destapacion|service|revision"
                          r"|limpieza|carga|visita|mano\s+de\s+obra|arreglo|destape)\b", folded))
    try:
        item = create_item(turn.session, {"name": name, "price": Decimal(str(amount)),
                                           "service": service, "unit": "servicio" if work else "unidad"},
                           actor=turn.actor)
    except DomainError as exc:
        return [Text(texts.render("tech_error", reason=str(exc).rstrip(".")))]
    return [Text(texts.render("owner_price_added", name=item.name, price=es_ar.pesos(item.price),
                              link=_link(turn)))]


def moved(price: Decimal, tenths: int) -> Decimal:
    """`price` moved by `tenths` tenths of a percent, rounded to PRICE_STEP (never below it)."""
    raw = price * (Decimal(1000 + tenths) / Decimal(1000))
    steps = (raw / PRICE_STEP).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return max(steps * PRICE_STEP, PRICE_STEP)


def _ask_all(turn: Turn, said: str, percent: re.Match) -> list[Reply]:
    tenths = round(float(percent.group("n").replace(",", ".")) * 10)
    if _DOWN.search(said):
        tenths = -tenths
    items = _priced_items(turn)
    if not items or tenths == 0 or not -900 < tenths <= 2000:
        return [Text(texts.render("owner_price_unknown", link=_link(turn)))]
    example = max(items, key=lambda item: item.price)
    body = texts.render("owner_price_all_ask", percent=_percent_text(tenths), up=tenths > 0,
                        count=len(items), name=example.name, old=es_ar.pesos(example.price),
                        new=es_ar.pesos(moved(example.price, tenths)))
    return [Buttons(body=body, buttons=(
        Button(PriceTap(tenths).encode(), "Sí, cambialos"),
        Button(PriceTap(0).encode(), "No, dejalos")))]


def _tapped(turn: Turn) -> list[Reply]:
    tap = turn.tap
    if not isinstance(tap, PriceTap) or tap.percent == 0:
        return [Text(texts.render("owner_price_all_kept"))]
    items = _priced_items(turn)
    for item in items:
        update_item(turn.session, item.id, {"price": moved(item.price, tap.percent)}, actor=turn.actor)
    return [Text(texts.render("owner_price_all_done", percent=_percent_text(tap.percent),
                              up=tap.percent > 0, count=len(items), link=_link(turn)))]


def _priced_items(turn: Turn) -> list[PriceBookItem]:
    """The items a percentage moves: every active one with a price."""
    return [item for item in list_items(turn.session) if item.price > 0]


def _percent_text(tenths: int) -> str:
    value = abs(tenths) / 10
    return (f"{value:g}" if value != int(value) else str(int(value))).replace(".", ",") + "%"


def _link(turn: Turn) -> str:
    return back_office_link(turn.settings, "price-book")


SPEC = FlowSpec(name="owner_prices", roles=frozenset({ConversationRole.OWNER}), handle=_tapped,
                taps=(PriceTap,))
