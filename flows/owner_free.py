"""The owner asking where a visit still fits: "¿tenemos lugar mañana a la tarde?", "¿hay algún
hueco el jueves?", "¿quién está libre mañana?", "¿Carlos tiene lugar el viernes?".

The answer is each technician's free time that day (the part of the day asked, when said), as
the customers' offers see it: business and working hours, the lead time, bookings and the
hours customers are holding while they confirm. With nobody free, the first free times after
it. Nothing is booked: the owner books with "mandale a Carlos mañana a las 15 a …"."""

from __future__ import annotations

import re
from datetime import datetime, time

from core import es_ar
from core.jobs.scheduling import DEFAULT_DURATION, WINDOWS, free_slots, free_stretches
from core.messaging import texts
from core.messaging.replies import Reply, Text
from flows import owner
from flows.booking import WINDOW_WORDS
from flows.owner_team import asked_day, day_heading
from flows.turn import Turn

# "¿tenemos lugar…?", "¿hay algún hueco…?", "¿queda algo libre…?", "¿horarios libres?",
# "¿quién está libre…?", "¿se puede meter otra visita…?", "¿cómo estamos de lugar?"
_ASKS = re.compile(
    r"\b(?:tenemos|hay|queda|quedan|habra|tengo|tiene|tienen|tenes)\s+(?:algun\s+|alguna\s+|algo\s+de\s+|un\s+|"
    r"mas\s+)?(?:lugar|lugarcito|hueco|huequito|espacio|disponibilidad|turnos?\s+libres?|horarios?\s+libres?"
    r"|algo\s+libre|libre)\b"
    r"|\b(?:horarios?|turnos?|huecos?|lugares?)\s+(?:libres?|disponibles?)\b"
    r"|\bquien(?:es)?\s+(?:esta|estan|queda|quedan|tiene|tienen)\s+(?:libres?|disponibles?|tiempo)\b"
    r"|\bse\s+puede\s+meter\s+(?:algo|uno|otro|otra|una)\b"
    r"|\bcomo\s+estamos\s+de\s+(?:lugar|agenda|tiempo)\b"
    r"|\bestamos\s+(?:llenos|completos)\b")
# "¿qué tenemos mañana?" is the agenda; a price or a debt is not asked here
_NOT_THIS = re.compile(r"\b(?:debe|deben|cobrar|cobrado|precio|cuanto\s+(?:sale|cobr))")
SHOWN = 8  # technicians listed


def handle(turn: Turn) -> list[Reply] | None:
    said = turn.said
    if turn.conversation.flow or not said or not _ASKS.search(said) or _NOT_THIS.search(said):
        return None
    named = owner.named_technicians(turn)
    team = named or owner.active_technicians(turn)
    if not team:
        return [Text(texts.render("owner_free", day=None, lines=[], nobody=True, next=[]))]
    day = asked_day(turn)
    window = turn.result.window if turn.result.window in WINDOWS else None
    stretches = free_stretches(turn.session, turn.org, day, now=turn.now,
                               technician_ids=[t.id for t in team])
    lines = []
    for technician in team[:SHOWN]:
        free = [_clip(lo, hi, window) for lo, hi in stretches.get(technician.id, [])]
        # a stretch cut by the part of the day still holds a whole visit, or it is no room
        free = [(lo, hi) for lo, hi in (f for f in free if f) if hi - lo >= DEFAULT_DURATION]
        if free:
            lines.append({"name": es_ar.first_name(technician.name) or technician.name,
                          "free": [f"de {es_ar.clock(lo)} a {es_ar.clock(hi)}" for lo, hi in free]})
    heading = " ".join(p for p in (day_heading(turn, day), WINDOW_WORDS.get(window or "")) if p)
    following = [] if lines else [
        f"{slot.label_on(turn.today)} ({_first_name(team, slot.technician_id)})"
        for slot in free_slots(turn.session, turn.org, now=turn.now, count=3,
                               preferred_date=day, preferred_window=window)
        if slot.technician_id in {t.id for t in team}]
    return [Text(texts.render("owner_free", day=heading, on=day_heading(turn, day), lines=lines,
                              nobody=False,
                              named=" ni ".join(es_ar.first_name(t.name) or t.name for t in named),
                              next=following))]


def _clip(lo: datetime, hi: datetime, window: str | None) -> tuple[datetime, datetime] | None:
    """The part of a free stretch inside the part of the day asked (all of it without one)."""
    if window is None:
        return lo, hi
    first, last = WINDOWS[window]
    start = max(lo, datetime.combine(lo.date(), time(first), tzinfo=lo.tzinfo))
    end = min(hi, datetime.combine(lo.date(), time(last), tzinfo=lo.tzinfo))
    return (start, end) if start < end else None


def _first_name(team, technician_id: int) -> str:
    user = next((t for t in team if t.id == technician_id), None)
    return (es_ar.first_name(user.name) or user.name) if user is not None else "alguien"
