"""The owner asking for the visits of one trade: "¿qué trabajos de gas tenemos agendados?", "¿y de
plomería?", "los de gas, ¿quién los hace?", "¿hay alguno de gas para hoy?".

The contract has no intent for it (an owner's is a summary or who owes), so these met the day's
summary or "¡Nadie te debe nada!". The answer is the open visits of that trade, soonest first,
each with its day and hour, customer and technician; of the day named when one is ("para hoy",
"mañana"). "¿Y de plomería?" right after one such answer is another trade's."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from core import es_ar
from core.jobs import OPEN_STATUSES
from core.messaging import texts
from core.messaging.replies import Reply, Text
from core.models import ConversationRole, Job, Service
from flows.turn import Turn

SHOWN = 10
TRADE_ASKED = "trade_asked"  # the owner's slot: when the visits of a trade were last listed
TRADE_ASKED_FOR = timedelta(minutes=15)
# the trades as an owner names them
_TRADES = (
    (Service.GAS, re.compile(r"\b(?:de\s+|a\s+)?gas\b|\bgasist\w*")),
    (Service.PLUMBING, re.compile(r"\bplomeri\w*|\bplomer\w*|\bdestap\w*|\bcloaca\w*")),
    (Service.ELECTRICAL, re.compile(r"\belectric\w*|\bde\s+luz\b")),
    (Service.HVAC, re.compile(r"\baires?\b|\bsplits?\b|\bclimatizacion\b|\bcalefacc\w*|\bcaldera\w*")),
    (Service.LOCKSMITH, re.compile(r"\bcerrajer\w*|\bcerradura\w*")),
)
# visits asked for, not money: "trabajos/visitas de gas", "los de gas", "alguno de gas", "¿y de plomería?"
_VISITS = re.compile(
    r"\b(?:trabajos?|visitas?|laburos?|servicios?|agendad\w*|pendientes?)\b"
    r"|\b(?:los|las|alguno|alguna|algo|hay)\s+(?:\w+\s+)?(?:de|a)\s+(?:gas|plomeria|electricidad|luz|aire|cerrajeria)\b")
_FOLLOW_UP = re.compile(r"^\W*y\s+(?:los\s+|las\s+)?(?:de\s+)?\w+\W*$")
_MONEY = re.compile(r"\b(?:debe|deben|factur\w*|cobr\w*|plata|precios?|lista|cuanto\s+(?:sale|cuesta))\b")


def handle(turn: Turn) -> list[Reply] | None:
    """The open visits of the trade asked for; None when the words ask something else."""
    if turn.role is not ConversationRole.OWNER or turn.tap is not None or not turn.text:
        return None
    said = es_ar.folded(turn.text)
    trades = [service for service, named in _TRADES if named.search(said)]
    if len(trades) != 1 or _MONEY.search(said):
        return None
    follow_up = _FOLLOW_UP.match(said) and turn.lately(TRADE_ASKED, TRADE_ASKED_FOR)
    if not (_VISITS.search(said) or follow_up):
        return None
    day = _day(turn, said)
    visits = _visits(turn, trades[0], day)
    turn.save(**{TRADE_ASKED: turn.now.isoformat()})
    label = {Service.GAS: "gas", Service.PLUMBING: "plomería", Service.ELECTRICAL: "electricidad",
             Service.HVAC: "climatización", Service.LOCKSMITH: "cerrajería"}[trades[0]]
    lines = [{"number": job.number,
              "when": es_ar.visit_phrase(es_ar.aware(job.scheduled_start).astimezone(turn.zone),
                                         None, turn.today) if job.scheduled_start else "sin fecha",
              "customer": (job.customer.name if job.customer else None) or "un cliente",
              "technician": es_ar.first_name(job.technician.name) if job.technician else None}
             for job in visits[:SHOWN]]
    return [Text(texts.render("owner_trade_visits", trade=label, lines=lines,
                              more=max(0, len(visits) - SHOWN),
                              day=es_ar.day_phrase(day, turn.today) if day else None))]


def _day(turn: Turn, said: str) -> date | None:
    if re.search(r"\bhoy\b", said):
        return turn.today
    try:
        return date.fromisoformat(turn.result.date) if turn.result.date else None
    except ValueError:
        return None


def _visits(turn: Turn, service: Service, day: date | None) -> list[Job]:
    query = (select(Job).options(joinedload(Job.customer), joinedload(Job.technician))
             .where(Job.service == service, Job.status.in_(OPEN_STATUSES))
             .order_by(Job.scheduled_start, Job.number))
    if day is not None:
        start = datetime.combine(day, datetime.min.time(), tzinfo=turn.zone)
        query = query.where(Job.scheduled_start >= start, Job.scheduled_start < start + timedelta(days=1))
    return list(turn.session.scalars(query).unique())
