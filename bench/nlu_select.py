"""Model selection for the intent model by family-group cross-validation (JSON).

Only the TRAINING side of `nlu.intent.evaluate.held_out()`'s split is read: its family groups
(`corpus.linked_families`, so near copies stay together) are dealt into K folds by a hash of the
group's name; each configuration is trained on K-1 folds (written messages plus their rule-made
variants) and scored on the written messages of the remaining fold and on their variants. The
held-out side is never touched, so a configuration chosen here can be scored there once,
honestly.

The rules' findings (`features()`) cost about a millisecond a message, so the feature strings
of the whole training side are computed once and cached under `var/nlu/` (keyed by the corpus
fingerprint and the model's VERSION); every configuration then only refits vectorizers and
classifier.

    .venv/bin/python -m bench.nlu_select                 # the preset search
    .venv/bin/python -m bench.nlu_select --configs '[{"c": 4}, {"c": 16}]'
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import pickle
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np

from nlu.intent import corpus
from nlu.intent import model as intent_model
from nlu.schema import intents_for

# One change at a time against the current choice (a coordinate search: the grid of every
# combination would take hours on 2 cores).
PRESET: list[dict] = [
    {},
    {"c": 4.0}, {"c": 16.0}, {"c": 32.0},
    {"class_weight": "balanced"},
    {"char_analyzer": "char"},
    {"char_ngrams": [1, 5]}, {"char_ngrams": [2, 6]},
    {"word_ngrams": [1, 3]},
    {"char_max_features": None}, {"char_max_features": 60_000},
    {"char_min_df": 1}, {"word_min_df": 2},
    {"word_weight": 0.7}, {"word_weight": 1.4},
]


def _config(change: dict) -> intent_model.Config:
    fixed = {k: tuple(v) if isinstance(v, list) else v for k, v in change.items()}
    return dataclasses.replace(intent_model.CONFIG, **fixed)


def _fold(root: str, folds: int) -> int:
    return int.from_bytes(hashlib.sha256(f"cv:{root}".encode()).digest()[:4], "big") % folds


def _training_side() -> tuple[list[corpus.Example], list[str], list[str]]:
    """(augmented training-side rows, their feature strings, their family groups), cached."""
    examples = corpus.load()
    key = f"select-v{intent_model.VERSION}-{corpus.fingerprint()}.pickle"
    path = intent_model.MODEL_DIR / key
    if path.exists():
        # Our own file, written below from the committed corpus.
        return pickle.loads(path.read_bytes())
    group = corpus.linked_families(examples)
    train_part, _ = corpus.split_by_family(examples)
    rows = corpus.augmented(train_part)
    docs = intent_model._all_features(rows)
    cached = (rows, docs, [group[ex.family] for ex in rows])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(cached, protocol=pickle.HIGHEST_PROTOCOL))
    return cached


def _accuracy(classifier, matrix, rows: list[corpus.Example],
              confusions: Counter | None = None) -> float:
    """Role-restricted argmax, as `IntentModel.guess_many` answers; wrong answers are counted
    in `confusions` as (expected, guessed) -> families."""
    probabilities = classifier.predict_proba(matrix)
    labels = list(classifier.classes_)
    masks = {role: np.array([label in set(intents_for(role)) for label in labels])
             for role in ("customer", "technician", "owner")}
    right = 0
    for ex, row in zip(rows, probabilities, strict=True):
        guessed = labels[int(np.argmax(np.where(masks[ex.role], row, -1.0)))]
        right += guessed == ex.intent
        if confusions is not None and guessed != ex.intent:
            confusions[(ex.intent, guessed)] += 1
    return right / max(1, len(rows))


def cross_validate(change: dict, folds: int, data, only: int | None = None) -> dict:
    rows, docs, groups = data
    config = _config(change)
    fold_of = [_fold(g, folds) for g in groups]
    written, varied, seconds = [], [], 0.0
    confusions: Counter = Counter()
    for k in range(folds) if only is None else [only]:
        fit = [i for i, f in enumerate(fold_of) if f != k]
        test = [i for i, f in enumerate(fold_of) if f == k and rows[i].variant == "written"]
        test_varied = [i for i, f in enumerate(fold_of)
                       if f == k and rows[i].variant not in ("written", "no_context")]
        start = time.perf_counter()
        vectorizer = intent_model._vectorizer(config)
        matrix = vectorizer.fit_transform([docs[i] for i in fit])
        classifier = intent_model._classifier(config)
        classifier.fit(matrix, [rows[i].intent for i in fit])
        seconds += time.perf_counter() - start
        written.append(_accuracy(classifier, vectorizer.transform([docs[i] for i in test]),
                                 [rows[i] for i in test], confusions))
        varied.append(_accuracy(classifier, vectorizer.transform([docs[i] for i in test_varied]),
                                [rows[i] for i in test_varied]))
    return {"change": change, "folds_scored": len(written), "cv_written": round(float(np.mean(written)), 4),
            "cv_variants": round(float(np.mean(varied)), 4),
            "per_fold": [round(a, 4) for a in written],
            "fit_seconds_per_fold": round(seconds / len(written), 1),
            "top_confusions": [f"{a} -> {b}: {n}" for (a, b), n in confusions.most_common(12)]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=4)
    parser.add_argument("--fold", type=int, help="score only this fold (a quick look)")
    parser.add_argument("--configs", help="a JSON list of changes to the current Config")
    args = parser.parse_args()
    changes = json.loads(args.configs) if args.configs else PRESET
    load_before = os.getloadavg()
    data = _training_side()
    written = sum(ex.variant == "written" for ex in data[0])
    results = []
    for change in changes:
        results.append(cross_validate(change, args.folds, data, args.fold))
        print(json.dumps(results[-1]), file=sys.stderr, flush=True)
    best = max(results, key=lambda r: (r["cv_written"], r["cv_variants"]))
    print(json.dumps({
        "folds": args.folds, "training_side_written": written, "training_rows": len(data[0]),
        "families_groups": len(set(data[2])), "current": dataclasses.asdict(intent_model.CONFIG),
        "results": sorted(results, key=lambda r: -r["cv_written"]), "best": best,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
    }, indent=2))


if __name__ == "__main__":
    main()
