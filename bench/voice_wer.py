"""Voice bench, accuracy: word error rate against the spoken text, intent accuracy of the
transcripts, and the dev voice clips (`../shared/nlu/audio.jsonl`)."""

from __future__ import annotations

import json
from pathlib import Path

from bench._text import word_edits

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "nlu"

# Word error rate (the folding bench/nlu.py uses, `bench._text`: lower case, no accents, words of [a-z0-9])


def edits(reference: str, hypothesis: str | None) -> tuple[int, int]:
    """(word edits, reference words) between the spoken text and a transcript."""
    return word_edits(reference, hypothesis)


def wer_summary(pairs: list[tuple[int, int]]) -> dict[str, float]:
    """Pooled WER (all edits over all reference words) and the mean of the clips' WERs."""
    total_edits, total_words = sum(e for e, _ in pairs), sum(n for _, n in pairs)
    return {"wer": round(total_edits / max(1, total_words), 3),
            "mean_clip_wer": round(sum(e / max(1, n) for e, n in pairs) / max(1, len(pairs)), 3)}


def intent_accuracy(clips: list[dict], texts: dict[str, str | None]) -> float:
    """Share of clips whose transcript the offline extractor reads as the expected intent (what
    the flows read: the transcript tidied as `engine._heard` does, without organization words)."""
    from datetime import datetime

    from nlu.extract import extract, spoken

    right = 0
    for clip in clips:
        tidy = spoken.default().tidy(texts.get(clip["id"]) or "")
        got = extract(tidy, clip["role"], datetime.fromisoformat(clip["now"]))
        right += got.intent == clip["expect"].get("intent")
    return round(right / max(1, len(clips)), 3)


def cases() -> list[dict]:
    rows = [json.loads(line) for line in (SHARED / "audio.jsonl").read_text().splitlines() if line.strip()]
    for row in rows:
        row["path"] = str(SHARED / row["audio"])
    return rows

