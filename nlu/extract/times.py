"""Clock times and day windows in Rioplatense Spanish: "a las 5", "9 y media de la mañana",
"tipo 17hs", "al mediodía" become 'HH:MM' (an hour from one to seven with no part of the day is
the afternoon; "2 horas" is a duration, "12.500" money, the month of "26/11" no hour), and "a la
tarde", "temprano", "después del mediodía" become a window (morning, afternoon, evening) when
the writer asks for it, not when they tell how long something lasted. Text is folded and
expanded (see `text.py`)."""

from __future__ import annotations

import re

from nlu.extract.clauses import clause
from nlu.extract.dates import WD, morning_meant
from nlu.extract.numbers import NUMBER_PHRASE, number_value

_TIME = re.compile(
    r"\b(?P<cue>a\s+las?|para\s+las?|tipo(?:\s+las?)?|a\s+eso\s+de\s+las?|como\s+a\s+las?|"
    r"desde\s+las?|entre\s+las?|antes\s+de\s+las?|despues\s+de\s+las?|sobre\s+las?|"
    r"cerca\s+de\s+las?|tipo\s+a\s+las?|pasadas\s+las?)?\s*"
    rf"\b(?P<h>2[0-3]|[01]?\d|{NUMBER_PHRASE})(?![\d/])"
    # "tipo una hora después", "2 horas más tarde": how long, not what time
    r"(?!\s+(?:hora|horita|horitas)\b)(?!\s+horas\s+(?:mas|despues|antes|tarde)\b)"
    r"(?:\s*(?::|\.|h)\s*(?P<mm>[0-5]\d)\b|\s+y\s+(?P<frac>media|cuarto|(?:[1-5]\d|[1-9]))\b"
    r"|\s+menos\s+(?P<less>cuarto|(?:[1-5]\d|[1-9]))\b)?"
    r"(?P<hs>\s*(?:hs|hrs|horas|h|hr)\b)?"
    r"(?:\s*(?P<ampm>am|pm|a\.m\.|p\.m\.)(?!\w)"
    r"|\s+(?:de\s+la|a\s+la|por\s+la)\s+(?P<part>manana|tarde|noche|madrugada|siesta)"
    r"|\s+(?P<noon>del\s+mediodia))?"
)
# a weekday right before a bare number: that number is the day of the month ("el martes 8")
_DAY_BEFORE = re.compile(
    r"\b(?:lunes|martes|miercoles|jueves|viernes|sabado|domingo|lun|mar|mie|jue|vie|sab|dom)\.?\s*$"
)
_NOON = re.compile(r"\b(?:al\s+|a\s+|tipo\s+|del\s+)?mediodia\b")
_WINDOW = re.compile(
    r"(?<!\bbuenas )(?<!\bbuena )(?<!\bbuen )"
    r"\b(?:(?:a|por|de|en|durante|para)\s+la|esta|de|(?P<all>toda\s+la))\s+"
    r"(?P<w>manana|tarde|tardecita|noche|nochecita|siesta)\b"
    # any of them: "cualquier mañana", "alguna tarde", "por las tardes", "las mañanas"
    r"|\b(?:cualquier|alguna|una|otra|cada|(?:por\s+|todas\s+)?las)\s+(?P<any>manana|tarde|noche)s?\b"
    r"|\b(?P<early>temprano|a\s+primera\s+hora)\b"
    r"|\b(?P<after_noon>(?:despues|pasado)\s+del?\s+mediodia"
    # the day told by its meals: "después de almorzar", "antes del almuerzo", "después de cenar"
    r"|(?:despues|luego)\s+(?:de\s+(?:almorzar|comer\s+al\s+mediodia|la\s+siesta)|del\s+almuerzo))\b"
    r"|\b(?P<before_noon>antes\s+(?:de\s+almorzar|del\s+almuerzo|del\s+mediodia))\b"
    r"|\b(?P<after_dinner>(?:despues|luego)\s+(?:de\s+cenar|de\s+la\s+cena))\b"
)
_WINDOW_NAME = {
    "manana": "morning",
    "tarde": "afternoon",
    "tardecita": "afternoon",
    "siesta": "afternoon",
    "noche": "evening",
    "nochecita": "evening",
}


def afternoon_hour(hour: int) -> int:
    """An hour from 1 to 7 said with no part of the day is the afternoon's: nobody books a visit,
    nor closes a shop, at five in the morning ("a las 5", "entre las 4 y las 6")."""
    return hour + 12 if 1 <= hour <= 7 else hour


def _hour_value(s: str) -> int | None:
    v = number_value(s)
    if v is None or not float(v).is_integer():
        return None
    return int(v)


def find_times(text: str) -> list[tuple[int, int, str]]:
    """(start, end, 'HH:MM') of every clock time named in text."""
    out = []
    for m in _TIME.finditer(text):
        cue, hs, part, ampm = m.group("cue"), m.group("hs"), m.group("part"), m.group("ampm")
        mm, frac, less = m.group("mm"), m.group("frac"), m.group("less")
        if not (cue or hs or part or ampm or mm or frac or m.group("noon")):
            continue
        h_raw = m.group("h")
        if not cue and text[max(0, m.start("h") - 1) : m.start("h")] in ("/", "-", "."):
            continue  # the month of "26/11 a la tarde", not eleven o'clock
        if not (cue or hs or mm or ampm) and _DAY_BEFORE.search(text, 0, m.start("h")):
            continue  # the day of "el martes 8 a la mañana", not eight o'clock
        if part == "manana" and _hour_value(h_raw) is not None and _hour_value(h_raw) > 12:
            continue  # "23 a la mañana" is no hour
        if not h_raw[0].isdigit() and not (cue or part):
            continue  # "nueve y media" alone is too loose when in words
        if mm and not (cue or hs or ":" in m.group(0) or "h" in m.group(0)[len(h_raw) :]):
            continue  # "12.500" is money, not a time
        if frac and not frac.isalpha() and not cue:
            continue
        h = _hour_value(h_raw)
        if h is None or h > 23:
            continue
        if hs and not cue and m.group("hs").strip() == "horas" and not part:
            continue  # "2 horas" is a duration
        minute = 0
        if mm:
            minute = int(mm)
        elif frac:
            minute = {"media": 30, "cuarto": 15}.get(frac, None) or int(frac)
        elif less:
            h -= 1
            minute = 60 - ({"cuarto": 15}.get(less) or int(less))
        if m.group("noon") and h < 12:
            h = h + 12 if h < 5 else h
        elif part in ("tarde", "noche", "siesta") and h < 12:
            h += 12
        elif part == "noche" and h == 12:
            h = 0
        elif ampm and ampm.startswith("p") and h < 12:
            h += 12
        elif not part and not ampm:
            h = afternoon_hour(h)  # "a las 5"
        if h > 23 or minute > 59:
            continue
        out.append((m.start(), m.end(), f"{h % 24:02d}:{minute:02d}"))
    for m in _NOON.finditer(text):
        if re.search(r"\b(?:despues|pasado)\s*$", text[max(0, m.start() - 12) : m.start()]):
            continue  # "después del mediodía" is the afternoon, not noon
        if not any(s <= m.start() < e for s, e, _ in out):
            out.append((m.start(), m.end(), "12:00"))
    out.sort()
    return out


# "temprano" sets a visit's time only after a day or a request ("mañana temprano", "vengan
# temprano", "el jueves bien temprano"), not in "estoy esperando desde temprano", "llegué temprano"
_EARLY_ASKED = re.compile(
    rf"(?:\b(?:manana|hoy|pasado|{WD}|dia|\d{{1,2}}|vengan|venga|vengas|veni|venir|vienen|viene|"
    r"pasen|pase|pasar|pasas|pasa|caigan|caer|lleguen|llegar|arranquen|arrancar|empezar|empiecen|"
    r"agendame|agendar|anotame|turno|visita|puede\s+ser|podria\s+ser|prefiero|mejor|sea|lo\s+mas|"
    r"bien|re|muy|bien\s+de|a\s+la\s+manana|ser|para|si\s+puede\s+ser|posible|algo|pueden|puede|"
    r"podes|podrian|podria|vayan|ir|tipo)\b\W*)$"
)
_NOT_ASKED_EARLY = re.compile(
    r"\b(?:desde|esperando|espero|espere|llegue|llego|llegaron|vino|vinieron|sali|salio|me\s+levante|"
    r"me\s+levanto|escribo|te\s+escribo|les\s+escribo|escribi|arranque|empece|empezo|empezo|"
    r"anoche|hoy\s+a\s+la\s+manana\s+bien)\s+(?:bien\s+|re\s+|muy\s+|mas\s+)?$"
)
# "toda la noche/tarde" is a window when someone will be there ("estoy toda la tarde"), not when
# it tells how long a problem lasts ("gotea toda la noche")
_AVAILABLE = re.compile(
    r"\b(?:estoy|estamos|estare|estaremos|estaria|voy\s+a\s+estar|vamos\s+a\s+estar|hay\s+alguien|"
    r"hay\s+gente|en\s+casa|libre|libres|disponible|disponibles|pueden|puede|podes|podrian|vengan|"
    r"venir|pasar|pasen|atiendo|atendemos|quedo|me\s+quedo|nos\s+quedamos)\b"
)


def _window_meant(text: str, m: re.Match) -> bool:
    if m.group("early") and m.group("early").startswith("temprano"):
        before = text[max(0, m.start() - 30) : m.start()]
        if _NOT_ASKED_EARLY.search(before) or not _EARLY_ASKED.search(before):
            return False
    if m.group("all"):
        s, e = clause(text, m.start(), m.end())
        return bool(_AVAILABLE.search(text[s:e]))
    return True


def find_windows(text: str, busy: list[tuple[int, int]] = ()) -> list[tuple[int, int, str]]:
    """(start, end, window) of day windows, skipping spans already read as times."""
    out = []
    for m in _WINDOW.finditer(text):
        if any(s <= m.start() < e for s, e in busy) or not _window_meant(text, m):
            continue
        if m.group("w") == "manana" and m.group(0).startswith("de") and not morning_meant(text, m.start("w")):
            continue  # "la visita de mañana": tomorrow's, not a morning
        name = ("morning" if m.group("early") or m.group("before_noon")
                else "afternoon" if m.group("after_noon")
                else "evening" if m.group("after_dinner")
                else _WINDOW_NAME[m.group("w") or m.group("any")])
        out.append((m.start(), m.end(), name))
    return out
