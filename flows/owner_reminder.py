"""The owner asking for a payment reminder: "mandale un recordatorio amable" (after "quién me
debe", to the one who owes), "recordale a Marta que tiene pendiente el pago", "mandales un
recordatorio a todos los que deben".

Each customer gets one warm message in the business's voice with what is owed and how to pay
(the Mercado Pago link still valid, the transfer alias), the same ways the payment step offers;
the owner hears who was reminded of what. Nobody who owes nothing is written to: the owner hears
so instead."""

from __future__ import annotations

import re
from decimal import Decimal

from core import es_ar
from core.billing.payments import payment_options
from core.billing.reports import unpaid
from core.messaging import texts
from core.messaging.outbox import customer_conversation
from core.messaging.replies import Reply, Text
from core.models import Customer
from flows.turn import Turn

# "mandale un recordatorio", "mandales un recordatorio de pago", "recordale que tiene que pagar",
# "hacele acordar del pago", "reclamale la plata a Marta"
_REMIND = re.compile(
    r"\b(?:manda(?:le|les)|envia(?:le|les)|pasa(?:le|les)|hace(?:le|les))\s+(?:un\s+|el\s+)?"
    r"(?:recordatorio|aviso\s+de\s+pago|recordatorio\s+de\s+pago)\b"
    r"|\brecorda(?:le|les)\s+(?:a\s+\w+(?:\s+\w+)?\s+)?(?:que\s+)?(?:(?:tiene|tienen)\s+(?:que\s+pagar|pendiente)|"
    r"(?:el|lo\s+del?|del)\s+pago|(?:la|lo\s+de\s+la)\s+(?:deuda|plata|factura)|que\s+(?:nos\s+)?debe)"
    r"|\bhace(?:le|les)\s+acordar\s+(?:del?\s+)?(?:pago|deuda|plata|factura)"
    r"|\breclama(?:le|les)\s+(?:el\s+pago|la\s+plata|la\s+deuda)")
_EVERYONE = re.compile(r"\b(?:a\s+)?(?:todos|todas|los\s+que\s+(?:deben|me\s+deben|nos\s+deben)|cada\s+uno)\b")
_NAME_AFTER = re.compile(r"\ba\s+(?P<who>(?:la\s+|el\s+|los\s+|don\s+|dona\s+|sra\s+|sr\s+)?[a-zñ]+(?:\s+[a-zñ]+)?)")


def handle(turn: Turn) -> list[Reply] | None:
    said = turn.said
    asked = _REMIND.search(said)
    if asked is None:
        return None
    debtors = unpaid(turn.session, limit=50)
    if not debtors:
        return [Text(texts.render("owner_reminder", reminded=[], nobody=True, asked=None))]
    words, named = _named(said, debtors)
    if words and not named and not _EVERYONE.search(said):
        return [Text(texts.render("owner_reminder", reminded=[], nobody=False, asked=" ".join(sorted(words))))]
    if not named:  # nobody named: all of them when asked so, the one who owes, or which of them?
        if _EVERYONE.search(said) or len(debtors) == 1:
            named = debtors
        else:
            return [Text(texts.render("owner_reminder_which", debtors=listed(debtors)))]
    reminded = []
    for debtor in named:
        customer = turn.session.get(Customer, debtor.customer_id)
        conversation = customer_conversation(turn.session, customer) if customer else None
        if conversation is None:
            continue
        options = payment_options(turn.session, customer)
        owed = options.amount if options is not None and isinstance(options.amount, Decimal) \
            and options.amount > 0 else debtor.balance
        body = texts.render(
            "customer_payment_reminder", name=es_ar.first_name(customer.name),
            business=turn.org.name if turn.org else "", amount=es_ar.pesos(owed),
            link=options.link if options else None, alias=options.alias if options else None,
            cbu=options.cbu if options else None, holder=options.holder if options else None)
        turn.notify(conversation.wa_id, Text(body, preview_url=bool(options and options.link)))
        reminded.append({"name": customer.name, "balance": es_ar.pesos(owed)})
    return [Text(texts.render("owner_reminder", reminded=reminded, nobody=False, asked=None))]


_NOT_NAMES = frozenset({"todos", "todas", "los", "las", "que", "deben", "cada", "uno", "pago", "deuda",
                        "plata", "factura", "cliente", "clientes"})


def _named(said: str, debtors) -> tuple[set[str], list]:
    """The words naming someone ("a Marta", "recordale a García") and the debtors they name."""
    words = {w for m in _NAME_AFTER.finditer(said) for w in m.group("who").split()
             if len(w) > 2 and w not in _NOT_NAMES}
    return words, debtors_named(words, debtors)


def debtors_named(words: set[str], debtors) -> list:
    """The debtors whose name holds one of `words` (folded)."""
    return [d for d in debtors if words & {w for w in es_ar.folded(d.name).split() if len(w) > 2}]


def listed(debtors) -> list[dict]:
    """Who owes what, as the owner's lists show it."""
    return [{"name": d.name, "balance": es_ar.pesos(d.balance)} for d in debtors[:10]]
