"""From a technician's "terminé, cambié el flexible y la canilla, cobrale 15 lucas" to priced lines.

`work_items` finds the pieces of work named after verbs such as cambié, instalé or destapé;
`match_lines` prices them against the active price book (typo- and accent-tolerant) and
reconciles them with the amount the technician stated (their word wins: the difference becomes
a "Mano de obra / ajuste" line); `render_work_summary` writes the confirmation for WhatsApp;
`candidate_jobs` finds which of the technician's open jobs the message is about.

Money is never parsed here: the amount comes from the NLU extraction (`Extraction.amount`,
or `stated_amount` below, which uses the same parser).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from core import es_ar, tenancy
from core.models import Job, JobStatus, Organization, PriceBookItem
from core.price_book import list_items
from core.search import fold
from core.texts import render
from nlu.extract.money import find_amount
from nlu.extract.text import fold_aligned

__all__ = [
    "ADJUSTMENT_DESCRIPTION",
    "MATCH_CUTOFF",
    "REVIEW_BELOW",
    "Line",
    "WorkSummary",
    "candidate_jobs",
    "fit_to_total",
    "match_lines",
    "render_work_summary",
    "stated_amount",
    "work_items",
]

MATCH_CUTOFF = 70.0  # below this a piece of work is listed as unmatched, never priced
REVIEW_BELOW = 0.8  # a line with less confidence is shown with a question mark
ADJUSTMENT_DESCRIPTION = "Mano de obra / ajuste"
NAME_CUTOFF = 80.0  # a customer's name right after "lo de", "la señora"...
BARE_NAME_CUTOFF = 88.0  # ...or anywhere else in the message
CENT = Decimal("0.01")
CANDIDATE_STATUSES = (
    JobStatus.SCHEDULED, JobStatus.EN_ROUTE, JobStatus.ON_SITE, JobStatus.NEEDS_FOLLOWUP,
)
_AMBIGUOUS_GAP = 3.0  # two different items this close: the line's confidence drops
_AMBIGUOUS_FACTOR = 0.75
_HINT_BONUS = 4.0  # "cambié el flexible" leans towards "Cambio de flexible"
_COVERAGE_BONUS = 3.0  # ties go to the item whose own words were said the most
_MAX_QUANTITY = 99
_CARRIED_FACTOR = 0.9
_WORD_FLOOR = 75.0  # word similarity below this counts as nothing
_OBJECT_WEIGHT = 0.7  # "destapé | la pileta": the object of a service verb
_QUALIFIER_WEIGHT = 0.6  # "flexible | común"
_MODIFIER_WEIGHT = 0.25  # "flexible | de la cocina"
_MISSED_MODIFIER_WEIGHT = 0.1


# ---- pieces of work ------------------------------------------------------------------------

def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


@dataclass(frozen=True)
class _Verb:
    nouns: tuple[str, ...]  # how the price book names the action: destapé -> destapacion
    service: bool  # the verb is the work itself (destapé), not just how a part got there (puse)


# stem regex (folded text) -> verb; first person, "we", third person and infinitive forms.
_VERBS: tuple[tuple[str, _Verb], ...] = (
    (r"cambi(?:e|amos|o|ar)", _Verb(("cambio",), False)),
    (r"reemplac(?:e|emos)|reemplaz(?:o|amos|ar)", _Verb(("cambio", "reemplazo"), False)),
    (r"instal(?:e|amos|o|ar)", _Verb(("instalacion",), False)),
    (r"coloqu(?:e|emos)|coloc(?:o|amos|ar)", _Verb(("instalacion", "colocacion"), False)),
    (r"pus(?:e|imos|o)|pone?r", _Verb(("instalacion", "colocacion"), False)),
    (r"agregu(?:e|emos)|agreg(?:o|amos|ar)", _Verb((), False)),
    (r"conect(?:e|amos|o|ar)", _Verb(("conexion", "instalacion"), False)),
    (r"hic(?:e|imos|o)|hacer", _Verb((), False)),
    (r"destap(?:e|amos|o|ar)", _Verb(("destapacion",), True)),
    (r"arregl(?:e|amos|o|ar)", _Verb(("reparacion", "service"), True)),
    (r"repar(?:e|amos|o|ar)", _Verb(("reparacion", "service"), True)),
    (r"revis(?:e|amos|o|ar)", _Verb(("revision", "service"), True)),
    (r"cargu(?:e|emos)|carg(?:o|amos|ar)", _Verb(("carga",), True)),
    (r"limpi(?:e|amos|o|ar)", _Verb(("limpieza", "service"), True)),
    (r"ajust(?:e|amos|o|ar)", _Verb(("ajuste",), True)),
    (r"sell(?:e|amos|o|ar)", _Verb(("sellado",), True)),
    (r"purgu(?:e|emos)|purg(?:o|ar)", _Verb(("purga",), True)),
    (r"abr(?:i|imos|io|ir)", _Verb(("apertura",), True)),
    (r"detect(?:e|amos|o|ar)", _Verb(("deteccion",), True)),
)
_CLITIC = r"(?:(?:le|les|se|lo|la|los|las|me|te)\s+)?"
_VERB_RE = re.compile(
    rf"\b{_CLITIC}(?P<verb>" + "|".join(f"(?P<v{i}>{stem})" for i, (stem, _) in enumerate(_VERBS))
    + r")\b"
)
_SENTENCE_BREAK = re.compile(r"[.!?;:\n]+")
_CLAUSE_BREAK = re.compile(
    r",|\s+y\s+|\s+e\s+(?=[hi])|\s+(?:tambien|ademas|despues|luego|aparte)\s+|\s+-\s+"
)
# Where the talk turns to money, to being done, or to whose house it was: a new clause.
_CUT_BEFORE = re.compile(
    r"\b(?:le\s+|les\s+)?cobr\w*|\bpag\w*|\babon\w*|\btotal\b|\bson\s+(?=\$|\d)|\bsale\s+(?=\$|\d)"
    r"|\btermin\w*|\b(?:(?:en|de|a)\s+)?(?:lo|la\s+casa|casa)\s+de\b|\bdonde\s+(?:la|el)\b"
)
_MONEY_START = re.compile(
    r"^(?:le\s+|les\s+)?(?:cobr|pag|abon|total|son\b|sale\b|salio|precio|monto)"
)
_CUSTOMER_REF = re.compile(
    r"^(?:(?:en|de|a)\s+)?(?:lo|la\s+casa|casa)\s+de\b|^donde\s+(?:la|el)\b"
)
_DONE = re.compile(r"^termin\w*")
# Light stripping of amounts inside a clause ("cambié el flexible 15 lucas"); the value itself
# is read by the NLU extractor, never here.
_AMOUNT_SPAN = re.compile(
    r"\$\s*[\d.,]+(?:\s*(?:k|mil|lucas?)\b)?"
    r"|\b\d[\d.,]*\s*(?:lucas?|luquitas?|k|mil|palos?|pesos?|mangos?)\b"
    r"|\b(?:media|medio)\s+(?:luca|palo)\b|\b(?:una\s+)?luca\b"
)
_FILLERS = _words(
    "hola buenas buenos buen dia dias tardes noches che listo lista bueno ya ok okey joya "
    "dale jefe jefa gracias saludos te cuento ahi va y e tambien ademas despues luego aparte "
    "todo bien esta"
)
# A clause led by one of these is talk, not work ("quedó andando", "anda joya").
_NOT_WORK = _words(
    "quedo queda quedaron quedamos anda andando funciona funcionando esta estaba estan vuelvo "
    "vuelve paso pasa mando mandame avisame avisale manana hoy gracias saludos"
)
_ARTICLES = _words("el la los las un una unos unas lo al del de otro otra otros otras")
_NUMBER_WORDS = {
    "un": 1, "una": 1, "uno": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6,
    "siete": 7, "ocho": 8, "nueve": 9, "diez": 10, "doce": 12,
}
_QUANTITY_LEAD = re.compile(
    r"^(?:(?P<pair>(?:un\s+)?par\s+de)|(?:x\s*)?(?P<num>\d{1,2})(?:\s*x)?|(?P<word>"
    + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r"))\s+(?=[a-z])"
)
_QUANTITY_TAIL = re.compile(r"\s+(?:x\s*(?P<a>\d{1,2})|(?P<b>\d{1,2})\s*x)$")
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class _Piece:
    text: str  # as written (accents kept), for people
    folded: str  # the same, folded, quantity removed, for matching
    quantity: Decimal
    verb: _Verb | None
    carried: bool = False  # the verb came from an earlier clause ("destapé la pileta y el inodoro")


def _spans(folded: str) -> list[tuple[int, int, bool]]:
    """(start, end, starts_sentence) clauses of folded text."""
    cuts: set[int] = set()
    breaks: list[tuple[int, int, bool]] = []
    for m in _SENTENCE_BREAK.finditer(folded):
        breaks.append((m.start(), m.end(), True))
    for m in _CLAUSE_BREAK.finditer(folded):
        breaks.append((m.start(), m.end(), False))
    for rx in (_VERB_RE, _CUT_BEFORE):
        cuts.update(m.start() for m in rx.finditer(folded))
    bounds = sorted(breaks + [(c, c, False) for c in cuts])
    spans, start, sentence = [], 0, True
    for b_start, b_end, is_sentence in bounds:
        if b_start < start:  # overlapping separators: the first one wins
            sentence = sentence or is_sentence
            start = max(start, b_end)
            continue
        spans.append((start, b_start, sentence))
        start, sentence = b_end, is_sentence
    spans.append((start, len(folded), sentence))
    return spans


def _strip_words(folded: str, start: int, end: int, words: frozenset[str]) -> int:
    """Advance `start` past leading words from `words` (and spaces/punctuation)."""
    while start < end:
        m = _WORD.search(folded, start, end)
        if m is None:
            return end
        if m.group(0) not in words:
            return m.start()
        start = m.end()
    return start


def _trim(folded: str, start: int, end: int) -> tuple[int, int]:
    while start < end and not folded[start].isalnum():
        start += 1
    while end > start and not folded[end - 1].isalnum():
        end -= 1
    return start, end


def _quantity(folded: str) -> tuple[Decimal, str]:
    m = _QUANTITY_LEAD.match(folded)
    if m:
        if m.group("pair"):
            value = 2
        elif m.group("num"):
            value = int(m.group("num"))
        else:
            value = _NUMBER_WORDS[m.group("word")]
        if 0 < value <= _MAX_QUANTITY:
            return Decimal(value), folded[m.end():]
    m = _QUANTITY_TAIL.search(folded)
    if m:
        value = int(m.group("a") or m.group("b"))
        if 0 < value <= _MAX_QUANTITY:
            return Decimal(value), folded[:m.start()]
    return Decimal(1), folded


def _pieces(text: str) -> list[_Piece]:
    original = text or ""
    folded = fold_aligned(original)  # same length as the original: slices line up
    amounts = [(m.start(), m.end()) for m in _AMOUNT_SPAN.finditer(folded)]
    folded = _AMOUNT_SPAN.sub(lambda m: " " * len(m.group(0)), folded)
    has_verbs = _VERB_RE.search(folded) is not None
    pieces: list[_Piece] = []
    verb: _Verb | None = None
    for start, end, new_sentence in _spans(folded):
        if new_sentence:
            verb = None
        start, end = _trim(folded, start, end)
        start = _strip_words(folded, start, end, _FILLERS)
        clause = folded[start:end]
        if not clause:
            continue
        if _MONEY_START.match(clause) or _DONE.match(clause):
            verb = None  # "cobrale 15 lucas y la canilla": nothing after money is work
            continue
        if _CUSTOMER_REF.match(clause):
            continue
        m = _VERB_RE.match(folded, start, end)
        if m is None and any(a < end and b > start for a, b in amounts):
            # a clause naming an amount without a work verb is the charge, however the word
            # before it came out ("corrale 15 mil pesos" from a voice note): nothing after is work
            verb = None
            continue
        if m:
            verb = _VERBS[next(i for i in range(len(_VERBS)) if m.group(f"v{i}"))][1]
            start = m.end()
        elif has_verbs and verb is None:
            continue  # "lo de García, cambié...": only what follows a work verb is work
        start = _strip_words(folded, start, end, _ARTICLES)
        start, end = _trim(folded, start, end)
        if start >= end:
            continue
        first = _WORD.match(folded, start)
        if first and first.group(0) in _NOT_WORK:
            continue
        # "destapé la pileta" keeps its verb (it is the work); "cambié el flexible" does not.
        keep_from = m.start("verb") if m and verb and verb.service else start
        body = folded[start:end]
        if find_amount(body) is not None and not re.search(r"[a-z]{3,}", body):
            continue  # a bare amount that slipped through
        quantity, rest = _quantity(body)
        shown = " ".join(original[keep_from:end].split())
        pieces.append(_Piece(text=shown, folded=rest.strip(), quantity=quantity, verb=verb,
                             carried=m is None and verb is not None))
    return pieces


def work_items(text: str) -> list[str]:
    """The pieces of work named in a technician's message, as written.

    "Terminé, cambié el flexible y la canilla, y destapé la pileta. Cobrale 15 lucas" →
    ["flexible", "canilla", "destapé la pileta"]: verbs that only say how a part got there
    (cambié, puse, instalé) are dropped, verbs that are the work itself (destapé, arreglé,
    revisé, cargué) are kept; articles, greetings, "terminé", the customer ("lo de García")
    and the money part are left out. Quantities stay ("2 flexibles").
    """
    return [p.text for p in _pieces(text)]


def stated_amount(text: str) -> Decimal | None:
    """The amount the technician named ("cobrale 15 lucas" → 15000), read by the NLU parser."""
    value = find_amount(fold_aligned(text or ""))
    return None if value is None else Decimal(str(value)).quantize(CENT)


# ---- matching ------------------------------------------------------------------------------

_STOP = _words(
    "de del la el los las un una unos unas y o e con para por en al a lo "
    "nuevo nueva nuevos nuevas viejo vieja viejos viejas roto rota rotos rotas otro otra"
)
_MODIFIER_START = _words("de del para en con a al sin")


def _variants(word: str) -> tuple[str, ...]:
    if len(word) > 4 and word.endswith("es"):
        return (word, word[:-2], word[:-1])
    if len(word) > 3 and word.endswith("s"):
        return (word, word[:-1])
    return (word,)


def _word_similarity(word: str, tokens: tuple[str, ...], alternatives: tuple[str, ...] = ()) -> float:
    best = 0.0
    for variant in (*_variants(word), *alternatives):
        for token in tokens:
            if variant == token:
                return 100.0
            score = fuzz.ratio(variant, token)
            if len(variant) >= 4 and token.startswith(variant):
                score = max(score, 90.0)
            best = max(best, score)
    return best


@dataclass(frozen=True)
class _Word:
    text: str
    weight: float
    synonyms: tuple[str, ...] = ()
    modifier: bool = False


@dataclass(frozen=True)
class _Query:
    words: tuple[_Word, ...]
    hints: tuple[str, ...]  # the verb's nouns, a tie-break only ("cambié" -> "cambio")


def _query(piece: _Piece, with_verb: bool = True) -> _Query:
    # Spanish puts the head first: "flexible mallado | de la pileta de la cocina".
    head: list[str] = []
    modifiers: list[str] = []
    in_modifier = False
    for token in _WORD.findall(piece.folded):
        if head and token in _MODIFIER_START:
            in_modifier = True
        elif token not in _STOP:
            (modifiers if in_modifier else head).append(token)
    words: list[_Word] = []
    hints: tuple[str, ...] = ()
    verb = piece.verb
    if with_verb and verb and verb.service and verb.nouns:
        # "destapé la pileta": the action is the head, the object says which one.
        words.append(_Word(verb.nouns[0], 1.0, verb.nouns[1:]))
        words += [_Word(w, _OBJECT_WEIGHT) for w in head if w not in verb.nouns]
    else:
        # The noun first, then what qualifies it ("flexible | común"): a missing qualifier
        # lowers the score without sinking it.
        words += [_Word(w, 1.0 if i == 0 else _QUALIFIER_WEIGHT) for i, w in enumerate(head)]
        hints = verb.nouns if verb else ()
    words += [_Word(w, _MODIFIER_WEIGHT, modifier=True) for w in modifiers]
    return _Query(tuple(words), hints)


@dataclass(frozen=True)
class _Candidate:
    item: PriceBookItem
    tokens: tuple[str, ...]


def _candidates(session: Session) -> list[_Candidate]:
    return [_Candidate(i, tuple(t for t in fold(i.name).split() if t not in _STOP))
            for i in list_items(session)]


def _score(query: _Query, cand: _Candidate) -> tuple[float, float]:
    """(score 0-100 from the words said, rank score with the tie-breaks)."""
    if not query.words or not cand.tokens:
        return 0.0, 0.0
    total = weighted = 0.0
    for word in query.words:
        similarity = _word_similarity(word.text, cand.tokens, word.synonyms)
        if similarity < _WORD_FLOOR:
            similarity = 0.0  # "canilla" is not a bit like "mochila": no partial credit
        # A modifier that matches confirms the item ("de 40"); one that does not barely counts.
        weight = _MISSED_MODIFIER_WEIGHT if word.modifier and not similarity else word.weight
        size = max(len(word.text), 4)  # "40" in "flexible de 40" says a lot for two letters
        total += weight * size
        weighted += weight * size * similarity
    score = weighted / total
    said = tuple(v for w in query.words for v in (*_variants(w.text), *w.synonyms))
    covered = sum(len(t) for t in cand.tokens if _word_similarity(t, said) >= 85)
    coverage = covered / sum(len(t) for t in cand.tokens)
    hinted = any(_word_similarity(h, cand.tokens) >= 85 for h in query.hints)
    return score, score + _HINT_BONUS * hinted + _COVERAGE_BONUS * coverage


@dataclass(frozen=True)
class Line:
    """One priced line; `item_id` is None for the labour/adjustment line."""

    item_id: int | None
    description: str
    quantity: Decimal
    unit_price: Decimal
    confidence: float = 1.0  # 0-1: how sure the match is; below REVIEW_BELOW, ask
    said: str = ""  # the words the technician used
    # The line's total when it was fitted to a stated amount (quantity × a rounded unit price
    # could miss it by a cent); None means quantity × unit price.
    fitted: Decimal | None = None

    @property
    def amount(self) -> Decimal:
        if self.fitted is not None:
            return self.fitted
        return (self.quantity * self.unit_price).quantize(CENT, rounding=ROUND_HALF_UP)

    @property
    def doubtful(self) -> bool:
        return self.confidence < REVIEW_BELOW


@dataclass(frozen=True)
class WorkSummary:
    lines: list[Line]  # matched price-book lines
    unmatched: list[str]  # pieces of work that matched nothing, as written
    total: Decimal  # the stated amount when given, else the sum of the lines
    stated_amount: Decimal | None = None
    labor_adjustment: Line | None = None  # labour: stated total minus matched lines, when above
    items: list[str] = field(default_factory=list)  # every piece of work found
    fitted: bool = False  # the list prices were lowered to fit the stated total
    # Pieces that matched more than one item about as well: with a stated total they are
    # described in the labour line rather than priced by a guess.
    unsure: list[str] = field(default_factory=list)

    @property
    def matched_total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))

    @property
    def all_lines(self) -> list[Line]:
        """What goes on the invoice: these always add up to `total`."""
        return [*self.lines, *([self.labor_adjustment] if self.labor_adjustment else [])]

    @property
    def needs_review(self) -> bool:
        return bool(self.unmatched or self.unsure) or any(line.doubtful for line in self.lines)


def _best_line(piece: _Piece, candidates: list[_Candidate]) -> Line | None:
    queries = [(_query(piece), 1.0)]
    if piece.carried and piece.verb and piece.verb.service:
        # "cargué gas, 2 flexibles": a verb carried over a comma may not apply; a bit less sure.
        queries.append((_query(piece, with_verb=False), _CARRIED_FACTOR))
    best_by_item: dict[int, tuple[float, float]] = {}
    for query, factor in queries:
        for c in candidates:
            score, rank = _score(query, c)
            score, rank = score * factor, rank * factor
            if rank > best_by_item.get(c.item.id, (0.0, -1.0))[1]:
                best_by_item[c.item.id] = (score, rank)
    scored = sorted(((best_by_item[c.item.id], c) for c in candidates),
                    key=lambda row: (-row[0][1], row[1].item.name, row[1].item.id))
    if not scored or scored[0][0][0] < MATCH_CUTOFF:
        return None
    (score, _rank), best = scored[0]
    confidence = min(score, 100.0) / 100
    if any(row[0][0] > score - _AMBIGUOUS_GAP for row in scored[1:]):
        # "flexible": the part or the labour? Only a tie-break chose, so say so.
        confidence *= _AMBIGUOUS_FACTOR
    return Line(item_id=best.item.id, description=best.item.name, quantity=piece.quantity,
                unit_price=Decimal(best.item.price).quantize(CENT), confidence=round(confidence, 2),
                said=piece.text)


def _merge(matched: list[tuple[_Piece, Line]]) -> list[Line]:
    """The same words for the same item twice ("un flexible y otro flexible") make one line.

    Different words that landed on the same item ("la pileta", "el inodoro") stay apart, so a
    doubtful match is not hidden inside a quantity.
    """
    merged: dict[tuple[int | None, tuple[str, ...]], Line] = {}
    for piece, line in matched:
        key = (line.item_id, tuple(_variants(w)[-1] for w in _WORD.findall(piece.folded)))
        prior = merged.get(key)
        merged[key] = line if prior is None else Line(
            item_id=line.item_id, description=line.description,
            quantity=prior.quantity + line.quantity, unit_price=line.unit_price,
            confidence=min(prior.confidence, line.confidence), said=f"{prior.said}, {line.said}",
        )
    return list(merged.values())


def match_lines(session: Session, text: str, amount: Decimal | float | None) -> WorkSummary:
    """Price the work named in `text` with the active price book and reconcile with `amount`.

    `amount` is what the technician said to charge (`Extraction.amount`): when given it is the
    total the customer pays, whatever the list says, and the lines always add up to it:

    - doubtful matches are not priced (a word misheard in a voice note must not put a
      $85.000 canilla on the invoice): they are described with the unmatched work;
    - lines below the total: the difference is a labour line that names the unpriced work;
    - lines above the total: each line is lowered in proportion (a discount spread over the
      lines), never a negative line.

    Without an amount the total is the sum of the lines, and doubtful ones are kept, marked,
    for the technician to check. Pieces that match nothing are listed in `unmatched`, never
    priced by guess.
    """
    stated = None if amount is None else Decimal(str(amount)).quantize(CENT, ROUND_HALF_UP)
    if stated is not None and stated <= 0:
        raise ValueError(f"amount must be positive, got {amount}")
    pieces = _pieces(text)
    candidates = _candidates(session)
    matched: list[tuple[_Piece, Line]] = []
    unmatched: list[str] = []
    unsure: list[str] = []
    for piece in pieces:
        line = _best_line(piece, candidates)
        if line is None:
            unmatched.append(piece.text)
        elif stated is not None and line.doubtful:
            unsure.append(piece.text)
        else:
            matched.append((piece, line))
    lines = _merge(matched)
    matched_total = sum((line.amount for line in lines), Decimal("0.00"))
    adjustment = None
    fitted = False
    if stated is not None and stated > matched_total:
        described = unsure + unmatched
        adjustment = Line(item_id=None, description=_labour_description(described),
                          quantity=Decimal(1), unit_price=stated - matched_total, confidence=1.0,
                          said=", ".join(described))
    elif stated is not None and stated < matched_total:
        lines, fitted = fit_to_total(lines, stated), True
    return WorkSummary(lines=lines, unmatched=unmatched,
                       total=stated if stated is not None else matched_total, stated_amount=stated,
                       labor_adjustment=adjustment, items=[p.text for p in pieces], fitted=fitted,
                       unsure=unsure)


def _labour_description(unmatched: list[str]) -> str:
    """"Mano de obra: arreglé la bomba presurizadora", or the plain label when nothing was
    left unpriced (the stated total is simply above the list)."""
    if not unmatched:
        return ADJUSTMENT_DESCRIPTION
    said = ", ".join(unmatched)
    text = f"Mano de obra: {said}"
    return text if len(text) <= 200 else text[:199].rstrip() + "…"


def fit_to_total(lines: list[Line], total: Decimal) -> list[Line]:
    """The lines lowered in proportion so they add up to exactly `total` (below their sum).

    Each line keeps its quantity; cents lost to rounding go to the largest line. No line
    ends at or below zero while the total is at least a cent per line.
    """
    current = sum((line.amount for line in lines), Decimal("0.00"))
    if not lines or current <= 0 or total >= current:
        return lines
    shares = [(line.amount * total / current).quantize(CENT, rounding=ROUND_HALF_UP)
              for line in lines]
    shares = [max(share, CENT) for share in shares]
    largest = max(range(len(lines)), key=lambda i: shares[i])
    shares[largest] += total - sum(shares)
    fitted = []
    for line, share in zip(lines, shares, strict=True):
        unit = (share / line.quantity).quantize(CENT, rounding=ROUND_HALF_UP)
        fitted.append(replace(line, unit_price=unit, fitted=share))
    return fitted


# ---- the confirmation ----------------------------------------------------------------------

def _quantity_text(quantity: Decimal) -> str | None:
    if quantity == 1:
        return None
    text = format(quantity.normalize(), "f")
    return text.replace(".", ",")


def render_work_summary(summary: WorkSummary, job_number: int, customer_name: str | None) -> str:
    """The message that asks the technician to confirm the lines before invoicing."""
    lines = [{"description": line.description, "quantity": _quantity_text(line.quantity),
              "amount": es_ar.pesos(line.amount), "doubtful": line.doubtful}
             for line in summary.lines]
    adjustment = summary.labor_adjustment
    return render(
        "tech_work_summary",
        job_number=job_number,
        customer_name=(customer_name or "").strip() or None,
        lines=lines,
        adjustment=es_ar.pesos(adjustment.amount) if adjustment else None,
        adjustment_label=adjustment.description if adjustment else ADJUSTMENT_DESCRIPTION,
        total=es_ar.pesos(summary.total),
        stated=summary.stated_amount is not None,
        fitted=summary.fitted,
        unmatched=summary.unmatched,
        unsure=summary.unsure,
        doubtful=any(line.doubtful for line in summary.lines),
    )


# ---- which job -----------------------------------------------------------------------------

_NAME_MARKERS = (
    ("lo", "de"), ("casa", "de"), ("senora",), ("senor",), ("sra",), ("sr",), ("don",),
    ("dona",), ("donde",), ("cliente",), ("flia",), ("familia",),
)
_NAME_SKIP = _words("la el los las de del senora senor sra sr don dona flia familia")
_NAME_STOP = _words(
    "de del la las el los y e da do dos sra sr senora senor don dona flia familia sa srl"
)
# Words that look like names but are the talk of a working day.
_COMMON = _words(
    "lunes martes miercoles jueves viernes sabado domingo hoy manana ayer tarde noche "
    "termine listo cambie puse instale destape arregle repare revise cargue cobrale cobrar "
    "lucas luca mil pesos flexible flexibles canilla canillas pileta inodoro mochila "
    "termotanque calefactor cuerito todo trabajo laburo casa"
)
_JOB_NUMBER = re.compile(
    r"(?:#|\b(?:trabajo|laburo|orden|job|ot)\s*(?:n(?:ro|umero|°)?\.?\s*)?#?\s*)(\d{1,7})\b"
)


def _scope_zone(session: Session) -> ZoneInfo:
    """The zone of the session's organization (Buenos Aires outside one)."""
    org_id = tenancy.current_scope(session).org_id
    name = None
    if org_id is not None:
        name = session.scalar(select(Organization.time_zone).where(Organization.id == org_id))
    return es_ar.zone(name)


def _local_date(moment: datetime | None, zone: ZoneInfo) -> date | None:
    return None if moment is None else es_ar.aware(moment).astimezone(zone).date()


def _marked_tokens(tokens: list[str]) -> set[int]:
    """Positions of the words right after "lo de", "la señora", "don"...: likely a name."""
    marked: set[int] = set()
    for i in range(len(tokens)):
        for marker in _NAME_MARKERS:
            if tuple(tokens[i:i + len(marker)]) != marker:
                continue
            j = i + len(marker)
            while j < len(tokens) and tokens[j] in _NAME_SKIP:
                j += 1
            marked.update(range(j, min(j + 2, len(tokens))))
    return marked


def _name_score(name: str | None, tokens: list[str], marked: set[int]) -> float:
    parts = [p for p in fold(name).split() if p not in _NAME_STOP and len(p) >= 3]
    best = 0.0
    for i, token in enumerate(tokens):
        if token in _NAME_STOP or len(token) < 3:
            continue
        is_marked = i in marked
        if token in _COMMON and not is_marked:
            continue
        cutoff = NAME_CUTOFF if is_marked else BARE_NAME_CUTOFF
        for part in parts:
            if len(part) <= 3 or len(token) <= 3:
                score = 100.0 if part == token else 0.0
            else:
                score = fuzz.ratio(part, token)
                if (is_marked and part[0] == token[0]
                        and Levenshtein.distance(part, token, score_cutoff=1) <= 1):
                    score = max(score, NAME_CUTOFF)  # "la sra ruis": one letter off a short name
            if score >= cutoff:
                best = max(best, score)
    return best


def candidate_jobs(session: Session, technician_id: int, text: str, today: date) -> list[Job]:
    """The technician's open jobs that `text` may be about, most likely first.

    Open means scheduled, en route, on site or needing follow-up. A job number ("#123",
    "trabajo 123") picks that job; a customer's name ("lo de García", "la señora Ruiz",
    "Fernández", typos allowed) narrows to that customer's jobs. Otherwise: today's open jobs,
    or every open job when there are none today. Ordered today first, then by visit time.
    Other technicians' jobs are never returned.
    """
    jobs = list(session.scalars(
        select(Job).options(joinedload(Job.customer))
        .where(Job.technician_id == technician_id, Job.status.in_(CANDIDATE_STATUSES))
    ).unique())
    if not jobs:
        return []
    zone = _scope_zone(session)
    far = datetime.max.replace(tzinfo=UTC)

    def order(job: Job) -> tuple:
        start = es_ar.aware(job.scheduled_start) if job.scheduled_start is not None else None
        return (_local_date(job.scheduled_start, zone) != today, start is None, start or far,
                job.number)

    jobs.sort(key=order)
    numbers = {int(n) for n in _JOB_NUMBER.findall(fold_aligned(text or ""))}
    by_number = [job for job in jobs if job.number in numbers]
    if by_number:
        return by_number
    tokens = fold(text).split()
    marked = _marked_tokens(tokens)
    scores = {job.id: _name_score(job.customer.name if job.customer else None, tokens, marked)
              for job in jobs}
    top = max(scores.values())
    if top > 0:
        return [job for job in jobs if scores[job.id] >= max(top - 10, NAME_CUTOFF)]
    todays = [job for job in jobs if _local_date(job.scheduled_start, zone) == today]
    return todays or jobs
