"""Typo-tolerant search over the price book and customers, blind to accents and case."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from rapidfuzz import fuzz, process, utils
from rapidfuzz.distance import OSA
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.errors import ValidationFailed
from core.models import Customer, CustomerAddress, PriceBookItem
from core.phones import normalize_phone

DEFAULT_CUTOFF = 80.0  # one typo in a 5-letter word (80) passes; "hola" for "hora" (75) does not
_PREFIX_SCORE = 90.0  # "flex" while typing "flexible"
_MIN_PHONE_DIGITS = 4
_PHONE_QUERY = re.compile(r"^[\d\s()+.\-/]+$")


def fold(text: str | None) -> str:
    """'García, Marta' -> 'garcia marta': no accents, no case, no punctuation, single spaces."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(utils.default_process(bare).split())


def spanish_sort_key(text: str | None) -> str:
    """Spanish alphabetical order: accents ignored, but ñ after n (Canilla, Cañería)."""
    marked = (text or "").casefold().replace("ñ", "n\uffff")
    decomposed = unicodedata.normalize("NFKD", marked)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _word_score(word: str, tokens: list[str]) -> float:
    # OSA edit distance: a typo or a swap costs one ("flexibe", "gracia"), a longer word more.
    best = process.extractOne(word, tokens, scorer=OSA.normalized_similarity)
    score = best[1] * 100 if best else 0.0
    if len(word) >= 3 and any(t.startswith(word) for t in tokens):
        score = max(score, _PREFIX_SCORE)
    return score


def _score(query_words: list[str], tokens: list[str]) -> float:
    # Best word match per query word, length-weighted: unlike WRatio, long names are not penalised.
    if not tokens:
        return 0.0
    total = sum(len(w) for w in query_words)
    return sum(_word_score(w, tokens) * len(w) for w in query_words) / total


def _rank(query: str, docs: Iterable[tuple[object, str, str]], limit: int,
          cutoff: float) -> list[tuple[object, float]]:
    """docs: (key, searchable text, display text); returns (key, score) best first."""
    words = fold(query).split()
    if not words:
        return []
    folded_query = " ".join(words)
    scored = []
    for key, text, display in docs:
        folded = fold(text)
        score = _score(words, folded.split())
        if score >= cutoff:
            # Ties go to the text closest as a whole (fewer extra words), then alphabetical.
            tiebreak = fuzz.ratio(folded_query, fold(display))
            scored.append((-score, -tiebreak, spanish_sort_key(display), key, score))
    scored.sort(key=lambda row: row[:3])
    return [(row[3], round(row[4], 1)) for row in scored[:limit]]


def search_price_book(session: Session, query: str, limit: int = 5,
                      score_cutoff: float = DEFAULT_CUTOFF) -> list[tuple[PriceBookItem, float]]:
    """Active items whose name or code matches `query`, best first."""
    items = {i.id: i for i in session.scalars(
        select(PriceBookItem).where(PriceBookItem.archived.is_(False)))}
    docs = ((i.id, f"{i.name} {i.code or ''}", i.name) for i in items.values())
    return [(items[key], score) for key, score in _rank(query, docs, limit, score_cutoff)]


def _phone_digits_query(query: str) -> str | None:
    if not _PHONE_QUERY.match(query.strip()):
        return None
    digits = re.sub(r"\D", "", query)
    return digits if len(digits) >= _MIN_PHONE_DIGITS else None


def _search_by_phone(session: Session, query: str, digits: str,
                     limit: int) -> list[tuple[Customer, float]]:
    try:
        exact = normalize_phone(query)
    except ValidationFailed:
        exact = None
    # "011 5555-0101" is stored as +5491155550101: the trunk 0 is not in the stored digits.
    fragments = {digits, digits.lstrip("0")} - {""}
    conditions = [Customer.phone.like(f"%{f}%") for f in fragments]
    if exact:
        conditions.append(Customer.phone == exact)
    found = session.scalars(select(Customer).where(or_(*conditions))).all()
    return sorted(((c, 100.0 if c.phone == exact else 90.0) for c in found),
                  key=lambda pair: (-pair[1], spanish_sort_key(pair[0].name), pair[0].id))[:limit]


def search_customers(session: Session, query: str, limit: int = 10,
                     score_cutoff: float = DEFAULT_CUTOFF) -> list[tuple[Customer, float]]:
    """Customers matching `query` by name, address, or phone digits, best first."""
    if not query or not query.strip():
        return []
    digits = _phone_digits_query(query)
    by_phone = _search_by_phone(session, query, digits, limit) if digits else []
    # Loaded as plain columns: a small business has thousands of customers at most, so
    # ranking in Python is cheap and works the same on PostgreSQL and SQLite.
    names = dict(session.execute(select(Customer.id, Customer.name)).all())
    places: dict[int, list[str]] = {}
    for row in session.execute(select(
        CustomerAddress.customer_id, CustomerAddress.street, CustomerAddress.number,
        CustomerAddress.unit, CustomerAddress.locality, CustomerAddress.province,
    )):
        places.setdefault(row[0], []).append(" ".join(p for p in row[1:] if p))
    docs = ((cid, " ".join([name or "", *places.get(cid, [])]), name or "")
            for cid, name in names.items())
    # Digits may be a house number too ("2150"): phone matches first, then address matches.
    taken = {c.id for c, _ in by_phone}
    ranked = [(cid, score) for cid, score in _rank(query, docs, limit + len(taken), score_cutoff)
              if cid not in taken]
    customers = {c.id: c for c in session.scalars(
        select(Customer).where(Customer.id.in_([cid for cid, _ in ranked])))}
    by_text = [(customers[cid], score) for cid, score in ranked]
    return sorted(by_phone + by_text, key=lambda pair: -pair[1])[:limit]


NAMED_CUTOFF = 85.0  # a name said in a message, not typed in a search box: close matches only


def customers_named(session: Session, words: str, limit: int = 3,
                    score_cutoff: float = NAMED_CUTOFF) -> list[Customer]:
    """The customers `words` (a name said in a message) mean: the best match, and any as good
    (within a point), so two Martas are both returned for the caller to ask which; [] for none."""
    ranked = search_customers(session, words, limit=limit, score_cutoff=score_cutoff)
    if not ranked:
        return []
    best = ranked[0][1]
    return [customer for customer, score in ranked if score >= best - 1]
