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
    """"yes", "no", or None when the text is not a bare answer to a yes/no question."""
    said = folded(text)
    if said in YES_WORDS:
        return "yes"
    if said in NO_WORDS:
        return "no"
    return None


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
