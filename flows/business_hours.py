"""A customer's "¿a qué hora atienden?": the organization's hours, and whether it is open now."""

from __future__ import annotations

import re

from core import es_ar
from core.jobs.opening import describe_opening, is_open
from core.messaging import texts
from core.messaging.replies import Reply, Text
from core.models import ConversationRole
from flows.turn import Turn
from nlu.extract.message_kinds import asks_business_hours

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_NAMES = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábados", "domingos")


def answer(turn: Turn) -> list[Reply] | None:
    """The hours, when the customer's message asks for them; None otherwise."""
    if not asks_business_hours(es_ar.folded(turn.text)):
        return None
    org = turn.org
    hours = Text(texts.render("business_hours", hours=describe_week(org.business_hours or {}),
                              open=is_open(org, turn.now),
                              opening=describe_opening(org, turn.now),
                              # in the middle of a booking the next question follows instead
                              offer=not turn.conversation.flow))
    if _AREA_ASKED.search(es_ar.folded(turn.text)) and turn.role is ConversationRole.CUSTOMER:
        # "¿trabajan los sábados? ¿y llegan hasta Núñez?": the hours, and where they go asked of
        # the office (the bot knows no area), in one message — not the area silently dropped
        from flows import staff_questions  # it reaches the engine, which imports this module

        if passed := staff_questions.forward(turn):
            return [Text(f"{hours.body}\n\n{passed[0].body}")]
    return [hours]


# Whether they cover a place: "¿llegan hasta Núñez?", "¿van a zona sur?", "¿trabajan en Quilmes?"
_AREA_ASKED = re.compile(
    r"\b(?:llegan|llegas|van|vas|vienen|venis|trabajan|trabajas|cubren|atienden|hacen)\s+(?:hasta|a|en|por|para)\s+"
    r"(?!(?:la|el|los|las)\s+(?:manana|tarde|noche|dia|semana|finde|sabado|domingo)|las?\s+\d|domicilio\b|casa\b"
    r"|(?:la|el)\s+(?:hora|horario)\b)(?:la\s+)?(?:zona\s+)?[a-z]{3,}")


def describe_week(hours: dict) -> str | None:
    """"de lunes a viernes de 8 a 18 y los sábados de 9 a 13": days with the same hours joined."""
    groups: list[tuple[list[int], str]] = []
    for n, key in enumerate(_DAYS):
        ranges = " y ".join(f"de {_hour(lo)} a {_hour(hi)}" for lo, hi in hours.get(key) or [])
        if not ranges:
            continue
        if groups and groups[-1][1] == ranges and groups[-1][0][-1] == n - 1:
            groups[-1][0].append(n)
        else:
            groups.append(([n], ranges))
    parts = []
    for days, ranges in groups:
        ranges = "las 24 horas" if ranges == "de 0 a 24" else ranges
        if len(days) == 7:
            parts.append(f"todos los días {ranges}")
        elif len(days) == 1:
            parts.append(f"los {_NAMES[days[0]]} {ranges}")
        elif len(days) == 2:
            parts.append(f"los {_NAMES[days[0]]} y {_NAMES[days[1]]} {ranges}")
        else:
            first = _NAMES[days[0]].rstrip("s") if days[0] >= 5 else _NAMES[days[0]]
            last = _NAMES[days[-1]].rstrip("s") if days[-1] >= 5 else _NAMES[days[-1]]
            parts.append(f"de {first} a {last} {ranges}")
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " y " + parts[-1]


def _hour(hhmm: str) -> str:
    """"08:00" → "8", "13:30" → "13:30", "23:59" → "24"."""
    hour, minute = (int(x) for x in hhmm.split(":"))
    if (hour, minute) == (23, 59):
        return "24"
    return f"{hour}" if not minute else f"{hour}:{minute:02d}"
