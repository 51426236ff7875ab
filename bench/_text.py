"""Word folding and word edit distance shared by the NLU and voice benchmarks."""

from __future__ import annotations

import re
import unicodedata


def words(text: str | None) -> list[str]:
    """Lower case, no accents, words of [a-z0-9]."""
    text = unicodedata.normalize("NFKD", (text or "").lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.findall(r"[a-z0-9]+", text)


def word_edits(reference: str | None, hypothesis: str | None) -> tuple[int, int]:
    """(word edits, reference words) between a reference text and a hypothesis."""
    ref, hyp = words(reference), words(hypothesis)
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        current = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h))
        previous = current
    return previous[-1], len(ref)
