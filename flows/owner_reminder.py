"""The owner asking for a payment reminder: "mandale un recordatorio amable" (after "quién me
debe", to the one who owes), "recordale a Marta que tiene pendiente el pago", "mandales un
recordatorio a todos los que deben".

Each customer gets one warm message in the business's voice with what is owed and how to pay
(the Mercado Pago link still valid, the transfer alias), the same ways the payment step offers;
the owner hears who was reminded of what. Nobody who owes nothing is written to: the owner hears
so instead."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from core import es_ar
from core.billing.payments import payment_options
from core.billing.reports import unpaid
from core.jobs.reminders import reminder_key, reminder_text, visits_on
from core.messaging import texts
from core.messaging.outbox import customer_conversation
from core.messaging.replies import Reply, Text
from core.models import Customer, Message
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
    if (answer := visits(turn)) is not None:
        return answer
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
    words = _name_words(said)
    return words, debtors_named(words, debtors)


def _name_words(said: str) -> set[str]:
    """The words after "a" that may name someone ("recordale a García" → {"garcia"})."""
    return {w for m in _NAME_AFTER.finditer(said) for w in m.group("who").split()
            if len(w) > 2 and w not in _NOT_NAMES}


def _names(words: set[str], name: str | None) -> bool:
    """Whether one of `words` (folded) is a word of `name`."""
    return bool(words & {w for w in es_ar.folded(name or "").split() if len(w) > 2})


def debtors_named(words: set[str], debtors) -> list:
    """The debtors whose name holds one of `words` (folded)."""
    return [d for d in debtors if _names(words, d.name)]


def listed(debtors) -> list[dict]:
    """Who owes what, as the owner's lists show it."""
    return [{"name": d.name, "balance": es_ar.pesos(d.balance)} for d in debtors[:10]]


# ---- reminders of the visits of a day, sent now --------------------------------------------

# "mandales ahora un recordatorio a los de mañana", "recordales a los clientes de mañana que
# tienen visita", "mandá ya los recordatorios de mañana": the visits' reminder, now
_VISIT_REMINDER = re.compile(r"\brecordatorios?\b|\brecorda(?:le|les|rle|rles)\b")
_MONEY = re.compile(r"\b(?:pag\w*|deud\w*|deben?|plata|factur\w*|cobr\w*|saldo)\b")
_STOP = re.compile(r"\b(?:no\s+(?:le|les)\s+(?:manden|mandes|mandemos|mandes)|mas\s+recordatorios|"
                   r"dej\w+\s+de\s+mandar|volve\w*\s+a\s+mandar)\b")


def visits(turn: Turn) -> list[Reply] | None:
    """The reminders of a day's visits sent now, each once: the evening's run (and a second
    ask) finds it sent under the same key and sends nothing."""
    said = turn.said
    if turn.conversation.flow or not _VISIT_REMINDER.search(said) or _MONEY.search(said) \
            or _STOP.search(said) or not turn.result.date:
        return None
    try:
        day = date.fromisoformat(turn.result.date)
    except ValueError:
        return None
    if day < turn.today:
        return None
    jobs = visits_on(turn.session, day, turn.zone)
    words = _name_words(said)
    jobs = [job for job in jobs if _names(words, job.customer.name)] or jobs
    lead = "hoy" if day == turn.today else "mañana" if day == turn.today + timedelta(days=1) else "el"
    sent, before, skipped = [], [], []
    for job in jobs:
        line = {"name": job.customer.name or es_ar.readable_phone(job.customer.phone),
                "at": es_ar.clock(es_ar.aware(job.scheduled_start).astimezone(turn.zone))}
        if job.customer.marketing_opt_out:
            skipped.append(line)
            continue
        key = reminder_key(job, day)
        if turn.session.scalar(select(Message.id).where(Message.idempotency_key == f"{key}:0")):
            before.append(line)
            continue
        conversation = customer_conversation(turn.session, job.customer)
        if conversation is None:
            continue
        turn.notify(conversation.wa_id, Text(reminder_text(job, turn.zone, lead)), key=key)
        sent.append(line)
    return [Text(texts.render("owner_visit_reminders", day=es_ar.day_phrase(day, turn.today),
                              sent=sent, before=before, skipped=skipped))]
