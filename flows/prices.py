"""A customer's "¿cuánto sale destapar una cañería?": the price book's price for the work named,
or, when the work is not in it, how the price is set (and what the visit costs, if listed).

Asked before hiring (the model reads it as a new job or as chit-chat: people write it both
ways), and in the middle of a booking, where the answer comes first and the booking goes on."""

from __future__ import annotations

import re

from core import es_ar
from core.billing.price_book import list_items
from core.messaging import texts
from core.messaging.replies import Reply, Text
from flows.turn import Turn
from flows.work_text import match_lines
from nlu.extract.text import fold_aligned

MAX_ITEMS = 3
# "cuánto sale/cuesta/cobran", "qué precio tiene", "el precio de", "precios?", "presupuesto?":
# the question, on folded text (no accents, lower case)
_ASKS = re.compile(
    r"\bcuant[oa]s?\s+(?:me\s+|te\s+|nos\s+|les\s+|le\s+)?(?:(?:va|van|iria|irian)\s+a\s+(?:salir|costar|cobrar)"
    r"|sale|salen|saldria|saldrian|cuesta|cuestan"
    r"|costaria|cobran|cobras|cobrarian|cobraria|cobrarias|vale|valen|esta|estan|seria|serian"
    r"|es\s+(?:el|la)\s+(?:precio|tarifa|visita))\b"
    r"|\bque\s+precio(?:\s+(?:tiene|tienen|tendria|tendrian|sale|es))?\b"
    r"|\bque\s+(?:valor|tarifa|costo)\s+(?:tiene|tienen|tendria|tendrian)\b"
    r"|\b(?:el\s+|los\s+|un\s+)?(?:precio|valor|costo|tarifa)s?\s+(?:de|del|por|para|aprox\w*)\b"
    r"|\b(?:precio|precios|presupuesto|tarifa|costo)\s*\?"
    r"|\b(?:pasame|pasen|pasas|pasarme|me\s+pasan|me\s+pasas|me\s+dan|me\s+das)\s+(?:un\s+|el\s+|los\s+)?"
    r"(?:precio|precios|presupuesto|valor|costo)s?\b"
)
# What is cut before the rest is matched against the price book: greetings and the question
_NOISE = re.compile(
    r"^\W*(?:hola|buenas|buen\s+dia|buenos\s+dias|buenas\s+tardes|buenas\s+noches|que\s+tal)\W*"
)


def asks_price(text: str) -> bool:
    return _ASKS.search(fold_aligned(text or "")) is not None


def answer(turn: Turn, *, offer_booking: bool = False) -> list[Reply] | None:
    """The prices for the work asked about, when the customer's message asks for a price."""
    text = turn.text or ""
    folded = fold_aligned(text)  # the same length as the text: its spans cut the text as written
    found = _ASKS.search(folded)
    if found is None or turn.session is None:
        return None
    rest = f"{text[:found.start()]} {text[found.end():]}"
    noise = _NOISE.match(fold_aligned(rest))
    rest = rest[noise.end():] if noise else rest
    lines = match_lines(turn.session, rest, None).lines[:MAX_ITEMS]  # no amount: items only
    items = [{"name": line.description, "price": es_ar.pesos(line.unit_price)} for line in lines]
    visit = None if items else _visit_price(turn)
    return [Text(texts.render("cust_price", items=items, visit=visit, offer=offer_booking))]


def _visit_price(turn: Turn) -> str | None:
    """The listed price of a visit ("Visita de diagnóstico"), if the price book has one."""
    for item in list_items(turn.session):
        if re.search(r"\bvisita\b", es_ar.folded(item.name)):
            return es_ar.pesos(item.price)
    return None
