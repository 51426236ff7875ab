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
classifier, and configurations that differ only in the learner reuse each fold's vectorized
matrices (list them next to each other).

Each configuration also reports its calibration, pooled over the folds' written messages and
variants as `evaluate.held_out` pools them: the softmax temperature (`Config.scale`) with the
least log loss, and at the configuration's own scale the share right among answers at or above
`ASK_BELOW` and the share the bot would ask about. `Config.scale` and `ASK_BELOW` are set from
these figures, never from the held-out ones.

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
    {"c": 8.0}, {"c": 32.0},
    {"nb_weight": 0.05}, {"nb_weight": 0.2}, {"nb_alpha": 0.1},
    {"learner": "logreg", "scale": 1.0},
    {"learner": "svm", "c": 1.0}, {"learner": "sgd", "alpha": 3e-5},
    {"learner": "nbsvm", "nbsvm_c": 12.0, "scale": 0.6},
    {"learner": "logreg+nb+nbsvm", "nbsvm_c": 4.0, "nbsvm_weight": 1.0, "scale": 0.5},
    {"variant_weight": 0.5},
    {"word_ngrams": [1, 3]}, {"extra_block": "words13"}, {"extra_block": "chars36"},
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


# (vectorizer's choices, folds, fold) -> (vectorizer, training matrix, intents): configurations
# that differ only in the learner refit on the same matrices (list them next to each other)
_MATRICES: dict = {}
_VECTORIZER_FIELDS = ("char_analyzer", "char_ngrams", "char_min_df", "char_max_features",
                      "word_ngrams", "word_min_df", "char_weight", "word_weight", "extra_block",
                      "extra_weight", "role_weight", "dedupe")
SCALES = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.25, 1.5, 2, 3, 4, 6, 8, 12, 16, 24)  # temperatures tried


def _masked_scores(classifier, matrix, rows: list[corpus.Example]) -> np.ndarray:
    """The learner's linear scores, -inf for the intents the writer's role cannot have (the
    model answers among the role's intents only, as `IntentModel.guess_many` does)."""
    labels = list(classifier.classes_)
    masks = {role: np.array([label in set(intents_for(role)) for label in labels])
             for role in ("customer", "technician", "owner")}
    scores = np.asarray(classifier.decision_function(matrix), dtype=np.float64)
    return np.where(np.array([masks[ex.role] for ex in rows]), scores, -np.inf)


def _calibration(scores: np.ndarray, truth: np.ndarray, scale: float) -> dict:
    """At `scale`: the mean log loss, and the share right among answers at or above
    `ASK_BELOW` with the share asked, as `evaluate.held_out` counts them (written and variants
    together); and the threshold that asks on 10% of them, with the share right above it."""
    from nlu.intent.evaluate import ASK_BELOW

    probabilities = intent_model._softmax(scale * scores)
    confidence = probabilities.max(axis=1)
    right = probabilities.argmax(axis=1) == truth
    loss = -np.mean(np.log(np.maximum(probabilities[np.arange(len(truth)), truth], 1e-12)))
    confident = confidence >= ASK_BELOW
    ten = float(np.quantile(confidence, 0.10))
    return {"scale": scale, "log_loss": round(float(loss), 4),
            "confident_right": round(float(right[confident].mean()), 4),
            "ask_rate": round(float(1 - confident.mean()), 4),
            "threshold_asking_10pct": round(ten, 3),
            "confident_right_at_10pct": round(float(right[confidence >= ten].mean()), 4)}


def cross_validate(change: dict, folds: int, data, only: int | None = None) -> dict:
    rows, docs, groups = data
    config = _config(change)
    fold_of = [_fold(g, folds) for g in groups]
    written, varied, seconds = [], [], 0.0
    confusions: Counter = Counter()
    pooled_scores, pooled_truth = [], []
    for k in range(folds) if only is None else [only]:
        fit = [i for i, f in enumerate(fold_of) if f != k]
        test = [i for i, f in enumerate(fold_of) if f == k and rows[i].variant == "written"]
        test_varied = [i for i, f in enumerate(fold_of)
                       if f == k and rows[i].variant not in ("written", "no_context")]
        start = time.perf_counter()
        choice = tuple(getattr(config, name) for name in _VECTORIZER_FIELDS)
        key = (choice, folds, k)
        if key not in _MATRICES:
            for old in [old for old in _MATRICES if old[0] != choice]:
                del _MATRICES[old]  # one vectorization's folds at a time in memory
            fit_docs, intents, weights = intent_model._training_rows(
                [rows[i] for i in fit], [docs[i] for i in fit], config)
            vectorizer = intent_model._vectorizer(config)
            _MATRICES[key] = (vectorizer, vectorizer.fit_transform(fit_docs), intents)
        vectorizer, matrix, intents = _MATRICES[key]
        # the weights depend on the variant weight, not on the vectorization
        _, _, weights = intent_model._training_rows([rows[i] for i in fit],
                                                    [docs[i] for i in fit], config)
        classifier = intent_model.fit_classifier(matrix, intents, weights, config)
        seconds += time.perf_counter() - start
        labels = list(classifier.classes_)
        for part, scores_of in ((test, written), (test_varied, varied)):
            part_rows = [rows[i] for i in part]
            scores = _masked_scores(classifier, vectorizer.transform([docs[i] for i in part]),
                                    part_rows)
            truth = np.array([labels.index(ex.intent) for ex in part_rows])
            guessed = scores.argmax(axis=1)
            scores_of.append(float(np.mean(guessed == truth)))
            if part is test:
                for ex, g in zip(part_rows, guessed, strict=True):
                    if labels[g] != ex.intent:
                        confusions[(ex.intent, labels[g])] += 1
            pooled_scores.append(scores)
            pooled_truth.append(truth)
    scores, truth = np.concatenate(pooled_scores), np.concatenate(pooled_truth)
    fitted = min((_calibration(scores, truth, s) for s in SCALES), key=lambda c: c["log_loss"])
    return {"change": change, "folds_scored": len(written), "cv_written": round(float(np.mean(written)), 4),
            "cv_variants": round(float(np.mean(varied)), 4),
            "per_fold": [round(a, 4) for a in written],
            "calibration_at_config_scale": _calibration(scores, truth, config.scale),
            "calibration_at_best_scale": fitted,
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
