"""Voice transcripts made readable: words fixed toward what we know, fillers gone.

Whisper base on a phone recording mishears the words that matter most to us: trade nouns
("perdiada" for pérdida, "calefo" for calefón), the organization's streets, customers and
price-book items. `Hearing` holds a vocabulary — the trade's words and the organization's own —
and fixes a transcript word only where it is sure:

- the word is not already a vocabulary word, and is at least five letters long;
- the word is not Spanish: not in the system's Spanish word list (Debian's `wspanish`), not a
  verb form, plural, diminutive or gender of a word in it (Whisper mostly mishears into real
  words — "vaca" for bacha — and those we cannot tell from what was meant);
- it sounds like exactly one vocabulary word: their Spanish phonetic keys (b/v, c/s/z, ll/y,
  silent h, soft g/j, qu/k alike) match, or come within a small edit of each other while no
  other vocabulary word comes as close;
- their spellings are not far apart either (a phonetic twin that shares little of the letters
  is a coincidence, not a mishearing).

Names and streets of several words are matched as a run of transcript words against the whole
name ("Martin Bosmeel Siren" -> "Martín Fierro" only if the run sounds close enough as a whole).

`tidy(transcript)` is what staff and the extractor read for a voice note: fixed words, without
"eh", "este", "o sea" and stammered repeats. The raw transcript stays stored as heard.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from rapidfuzz import fuzz

log = logging.getLogger("campotech.nlu")

# Words of the trade that Whisper mishears and that matter to understanding a job.
TRADE_WORDS = ["pérdida", "canilla", "flexible", "inodoro", "mochila", "bacha", "pileta", "cocina", "lavatorio", "ducha", "bidet", "grifería", "cañería", "desagote", "lavadero", "baño", "termotanque", "calefón", "caldera", "calefactor", "radiador", "estufa", "heladera", "freezer", "lavarropas", "secarropas", "lavavajillas", "microondas", "horno", "anafe", "hornalla", "garrafa", "medidor", "disyuntor", "térmica", "tablero", "enchufe", "tomacorriente", "cortocircuito", "chispas", "lámpara", "luminaria", "ventilador", "acondicionado", "split", "compresor", "destapación", "destape", "cloaca", "desagüe", "rejilla", "sifón", "cisterna", "tanque", "bomba", "presurizadora", "cerradura", "cerrajero", "candado", "llave", "puerta", "persiana", "portón", "electricista", "plomero", "gasista", "albañil", "pintor", "técnico", "humedad", "filtración", "revoque", "pintura", "membrana", "terraza", "azulejos", "cerámica", "presupuesto", "factura", "transferencia", "efectivo", "inundando", "inundación", "goteando", "gotea"]

_FILLERS = re.compile(
    r"(?<![\w])(?:e+h+m*|e+m+|m{2,}|a+h+|este+(?=[,.…]|\s+(?:eh|bueno|este|o\s+sea)\b)|o\s+sea"
    r"|digamos|viste|bueno(?=[,.…])|tipo(?=[,.…]))(?![\w])[,.…]*\s*",
    re.IGNORECASE,
)
_REPEAT = re.compile(r"\b(\w+)(?:[\s,]+\1\b)+", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)

MIN_LEN = 5
KEY_CUTOFF = 80.0  # phonetic keys at least this alike (rapidfuzz ratio)
SPELLING_CUTOFF = 65.0  # and the spellings at least this alike
MARGIN = 6.0  # the best candidate ahead of the next one by this much


WORD_LIST = Path("/usr/share/dict/spanish")
# endings that make a verb form, plural, diminutive or gender from a word of the list
_ENDINGS = sorted(["a", "o", "e", "as", "os", "es", "ar", "er", "ir", "ado", "ada", "ados", "adas", "ido", "ida", "idos", "idas", "ando", "iendo", "aron", "ieron", "amos", "imos", "emos", "an", "en", "aba", "aban", "ia", "ian", "i", "io", "ieron", "iste", "ita", "ito", "itas", "itos", "illa", "illo", "azo", "ada", "aste", "iste", "ase", "iese", "ara", "iera"], key=len, reverse=True)
_STEM_TAILS = ("ar", "er", "ir", "a", "o", "e", "")


@lru_cache(maxsize=1)
def spanish_words() -> frozenset[str]:
    """Folded words of the system's Spanish word list (empty, with a log line, when missing)."""
    try:
        return frozenset(fold(w) for w in WORD_LIST.read_text(encoding="utf-8").split())
    except OSError:
        log.warning("no Spanish word list at %s: voice transcripts fix fewer words", WORD_LIST)
        return frozenset()


@lru_cache(maxsize=50000)
def is_spanish(folded: str) -> bool:
    """The word, or a verb form, plural, diminutive or gender of it, is in the word list."""
    words = spanish_words()
    if folded in words:
        return True
    for ending in _ENDINGS:
        if folded.endswith(ending) and len(folded) - len(ending) >= 3:
            stem = folded[: -len(ending)]
            # stem-changing verbs: "transfieren" is transferir, "cuelga" is colgar
            stems = {stem, stem.replace("ie", "e"), stem.replace("ue", "o")}
            if any(s + tail in words for s in stems for tail in _STEM_TAILS):
                return True
    return False


def fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in text if not unicodedata.combining(ch))


_KEY_RULES = [
    (re.compile(r"ch"), "C"),
    (re.compile(r"ll"), "y"),
    (re.compile(r"rr"), "r"),
    (re.compile(r"qu(?=[ei])"), "k"),
    (re.compile(r"gu(?=[ei])"), "g"),
    (re.compile(r"g(?=[ei])"), "j"),
    (re.compile(r"c(?=[ei])"), "s"),
    (re.compile(r"c"), "k"),
    (re.compile(r"q"), "k"),
    (re.compile(r"z"), "s"),
    (re.compile(r"[vw]"), "b"),
    (re.compile(r"x"), "ks"),
    (re.compile(r"h"), ""),
    (re.compile(r"y(?![aeiou])"), "i"),
    (re.compile(r"(.)\1+"), r"\1"),
]


@lru_cache(maxsize=50000)
def key(word: str) -> str:
    """A Spanish phonetic key: words that sound alike in Rioplatense speech share it."""
    k = fold(word)
    for rx, repl in _KEY_RULES:
        k = rx.sub(repl, k)
    return k


def _stem(k: str) -> str:
    """A key without a plural ending: "perdidas" and "perdida" are one candidate."""
    return k[:-2] if k.endswith("es") and len(k) > 5 else k.removesuffix("s")


class Hearing:
    """A vocabulary to fix transcript words toward (see the module's notes)."""

    def __init__(self, words: Iterable[str] = (), names: Iterable[str] = ()):
        # single words: folded form -> the spelling to write
        self.words: dict[str, str] = {}
        for w in [*TRADE_WORDS, *words]:
            w = " ".join(str(w).split())
            if not w:
                continue
            if " " in w:
                names = [*names, w]
                continue
            if len(w) >= MIN_LEN - 1 and w.isalpha():
                self.words.setdefault(fold(w), w)
        self.by_key: dict[str, list[str]] = {}
        for folded in sorted(self.words):
            self.by_key.setdefault(key(folded), []).append(folded)
        self.keys = sorted(self.by_key)
        # names of several words (streets, people, price-book items): their folded words
        self.names: list[tuple[tuple[str, ...], str]] = []
        for name in names:
            parts = tuple(fold(p) for p in _WORD.findall(str(name)))
            if len(parts) >= 2 and len(name) <= 60:
                self.names.append((parts, " ".join(str(name).split())))
        self._fix = lru_cache(maxsize=20000)(self._fix_word)

    def _fix_word(self, word: str) -> str | None:
        """The vocabulary word `word` was misheard for, or None when unsure or already right."""
        folded = fold(word)
        if len(folded) < MIN_LEN or folded in self.words or not folded.isalpha():
            return None
        if _stem(folded) in self.words or folded[:-1] in self.words:  # a plural or inflection
            return None
        if is_spanish(folded):
            return None
        k = key(folded)
        same = self.by_key.get(k)
        if same and len(same) == 1 and fuzz.ratio(folded, same[0]) >= SPELLING_CUTOFF:
            return self.words[same[0]]
        scored = sorted(
            ((fuzz.ratio(k, other), other) for other in self.keys
             if abs(len(other) - len(k)) <= 2 and other[:1] == k[:1]),
            reverse=True,
        )
        if not scored or scored[0][0] < KEY_CUTOFF:
            return None
        rivals = [sc for sc, other in scored[1:] if _stem(other) != _stem(scored[0][1])]
        if rivals and scored[0][0] - rivals[0] < MARGIN:
            return None
        candidates = self.by_key[scored[0][1]]
        if len(candidates) != 1 or fuzz.ratio(folded, candidates[0]) < SPELLING_CUTOFF:
            return None
        return self.words[candidates[0]]

    def fix(self, text: str) -> str:
        """The transcript with misheard vocabulary words written right."""
        text = self._fix_names(text)

        def one(m: re.Match[str]) -> str:
            found = self._fix(m.group(0))
            if found is None:
                return m.group(0)
            return found.capitalize() if m.group(0)[:1].isupper() and found.islower() else found

        return _WORD.sub(one, text)

    def _fix_names(self, text: str) -> str:
        """Runs of words that sound like a whole multi-word name ("Boulevard Oroño")."""
        if not self.names:
            return text
        spans = [(m.start(), m.end(), fold(m.group(0))) for m in _WORD.finditer(text)]
        out, cursor, i = [], 0, 0
        while i < len(spans):
            best = None
            for parts, name in self.names:
                n = len(parts)
                if i + n > len(spans):
                    continue
                heard = [s[2] for s in spans[i:i + n]]
                if heard == list(parts):
                    continue
                pairs = [fuzz.ratio(key(h), key(p)) for h, p in zip(heard, parts, strict=True)]
                if min(pairs) < 60:  # every word must sound somewhat like its part
                    continue
                score = fuzz.ratio(" ".join(key(h) for h in heard), " ".join(key(p) for p in parts))
                spelled = fuzz.ratio(" ".join(heard), " ".join(parts))
                if score >= KEY_CUTOFF and spelled >= SPELLING_CUTOFF and (best is None or score > best[0]):
                    best = (score, n, name)
            if best:
                start, end = spans[i][0], spans[i + best[1] - 1][1]
                out.append(text[cursor:start] + best[2])
                cursor = end
                i += best[1]
            else:
                i += 1
        out.append(text[cursor:])
        return "".join(out)

    def tidy(self, transcript: str) -> str:
        """What a voice note said, readable: fixed words, no fillers or stammered repeats."""
        text = self.fix(transcript or "")
        text = _FILLERS.sub("", text)
        text = _REPEAT.sub(r"\1", text)
        text = re.sub(r"\s+([,.;:!?])", r"\1", text)
        text = re.sub(r"([,;:])(?:\s*[,;:])+", r"\1", text)
        text = " ".join(text.split()).strip(" ,;:")
        return text[:1].upper() + text[1:] if text else text


_DEFAULT: Hearing | None = None


def default() -> Hearing:
    """The trade vocabulary alone (no organization)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Hearing()
    return _DEFAULT


def hearing_for(items: Iterable[str] = (), names: Iterable[str] = ()) -> Hearing:
    """A Hearing for an organization: the words of its price-book `items`, and the `names` of
    its streets and people (matched whole, and word by word), plus the trade's words."""
    items, names = tuple(items), tuple(names)
    return _cached(items, names) if items or names else default()


@lru_cache(maxsize=64)
def _cached(items: tuple[str, ...], names: tuple[str, ...]) -> Hearing:
    words = [p for text in (*items, *names) for p in _WORD.findall(text) if len(p) >= MIN_LEN]
    return Hearing(words, [n for n in names if " " in n.strip()])
