"""A customer the owner asks the bot not to book: "a Quiroga no le tomes más trabajos hasta que
pague lo que debe, si escribe pasámelo a mí".

The owner's word is the order (as with reminders): the hold is kept on the customer, said back
with what they owe, and lifted by "ya le podés tomar trabajos a Quiroga" — or by itself, for a
hold until paid, once nothing is owed. While it stands, the customer's request for work is not
booked: they hear that someone from the team writes to them, and the owner gets the request in
their words with the balance (never a silence, never an "estás bloqueado")."""

from __future__ import annotations

import re

from core import es_ar
from core.billing.payments import open_invoice
from core.customers.search import customers_named
from core.messaging import texts
from core.messaging.replies import Reply, Text
from core.models import ConversationRole, Customer, Role
from flows.turn import Turn

# "no le tomes más trabajos", "no le agendes nada", "no le des más turnos", "no lo atiendas más"
_HOLD = re.compile(
    r"\bno\s+(?:le|les|lo|la)\s+(?:tomes|tomen|tomemos|agendes|agenden|des|den|demos|hagas|hagan|aceptes"
    r"|acepten|atiendas|atiendan|mandes|manden)\s+(?:mas\s+|ningun\w*\s+|nada\s*)?(?:trabajos?|turnos?|visitas?"
    r"|nada|pedidos?|laburos?|mas\b)")
_UNTIL_PAID = re.compile(r"\bhasta\s+que\s+(?:no\s+)?(?:pague|cancele|salde|abone|se\s+ponga\s+al\s+dia)\b")
# "ya le podés tomar trabajos a Quiroga", "sacale el bloqueo a Paz", "Quiroga ya puede pedir"
_LIFT = re.compile(
    r"\b(?:ya\s+)?(?:le|les)\s+(?:podes|pueden|podemos)\s+(?:volver\s+a\s+)?(?:tomar|agendar|dar|aceptar)\b"
    r"|\b(?:saca|sacale|levanta|levantale|quita|quitale)\w*\s+(?:el\s+)?(?:bloqueo|freno)\b"
    r"|\bvolve\s+a\s+(?:tomarle|agendarle|atenderlo|atenderla)\b")
_NOT_NAME = frozenset({
    "no", "le", "les", "lo", "la", "tomes", "tomen", "agendes", "agenden", "des", "den", "hagas", "mas",
    "trabajos", "trabajo", "turnos", "turno", "visitas", "nada", "pedidos", "hasta", "que", "pague",
    "debe", "deba", "todo", "escribe", "escribi", "pasamelo", "pasamela", "mi", "che", "ya", "podes",
    "pueden", "tomar", "agendar", "sacale", "saca", "bloqueo", "senora", "senor", "cliente", "atiendas",
    "porque", "xq", "nos", "sin", "pagar", "cancele", "salde", "abone", "los", "las", "del", "con",
    "volver", "volve", "tomarle", "agendarle", "aceptes", "plata", "hace", "meses", "semanas", "deuda",
})
LISTED = 3


def handle(turn: Turn) -> list[Reply] | None:
    """The owner's order to hold or free a customer's bookings; None when it is none."""
    if turn.role is not ConversationRole.OWNER or turn.tap is not None or not turn.text:
        return None
    said = es_ar.folded(turn.text)
    hold, lift = _HOLD.search(said), _LIFT.search(said)
    if hold is None and lift is None:
        return None
    words = [w for w in re.findall(r"[a-zñ]+", said) if len(w) > 2 and w not in _NOT_NAME]
    found = customers_named(turn.session, " ".join(words[:4]), limit=LISTED) if words else []
    if not found:
        return None
    if len(found) > 1:
        return [Text(texts.render("owner_customer_which", names=[c.name for c in found]))]
    customer = found[0]
    owed = open_invoice(turn.session, customer)
    balance = es_ar.pesos(owed[1]) if owed else None
    if lift is not None and hold is None:
        customer.booking_hold = None
        return [Text(texts.render("owner_hold_lifted", customer=customer.name))]
    until_paid = bool(_UNTIL_PAID.search(said))
    customer.booking_hold = {"until_paid": until_paid, "at": turn.now.isoformat(),
                             "by": es_ar.first_name(turn.user.name) if turn.user else None,
                             "said": es_ar.shortened(turn.text, 300)}
    return [Text(texts.render("owner_hold_set", customer=customer.name, until_paid=until_paid,
                              balance=balance))]


def held(turn: Turn, customer: Customer | None) -> bool:
    """Whether the owner holds `customer`'s bookings now (a hold until paid lifts itself once
    nothing is owed)."""
    hold = customer.booking_hold if customer is not None else None
    if not hold:
        return False
    if hold.get("until_paid") and open_invoice(turn.session, customer) is None:
        customer.booking_hold = None
        return False
    return True


def pass_to_owner(turn: Turn) -> list[Reply]:
    """A held customer's request: to the owner with the balance, and a kind word to them."""
    customer = turn.customer
    owed = open_invoice(turn.session, customer)
    name, phone = turn.writer
    turn.tell_staff(texts.render(
        "owner_hold_request", customer=customer.name or name, phone=phone,
        balance=es_ar.pesos(owed[1]) if owed else None, text=es_ar.shortened(turn.text or "", 300)),
        roles=(Role.OWNER, Role.ADMIN))
    turn.conversation.misses = 0
    return [Text(texts.render("cust_held", name=turn.first_name))]
