"""What day, window and time a message asks for, all told: `resolve` gathers the dates, times
and windows found in the text and keeps the last one named, skipping one replaced ("en vez del
martes"), one ruled out or the appointment already given ("el viernes no puedo", "tenía el
lunes pero ..."), a day told in the past when another lies ahead, and two days offered as a
choice ("el martes o el jueves"). The result is a `When`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import pairwise

from nlu.extract.clauses import clause, told_in_past
from nlu.extract.dates import NEXT_WEEK, find_dates, local_today
from nlu.extract.times import afternoon_hour, find_times, find_windows

_ALT = re.compile(r"\b(?:en\s+vez\s+de(?:l)?|en\s+lugar\s+de(?:l)?)(?:\s+(?:a|por|para)\s+la)?\s*$")


@dataclass
class When:
    date: date | None = None
    window: str | None = None
    time: str | None = None


def _not_replaced(text: str, start: int) -> bool:
    return not _ALT.search(text, 0, start) or not _ALT.search(text[max(0, start - 20) : start])


_NEGATION = re.compile(r"\b(?:no|ni|tampoco)\b")
# an appointment already given, named to be replaced: "tenía el lunes", "estaba para el martes"
_OLD_ONE = re.compile(
    r"\b(?:tenia|teniamos|tenian|tengo|tenemos|estaba|estabamos|era|habiamos\s+quedado|quedamos|"
    r"me\s+dieron|me\s+habian\s+dado|agendad[oa])\b"
    r"(?:\s+(?:turno|la\s+visita|el\s+turno|visita|para|agendado|agendada|con\s+ustedes))*\s+(?:el\s+|para\s+el\s+)?$"
)


# "cualquier día menos el jueves", "toda la semana salvo el viernes", "excepto los lunes": a day
# set aside from a span offered, never the one asked for
_EXCEPT = re.compile(r"\b(?:menos|salvo|excepto|quitando|sacando|fuera\s+de(?:l)?|pero\s+no)\s+"
                     r"(?:(?:el|los|la|las|para\s+el)\s+)?$")


def _excepted(text: str, start: int) -> bool:
    return bool(_EXCEPT.search(text[max(0, start - 30):start]))


# "¿y pasado no pueden?", "¿no podés el jueves?": asking the business, not ruling the day out
_ASKING_NO = re.compile(r"\bno\s+(?:pueden|podes|puede|podrian|podria|tienen|tenes|tiene|hay\s+(?:lugar|forma|chance))\b")


def _negated(text: str, start: int, end: int) -> bool:
    """Whether the date sits in a clause that says no ("el viernes no estoy", "mañana no puedo")."""
    s, e = clause(text, start, end)
    return bool(_NEGATION.search(_ASKING_NO.sub(" ", text[s:e])))


# "te escribo x lo de mañana", "por lo del jueves": the appointment spoken of
_ABOUT_ONE = re.compile(r"\b(?:x|por|sobre)\s+lo\s+(?:de|del)\s+$")


def _old_one(text: str, start: int, end: int) -> bool:
    """Whether the date is the appointment already given ("tenía el lunes pero ...", "te
    escribo por lo de mañana")."""
    s, _ = clause(text, start, end)
    return bool(_OLD_ONE.search(text, s, start) or _ABOUT_ONE.search(text, max(s, start - 20), start))


# "el martes o el jueves", "lunes o miércoles", "hoy o mañana": two days offered, none chosen
_OR_BETWEEN = re.compile(
    r"\s*,?\s*(?:o|u|o\s+si\s+no|o\s+sino|o\s+bien|o\s+tambien)\s+(?:es\s+|era\s+)?"
    r"(?:el\s+|para\s+el\s+|para\s+)?$"
)


# "Sin agua desde las 7 de la mañana", "no anda la luz desde las 10": when the trouble began, not
# an hour asked for (unless someone's being there is what the clause says: "estoy desde las 15")
_SINCE = re.compile(r"\bdesde\s+(?:el\s+|las?\s+|eso\s+de\s+las?\s+|tipo\s+)?$")
_TROUBLE = re.compile(
    r"\bsin\s+(?:agua|luz|gas|corriente|presion|senal|internet|calefaccion|aire)\b"
    r"|\bno\s+(?:me\s+|nos\s+)?(?:anda|andan|funciona|funcionan|tengo|tenemos|hay|sale|salen|prende|enciende|carga"
    r"|arranca|levanta|cierra|abre|calienta|enfria|tira)\b"
    r"|\b(?:gotea|pierde|chorrea|cortad[oa]s?|tapad[oa]s?|inundad[oa]|se\s+(?:me\s+|nos\s+)?(?:corto|rompio|tapo|inundo"
    r"|quemo|trabo|apago|cayo)|salta|saltan|huele|hay\s+olor|esta\s+(?:cortad|tapad|rot)\w*)\b")
_PRESENT = re.compile(r"\b(?:(?:estoy|estamos|estare)(?!\s+(?:sin|con\s+(?:la|el)\s+\w+\s+(?:roto|rota|tapad)))|hay\s+alguien|pueden|puede|podes|vengan|venga|venir|pasen"
                      r"|pasar|libre|disponible|atiendo|en\s+casa)\b")


def _trouble_since(text: str, start: int, end: int) -> bool:
    if not (_SINCE.search(text[max(0, start - 24):start]) or re.match(r"desde\b", text[start:end])):
        return False
    s, e = clause(text, start, end)
    said = text[max(0, s, start - 80):e]
    return bool(_TROUBLE.search(said)) and not _PRESENT.search(said)


def resolve(text: str, now: datetime, tz: str | None = None) -> When:
    """The date, window and time the text asks for (the last one named wins)."""
    today = local_today(now, tz)
    when = When()
    # "vuelvo el 9 a la mañana": the 9th, in the morning (not nine o'clock)
    times = [t for t in find_times(text) if _not_replaced(text, t[0]) and not _trouble_since(text, t[0], t[1])
             and not (re.search(r"\b(?:el|del|dia)\s*$", text[max(0, t[0] - 6):t[0]])
                      and re.match(r"\s*\d{1,2}\s+(?:a|de|por)\s+la\s+(?:manana|tarde|noche)\b", text[t[0]:]))]
    busy = [(s, e) for s, e, _ in times]
    dates = [
        d
        for d in find_dates(text, today)
        if _not_replaced(text, d[0]) and not any(s <= d[0] < e for s, e in busy)
        and not _trouble_since(text, d[0], d[1])  # "no prende desde el domingo": when it began
        and not _excepted(text, d[0])  # "cualquier día menos el jueves": never the day asked
    ]
    windows = [w for w in find_windows(text, busy) if _not_replaced(text, w[0])]
    # "no llego a estar a las 9, ¿pueden después de almorzar?": an hour ruled out is no hour
    # asked for, when another hour or a part of the day is
    kept = [t for t in times if not _negated(text, t[0], t[1])]
    times = kept if kept or windows else times
    # "por la mañana, ya que atendemos desde las 14 hs": the hour of a reason is not the one
    # asked for, when another hour or a part of the day is
    outside = [t for t in times if not _in_reason(text, t[0])]
    times = outside if outside or windows else times
    # "mañana a la mañana, xq a la tarde trabajo": the part of the day in a reason is not the one
    # asked for, when another is
    windows = [w for w in windows if not _AWAY_THEN.match(text, w[1])]  # "a la mañana trabajo"
    asked = [w for w in windows if not _in_reason(text, w[0])]
    windows = asked or windows
    # A date the writer rules out (or the appointment they had) loses to one they offer, when
    # there is one; a day told in the past loses to one ahead.
    offered = [d for d in dates if not (_negated(text, *d[:2]) or _old_one(text, *d[:2]))]
    dates = offered or dates
    ahead = [d for d in dates if not (d[2] <= today and told_in_past(text, *d[:2]))]
    dates = ahead or dates
    # "pasame para pasado mañana que hoy estoy con fiebre", "destapar hoy porque mañana hay
    # acto": the day of a reason is not the one asked for, when another is
    asked_days = [d for d in dates if not _day_in_reason(text, d[0], d[1])
                  and not _AWAY_THEN.match(text, d[1])]  # "el jueves entro re temprano al laburo"
    dates = asked_days or dates
    # "vuelvo el jueves a la mañana. hoy cobrale la visita nomás": the day of a charge is not the
    # day of a visit, when another is named
    visit_days = [d for d in dates if not _MONEY_CLAUSE.search(text[slice(*clause(text, d[0], d[1]))])]
    dates = visit_days or dates
    if dates and not (
        len(dates) > 1 and _OR_BETWEEN.fullmatch(text, dates[-2][1], dates[-1][0])
        and dates[-2][2] != dates[-1][2]
    ):
        when.date = dates[-1][2]
    if windows:
        when.window = windows[-1][2]
    elif (span := hour_span(text)) is not None:
        when.window = span  # "entre las 4 y las 6", "de 14 a 18": the window they fall in
    if times:
        when.time = (
            times[0][2]
            if re.search(r"\bentre\s+las?\s*$", text[: times[0][0] + 12][-14:])
            else times[-1][2]
        )
    return when


# "entre las 4 y las 6", "de 14 a 18 hs", "desde las 9 hasta las 12": a span of hours (not "de 2
# a 3 horas", a duration, nor "de 4 a 6 meses")
_HOUR_SPAN = re.compile(
    r"\b(?:entre|de|desde)\s+(?P<las>las?\s+)?(?P<a>\d{1,2})(?:[:.](?P<am>[0-5]\d))?\s*(?:hs?\b|hrs\b)?\s*"
    r"(?:y|a|hasta)\s+(?:las?\s+)?(?P<b>\d{1,2})(?:[:.](?P<bm>[0-5]\d))?(?![\d/])"
    r"(?!\s*(?:%|mil\b|lucas\b|pesos\b|meses\b|dias\b|semanas\b|anos\b|metros\b|personas\b|ambientes\b|cuotas\b))"
    r"(?P<after>\s*horas\b)?")
_AWAY = re.compile(r"\bno\b|\btrabaj\w*|\bafuera\b|\bocupad\w*|\bsalgo\b|\bnadie\b")
_SPAN_WINDOWS = (("morning", 8, 12), ("afternoon", 12, 18), ("evening", 18, 21))


def hour_span(text: str) -> str | None:
    """The window a span of hours falls in ("entre las 4 y las 6": afternoon), or None when it
    names none or spans two. An hour from 1 to 7 is the afternoon's, as visits are in the day."""
    for m in _HOUR_SPAN.finditer(text):
        if m.group("after") and not m.group("las"):
            continue  # "de 2 a 3 horas": how long
        if _AWAY.search(text[max(0, m.start() - 30):m.start()]):
            continue  # "no estoy de 8 a 12", "trabajo de 9 a 13": the hours they are away
        a, b = int(m.group("a")), int(m.group("b"))
        a, b = afternoon_hour(a), afternoon_hour(b)
        end = b + (1 if m.group("bm") and int(m.group("bm")) else 0)
        if not a < b <= 24:
            continue
        for name, start, stop in _SPAN_WINDOWS:
            if start <= a and end <= stop:
                return name
    return None


# "después de las 3", "pasadas las 11", "antes de las 12": one end of the hours they can
_AFTER_HOUR = re.compile(
    r"\b(?:despues|luego|pasadas?)\s+(?:de\s+)?(?:las?\s+)?(?P<h>\d{1,2})(?:[:.](?P<m>[0-5]\d))?(?!\d)"
    r"(?!\s*(?:%|mil\b|lucas\b|pesos\b|min\w*|dias\b|semanas\b|meses\b|anos\b))")
_BEFORE_HOUR = re.compile(
    r"\bantes\s+de\s+(?:las?\s+)?(?P<h>\d{1,2})(?:[:.](?P<m>[0-5]\d))?(?!\d)"
    r"(?!\s*(?:%|mil\b|lucas\b|pesos\b|min\w*|dias\b|semanas\b|meses\b|anos\b))")


# what follows an hour that rules out the side it names: "después de las 18 hs no nos sirve",
# "antes de las 10 no puedo"
_REFUSED = re.compile(
    r"\s*(?:h|hs|horas)?\.?\s*(?:ya\s+)?no\s+(?:nos\s+|me\s+|les?\s+)?(?:sirve|sirven|viene|vienen|conviene"
    r"|puedo|podemos|puede|pueden|hay\s+nadie|estoy|estamos|esta|da|dan)\b")


def _hour(h: str, m: str | None) -> time | None:
    hour, minute = afternoon_hour(int(h)), int(m or 0)
    return time(hour, minute) if 7 <= hour <= 22 and minute <= 59 else None


def hour_bounds(text: str) -> tuple[time | None, time | None]:
    """The hours the writer can receive the visit in, read on normalized text: "de 2 a 6" →
    (14:00, 18:00), "después de las 11" → (11:00, None), "antes de las 12" → (None, 12:00),
    "hasta las 9 no hay nadie" → (9:00, None); (None, None) when none is said. The hours they
    are away ("trabajo de 9 a 13") bound nothing."""
    for m in _HOUR_SPAN.finditer(text):
        if (m.group("after") and not m.group("las")) or _AWAY.search(text[max(0, m.start() - 30):m.start()]):
            continue
        start, end = _hour(m.group("a"), m.group("am")), _hour(m.group("b"), m.group("bm"))
        if start is not None and end is not None and start < end:
            return start, end
    start = available_from(text)
    end = None
    if start is None and (after := _AFTER_HOUR.search(text)) is not None:
        if _REFUSED.match(text, after.end()):
            end = _hour(after.group("h"), after.group("m"))  # "después de las 18 no nos sirve"
        else:
            start = _hour(after.group("h"), after.group("m"))
    if (before := _BEFORE_HOUR.search(text)) is not None:
        if _REFUSED.match(text, before.end()):
            start = start or _hour(before.group("h"), before.group("m"))  # "antes de las 10 no puedo"
        else:
            end = _hour(before.group("h"), before.group("m"))
    if start is not None and end is not None and start >= end:
        end = None
    return start, end


# the part of the day the writer is away: "a la mañana estoy en el laburo", "a la tarde trabajo"
_AWAY_THEN = re.compile(
    r"(?:\s+(?:a|por|de)\s+la\s+(?:manana|tarde|noche))?"
    r"(?:\s*(?:yo\s+)?(?:estoy|estamos)\s+(?:en\s+el\s+(?:laburo|trabajo)|trabajando|laburando|afuera|ocupad\w*)\b"
    r"|\s*(?:yo\s+)?(?:trabajo|laburo|no\s+(?:estoy|estamos|puedo|podemos|hay\s+nadie))\b"
    r"|\s*(?:yo\s+)?entro\s+(?:\w+\s+){0,2}(?:temprano|a\s+trabajar|al\s+(?:laburo|trabajo))\b)")
_REASON = re.compile(r"\b(?:xq|porque|por\s+que|pq|ya\s+que|como|que)\b[^.?!\n]*$")


def _sentence_start(text: str, at: int) -> int:
    """Where the sentence holding position `at` begins."""
    return max(text.rfind(".", 0, at), text.rfind("?", 0, at), text.rfind("!", 0, at),
               text.rfind("\n", 0, at)) + 1


def _in_reason(text: str, at: int) -> bool:
    """Whether position `at` lies in a reason given after the request ("…, xq a la tarde
    trabajo"), within its sentence."""
    start = _sentence_start(text, at)
    reason = _REASON.search(text, start, at)
    return reason is not None and reason.start() > start


_MONEY_CLAUSE = re.compile(r"\b(?:cobr\w+|pag(?:a|o|as|an|ue|aste|ale|ar)\b|factur\w+|lucas|mil\s+pesos)")


# a cause, for a day: "porque mañana hay acto", "ya que el jueves no estoy"; or "que" right
# before a day that tells how things are then ("que hoy estoy con fiebre"), not what to do
# ("necesito que mañana vengan")
_CAUSE = re.compile(r"\b(?:xq|porque|por\s+que|pq|ya\s+que|como)\b")
_STATE_AFTER = re.compile(
    r"\s*(?:(?:a\s+la|a\s+las?|por\s+la)\s+\w+\s+)?(?:no\s+)?(?:estoy|estamos|esta|tengo|tenemos|tiene|hay|"
    r"trabajo|trabajamos|laburo|me\s+\w+|nos\s+\w+|se\s+\w+|vienen?\s+(?:los|las|mis|el|la|unos|unas)|"
    r"salgo|viajo|viajamos|cierra|cierran)\b")


def _day_in_reason(text: str, start: int, end: int) -> bool:
    """Whether the day at text[start:end] is told in a reason given after the request."""
    sentence = _sentence_start(text, start)
    if not text[sentence:start].strip():
        return False  # the sentence starts with the day: what is asked
    cause = None
    for cause in _CAUSE.finditer(text, sentence, start):
        pass
    if cause is not None and cause.start() > sentence and not re.search(r"[,;]", text[cause.end():start]):
        return True
    return bool(re.search(r"\bque\s+(?:el\s+|la\s+)?$", text[sentence:start])) and bool(
        _STATE_AFTER.match(text, end))


def rules_out(text: str, now: datetime, day: date, tz: str | None = None) -> bool:
    """Whether the (normalized) text names `day` only to rule it out or as the appointment it
    had ("el lunes no puedo, ¿puede ser otro día?", "no voy a estar el lunes", "tenía el
    lunes"): a day not to offer again."""
    named = [d for d in find_dates(text, local_today(now, tz)) if d[2] == day]
    return bool(named) and all(_negated(text, s, e) or _old_one(text, s, e) or _excepted(text, s)
                               for s, e, _ in named)


def either_day(text: str, now: datetime, tz: str | None = None) -> list[date]:
    """The two days offered as a choice ("el jueves o el viernes", "hoy o mañana"), in the order
    said, read on normalized text; [] when no such choice is made."""
    found = [d for d in find_dates(text, local_today(now, tz)) if not _excepted(text, d[0])]
    for first, second in pairwise(found):
        if first[2] != second[2] and _OR_BETWEEN.fullmatch(text, first[1], second[0]) \
                and not (_negated(text, *first[:2]) or _negated(text, *second[:2])):
            return [first[2], second[2]]
    return []


_THIS_WEEK = re.compile(r"\b(?:esta|en\s+la)\s+semana\b(?!\s+(?:que\s+viene|proxima|entrante|pasada))")


def week_asked(text: str, now: datetime, tz: str | None = None) -> list[date]:
    """The days of a week asked for without a day ("la semana que viene", "esta semana cuando
    puedan"), Monday to Saturday (this week's from today), or [] — a week is any of its days,
    not its Monday."""
    today = local_today(now, tz)
    if find_dates(text, today):
        return []
    if NEXT_WEEK.search(text):
        monday = today + timedelta(days=7 - today.weekday())
        return [monday + timedelta(days=n) for n in range(6)]
    if (this := _THIS_WEEK.search(text)) and today.weekday() < 5 \
            and not re.match(r"\s*,?\s*(?:no|imposible|complicad\w*|estoy\s+(?:a\s+full|complicad\w*))\b", text[this.end():]):
        return [today + timedelta(days=n) for n in range(6 - today.weekday())]
    return []


def set_aside(text: str, now: datetime, tz: str | None = None) -> date | None:
    """The day the (normalized) text sets aside from any other ("cualquier día menos el jueves",
    "el lunes no puedo, otro día sí"): one not to offer, or None."""
    for start, end, day in find_dates(text, local_today(now, tz)):
        if _excepted(text, start) or _negated(text, start, end):
            return day
    return None


# "hasta las 9 no hay nadie", "no estoy hasta las 10", "recién a partir de las 11": the day is
# fine from that hour on (a constraint on the hour, not a day ruled out)
_FROM_HOUR = re.compile(
    r"\bhasta\s+(?:las?\s+)?(?P<a>\d{1,2})(?:[:. ](?P<am>\d{2}))?\s*(?:hs?\b|horas\b)?\s*"
    r"(?:de\s+la\s+(?:manana|tarde)\s+)?(?:no\s+|nadie\b|estoy\s+(?:afuera|trabajando|en\s+el\s+trabajo)\b)"
    r"|\bno\s+(?:hay\s+nadie|estoy|estamos|llego|llegamos|vuelvo|volvemos)\s+(?:\w+\s+){0,3}?hasta\s+(?:las?\s+)?"
    r"(?P<b>\d{1,2})(?:[:. ](?P<bm>\d{2}))?\b"
    r"|\b(?:recien\s+)?a\s+partir\s+de\s+las?\s+(?P<c>\d{1,2})(?:[:. ](?P<cm>\d{2}))?\b"
    # "antes de las 18 no hay nadie en casa": nobody before it, so from that hour on
    r"|\bantes\s+de\s+las?\s+(?P<d>\d{1,2})(?:[:. ](?P<dm>\d{2}))?\s*(?:hs?\b|horas\b)?\s*,?\s*"
    r"(?:no\s+(?:hay\s+nadie|estoy|estamos|puedo|podemos|llego|llegamos)|imposible|estoy\s+(?:en\s+el\s+(?:laburo|trabajo)|trabajando|laburando))"
    # "laburo hasta las 6", "salgo del trabajo a las 6": from when work is over
    r"|\b(?:trabajo|laburo|estoy\s+(?:en\s+el\s+(?:laburo|trabajo)|trabajando|laburando))\s+hasta\s+las?\s+(?P<e>\d{1,2})(?:[:. ](?P<em>\d{2}))?\b"
    r"|\bsalgo\s+del\s+(?:laburo|trabajo)\s+a\s+las?\s+(?P<f>\d{1,2})(?:[:. ](?P<fm>\d{2}))?\b")


def available_from(text: str) -> time | None:
    """The hour from which the writer can receive the visit ("hasta las 9 no hay nadie": 9:00;
    "no llego hasta las 6": 18:00), read on normalized text; None when none is said. An hour
    from 1 to 7 is the afternoon's, as visits are in the day."""
    found = _FROM_HOUR.search(text)
    if found is None:
        return None
    hour = int(next(found.group(g) for g in "abcdef" if found.group(g)))
    minute = int(next((found.group(f"{g}m") for g in "abcdef" if found.group(f"{g}m")), None) or 0)
    hour = afternoon_hour(hour)
    return time(hour, minute) if hour <= 23 and minute <= 59 else None
