"""Spanish number words ("cuarenta y cinco mil", "dos mil quinientos", "una") on folded text.

text2num (`text_to_num`) parses clean number phrases well, but its alpha2digit rewrites
"cuarto" as an ordinal and leaves "un"/"una" alone, so spans are found here and parsed with a
small grammar of our own (text2num is used as a cross-check in the tests).
"""

from __future__ import annotations

import re

UNITS = {
    "cero": 0,
    "un": 1,
    "uno": 1,
    "una": 1,
    "dos": 2,
    "tres": 3,
    "cuatro": 4,
    "cinco": 5,
    "seis": 6,
    "siete": 7,
    "ocho": 8,
    "nueve": 9,
    "diez": 10,
    "once": 11,
    "doce": 12,
    "trece": 13,
    "catorce": 14,
    "quince": 15,
    "dieciseis": 16,
    "diecisiete": 17,
    "dieciocho": 18,
    "diecinueve": 19,
    "veinte": 20,
    "veintiun": 21,
    "veintiuno": 21,
    "veintiuna": 21,
    "veintidos": 22,
    "veintitres": 23,
    "veinticuatro": 24,
    "veinticinco": 25,
    "veintiseis": 26,
    "veintisiete": 27,
    "veintiocho": 28,
    "veintinueve": 29,
}
TENS = {
    "treinta": 30,
    "cuarenta": 40,
    "cincuenta": 50,
    "sesenta": 60,
    "setenta": 70,
    "ochenta": 80,
    "noventa": 90,
}
HUNDREDS = {
    "cien": 100,
    "ciento": 100,
    "doscientos": 200,
    "doscientas": 200,
    "trescientos": 300,
    "trescientas": 300,
    "cuatrocientos": 400,
    "cuatrocientas": 400,
    "quinientos": 500,
    "quinientas": 500,
    "seiscientos": 600,
    "seiscientas": 600,
    "setecientos": 700,
    "setecientas": 700,
    "ochocientos": 800,
    "ochocientas": 800,
    "novecientos": 900,
    "novecientas": 900,
}
SCALES = {"mil": 1000, "millon": 1_000_000, "millones": 1_000_000}
NUMBER_WORDS = set(UNITS) | set(TENS) | set(HUNDREDS) | set(SCALES)

_alt = "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
# a run of number words, "y" allowed between them ("cuarenta y cinco")
NUMBER_PHRASE = rf"(?:\b(?:{_alt})\b(?:\s+(?:y\s+)?\b(?:{_alt})\b)*)"
_PHRASE_RE = re.compile(NUMBER_PHRASE)
_TOKEN_RE = re.compile(r"[a-z]+")


def words_to_int(phrase: str) -> int | None:
    """Value of a folded Spanish number phrase, or None when it is not one."""
    total, group, seen = 0, 0, False
    last = None  # kind of the previous token, to reject "cinco cinco"
    for tok in _TOKEN_RE.findall(phrase):
        if tok == "y":
            if last != "tens":
                return None
            last = "y"
            continue
        if tok in UNITS:
            if last in ("unit", "tens"):
                return None  # "cinco cinco", "treinta cinco"
            group += UNITS[tok]
            last = "unit"
        elif tok in TENS:
            if last in ("unit", "tens", "y"):
                return None
            group += TENS[tok]
            last = "tens"
        elif tok in HUNDREDS:
            if last not in (None, "scale"):
                return None
            group += HUNDREDS[tok]
            last = "hundreds"
        elif tok in SCALES:
            scale = SCALES[tok]
            if scale == 1000:
                total += (group or 1) * 1000
            else:
                total = (total + (group or 1)) * scale
            group = 0
            last = "scale"
        else:
            return None
        seen = True
    if not seen or last == "y":
        return None
    return total + group


def find_number_words(text: str) -> list[tuple[int, int, int]]:
    """(start, end, value) of each number phrase in folded text."""
    out = []
    for m in _PHRASE_RE.finditer(text):
        phrase = m.group(0)
        value = words_to_int(phrase)
        if value is None:
            # split on trouble: parse the longest valid prefix only
            toks = list(re.finditer(r"[a-z]+", phrase))
            for k in range(len(toks) - 1, 0, -1):
                end = toks[k - 1].end()
                value = words_to_int(phrase[:end])
                if value is not None:
                    out.append((m.start(), m.start() + end, value))
                    break
            continue
        out.append((m.start(), m.end(), value))
    return out


_DIGITS = r"\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+(?:[.,]\d+)?"
DIGIT_NUMBER = re.compile(rf"(?<![\d.,])(?:{_DIGITS})(?![\d])")


def parse_digits(s: str) -> float | None:
    """'15.000' -> 15000, '1,5' -> 1.5, '2.5' -> 2.5 (a dot with three digits is thousands)."""
    s = s.strip()
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?", s):
        return float(s.replace(".", "").replace(",", "."))
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+", s) and not re.fullmatch(r"\d,\d{3}", s):
        return float(s.replace(",", ""))
    try:
        return float(s.replace(",", "."))
    except ValueError:
        return None


def number_value(token: str) -> float | None:
    """A number written in digits or in words."""
    token = token.strip()
    if token and token[0].isdigit():
        return parse_digits(token)
    value = words_to_int(token)
    return float(value) if value is not None else None


# digits or words, for use inside other patterns
NUMBER = rf"(?:{_DIGITS}|{NUMBER_PHRASE})"
