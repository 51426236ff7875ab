"""Text folding and WhatsApp-spelling normalization shared by the extractors."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from rapidfuzz import fuzz, process


def _fold_char(ch: str) -> str:
    base = unicodedata.normalize("NFKD", ch)
    base = "".join(c for c in base if not unicodedata.combining(c)).lower()
    return base[:1] if base else " "


_FOLD_TABLE = {cp: _fold_char(chr(cp)) for cp in range(0x00C0, 0x0250)}
_FOLD_TABLE.update({ord("º"): "°", ord("ª"): "a"})


def fold_aligned(text: str) -> str:
    """Like fold, but guaranteed to keep the length of text (for slicing the original)."""
    out = []
    for ch in text:
        low = ch.lower()
        if len(low) != 1:
            low = ch
        out.append(_FOLD_TABLE.get(ord(low), low) if ord(low) >= 0x80 else low)
    return "".join(out)


# WhatsApp spellings and abbreviations (on folded text), word -> replacement
_ABBREV = {
    "q": "que",
    "ke": "que",
    "xq": "porque",
    "pq": "porque",
    "porq": "porque",
    "x": "por",
    "xa": "para",
    "pa": "para",
    "xfa": "por favor",
    "porfa": "por favor",
    "porfis": "por favor",
    "plis": "por favor",
    "pls": "por favor",
    "mnn": "manana",
    "mñn": "manana",
    "maniana": "manana",
    "mana": "manana",
    "mñna": "manana",
    "tmb": "tambien",
    "tb": "tambien",
    "tmbn": "tambien",
    "tbn": "tambien",
    "dsp": "despues",
    "dps": "despues",
    "bn": "bien",
    "cdo": "cuando",
    "qdo": "cuando",
    "toy": "estoy",
    "tamos": "estamos",
    "tas": "estas",
    "sra": "senora",
    "sr": "senor",
    "msj": "mensaje",
    "d": "de",
    "cel": "celular",
    "celu": "celular",
    "tel": "telefono",
    "nro": "numero",
    "num": "numero",
    "hr": "hora",
    "hrs": "horas",
    "min": "minutos",
    "mins": "minutos",
    "minut": "minutos",
    "seg": "segundos",
    "ud": "usted",
    "uds": "ustedes",
    "aca": "aca",
    "aki": "aqui",
    "tmp": "tampoco",
    "nd": "nada",
    "salu2": "saludos",
    "bs": "besos",
    "slds": "saludos",
    "hno": "hermano",
    "grs": "gracias",
    "grax": "gracias",
    "gcias": "gracias",
    "grcs": "gracias",
    "mp": "mercado pago",
    "dpto": "depto",
    "pasdo": "pasado",
}

_WORD = re.compile(r"[a-zñ0-9]+")
_REPEAT3 = re.compile(r"([a-z])\1{2,}")
_TRAIL_VOWEL = re.compile(r"\b([a-z]{2,}?)([aiou])\2+\b")
_SPACES = re.compile(r"[ \t]+")


# "se me re tapó", "está recontra roto": the intensifier says how much, not what (dropped, so the
# words after it read as they do without it)
_INTENSIFIER = re.compile(r"\b(?:re|recontra|requete)\s+(?=[a-z]{3,})")


def expand(folded: str) -> str:
    """Expand WhatsApp abbreviations and squeeze stretched letters ("holaaa")."""
    s = folded.replace("ñ", "n") if "ñ" in folded else folded
    s = _REPEAT3.sub(r"\1", s)
    s = _TRAIL_VOWEL.sub(r"\1\2", s)
    if "re" in s:
        s = _INTENSIFIER.sub("", s)
    return _WORD.sub(lambda m: _ABBREV.get(m.group(0), m.group(0)), s)


class Speller:
    """Fixes typos toward a keyword vocabulary (rapidfuzz ratio), token by token."""

    def __init__(self, vocabulary: set[str], cutoff: float = 88.0, min_len: int = 6):
        self.vocab = {w for w in vocabulary if w.isalpha()}
        self.by_len: dict[int, list[str]] = {}
        for w in sorted(self.vocab):  # a fixed order: ties go the same way in every process
            self.by_len.setdefault(len(w), []).append(w)
        self.cutoff = cutoff
        self.min_len = min_len
        self._fix = lru_cache(maxsize=20000)(self._fix_uncached)

    def _fix_uncached(self, token: str) -> str:
        if len(token) < self.min_len or token in self.vocab or not token.isalpha():
            return token
        pool = [
            w for n in (len(token) - 1, len(token), len(token) + 1) for w in self.by_len.get(n, ())
        ]
        best = process.extractOne(token, pool, scorer=fuzz.ratio, score_cutoff=self.cutoff)
        # a keyword stem the token starts with ("encerr" in "encerro") marks an inflection, not a typo
        if not best or token.startswith(best[0]):
            return token
        return best[0]

    def correct(self, text: str) -> str:
        return _WORD.sub(lambda m: self._fix(m.group(0)), text)


def normalize_spaces(text: str) -> str:
    return _SPACES.sub(" ", text)


def words(block: str) -> set[str]:
    """A set of whitespace-separated words (for word lists written as text blocks)."""
    return set(block.split())
