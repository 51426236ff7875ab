"""A technician's (or a customer's) question the bot cannot answer goes to the office, not to
"no te entendí".

"¿Me pasás el número de la ART? Me corté con una chapa", "¿dónde dejo la factura del
corralón?", "¿mañana se trabaja, que es feriado?": a technician asks the business, and the bot
is only its front desk. Met with "no te entendí" and the menu, the question is lost and the
second one hands the technician to a person anyway. So a question (a question mark, or the
words one starts with) is passed at once to every owner, admin and dispatcher with a phone, with
the technician's number to answer them directly, and the technician hears it was passed on.
Keyboard mash and plain chatter are not questions and still count as misses."""

from __future__ import annotations

import re

from core import es_ar
from core.links import conversation_link
from core.messaging import texts
from core.messaging.replies import Reply, Text
from core.models import ConversationRole
from flows.turn import Turn

QUOTE = 300
_ASKS = re.compile(
    r"^(?:y\s+|che\s+|hola\s+|una\s+pregunta\s+)*(?:que|como|donde|cuando|quien|quienes|cual|cuales|cuanto"
    r"|cuanta|cuantos|cuantas|por\s+que|para\s+que|me\s+pasas|me\s+pasan|me\s+mandas|tenes|tienen|hay"
    r"|puedo|se\s+puede|sabes|saben|alguien\s+sabe)\b"
)


def is_question(text: str) -> bool:
    said = es_ar.folded(text)
    return "?" in text or bool(_ASKS.search(said))


def forward(turn: Turn, *, request: bool = False, more: bool = False) -> list[Reply] | None:
    """Pass a technician's question (or, with `request`, what they ask of the office in any
    words: "solo no lo saco, necesito una mano"; with `more`, something added to the request just
    passed: "y un rollo de teflón") to the office; None when it is no question or nobody is there
    to ask."""
    c = turn.conversation
    if c.role is ConversationRole.CUSTOMER:
        return _customer_question(turn)
    if c.role is not ConversationRole.TECHNICIAN or not turn.text \
            or not (request or is_question(turn.text)):
        return None
    name = turn.user.name if turn.user else (c.profile_name or es_ar.readable_phone(c.phone))
    office = turn.tell_staff(texts.render("staff_tech_question", name=name,
                                          phone=es_ar.readable_phone(c.phone),
                                          text=es_ar.shortened(turn.text, QUOTE), request=request,
                                          more=more))
    if not office:
        return None
    from flows import relay  # it reaches the engine, which imports this module

    if turn.user is not None:
        relay.remember_forward(turn, office, turn.user)  # answered in the office's chat: back to him
    boss = es_ar.first_name(office[0].name) if len(office) == 1 else None
    return [Text(texts.render("tech_question_passed", boss=boss, request=request, more=more))]


# "¿en efectivo le puedo dar al muchacho?", "¿aceptan tarjeta?", "¿se puede pagar con transferencia?":
# the ways the business takes, which the bot knows
# (a way to pay and a word of paying, in either order)
_PAY_WAY = re.compile(r"\b(?:tarjeta|efectivo|transferencia|mercado\s*pago|debito|credito|cuotas)\b")
_PAYING = re.compile(r"\b(?:pag\w*|abon\w*|dar(?:le)?|doy|aceptan|toman|reciben|cobran)\b")
CUSTOMER_QUESTION_WORDS = 3  # "¿qué?" or "¿y?" is confusion, not a question for the office


def _customer_question(turn: Turn) -> list[Reply] | None:
    """"¿El técnico tiene matrícula de gasista?", "¿trabajan con obra social?": a customer's
    question the bot has no answer for is the business's to answer, not a miss. The inbox staff
    get it with the conversation's link; the customer hears it was passed on."""
    c = turn.conversation
    if not turn.text or not is_question(turn.text) \
            or len(es_ar.folded(turn.text).split()) < CUSTOMER_QUESTION_WORDS:
        return None
    said = es_ar.folded(turn.text)
    if _PAY_WAY.search(said) and _PAYING.search(said):
        from flows.customer_billing import (
            payment_replies,  # it reaches the engine, which imports us
        )

        return payment_replies(turn)  # "¿y en efectivo también le puedo dar al muchacho?"
    name, phone = turn.writer
    office = turn.tell_staff(texts.render(
        "staff_customer_question", name=name, phone=phone,
        text=es_ar.shortened(turn.text, QUOTE), link=conversation_link(turn.settings, c.id)))
    if not office:
        return None
    from flows import relay  # it reaches the engine, which imports this module

    relay.remember_forward(turn, office, turn.customer)
    return [Text(texts.render("cust_question_passed", name=turn.first_name))]
