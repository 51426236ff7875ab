"""Dates in Rioplatense Spanish, resolved against today: relative days ("hoy", "mañana",
"pasado"), weekdays (whole or cut short, with a day of the month, "que viene" or "pasado"), a
day and month ("25 de mayo", "26/11") and a bare day of the month ("el 15"); a weekday that names
a kind of day ("los sábados") or the bounds of a range ("de lunes a viernes") is no date, and a
weekday told in the past is the last one. Also the organization's zone and its calendar day.
Every function takes text already folded and expanded (see `text.py`): lowercase, no accents,
"mñn" -> "manana"."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from nlu.extract.clauses import told_in_past

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
WD = "|".join(WEEKDAYS)
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_DAY = r"(?:[12]\d|3[01]|0?[1-9])"
# a day said in words ("el cuatro de enero", "el veintitrés"), folded
_DAY_WORDS = {
    word: n for n, words in enumerate([
        "", "uno", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve", "diez",
        "once", "doce", "trece", "catorce", "quince", "dieciseis|diez y seis",
        "diecisiete|diez y siete", "dieciocho|diez y ocho", "diecinueve|diez y nueve", "veinte",
        "veintiuno|veintiun|veinte y uno", "veintidos|veinte y dos", "veintitres|veinte y tres",
        "veinticuatro|veinte y cuatro", "veinticinco|veinte y cinco", "veintiseis|veinte y seis",
        "veintisiete|veinte y siete", "veintiocho|veinte y ocho", "veintinueve|veinte y nueve",
        "treinta", "treinta y uno|treinta y un"]) for word in words.split("|") if word
}
_DAY_WORD = "|".join(w.replace(" ", r"\s+") for w in sorted(_DAY_WORDS, key=len, reverse=True))
_DAYNUM_DIGITS = rf"(?:{_DAY}|primero)(?:ro|°)?"
# with its month a day may be said in words; alone ("el once", "para el tres") it is too often
# something else
_DAYNUM = rf"(?:{_DAYNUM_DIGITS}|{_DAY_WORD})"

# "De mañana" is the morning in the River Plate ("pero de mañana, a la tarde voy al centro", "el
# jueves de mañana", "mañana de mañana"), except after a noun, where it is tomorrow's ("la visita
# de mañana", "lo de mañana", "el turno de mañana"), or with "desde"/"a partir" (from tomorrow).
_DE_MANANA = re.compile(r"\bde\s+$")
_TOMORROWS = re.compile(
    r"(?:\b(?:lo|los|las|el|la|un|una|mi|mis|su|sus|tu|tus|del|al|desde|partir|hasta)\s+(?:\w+\s+){0,2}de"
    r"|\b(?:turno|turnos|visita|visitas|trabajo|trabajos|agenda|resumen|recordatorio|cita|lista"
    r"|pedido|pedidos|clientes?|tecnicos?|desde|partir|hasta|dia|diario|pronostico|clima|partido)\s+de)\s+$")
_MORNING_BEFORE = re.compile(
    r"(?:^|[,.;:!?¿¡(\n-]|\b(?:pero|mejor|solo|solamente|siempre|preferentemente|preferible|ideal|tipo"
    r"|o|y|u|si|sea|ser|mas|bien|temprano|manana|hoy|pasado|lunes|martes|miercoles|jueves|viernes"
    r"|sabado|domingo|\d{1,2}|vengan|venga|vengas|veni|venir|vienen|viene|pasen|pase|pasar|pasa|pasas"
    r"|caigan|caer|estoy|estamos|esta|estan|puedo|puede|pueden|podes|podemos|podrian|podria|trabajo"
    r"|trabajamos|laburo|salgo|salimos|atiendo|atendemos|prefiero|preferimos|nadie|alguien|hay|voy"
    r"|vamos|ir|vayan|quedo|quedamos|turno|semana|finde|todos|todas|igual|justo|antes|despues|nunca"
    r"|tambien|tampoco|no|ni|que|q|llegar|lleguen|arrancar|arranquen|ahora|cualquier\s+dia))\s*de\s+$")

_A_DAY_BEFORE = re.compile(r"\b(?:manana|hoy|pasado|lunes|martes|miercoles|jueves|viernes|sabado|domingo"
                           r"|\d{1,2}(?:/\d{1,2})?)\s+de\s+$")


def morning_meant(text: str, at: int) -> bool:
    """Whether the "mañana" at `at` in folded `text`, said as "de mañana", is the morning."""
    before = text[max(0, at - 40):at]
    if not _DE_MANANA.search(before):
        return False
    if _A_DAY_BEFORE.search(before):
        return True  # "el jueves de mañana", "mañana de mañana", "el 12 de mañana"
    if _TOMORROWS.search(before):
        return False
    return bool(_MORNING_BEFORE.search(before))


# ---- dates ---------------------------------------------------------------------------------
_RELATIVE = re.compile(
    r"\b(?P<pm>pasado\s+manana)\b|\b(?P<aa>anteayer|antes\s+de\s*ayer)\b|\b(?P<ayer>ayer)\b"
    r"|\b(?P<hoy>hoy|esta\s+(?:manana|tarde|noche)|hoy\s+mismo)\b"
    r"|(?<!\bla )(?<!\bmedia )(?<!\bcualquier )(?<!\balguna )(?<!\buna )(?<!\botra )(?<!\bcada )"
    r"(?<!\blas )(?P<man>\bmanana)\b(?!s)"
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
    r"|pueden\b|les?\b|te\b|estoy\b|estamos\b|ok\b|dale\b|no\b|seria\b|va\b|andaria\b))"
)
# "el jue", "para el vie.", "al mié": a weekday cut short (never "Mar del Plata", "el mar de")
SHORT_WEEKDAYS = {
    "lun": 0, "mar": 1, "mie": 2, "mier": 2, "jue": 3, "juev": 3, "vie": 4, "vier": 4, "sab": 5, "dom": 6,
}
_WEEKDAY = re.compile(
    rf"(?:\b(?P<wd>{WD})\b|(?:(?<=\bel )|(?<=\bal )|(?<=\bdel )|(?<=\bpara )|(?<=\bhasta ))"
    r"(?P<short>lun|mar|mier?|juev?|vier?|sab|dom)\b\.?(?!\s*(?:del?|y\s+sierras)\b))"
    rf"(?:\s+(?P<d>{_DAY})\b(?!\s*(?:/|:|hs|h\b|de\s+la|°)))?"
    r"(?P<rel>\s+(?:que\s+viene|proximo|entrante|pasado)\b)?"
)
_BARE_DAY = re.compile(
    rf"\b(?:el|para\s+el|dia|hasta\s+el|desde\s+el"
    # "lo del 29", "los trabajos del 29", "el resumen del 24" (not "el timbre del 1")
    r"|(?:lo|los|las|trabajos?|laburos?|visitas?|turnos?|resumen|reporte|agenda|lista|caja|cierre|"
    rf"numeros|movimientos)\s+del)\s+(?P<d>{_DAYNUM_DIGITS})\b"
    r"(?!\s*(?:/|:|°|%|\.|,\d|hs\b|h\b|de\s+la|y\s+media|piso|ambientes?|cuotas?|anos|m2|metros|mil|"
    r"lucas|pesos|minutos|min\b))"
    # the first one of a list, not the 1st: "el primero que tengas", "el primero q haya libre"
    r"(?<!primero(?=\s+(?:que|q|qe|disponible|libre|de\s+la\s+lista|que\s+salga)\b))"
    # a flat, not a day: "el timbre es el 3 C" (not "el 3 a la mañana")
    r"(?!\s+(?:[b-h]|a(?!\s+(?:la|las|partir|eso|media|primera)\b))\b)"
)
# a doorbell, a flat or a lot numbered, not a day: "el timbre es el 3", "depto el 4"
_NUMBERED_THING = re.compile(
    r"\b(?:timbre|depto|dpto|departamento|piso|unidad|uf|puerta|porton|lote|torre|casa|local)\s+"
    r"(?:es\s+)?(?:el\s+|la\s+)?$")
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
    rf"(?:(?<!\blo )(?<!\bla )(?<!\blos )\b(?:de|del|desde(?:\s+el)?)\s+(?P<a>{WD})"
    rf"|\b(?P<b>lunes))\s+(?:a|al|hasta(?:\s+el)?)\s+(?P<z>{WD})\b"
)
# "¿cómo va el día?", "¿cómo salió el día?", "resumen del día": today
_THE_DAY = re.compile(
    r"\b(?:(?:como|que\s+tal)\s+(?:nos\s+|me\s+|te\s+|les\s+)?"
    r"(?:va|viene|vamos|venimos|fue|salio|estuvo|anduvo|cerro|cerramos|termino|terminamos)?\s*"
    r"(?:con\s+|en\s+)?(?:el|este)\s+dia"
    r"|(?:resumen|reporte|balance|cierre|informe|numeros|caja)\s+(?:del|de\s+este)\s+dia)\b"
    r"(?=\s*(?:$|[?.!,;:\n]|de\s+hoy\b|hoy\b|como\b|por\s+favor\b|jefe\b|che\b))"
)
# after "25 de mayo": a street number (not a year) says it was a street
_STREET_NUMBER_NEXT = re.compile(r"\s+(?:al\s+|nro\.?\s*|n\s*°?\s*)?(?!20\d\d\b)\d{1,5}\b(?!\s*(?:hs|horas?|:|/))")
_STREET_BEFORE = re.compile(r"\b(?:av|avda|avenida|calle|pasaje|pje|bv|boulevard|diagonal)\.?\s*$")


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
    if s[:1].isalpha():
        return _DAY_WORDS[" ".join(s.split())]
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


def last_day_of_month(today: date, day: int) -> date | None:
    """The last date (today included) whose day of month is `day`."""
    y, m = today.year, today.month
    for _ in range(13):
        d = _safe(y, m, day)
        if d and d <= today:
            return d
        m -= 1
        if m < 1:
            y, m = y - 1, 12
    return None


def _weekday_with_day(today: date, weekday: int, day: int) -> date | None:
    """"El sábado 12": the 12th that is a Saturday nearest today, ahead or just gone (an owner's
    "el resumen del sábado 12" two days after it), else the next 12th."""
    d = next_day_of_month(today, day)
    ahead, probe = None, d
    for _ in range(12):  # the month where that day falls on that weekday
        if probe is None:
            break
        if probe.weekday() == weekday:
            ahead = probe
            break
        probe = next_day_of_month(probe + timedelta(days=1), day)
    gone = last_day_of_month(today - timedelta(days=1), day)
    if gone is not None and (gone.weekday() != weekday or today - gone > timedelta(days=45)):
        gone = None
    if gone is not None and (ahead is None or today - gone < ahead - today):
        return gone
    return ahead or d


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


# "la semana que viene", "la próxima semana", "la otra semana", "la semana entrante"
NEXT_WEEK = re.compile(r"\bsemana\s+(?:que\s+viene|proxima|entrante)\b|\b(?:proxima|otra)\s+semana\b")


def next_week_day(today: date, weekday: int = 0) -> date:
    """That weekday (Monday: 0) of the week after today's."""
    return today + timedelta(days=7 - today.weekday() + weekday)


# A fitting's size in inches, as the trade writes it: "de 3/4", "x 1/2", "3/4 pulgada"
_A_SIZE = re.compile(r"[1-7]/(?:2|4|8|16)")
_SIZE_BEFORE = re.compile(r"\b(?:de|x|por)\s+(?:\d\s+)?$")
_SIZE_AFTER = re.compile(r"\s*(?:\"|''|pulgadas?|pulg\b|pul\b)")


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
        if _SIZE_BEFORE.search(text, 0, m.start()) and _A_SIZE.fullmatch(m.group(0)) \
                or _SIZE_AFTER.match(text, m.end()):
            continue  # "una llave de 3/4", "caño de 1/2 pulgada": a fitting's size, not a date
        y = int(m.group("y")) if m.group("y") else None
        add(m.start(), m.end(), day_month(today, int(m.group("d")), int(m.group("m")), y))
    for m in _PASADO.finditer(text):
        add(m.start("pas"), m.end("pas"), today + timedelta(days=2))
    for m in _THE_DAY.finditer(text):
        add(m.start(), m.end(), today)
    for m in _RELATIVE.finditer(text):
        if m.group("man") and morning_meant(text, m.start("man")):
            continue  # "pero de mañana", "el jueves de mañana": the morning, not tomorrow
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
        elif NEXT_WEEK.search(text, max(0, m.start() - 30), min(len(text), m.end() + 30)):
            # "la semana que viene el jueves", "el jueves de la semana que viene": next week's
            d = next_week_day(today, wd)
        elif rel == "pasado":
            d = weekday_date(today, wd, past=True)
        elif not rel and told_in_past(text, m.start(), m.end()):
            d = today - timedelta(days=(today.weekday() - wd) % 7)  # the last one, today included
        else:
            d = weekday_date(today, wd)
        add(m.start(), m.end(), d)
    for m in _BARE_DAY.finditer(text):
        if _NUMBERED_THING.search(text, max(0, m.start("d") - 30), m.start("d")):
            continue
        day = _day_value(m.group("d"))
        # "¿cómo nos fue el 24?": told in the past, the last 24th (today included)
        past = told_in_past(text, m.start("d"), m.end())
        add(m.start("d"), m.end(), last_day_of_month(today, day) if past else next_day_of_month(today, day))
    found.sort()
    return found


# "del 2 al 15 de enero", "desde el 24/12 hasta el 2/1" (folded: "24 12"), "del 24 al 31": a
# stretch of days
_MONTH_WORDS = "|".join(sorted(MONTHS, key=len, reverse=True))
_SPAN = re.compile(
    rf"\b(?:del?|desde\s+el)\s+(?P<d1>\d{{1,2}})(?:\s*[/\s]\s*(?P<m1>\d{{1,2}})|\s+de\s+(?P<w1>{_MONTH_WORDS}))?"
    rf"\s+(?:al|hasta\s+el)\s+(?P<d2>\d{{1,2}})(?:\s*[/\s]\s*(?P<m2>\d{{1,2}})|\s+de\s+(?P<w2>{_MONTH_WORDS}))?\b")
MAX_SPAN_DAYS = 62


def find_day_span(text: str, today: date) -> tuple[date, date] | None:
    """The first and last day of a stretch the (folded) text names ("del 2 al 15 de enero"),
    both still to come or today; None when it names none or it makes no sense."""
    m = _SPAN.search(text)
    if m is None:
        return None
    d1, d2 = int(m.group("d1")), int(m.group("d2"))
    m2 = int(m.group("m2")) if m.group("m2") else MONTHS.get(m.group("w2") or "")
    m1 = int(m.group("m1")) if m.group("m1") else MONTHS.get(m.group("w1") or "")
    if m2 is None and m1 is None:
        first = next_day_of_month(today, d1)
        last = first and (_safe(first.year, first.month, d2) if d2 >= d1 else next_day_of_month(
            first + timedelta(days=1), d2))
    else:
        if m2 is None:
            m2 = m1 if d2 >= d1 else (m1 % 12) + 1
        last = day_month(today, d2, m2)
        if m1 is None:
            m1 = m2 if d1 <= d2 else (m2 - 2) % 12 + 1
        first = last and _safe(last.year - (1 if m1 > m2 else 0), m1, d1)
    if first is None or last is None or not first <= last \
            or (last - first).days > MAX_SPAN_DAYS or last < today:
        return None
    return max(first, today), last
