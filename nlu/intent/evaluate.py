"""Honest figures for the intent model: trained without whole families, scored on them.

`held_out()` splits the corpus by family, trains on one side (with its rule-made variants;
the install trains that model beside the app's and saves it, `model.build`) and scores the
other side's written messages and their variants: accuracy, a per-intent confusion matrix, and
calibration — among answers at or above the confidence threshold, the
share that is right, and how often the bot would ask instead of guessing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from nlu.intent import corpus
from nlu.intent.model import HOLDOUT, SEED, Context, IntentModel, held_out_model, train

ASK_BELOW = 0.6  # below this confidence the bot asks (flows/clarify.py reads it from here)


@dataclass(frozen=True)
class Report:
    accuracy: float  # written held-out messages
    variant_accuracy: float  # their rule-made variants (typos, abbreviations, voice style)
    no_context_accuracy: float  # the written ones read without any context (the CLI's case)
    confident_accuracy: float  # right among answers at or above ASK_BELOW
    ask_rate: float  # share of answers below ASK_BELOW
    per_intent: dict[str, float]
    confusion: dict[str, dict[str, int]]  # expected -> guessed -> count
    train_size: int
    held_out_size: int


def held_out(holdout: float = HOLDOUT, seed: int = SEED, model: IntentModel | None = None, *,
             fresh: bool = False) -> Report:
    """The figures of `model`, or of the model trained without the held-out side: the one
    saved by the install's training (`held_out_model`), or trained now when `fresh`."""
    examples = corpus.load()
    train_part, test_part = corpus.split_by_family(examples, holdout, seed)
    if model is None:
        model = train(train_part) if fresh else held_out_model(holdout, seed)
    variants = [v for ex in test_part for v in corpus.variants(ex, _rng(seed))]

    def score(rows: list[corpus.Example]):
        guesses = model.guess_many([(ex.text, ex.role, Context.from_dict(ex.context)
                                     if ex.context else None) for ex in rows])
        return list(zip(rows, guesses, strict=True))

    written = score(test_part)
    bare = model.guess_many([(ex.text, ex.role, None) for ex in test_part])
    no_context = round(sum(ex.intent == g.intent for ex, g in zip(test_part, bare, strict=True))
                       / max(1, len(test_part)), 4)
    varied = score(variants)
    confident = [(ex, g) for ex, g in written + varied if g.confidence >= ASK_BELOW]
    confusion: dict[str, Counter] = {}
    per_intent_total: Counter = Counter()
    per_intent_right: Counter = Counter()
    for ex, g in written:
        confusion.setdefault(ex.intent, Counter())[g.intent] += 1
        per_intent_total[ex.intent] += 1
        per_intent_right[ex.intent] += ex.intent == g.intent
    everything = written + varied
    return Report(
        accuracy=_share(written),
        variant_accuracy=_share(varied),
        no_context_accuracy=no_context,
        confident_accuracy=_share(confident),
        ask_rate=round(1 - len(confident) / max(1, len(everything)), 4),
        per_intent={i: round(per_intent_right[i] / per_intent_total[i], 4)
                    for i in sorted(per_intent_total)},
        confusion={i: dict(c) for i, c in sorted(confusion.items())},
        train_size=len(train_part),
        held_out_size=len(test_part),
    )


def _share(pairs) -> float:
    return round(sum(ex.intent == g.intent for ex, g in pairs) / max(1, len(pairs)), 4)


def _rng(seed: int):
    import random

    return random.Random(seed + 1)
