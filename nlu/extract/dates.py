"""Dates, day windows, clock times and ETAs in Rioplatense Spanish, resolved against `now`.

Every function takes text already folded and expanded (see `text.py`): lowercase, no accents,
"mñn" -> "manana".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from nlu.extract.numbers import NUMBER_PHRASE, number_value

DEFAULT_ZONE = "America/Argentina/Buenos_Aires"

WEEKDAYS = {
    "lunes": 0,
    "martes": 1,
    "miercoles": 2,
    "jueves": 3,
    "viernes": 4,
    "sabado": 5,
    "sabados": 5,
    "domingo": 6,
    "domingos": 6,
}
MONTHS = {
    "enero": 1,
    "ene": 1,
    "febrero": 2,
    "feb": 2,
    "marzo": 3,
    "mar": 3,
    "abril": 4,
    "abr": 4,
    "mayo": 5,
    "may": 5,
    "junio": 6,
    "jun": 6,
    "julio": 7,
    "jul": 7,
    "agosto": 8,
    "ago": 8,
    "septiembre": 9,
    "setiembre": 9,
    "sep": 9,
    "sept": 9,
    "set": 9,
    "octubre": 10,
    "oct": 10,
    "noviembre": 11,
    "nov": 11,
    "diciembre": 12,
    "dic": 12,
}
_WD = "|".join(WEEKDAYS)
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_DAY = r"(?:[12]\d|3[01]|0?[1-9])"
_DAYNUM = rf"(?:{_DAY}|primero)(?:ro|°)?"

# ---- dates ---------------------------------------------------------------------------------
_RELATIVE = re.compile(
    r"\b(?P<pm>pasado\s+manana)\b|\b(?P<aa>anteayer|antes\s+de\s*ayer)\b|\b(?P<ayer>ayer)\b"
    r"|\b(?P<hoy>hoy|esta\s+(?:manana|tarde|noche)|hoy\s+mismo)\b"
    r"|(?<!\bla )(?<!\bmedia )(?P<man>\bmanana)\b"
)
_DAY_MONTH = re.compile(
    rf"\b(?P<d>{_DAYNUM})\s*(?:de\s+)?(?P<m>{_MONTH})\b\.?(?:\s+(?:de\s+|del\s+)?(?P<y>20\d\d))?"
)
_NUMERIC = re.compile(
    rf"(?<![\d/.-])(?P<d>{_DAY})/(?P<m>0?[1-9]|1[0-2])(?:/(?P<y>\d{{2}}|\d{{4}}))?(?![\d/])"
    r"(?!\s*(?:de\s+)?(?:hora|hs\b|h\b|kilo|kg|litro|lt|metro|m\b|pulgada|taza|cuarto))"  # "3/4 de hora"
)
# "para pasado", "pasado a la tarde", "hoy o pasado": "pasado" alone is the day after tomorrow
# (not "el martes pasado", "el año pasado", "pasado el mediodía", "pasadas las 5")
_PASADO = re.compile(
    r"(?:^|(?<=[,.;:!?\n¿¡(])|(?<=\bpara)|(?<=\bhasta)|(?<=\bmejor)|(?<=\bo)|(?<=\by)|(?<=\bu)"
    r"|(?<=\bsino)|(?<=\bdia de))\s*(?P<pas>pasado)\b"
    r"(?=\s*(?:$|[,.;:!?)\n]|(?:a|por|en|de)\s+la\s+(?:manana|tarde|noche|siesta)\b|temprano\b"
    r"|a\s+primera\b|a\s+las?\b|tipo\b|como\b|si\b|o\b|y\b|entonces\b|mejor\b|puede\b|podes\b"
    r"|pueden\b|les?\b|te\b|estoy\b|estamos\b|ok\b|dale\b))"
)
# "el jue", "para el vie.", "al mié": a weekday cut short (never "Mar del Plata", "el mar de")
SHORT_WEEKDAYS = {
    "lun": 0, "mar": 1, "mie": 2, "mier": 2, "jue": 3, "juev": 3, "vie": 4, "vier": 4, "sab": 5, "dom": 6,
}
_WEEKDAY = re.compile(
    rf"(?:\b(?P<wd>{_WD})\b|(?:(?<=\bel )|(?<=\bal )|(?<=\bdel )|(?<=\bpara )|(?<=\bhasta ))"
    r"(?P<short>lun|mar|mier?|juev?|vier?|sab|dom)\b\.?(?!\s*(?:del?|y\s+sierras)\b))"
    rf"(?:\s+(?P<d>{_DAY})\b(?!\s*(?:/|:|hs|h\b|de\s+la|°)))?"
    r"(?P<rel>\s+(?:que\s+viene|proximo|entrante|pasado)\b)?"
)
_BARE_DAY = re.compile(
    rf"\b(?:el|para\s+el|dia|hasta\s+el|desde\s+el)\s+(?P<d>{_DAYNUM})\b"
    r"(?!\s*(?:/|:|°|%|\.|,\d|hs\b|h\b|de\s+la|y\s+media|piso|ambientes?|cuotas?|anos|m2|metros|mil|"
    r"lucas|pesos|minutos|min\b))"
)
# "los sábados", "todos los lunes", "cada martes", "un domingo", "de lunes a viernes": a kind of
# day, not one day
_NOT_ONE_DAY_BEFORE = re.compile(r"\b(?:los|todos|cada|unos|algun|cualquier)\s+$")
# "un domingo" said in an apology or thanks ("perdón que escriba un domingo")
_A_DAY_APOLOGY = re.compile(
    r"\b(?:perdon\w*|disculp\w*|molest\w*|jod\w*|gracias|escrib\w*|mensaje\w*)\b[^.,;:!?\n]{0,30}"
    r"\b(?:un|en|siendo|que\s+es|es)\s+$"
    # "hoy que es domingo", "ya sé que es sábado": today's name, not a day asked for
    r"|\b(?:hoy\s+(?:que\s+)?es|siendo|se\s+que\s+es|ya\s+es|porque\s+es|como\s+es)\s+$"
)
# a range of days: "de lunes a viernes", "del martes al jueves", "lunes a viernes", "desde el lunes
# hasta el jueves" (not "lo del miércoles al viernes", a move)
_RANGE = re.compile(
    rf"(?:(?<!\blo )(?<!\bla )(?<!\blos )\b(?:de|del|desde(?:\s+el)?)\s+(?P<a>{_WD})"
    rf"|\b(?P<b>lunes))\s+(?:a|al|hasta(?:\s+el)?)\s+(?P<z>{_WD})\b"
)
# a clause told in the past ("el martes vino el técnico", "el lunes pagué", "¿cómo nos fue el
# lunes?") or a report asked for ("resumen del viernes"): the weekday is the last one
_PAST_VERB = re.compile(
    r"\b(?:vino|vinieron|vine|vinimos|fue|fueron|fui|fuimos|estuvo|estuvieron|estuve|hizo|hicieron|"
    r"hice|hicimos|pague|pagaste|abone|transferi|deposite|cobraste|cobre|llame|llamaste|mande|"
    r"tuve|tuvo|tuvimos|salio|salieron|anduvo|anduvimos|rompio|trajo|trajeron|atendio|vio|vi)\b"
    # "-aron/-ieron", but not the verbs of an agenda ("¿el sábado me pusieron algo?")
    r"|\b(?!(?:pusieron|asignaron|agendaron|anotaron|cargaron|programaron|dieron|confirmaron|"
    r"avisaron|cambiaron|pasaron|movieron|dijeron|quedaron|reprogramaron)\b)\w{3,}(?:aron|ieron)\b"
)
# a clause about what comes ("¿cómo viene el lunes?", "el lunes pueden venir?")
_FUTURE_CUE = re.compile(
    r"\b(?:va\s+a|van\s+a|vamos\s+a|vas\s+a|voy\s+a|viene|vienen|vengan|venga|vengas|venir|pasen|"
    r"pueden|puede|podes|podrian|proximo|que\s+viene|para\s+el|agendado|agendame|agendar)\b"
)
_REPORT_BEFORE = re.compile(
    r"\b(?:resumen|reporte|balance|cierre|informe|numeros|recaudacion|caja|facturacion)\s+(?:de\s+|del\s+|de\s+el\s+)(?:dia\s+)?$"
    # "¿cuánto facturamos el martes?": what a day already brought in
    r"|\bcuanto\s+(?:se\s+)?(?:facturo|facturamos|cobramos|cobro|hicimos|entro|ganamos|vendimos|"
    r"recaudamos)\s+(?:el\s+|del\s+|de\s+)?$"
)
# "¿cómo va el día?", "¿cómo salió el día?", "resumen del día": today
_THE_DAY = re.compile(
    r"\b(?:(?:como|que\s+tal)\s+(?:nos\s+|me\s+|te\s+|les\s+)?"
    r"(?:va|viene|vamos|venimos|fue|salio|estuvo|anduvo|cerro|cerramos|termino|terminamos)?\s*"
    r"(?:con\s+|en\s+)?(?:el|este)\s+dia"
    r"|(?:resumen|reporte|balance|cierre|informe|numeros|caja)\s+(?:del|de\s+este)\s+dia)\b"
    r"(?=\s*(?:$|[?.!,;:\n]|de\s+hoy\b|hoy\b|como\b|por\s+favor\b|jefe\b|che\b))"
)
_ALT = re.compile(r"\b(?:en\s+vez\s+de(?:l)?|en\s+lugar\s+de(?:l)?)\s*$")


@dataclass
class When:
    date: date | None = None
    window: str | None = None
    time: str | None = None


@lru_cache(maxsize=64)
def zone(name: str | None) -> ZoneInfo:
    return ZoneInfo(name or DEFAULT_ZONE)


def local_today(now: datetime, tz: str | None = None) -> date:
    """The calendar day of `now` in the organization's zone."""
    if now.tzinfo is None:
        return now.date()
    return now.astimezone(zone(tz)).date()


def _safe(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _day_value(s: str) -> int:
    """"primero", "1ro", "1°", "15" → the day of the month."""
    if s.startswith("primero"):
        return 1
    return int(s.replace("ro", "").replace("°", ""))


def next_day_of_month(today: date, day: int) -> date | None:
    """The next date (today included) whose day of month is `day`."""
    y, m = today.year, today.month
    for _ in range(13):
        if day >= today.day or (y, m) != (today.year, today.month):
            d = _safe(y, m, day)
            if d and d >= today:
                return d
        m += 1
        if m > 12:
            y, m = y + 1, 1
    return None


def day_month(today: date, day: int, month: int, year: int | None = None) -> date | None:
    """Day and month with the year that makes sense: this one, or next if already long past."""
    if year is not None:
        if year < 100:
            year += 2000
        return _safe(year, month, day)
    d = _safe(today.year, month, day)
    if d is None:
        return _safe(today.year + 1, month, day)
    if d < today - timedelta(days=30):
        return _safe(today.year + 1, month, day) or d
    return d


def weekday_date(today: date, weekday: int, past: bool = False) -> date:
    """The next given weekday after today (a week ahead when it is today); the last if past."""
    if past:
        return today - timedelta(days=(today.weekday() - weekday) % 7 or 7)
    return today + timedelta(days=(weekday - today.weekday()) % 7 or 7)


def _weekday_with_day(today: date, weekday: int, day: int) -> date | None:
    d = next_day_of_month(today, day)
    probe = d
    for _ in range(12):  # the month where that day falls on that weekday
        if probe is None:
            break
        if probe.weekday() == weekday:
            return probe
        probe = next_day_of_month(probe + timedelta(days=1), day)
    return d


def _one_day(text: str, m: re.Match) -> bool:
    """Whether a weekday names one day, not a kind of day ("los sábados", "un domingo") or the
    bounds of a range ("de lunes a viernes")."""
    if m.group("wd") in ("sabados", "domingos"):
        return False
    if m.group("short"):
        return True
    if _NOT_ONE_DAY_BEFORE.search(text, 0, m.start()) or _A_DAY_APOLOGY.search(text, 0, m.start()):
        return False
    return not any(
        r.start("a" if r.group("a") else "b") == m.start() or r.start("z") == m.start()
        for r in _RANGE.finditer(text, max(0, m.start() - 40), m.end() + 40)
    )


def _told_in_past(text: str, start: int, end: int) -> bool:
    """Whether the clause of a weekday tells of the past ("el martes vino el técnico", "¿cómo nos
    fue el lunes?") or asks for its report ("resumen del viernes")."""
    if _REPORT_BEFORE.search(text, max(0, start - 40), start):
        return True
    s, e = _clause(text, start, end)
    near = text[max(s, start - 35) : min(e, end + 30)]  # the verb near the day, in its clause
    return bool(_PAST_VERB.search(near)) and not _FUTURE_CUE.search(text[s:e])


def find_dates(text: str, today: date) -> list[tuple[int, int, date]]:
    """(start, end, date) of every date named in text, in order."""
    found: list[tuple[int, int, date]] = []
    taken: list[tuple[int, int]] = []

    def add(start: int, end: int, d: date | None) -> None:
        if d is None or any(s < end and start < e for s, e in taken):
            return
        taken.append((start, end))
        found.append((start, end, d))

    for m in _DAY_MONTH.finditer(text):
        if _STREET_NUMBER_NEXT.match(text, m.end()) or _STREET_BEFORE.search(text, 0, m.start()):
            continue  # "25 de Mayo 340", "Av. 9 de Julio": a street named after the date
        y = int(m.group("y")) if m.group("y") else None
        add(m.start(), m.end(), day_month(today, _day_value(m.group("d")), MONTHS[m.group("m")], y))
    for m in _NUMERIC.finditer(text):
        y = int(m.group("y")) if m.group("y") else None
        add(m.start(), m.end(), day_month(today, int(m.group("d")), int(m.group("m")), y))
    for m in _PASADO.finditer(text):
        add(m.start("pas"), m.end("pas"), today + timedelta(days=2))
    for m in _THE_DAY.finditer(text):
        add(m.start(), m.end(), today)
    for m in _RELATIVE.finditer(text):
        if m.group("pm"):
            d = today + timedelta(days=2)
        elif m.group("aa"):
            d = today - timedelta(days=2)
        elif m.group("ayer"):
            d = today - timedelta(days=1)
        elif m.group("hoy"):
            d = today
        else:
            d = today + timedelta(days=1)
        add(m.start(), m.end(), d)
    for m in _WEEKDAY.finditer(text):
        wd = WEEKDAYS[m.group("wd")] if m.group("wd") else SHORT_WEEKDAYS[m.group("short")]
        rel = (m.group("rel") or "").strip()
        if m.group("d"):
            d = _weekday_with_day(today, wd, int(m.group("d")))
        elif not _one_day(text, m):
            continue
        elif rel == "pasado":
            d = weekday_date(today, wd, past=True)
        elif not rel and _told_in_past(text, m.start(), m.end()):
            d = today - timedelta(days=(today.weekday() - wd) % 7)  # the last one, today included
        else:
            d = weekday_date(today, wd)
        add(m.start(), m.end(), d)
    for m in _BARE_DAY.finditer(text):
        add(m.start("d"), m.end(), next_day_of_month(today, _day_value(m.group("d"))))
    found.sort()
    return found


# ---- windows and times ---------------------------------------------------------------------
_TIME = re.compile(
    r"\b(?P<cue>a\s+las?|para\s+las?|tipo(?:\s+las?)?|a\s+eso\s+de\s+las?|como\s+a\s+las?|"
    r"desde\s+las?|entre\s+las?|antes\s+de\s+las?|despues\s+de\s+las?|sobre\s+las?|"
    r"cerca\s+de\s+las?|tipo\s+a\s+las?|pasadas\s+las?)?\s*"
    rf"\b(?P<h>2[0-3]|[01]?\d|{NUMBER_PHRASE})(?![\d/])"
    r"(?:\s*(?::|\.|h)\s*(?P<mm>[0-5]\d)\b|\s+y\s+(?P<frac>media|cuarto|(?:[1-5]\d|[1-9]))\b"
    r"|\s+menos\s+(?P<less>cuarto|(?:[1-5]\d|[1-9]))\b)?"
    r"(?P<hs>\s*(?:hs|hrs|horas|h|hr)\b)?"
    r"(?:\s*(?P<ampm>am|pm|a\.m\.|p\.m\.)(?!\w)"
    r"|\s+(?:de\s+la|a\s+la|por\s+la)\s+(?P<part>manana|tarde|noche|madrugada|siesta)"
    r"|\s+(?P<noon>del\s+mediodia))?"
)
# after "25 de mayo": a street number (not a year) says it was a street
_STREET_NUMBER_NEXT = re.compile(r"\s+(?:al\s+|nro\.?\s*|n\s*°?\s*)?(?!20\d\d\b)\d{1,5}\b(?!\s*(?:hs|horas?|:|/))")
_STREET_BEFORE = re.compile(r"\b(?:av|avda|avenida|calle|pasaje|pje|bv|boulevard|diagonal)\.?\s*$")
# a weekday right before a bare number: that number is the day of the month ("el martes 8")
_DAY_BEFORE = re.compile(
    r"\b(?:lunes|martes|miercoles|jueves|viernes|sabado|domingo|lun|mar|mie|jue|vie|sab|dom)\.?\s*$"
)
_NOON = re.compile(r"\b(?:al\s+|a\s+|tipo\s+|del\s+)?mediodia\b")
_WINDOW = re.compile(
    r"(?<!\bbuenas )(?<!\bbuena )(?<!\bbuen )"
    r"\b(?:(?:a|por|de|en|durante|para)\s+la|esta|de|(?P<all>toda\s+la))\s+"
    r"(?P<w>(?<!de )manana|tarde|tardecita|noche|nochecita|siesta)\b"
    r"|\b(?P<early>temprano|a\s+primera\s+hora)\b"
    r"|\b(?P<after_noon>(?:despues|pasado)\s+del?\s+mediodia)\b"
)
_WINDOW_NAME = {
    "manana": "morning",
    "tarde": "afternoon",
    "tardecita": "afternoon",
    "siesta": "afternoon",
    "noche": "evening",
    "nochecita": "evening",
}


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
        elif not part and not ampm and 1 <= h <= 7:
            h += 12  # "a las 5": nobody books a visit at five in the morning
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
    rf"(?:\b(?:manana|hoy|pasado|{_WD}|dia|\d{{1,2}}|vengan|venga|vengas|veni|venir|vienen|viene|"
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
        s, e = _clause(text, m.start(), m.end())
        return bool(_AVAILABLE.search(text[s:e]))
    return True


def find_windows(text: str, busy: list[tuple[int, int]] = ()) -> list[tuple[int, int, str]]:
    """(start, end, window) of day windows, skipping spans already read as times."""
    out = []
    for m in _WINDOW.finditer(text):
        if any(s <= m.start() < e for s, e in busy) or not _window_meant(text, m):
            continue
        name = ("morning" if m.group("early") else "afternoon" if m.group("after_noon")
                else _WINDOW_NAME[m.group("w")])
        out.append((m.start(), m.end(), name))
    return out


def _not_replaced(text: str, start: int) -> bool:
    return not _ALT.search(text, 0, start) or not _ALT.search(text[max(0, start - 20) : start])


# where a clause ends: punctuation, or a word that starts another one ("el martes no puedo pasalo
# para el jueves", "mejor el jueves porque el martes no estoy")
_CLAUSE_END = re.compile(
    r"[.,;:!?\n]|\s(?=(?:pero|mejor|porque|asi\s+que|entonces|sino|aunque|puede\s+ser|podria\s+ser|"
    r"pasal[oa]|pasamel[oa]|cambial[oa]|movel[oa]|dejal[oa]|que\s+sea|preferiria|prefiero|"
    r"y\s+(?:el|la|los|mejor))\b)"
)
_NEGATION = re.compile(r"\b(?:no|ni|tampoco)\b")
# an appointment already given, named to be replaced: "tenía el lunes", "estaba para el martes"
_OLD_ONE = re.compile(
    r"\b(?:tenia|teniamos|tenian|tengo|tenemos|estaba|estabamos|era|habiamos\s+quedado|quedamos|"
    r"me\s+dieron|me\s+habian\s+dado|agendad[oa])\b"
    r"(?:\s+(?:turno|la\s+visita|el\s+turno|visita|para|agendado|agendada|con\s+ustedes))*\s+(?:el\s+|para\s+el\s+)?$"
)


def _clause(text: str, start: int, end: int) -> tuple[int, int]:
    """The bounds of the clause around text[start:end]."""
    before = max((m.end() for m in _CLAUSE_END.finditer(text, 0, start)), default=0)
    after = _CLAUSE_END.search(text, end)
    return before, after.start() if after else len(text)


def _negated(text: str, start: int, end: int) -> bool:
    """Whether the date sits in a clause that says no ("el viernes no estoy", "mañana no puedo")."""
    s, e = _clause(text, start, end)
    return bool(_NEGATION.search(text[s:e]))


def _old_one(text: str, start: int, end: int) -> bool:
    """Whether the date is the appointment already given ("tenía el lunes pero ...")."""
    s, _ = _clause(text, start, end)
    return bool(_OLD_ONE.search(text, s, start))


# "el martes o el jueves", "lunes o miércoles", "hoy o mañana": two days offered, none chosen
_OR_BETWEEN = re.compile(
    r"\s*,?\s*(?:o|u|o\s+si\s+no|o\s+sino|o\s+bien|o\s+tambien)\s+(?:es\s+|era\s+)?"
    r"(?:el\s+|para\s+el\s+|para\s+)?$"
)


def resolve(text: str, now: datetime, tz: str | None = None) -> When:
    """The date, window and time the text asks for (the last one named wins)."""
    today = local_today(now, tz)
    when = When()
    times = [t for t in find_times(text) if _not_replaced(text, t[0])]
    busy = [(s, e) for s, e, _ in times]
    dates = [
        d
        for d in find_dates(text, today)
        if _not_replaced(text, d[0]) and not any(s <= d[0] < e for s, e in busy)
    ]
    windows = [w for w in find_windows(text, busy) if _not_replaced(text, w[0])]
    # A date the writer rules out (or the appointment they had) loses to one they offer, when
    # there is one; a day told in the past loses to one ahead.
    offered = [d for d in dates if not (_negated(text, *d[:2]) or _old_one(text, *d[:2]))]
    dates = offered or dates
    ahead = [d for d in dates if not (d[2] < today and _told_in_past(text, *d[:2]))]
    dates = ahead or dates
    if dates and not (
        len(dates) > 1 and _OR_BETWEEN.fullmatch(text, dates[-2][1], dates[-1][0])
        and dates[-2][2] != dates[-1][2]
    ):
        when.date = dates[-1][2]
    if windows:
        when.window = windows[-1][2]
    if times:
        when.time = (
            times[0][2]
            if re.search(r"\bentre\s+las?\s*$", text[: times[0][0] + 12][-14:])
            else times[-1][2]
        )
    return when


# ---- ETA -----------------------------------------------------------------------------------
_NUM = rf"(?:\d{{1,3}}|{NUMBER_PHRASE})"
_DURATION = re.compile(
    r"(?P<q3>tres\s+cuartos\s+de\s+hora|3/4\s+(?:de\s+)?hora)"
    r"|(?P<q1>(?:un|1)\s+cuarto\s+de\s+hora|1/4\s+(?:de\s+)?hora)"
    r"|(?P<half>media\s+hor(?:a|ita)(?:\s+y\s+(?:pico|algo))?|1/2\s+(?:de\s+)?hora)"
    r"|(?P<hy>(?<!\w)hora\s+y\s+(?P<hyfrac>media|cuarto))"
    rf"|(?P<hours>{_NUM})\s*(?:horas?|hs|hrs?|h)\b(?:\s+y\s+(?P<hfrac>media|cuarto)|(?:\s+y)?\s+"
    rf"(?P<hmin>{_NUM})\b(?!\s*(?:horas?|hs|de\b(?!\s+viaje)|/|:|cuadras?|km|kilometros?|metros?))"
    r"\s*(?:minutos|min)?)?"
    rf"|(?P<mins>{_NUM})\s*(?:minutos|minutitos|min|mins|')(?!\w)"
)
_BARE_ETA = re.compile(
    rf"\b(?:llego|llegamos|estoy|estamos|estare|caigo|paso|demoro|tardo|calculo)\s+(?:ahi\s+|alla\s+)?"
    rf"(?:en\s+|como\s+en\s+|tipo\s+)(?P<n>{_NUM})\b(?!\s*(?:minutos|min|horas?|hs|/|:|de\s+la))"
    rf"|\ben\s+(?P<n2>{_NUM})\s+(?:estoy|llego|estamos|llegamos)\b"
    # "calculo 20", "calculo que 15", "calculale unos 10": a bare number reckoned is minutes
    rf"|\b(?:calculo|calculale|calcula|calculamos)\s+(?:que\s+)?(?:unos\s+|como\s+|tipo\s+)?"
    rf"(?:en\s+)?(?P<n3>{_NUM})\b(?!\s*(?:minutos|min|horas?|hs|/|:|de\s+la|cuadras?|km|mil|lucas|"
    rf"pesos|\.\d|,\d))"
)
# "ahí voy, 15 y estoy": a bare number, then the arrival
_THEN_ARRIVE = re.compile(
    rf"(?<![\d/:.,])(?<!\blas )(?<!\bla )(?<!\bsalgo en )\b(?P<n>{_NUM})\s+y\s+(?:estoy|llego|estamos|llegamos)\b"
)
# "ya salí, en 15", "voy para allá, en 10 más o menos": "en" and a bare number ending the
# clause, after the writer said they are on the way
_BARE_EN = re.compile(
    rf"\ben\s+(?:unos\s+|como\s+)?(?P<n>{_NUM})\s*(?:mas\s+o\s+menos|aprox\w*|maso)?"
    r"\s*(?:$|[,.;!?\n]|y\s+(?:estoy|llego|estamos)\b|por\s+(?:el|la|los)\b)"
)
# a duration then its cause ("en media hora por el tránsito") or "y llego": it is the ETA
_ETA_AFTER = re.compile(
    r"\s*(?:mas\s+)?(?:por\s+(?:el\s+)?(?:transito|trafico|embotellamiento|lluvia|choque|piquete|"
    r"corte|obra|obras|accidente|quilombo)|de\s+(?:demora|atraso|retraso|viaje)|y\s+(?:llego|estoy|"
    r"estamos|llegamos)|tarde\b|mas\s+o\s+menos|aprox)"
)
_ETA_CUE = re.compile(
    r"(?:\ben|\bcalculo|\bcalculale|\bunos|\bunas|\bdemoro|\btardo|\bdentro\s+de|\bestoy\s+a|\bllego\s+a"
    r"|\bmas\s+o\s+menos|\bcomo|\btipo|\bmaso)\s*(?:unos\s+|unas\s+|como\s+|mas\s+o\s+menos\s+)?$"
)
# said on the way (the duration after it is how long until arrival): "voy en camino, hora y media"
_ON_THE_WAY = re.compile(
    r"\b(?:llego|estoy|calculo|salgo|sali|salimos|voy|vamos|arranco|arranque|arrancamos|yendo"
    r"|camino|rumbo|tardo|demoro|tardar|demorar|llegar|llegando|demorado|atrasado|retrasado)\b"
)
_NOT_ETA = re.compile(
    r"\b(?:hace|desde\s+hace|hace\s+mas\s+de|esperando)\s*(?:unos\s+|mas\s+de\s+)?$"
)


def _n(s: str) -> int | None:
    v = number_value(s)
    return int(v) if v is not None and float(v).is_integer() else None


def find_eta(text: str) -> int | None:
    """Minutes until arrival ("llego en 20", "en media hora", "una hora y cuarto"), or None."""
    for m in _DURATION.finditer(text):
        before = text[max(0, m.start() - 30) : m.start()]
        going = text[max(0, m.start() - 60) : m.start()]
        if _NOT_ETA.search(before):
            continue
        minutes = None
        if m.group("q3"):
            minutes = 45
        elif m.group("q1"):
            minutes = 15
        elif m.group("half"):
            minutes = 30
        elif m.group("hy"):
            minutes = 60 + {"media": 30, "cuarto": 15}[m.group("hyfrac")]
        elif m.group("hours"):
            h = _n(m.group("hours"))
            if h is None:
                continue
            extra = {"media": 30, "cuarto": 15}.get(m.group("hfrac") or "", 0)
            if m.group("hmin"):
                extra = _n(m.group("hmin")) or 0
            minutes = h * 60 + extra
        elif m.group("mins"):
            minutes = _n(m.group("mins"))
        if minutes is None or not 0 < minutes <= 600:
            continue
        if not (_ETA_CUE.search(before) or _ON_THE_WAY.search(going) or _ETA_AFTER.match(text, m.end())):
            continue
        return minutes
    m = _BARE_ETA.search(text)
    if m:
        n = _n(m.group("n") or m.group("n2") or m.group("n3"))
        if n is not None and 1 < n <= 180:
            return n
    m = _THEN_ARRIVE.search(text)
    if m and _n(m.group("n")) is not None and 1 < _n(m.group("n")) <= 120:
        return _n(m.group("n"))
    for m in _BARE_EN.finditer(text):
        if not _ON_THE_WAY.search(text[max(0, m.start() - 60) : m.start()]):
            continue
        n = _n(m.group("n"))
        if n is not None and 1 < n <= 120:
            return n
    return None
