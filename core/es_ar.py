"""Rioplatense Spanish for people: pesos, days and times, first names, phones, yes and no.

One home for how the bot and the back-office *write* money, dates and names, and how they read
a bare "sí" or "no", so every message says "$15.000", "el jueves 26/11 de 9 a 11" and "Marta"
the same way. (Reading free text — dates, amounts, addresses — is the NLU's job, in `nlu/`.)
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers

DEFAULT_TIME_ZONE = "America/Argentina/Buenos_Aires"
WEEKDAYS = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")
MONTHS = ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
          "septiembre", "octubre", "noviembre", "diciembre")
CENT = Decimal("0.01")

# A bare answer to a yes/no question, folded (no accents, case or punctuation).
YES_WORDS = frozenset({
    "si", "sii", "siii", "dale", "dale si", "si dale", "confirmo", "confirmar", "confirmalo",
    "ok", "okey", "oka", "de una", "si confirmo", "dale confirmalo", "listo", "perfecto",
    "va", "sip", "claro", "si por favor", "si porfa", "obvio", "joya", "buenisimo",
})
NO_WORDS = frozenset({
    "no", "nop", "nope", "no gracias", "mejor no", "para nada", "ni ahi", "no no",
    "no por ahora", "dejalo", "todavia no",
})


# ---- money -------------------------------------------------------------------------------------

def pesos(amount: Decimal | float | None) -> str:
    """15000 → "$15.000", 1234.5 → "$1.234,50", -200 → "-$200", None → ""."""
    if amount is None:
        return ""
    value = Decimal(str(amount)).quantize(CENT, rounding=ROUND_HALF_UP)
    sign = "-" if value < 0 else ""
    whole, cents = f"{abs(value):.2f}".split(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    text = ".".join(groups)
    if cents != "00":
        text += f",{cents}"
    return f"{sign}${text}"


def invoice_pesos(amount: Decimal | float | None) -> str:
    """Invoice style, always with cents: 15000 → "$ 15.000,00", -2.5 → "-$ 2,50".

    None prints "$ 0,00". (`pesos` is the chat style, "$15.000", without cents when round, and
    "" for None.)"""
    value = Decimal(str(amount or 0)).quantize(CENT, rounding=ROUND_HALF_UP)
    sign = "-" if value < 0 else ""
    whole, cents = f"{abs(value):.2f}".split(".")
    grouped = f"{int(whole):,}".replace(",", ".")
    return f"{sign}$ {grouped},{cents}"


def quantity(value: Decimal | int | None) -> str:
    """1.000 → "1", 1.500 → "1,5"."""
    number = Decimal(str(value if value is not None else 1))
    text = f"{number.normalize():f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",")


def percent(rate: Decimal) -> str:
    """21.00 → "21%", 10.50 → "10,5%"."""
    return quantity(rate) + "%"


def cuit(value: str | int | None) -> str:
    """"20123456786" → "20-12345678-6", as AFIP prints it; anything that is not 11 digits comes
    back as given."""
    text = "".join(ch for ch in str(value or "") if ch.isdigit())
    if len(text) != 11:
        return str(value or "")
    return f"{text[:2]}-{text[2:10]}-{text[10]}"


# ---- time --------------------------------------------------------------------------------------

def zone(name: str | None) -> ZoneInfo:
    """The organization's zone, Buenos Aires when unset or unknown."""
    try:
        return ZoneInfo(name or DEFAULT_TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIME_ZONE)


def aware(moment: datetime) -> datetime:
    """SQLite hands back naive UTC: make it aware."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def clock(moment: datetime) -> str:
    """"9", "14", "9:30": an hour as people say it."""
    return str(moment.hour) if moment.minute == 0 else f"{moment.hour}:{moment.minute:02d}"


def duration_phrase(minutes: int) -> str:
    """"unos 40 minutos", "una hora", "una hora y media", "unas 2 horas": a delay as said."""
    if minutes < 50:
        return f"unos {minutes} minutos"
    halves = max(2, round(minutes / 30))
    hours, half = divmod(halves, 2)
    if hours == 1:
        return "una hora y media" if half else "una hora"
    return f"unas {hours} horas y media" if half else f"unas {hours} horas"


def clock_hm(moment: datetime) -> str:
    """"9:00", "14:30": for lists where the times line up."""
    return f"{moment.hour}:{moment.minute:02d}"


def weekday(day: date) -> str:
    return WEEKDAYS[day.weekday()]


def weekday_date(day: date) -> str:
    """"jueves 26/11": a day of the coming weeks, never "hoy" or "mañana" (see day_phrase)."""
    return f"{weekday(day)} {day.day}/{day.month}"


def day_span(first: date, last: date) -> str:
    """"7/12 al 13/12": a stretch of days as reports head it."""
    return f"{first.day}/{first.month} al {last.day}/{last.month}"


def day_phrase(day: date, today: date, *, article: bool = True) -> str:
    """"hoy", "mañana", "ayer", "el jueves 26/11" (or "jueves 26/11" without the article)."""
    if day == today:
        return "hoy"
    if day == today + timedelta(days=1):
        return "mañana"
    if day == today - timedelta(days=1):
        return "ayer"
    text = weekday_date(day)
    return f"el {text}" if article else text


def at_hour(moment: datetime) -> str:
    """"a la 1", "a las 9:30"."""
    return f"a {'la' if moment.hour == 1 else 'las'} {clock(moment)}"


def visit_phrase(start: datetime, end: datetime | None, today: date, *,
                 article: bool = True) -> str:
    """"hoy de 14 a 16", "mañana a las 9", "el jueves 26/11 de 9 a 11" (times in their zone)."""
    phrase = day_phrase(start.date(), today, article=article)
    if end is None:
        return f"{phrase} {at_hour(start)}"
    return f"{phrase} de {clock(start)} a {clock(end)}"


def long_date(day: date) -> str:
    """"jueves 26 de noviembre"."""
    return f"{weekday(day)} {day.day} de {MONTHS[day.month - 1]}"


def short_date(day: date) -> str:
    """"26/11/2026": dates as Argentines write them."""
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


# ---- people ------------------------------------------------------------------------------------

def first_name(name: str | None) -> str | None:
    """"Marta García" → "Marta"; None for nothing."""
    parts = (name or "").split()
    return parts[0] if parts else None


def _phone(e164: str) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(e164 if e164.startswith("+") else f"+{e164}", None)
    except phonenumbers.NumberParseException:
        return None


def readable_phone(e164: str | None) -> str:
    """"+5491166660001" → "+54 9 11 6666-0001"; as stored when it does not parse."""
    if not e164:
        return ""
    number = _phone(e164)
    if number is None:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def local_phone(e164: str | None) -> str:
    """"+5491155550000" → "11 5555-0000" (as people here dial it), a foreign number in its
    international form, anything unreadable as stored, None → ""."""
    if not e164:
        return ""
    number = _phone(e164)
    if number is None:
        return e164
    if phonenumbers.region_code_for_number(number) != "AR":
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return national.removeprefix("0").replace(" 15-", " ", 1)


# ---- words -------------------------------------------------------------------------------------

def folded(text: str | None) -> str:
    """"¡Sí, dale!" → "si dale": lower case, no accents or punctuation, single spaces."""
    plain = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^a-z0-9 ]+", " ", plain.lower()).split())


def yes_or_no(text: str | None) -> str | None:
    """"yes", "no", or None when the text is not an answer to a yes/no question.

    Besides the bare words, an answer may come with courtesy or with the question's own verb
    said again ("si si cancelalo nomas, mil disculpas", "sí, eso", "no, gracias, así está
    bien"); anything else in it ("sí, pero el viernes", "no, el jueves") makes it no bare
    answer, for the caller to read."""
    said = folded(text)
    if said in YES_WORDS:
        return "yes"
    if said in NO_WORDS:
        return "no"
    words = said.split()
    if not words or len(words) > 10:
        return None
    if words[0] in _YES_LEAD and all(w in _COURTESY or w in _YES_LEAD or _SAME_VERB.match(w)
                                     for w in words[1:]):
        return "yes"
    if len(words) > 2 and words[0] in _SI and words[1] in _SI | {"dale", "claro"} \
            and not {"pero", "no", "aunque"} & set(words):
        return "yes"  # "si si, uno solo, el otro que quede como estaba": a yes said twice, explained
    if words[0] in _NO_LEAD and all(w in _COURTESY or w in _NO_TAIL for w in words[1:]):
        return "no"
    return None


# What may open an answer, and what may follow it without changing it
_YES_LEAD = frozenset({
    "si", "sii", "siii", "sip", "dale", "ok", "okey", "oka", "okk", "claro", "obvio", "joya",
    "listo", "perfecto", "exacto", "correcto", "eso", "va", "bueno", "buenisimo", "genial",
    "barbaro", "afirmativo", "confirmo", "confirmar", "confirmalo", "de", "una", "esa", "ese",
})
_NO_LEAD = frozenset({"no", "nop", "nope", "nah", "naa"})
_SI = frozenset({"si", "sii", "siii"})
_COURTESY = frozenset({
    "gracias", "muchas", "mil", "disculpas", "disculpa", "disculpame", "perdon", "perdona",
    "por", "favor", "porfa", "porfis", "nomas", "noma", "asi", "esta", "bien", "todo",
    "entonces", "ya", "che", "jaja", "jajaja", "jeje", "tranqui", "igual", "genio", "capo",
    "amigo", "amiga", "crack", "un", "saludo", "saludos", "abrazo", "besos", "beso", "grax",
    "gracia", "lo", "la", "que", "sea", "seria", "es",
})
# the question's own verb said again: "cancelalo", "confirmá", "agendalo", "anotalo"
_SAME_VERB = re.compile(r"(?:cancel|confirm|agend|reserv|anot)\w*$")
_NO_TAIL = frozenset({"dejalo", "deja", "dejala", "como", "estaba", "mejor", "ahora",
                      "todavia", "hace", "falta", "necesario", "quiero", "nada", "no"})


# "la primera", "el segundo", "la última": which of the options offered, in words
_NTH = {"primer": 0, "primero": 0, "primera": 0, "segundo": 1, "segunda": 1, "tercero": 2, "tercera": 2,
        "ultimo": -1, "ultima": -1}
_NTH_SAID = re.compile(r"\b(?:el|la|del|al|de\s+la|a\s+la)\s+(" + "|".join(_NTH) + r")\b")


def nth_said(said: str, count: int) -> int | None:
    """The index among `count` options the folded words choose ("dale, la primera": 0; "la
    última": count - 1), or None when they choose none."""
    nth = _NTH_SAID.search(said)
    if nth is None or not -count <= _NTH[nth.group(1)] < count:
        return None
    return _NTH[nth.group(1)] % count


def with_article(phrase: str) -> str:
    """Spanish contractions: "a el" → "al", "de el" → "del" (not before "El" in a name)."""
    return re.sub(r"\b(a|de) el\b", lambda m: "al" if m.group(1) == "a" else "del", phrase)


def shortened(text: str | None, limit: int) -> str:
    """On one line, cut at a word before `limit` characters with an ellipsis."""
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    cut = text[:limit - 1]
    if " " in cut[limit // 2:]:
        cut = cut[:cut.rindex(" ")]
    return cut.rstrip(" ,.;:-") + "…"
