"""Pricing a technician's pieces of work against the price book, reconciled with what they said.

`price_work` prices the pieces (read from the message by `flows/work_text.py`) against the
active price book (typo- and accent-tolerant) and reconciles them with the amount the technician
stated (their word wins: the difference becomes a "Mano de obra / ajuste" line).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal

from rapidfuzz import fuzz
from sqlalchemy.orm import Session

from core.billing.price_book import list_items
from core.customers.search import fold
from core.jobs.trade_words import ACTIONS, SYNONYMS, same_work
from core.models import PriceBookItem

MATCH_CUTOFF = 70.0  # below this a piece of work is listed as unmatched, never priced
REVIEW_BELOW = 0.8  # a line with less confidence is shown with a question mark
ADJUSTMENT_DESCRIPTION = "Mano de obra / ajuste"
MATERIALS_DESCRIPTION = "Materiales"
CENT = Decimal("0.01")
_AMBIGUOUS_GAP = 3.0  # two different items this close: the line's confidence drops
_AMBIGUOUS_FACTOR = 0.75
_HINT_BONUS = 4.0  # "cambié el flexible" leans towards "Cambio de flexible"
_COVERAGE_BONUS = 3.0  # ties go to the item whose own words were said the most
_CARRIED_FACTOR = 0.9
_WORD_FLOOR = 75.0  # word similarity below this counts as nothing
_OBJECT_WEIGHT = 0.7  # "destapé | la pileta": the object of a service verb
_QUALIFIER_WEIGHT = 0.6  # "flexible | común"
_MODIFIER_WEIGHT = 0.25  # "flexible | de la cocina"
_MISSED_MODIFIER_WEIGHT = 0.1
_WORD = re.compile(r"[a-z0-9]+")


def words(text: str) -> frozenset[str]:
    return frozenset(text.split())


@dataclass(frozen=True)
class Verb:
    nouns: tuple[str, ...]  # how the price book names the action: destapé -> destapacion
    service: bool  # the verb is the work itself (destapé), not just how a part got there (puse)


@dataclass(frozen=True)
class WorkPiece:
    text: str  # as written (accents kept), for people
    folded: str  # the same, folded, quantity removed, for matching
    quantity: Decimal
    verb: Verb | None
    carried: bool = False  # the verb came from an earlier clause ("destapé la pileta y el inodoro")


# ---- matching ------------------------------------------------------------------------------

_STOP = words(
    "de del la el los las un una unos unas y o e con para por en al a lo "
    "nuevo nueva nuevos nuevas viejo vieja viejos viejas roto rota rotos rotas otro otra"
)
_MODIFIER_START = words("de del para en con a al sin")
# What follows tells what the thing does, not which it is: "el flexible | que pierde"
_RELATIVE = words("que q porque xq pq")
# A word of an item's name written short: "Flex. mallado", "Disy. diferencial"
_ABBREVIATED = re.compile(r"([^\W\d_]{3,})\.")


def _variants(word: str) -> tuple[str, ...]:
    if len(word) > 4 and word.endswith("es"):
        return (word, word[:-2], word[:-1])
    if len(word) > 3 and word.endswith("s"):
        return (word, word[:-1])
    return (word,)


def _word_similarity(word: str, tokens: tuple[str, ...], alternatives: tuple[str, ...] = (),
                     short: frozenset[str] = frozenset()) -> float:
    """0-100; `short` are the tokens written cut short ("flex" of "Flex."): the word they begin
    ("flexible") is theirs."""
    best = 0.0
    for variant in (*_variants(word), *alternatives):
        for token in tokens:
            if variant == token or token in short and variant.startswith(token):
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
    names: tuple[str, ...] = ()  # the thing's other names: they match, but break no ties


@dataclass(frozen=True)
class _Query:
    words: tuple[_Word, ...]
    hints: tuple[str, ...]  # the verb's nouns, a tie-break only ("cambié" -> "cambio")
    thing: _Word | None = None  # what the work is done to ("termotanque"), when said
    actions: frozenset[str] = frozenset()  # what is done to it ("service", "instalacion")


def _query(piece: WorkPiece, with_verb: bool = True) -> _Query:
    # Spanish puts the head first: "flexible mallado | de la pileta de la cocina"; after an
    # action the thing it is done to comes first: "service | del termotanque | de la cocina".
    head: list[str] = []
    thing: list[str] = []
    modifiers: list[str] = []
    part = head
    for token in _WORD.findall(piece.folded):
        if head and token in _RELATIVE:
            break
        if head and token in _MODIFIER_START:
            acted = part is head and len(head) == 1 and head[0] in ACTIONS
            part = thing if acted else modifiers
        elif token not in _STOP:
            part.append(token)
    words: list[_Word] = []
    hints: tuple[str, ...] = ()
    verb = piece.verb if with_verb else None
    if verb and verb.service and verb.nouns:
        # "destapé la pileta": the action is the head, the object says which one.
        words.append(_Word(verb.nouns[0], 1.0, verb.nouns[1:]))
        words += [_Word(w, _OBJECT_WEIGHT, names=SYNONYMS.get(w, ())) for w in head + thing
                  if w not in verb.nouns]
    elif thing:
        # "service del termotanque": said as a service verb's, the action and its object
        words.append(_Word(head[0], 1.0, ACTIONS[head[0]]))
        words += [_Word(w, _OBJECT_WEIGHT, names=SYNONYMS.get(w, ())) for w in thing]
    else:
        # The noun first, then what qualifies it ("flexible | común"): a missing qualifier
        # lowers the score without sinking it.
        words += [_Word(w, 1.0 if i == 0 else _QUALIFIER_WEIGHT, names=SYNONYMS.get(w, ()))
                  for i, w in enumerate(head)]
    if not (verb and verb.service):
        hints = piece.verb.nouns if piece.verb else ()
    words += [_Word(w, _MODIFIER_WEIGHT, modifier=True) for w in modifiers]
    actions = frozenset((verb.nouns if verb else ()) + tuple(w for w in head if w in ACTIONS))
    named = next((w for w in words if not w.modifier and w.text not in ACTIONS), None)
    return _Query(tuple(words), hints, named, actions)


@dataclass(frozen=True)
class _Candidate:
    item: PriceBookItem
    tokens: tuple[str, ...]
    short: frozenset[str] = frozenset()  # the name's words written cut short ("Flex.")


def _candidates(session: Session) -> list[_Candidate]:
    return [_Candidate(i, tuple(t for t in fold(i.name).split() if t not in _STOP),
                       frozenset(fold(w) for w in _ABBREVIATED.findall(i.name)))
            for i in list_items(session)]


def _names_work(query: _Query, cand: _Candidate) -> bool:
    """Whether the item is the work asked about, not a neighbour of the price book: the thing
    said is in its name ("Service de calefactor" is no termotanque's), and it names no other
    work ("Service de termotanque" is not installing one)."""
    thing = query.thing
    if thing is not None and _word_similarity(thing.text, cand.tokens, thing.names,
                                              cand.short) < _WORD_FLOOR:
        return False
    return same_work(query.actions, (t for t in cand.tokens if t in ACTIONS))


def _score(query: _Query, cand: _Candidate) -> tuple[float, float]:
    """(score 0-100 from the words said, rank score with the tie-breaks)."""
    if not query.words or not cand.tokens:
        return 0.0, 0.0
    total = weighted = 0.0
    for word in query.words:
        similarity = _word_similarity(word.text, cand.tokens, (*word.synonyms, *word.names),
                                      cand.short)
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
    materials: Line | None = None  # the part of the stated total said to be for materials

    @property
    def matched_total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))

    @property
    def all_lines(self) -> list[Line]:
        """What goes on the invoice: these always add up to `total`."""
        return [*self.lines, *([self.labor_adjustment] if self.labor_adjustment else []),
                *([self.materials] if self.materials else [])]

    @property
    def needs_review(self) -> bool:
        return bool(self.unmatched or self.unsure) or any(line.doubtful for line in self.lines)


def _best_line(piece: WorkPiece, candidates: list[_Candidate], quote: bool = False) -> Line | None:
    queries = [(_query(piece), 1.0)]
    if piece.carried and piece.verb and piece.verb.service:
        # "cargué gas, 2 flexibles": a verb carried over a comma may not apply; a bit less sure.
        queries.append((_query(piece, with_verb=False), _CARRIED_FACTOR))
    best_by_item: dict[int, tuple[float, float]] = {}
    for query, factor in queries:
        for c in candidates:
            if quote and not _names_work(query, c):
                continue
            score, rank = _score(query, c)
            score, rank = score * factor, rank * factor
            if rank > best_by_item.get(c.item.id, (0.0, -1.0))[1]:
                best_by_item[c.item.id] = (score, rank)
    scored = sorted(((best_by_item[c.item.id], c) for c in candidates if c.item.id in best_by_item),
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


def _merge(matched: list[tuple[WorkPiece, Line]]) -> list[Line]:
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


def price_work(session: Session, pieces: list[WorkPiece], amount: Decimal | float | None,
               materials: Decimal | float | None = None, *, quote: bool = False) -> WorkSummary:
    """Price the pieces of work with the active price book and reconcile with `amount`.

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

    `materials` is the part of `amount` the technician said was for materials ("25 de mano de
    obra más 8 de materiales"): it is a line of its own, and the work is priced against the rest.

    `quote` is for a price a customer asks, which no person checks before it is read: an item
    is taken only when it is the work asked about (`_names_work`), never its nearest neighbour.
    """
    stated = None if amount is None else Decimal(str(amount)).quantize(CENT, ROUND_HALF_UP)
    if stated is not None and stated <= 0:
        raise ValueError(f"amount must be positive, got {amount}")
    bought = None if materials is None or stated is None else \
        Decimal(str(materials)).quantize(CENT, ROUND_HALF_UP)
    if bought is not None and 0 < bought < stated:
        summary = price_work(session, pieces, stated - bought, quote=quote)
        line = Line(item_id=None, description=MATERIALS_DESCRIPTION, quantity=Decimal(1),
                    unit_price=bought, said=MATERIALS_DESCRIPTION.lower())
        return replace(summary, materials=line, total=stated, stated_amount=stated)
    candidates = _candidates(session)
    matched: list[tuple[WorkPiece, Line]] = []
    unmatched: list[str] = []
    unsure: list[str] = []
    for piece in pieces:
        line = _best_line(piece, candidates, quote)
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
