"""The owner saying a transfer came in: "sí, entró la de Raúl", "ya cayó la transferencia de
Marta", "recibí la plata de García, registrala".

A transfer reaches no webhook, so when a customer says "ya transferí" the owner is asked to look
at the bank and record it. Said back on WhatsApp, it is recorded here as the back office's
"Registrar pago" would (`core.billing.payments.record_manual_payment`, a transfer for what the
invoice still owes, or the amount said), the customer hears it came in, and the owner hears what
was recorded. Which customer: the one named among those who owe, else the only one who owes.
Nothing is recorded on a guess: two who owe and nobody named get the list back."""

from __future__ import annotations

import re
from decimal import Decimal

from core import es_ar
from core.billing import invoicing
from core.billing.payments import open_invoice, record_manual_payment
from core.billing.reports import unpaid
from core.errors import ValidationFailed
from core.messaging import texts
from core.messaging.outbox import customer_conversation
from core.messaging.replies import Reply, Text
from core.models import Customer, PaymentMethod, utcnow
from flows.owner_reminder import debtors_named, listed
from flows.turn import Turn

# "entró la de Raúl", "ya cayó la transferencia", "se acreditó el pago de Marta", "recibí la plata
# de García" — the money arrived (not "¿llegó Carlos?", "entró un pedido")
_MONEY = r"(?:transferencia|transf|plata|guita|pago|deposito)"
_CAME_IN = re.compile(
    # "entró la de Raúl", "cayó lo de Marta": the verbs of money coming in, with whose
    rf"\b(?:entro|entraron|cayo|cayeron|se\s+acredito|se\s+acreditaron)\s+(?:la|lo|el)\s+(?:{_MONEY}\s+)?de\s+\w+"
    # "ya llegó la transferencia de Marta", "recibí la plata de García": other verbs, with the money named
    rf"|\b(?:entro|entraron|cayo|cayeron|se\s+acredito|se\s+acreditaron|ya\s+(?:esta|vi|la\s+vi|lo\s+vi)|"
    rf"recibi|recibimos|llego|llegaron|me\s+llego|nos\s+llego)\s+(?:\w+\s+){{0,2}}?{_MONEY}\b"
    # "me entraron 10 lucas x transferencia", "ahora me entraron los otros 2": an amount come in
    r"|\b(?:me\s+|nos\s+|ya\s+)?(?:entro|entraron|cayo|cayeron|llego|llegaron|recibi|recibimos)\s+"
    r"(?:unos\s+|como\s+)?(?:\$\s*\d[\d.]*|\d[\d.]*\s*(?:lucas?|mil|k|pesos)\b|(?:los|las)\s+otr[oa]s\s+\d+\b"
    r"|el\s+resto\b)")
# "los otros 2", "el resto", "lo que faltaba": what the invoice still owes
_REST = re.compile(r"\b(?:el\s+resto|lo\s+que\s+falta\w*|(?:los|las)\s+otr[oa]s|lo\s+que\s+(?:debia|quedaba)"
                   r"|el\s+saldo)\b")
_NOT_NAMES = frozenset({"transferencia", "transf", "plata", "guita", "pago", "deposito", "registrala",
                        "registralo", "anotala", "anotalo", "cargala", "cargalo", "cuenta", "banco"})


def handle(turn: Turn) -> list[Reply] | None:
    said = turn.said
    if not _CAME_IN.search(said) or turn.tap is not None or "?" in (turn.text or ""):
        return None  # "¿entró la de Marta?" asks; only the owner's word records
    debtors = unpaid(turn.session, limit=50)
    if not debtors:
        return [Text(texts.render("owner_payment_recorded", recorded=None, debtors=[]))]
    words = {w for w in re.findall(r"[a-zñ]+", said) if len(w) > 2 and w not in _NOT_NAMES}
    named = debtors_named(words, debtors)
    if not named and len(debtors) == 1:
        named = debtors
    if len(named) != 1:
        return [Text(texts.render("owner_payment_recorded", recorded=None,
                                  debtors=listed(named or debtors)))]
    customer = turn.session.get(Customer, named[0].customer_id)
    found = open_invoice(turn.session, customer) if customer is not None else None
    if found is None:
        return None
    invoice, balance = found
    amount = balance if _REST.search(said) else _said_amount(turn.result.amount, balance)
    try:
        with turn.session.begin_nested():
            outcome = record_manual_payment(
                turn.session, invoice, method=PaymentMethod.TRANSFER, amount=amount,
                actor=turn.actor, note=es_ar.shortened(turn.text, 200), now=utcnow())
    except ValidationFailed as exc:
        return [Text(texts.render("tech_error", reason=str(exc).rstrip(".")))]
    left = es_ar.pesos(outcome.balance) if outcome.balance > 0 else None
    conversation = customer_conversation(turn.session, customer)
    if conversation is not None:
        turn.notify(conversation.wa_id, Text(texts.render(
            "payment_received", name=es_ar.first_name(customer.name), amount=es_ar.pesos(amount),
            label=invoicing.label(invoice), balance=left)))
    return [Text(texts.render("owner_payment_recorded", debtors=[], recorded={
        "name": customer.name, "amount": es_ar.pesos(amount), "label": invoicing.label(invoice),
        "balance": left, "told": conversation is not None}))]


def _said_amount(said: float | None, balance: Decimal) -> Decimal:
    """The amount the owner says came in, within what is owed (else all of it); a bare figure
    under a thousand is in thousands, as the trade says it ("los otros 2" of $2.000 owed)."""
    if not said or said <= 0:
        return balance
    amount = Decimal(str(said))
    if amount < 1000 and amount * 1000 <= balance:
        amount *= 1000
    return min(amount, balance)
