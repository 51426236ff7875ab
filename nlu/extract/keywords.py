"""Keyword families: weighted regexes over normalized (folded, expanded, spell-fixed) text."""

from __future__ import annotations

import re
from collections.abc import Iterable

Family = list[tuple[re.Pattern[str], float]]


def family(rows: Iterable[tuple[str, float]]) -> Family:
    return [(re.compile(p), w) for p, w in rows]


def score(fam: Family, text: str) -> float:
    return sum(w for rx, w in fam if rx.search(text))


def literal_words(patterns: Iterable[str], min_len: int = 6) -> set[str]:
    """Plain words (min_len letters or more) written out in regex patterns, for the speller."""
    words: set[str] = set()
    for p in patterns:
        words.update(re.findall(rf"(?<![\\a-z])[a-z]{{{min_len},}}(?![a-z(])", p))
    return words
