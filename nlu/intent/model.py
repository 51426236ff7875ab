"""The learned intent model: a linear classifier over character and word n-grams.

What it reads (`features`): the message normalized as the rules normalize it (folded, WhatsApp
abbreviations expanded, spelling fixed toward the trade vocabulary), plus a few marker words
the model learns to weigh — the writer's role, the conversation's context when known (their
open job's state, what the bot last asked) and what the precise rules found (an amount, an ETA,
an address, a date, a trade, a bare greeting, the rules' own guess of the intent).

It answers a probability per intent, restricted to the intents of the writer's role; the
largest is the intent and its probability the confidence. Trained in seconds from
`nlu/data/` (`python -m nlu train`), saved under `var/nlu/` keyed by the corpus fingerprint,
and retrained in-process when that file is missing (a fresh clone, a changed corpus).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import pickle
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion

from nlu.intent import corpus
from nlu.schema import intents_for

log = logging.getLogger("campotech.nlu.intent")

MODEL_DIR = Path(__file__).resolve().parents[2] / "var" / "nlu"
VERSION = 5  # bump when `features`, the normalization under it or `CONFIG` change: old models are retrained


@dataclass(frozen=True)
class Context:
    """What the conversation knows besides the text (all optional)."""

    open_job: str | None = None  # the writer's open job's state: scheduled, en_route, ...
    asked: str | None = None  # what the bot last asked: day, address, confirm, which_job

    @classmethod
    def from_dict(cls, data: dict | None) -> Context:
        data = data or {}
        return cls(open_job=data.get("open_job"), asked=data.get("asked"))


@dataclass(frozen=True)
class Guess:
    intent: str
    confidence: float
    ranked: tuple[tuple[str, float], ...]  # every allowed intent, most likely first


def features(text: str, role: str, context: Context | None = None, found=None) -> str:
    """The text the vectorizers read: normalized words plus marker words (`zz…`).

    `found` is `nlu.extract.signals(text, role)` when the caller has it already."""
    if found is None:
        from nlu.extract import signals  # the rules' findings (imported late: a cycle)

        found = signals(text, role)
    marks = [f"zzrole{role}"]
    if context is not None:
        # Only what is there: "no open job" says little (people ask about visits they think
        # they have), and the corpus rarely labels it.
        if context.open_job:
            marks.append(f"zzopen{context.open_job}")
        if context.asked:
            marks.append(f"zzasked{context.asked}")
    marks += [f"zz{name}" for name, present in found.flags.items() if present]
    marks.append(f"zzrule{found.rule_intent}")
    return f"{found.normalized} {' '.join(marks)}"


class _Scorer:
    """The fitted vectorizers and classifier, applied to one message without sklearn's per-call
    overhead (which costs ten times the arithmetic): the same n-grams, tf-idf weights, L2
    norms and softmax, from the fitted vocabularies and coefficients."""

    def __init__(self, vectorizer: FeatureUnion, classifier: LogisticRegression):
        self.parts = []
        offset = 0
        weights = vectorizer.transformer_weights or {}
        for name, vec in vectorizer.transformer_list:
            self.parts.append((vec.build_analyzer(), vec.vocabulary_, vec.idf_, offset,
                               vec.sublinear_tf, weights.get(name, 1.0)))
            offset += len(vec.vocabulary_)
        self.coef = np.ascontiguousarray(classifier.coef_.T)  # features x classes
        self.intercept = classifier.intercept_

    def probabilities(self, doc: str) -> np.ndarray:
        scores = self.intercept.copy()
        for analyzer, vocabulary, idf, offset, sublinear, block_weight in self.parts:
            counts: dict[int, int] = {}
            for gram in analyzer(doc):
                column = vocabulary.get(gram)
                if column is not None:
                    counts[column] = counts.get(column, 0) + 1
            if not counts:
                continue
            columns = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
            tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
            if sublinear:
                tf = 1.0 + np.log(tf)
            weights = tf * idf[columns]
            weights *= block_weight / np.sqrt(weights @ weights)
            scores += weights @ self.coef[columns + offset]
        scores -= scores.max()
        exp = np.exp(scores)
        return exp / exp.sum()


class IntentModel:
    def __init__(self, vectorizer: FeatureUnion, classifier: LogisticRegression, fingerprint: str):
        self.vectorizer = vectorizer
        self.classifier = classifier
        self.fingerprint = fingerprint
        self.version = VERSION
        self._labels = list(classifier.classes_)
        self._scorer = _Scorer(vectorizer, classifier)

    def guess(self, text: str, role: str, context: Context | None = None, *,
              found=None) -> Guess:
        return self.guess_many([(text, role, context)], [found])[0]

    def guess_many(self, cases: list[tuple[str, str, Context | None]],
                   found: list | None = None) -> list[Guess]:
        found = found or [None] * len(cases)
        docs = [features(t, r, c, f) for (t, r, c), f in zip(cases, found, strict=True)]
        if len(docs) > 50:  # a batch (evaluation): sklearn's vectorized path is faster
            probabilities = self.classifier.predict_proba(self.vectorizer.transform(docs))
        else:
            probabilities = [self._scorer.probabilities(doc) for doc in docs]
        guesses = []
        for (_, role, _), row in zip(cases, probabilities, strict=True):
            allowed = set(intents_for(role))
            scored = [(label, float(p)) for label, p in zip(self._labels, row, strict=True)
                      if label in allowed]
            total = sum(p for _, p in scored) or 1.0
            ranked = tuple(sorted(((label, p / total) for label, p in scored),
                                  key=lambda item: -item[1]))
            guesses.append(Guess(ranked[0][0], ranked[0][1], ranked))
        return guesses


@dataclass(frozen=True)
class Config:
    """The model's choices, picked by family-group cross-validation inside the training side
    (`python -m bench.nlu_select`), never by the held-out score."""

    c: float = 16.0
    char_analyzer: str = "char_wb"
    char_ngrams: tuple[int, int] = (2, 5)
    char_min_df: int = 2
    char_max_features: int | None = 120_000
    word_ngrams: tuple[int, int] = (1, 2)
    word_min_df: int = 1
    char_weight: float = 1.0
    word_weight: float = 1.0
    class_weight: str | None = None


CONFIG = Config()


def _vectorizer(config: Config = CONFIG) -> FeatureUnion:
    return FeatureUnion([
        ("chars", TfidfVectorizer(analyzer=config.char_analyzer, ngram_range=config.char_ngrams,
                                  min_df=config.char_min_df, sublinear_tf=True,
                                  max_features=config.char_max_features, dtype=np.float32)),
        ("words", TfidfVectorizer(analyzer="word", ngram_range=config.word_ngrams,
                                  min_df=config.word_min_df, token_pattern=r"\S+",
                                  sublinear_tf=True, dtype=np.float32)),
    ], transformer_weights={"chars": config.char_weight, "words": config.word_weight})


def _classifier(config: Config = CONFIG) -> LogisticRegression:
    return LogisticRegression(C=config.c, max_iter=3000, class_weight=config.class_weight)


def _row_features(ex: corpus.Example) -> str:
    return features(ex.text, ex.role, Context.from_dict(ex.context) if ex.context else None)


def _all_features(rows: list[corpus.Example]) -> list[str]:
    """Every row's features; the rules' findings cost about a millisecond a message, so a large
    corpus is read by one process per core (forked: the rules' tables are already loaded)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    if len(rows) < 5000 or cores < 2 or multiprocessing.get_start_method(allow_none=True) == "spawn":
        return [_row_features(ex) for ex in rows]
    with multiprocessing.get_context("fork").Pool(min(cores, 4)) as pool:
        return pool.map(_row_features, rows, chunksize=500)


def train(examples: list[corpus.Example], fingerprint: str = "", *, augment: bool = True,
          config: Config = CONFIG) -> IntentModel:
    rows = corpus.augmented(examples) if augment else examples
    vectorizer = _vectorizer(config)
    matrix = vectorizer.fit_transform(_all_features(rows))
    classifier = _classifier(config)
    classifier.fit(matrix, [ex.intent for ex in rows])
    return IntentModel(vectorizer, classifier, fingerprint)


# ---- the model the app uses ----------------------------------------------------------------

_lock = threading.Lock()
_loaded: IntentModel | None = None


def model_path(fingerprint: str) -> Path:
    return MODEL_DIR / f"intent-v{VERSION}-{fingerprint}.pickle"


def build(data_dir: Path = corpus.DATA_DIR) -> Path:
    """Train on the whole corpus and save it (what `python -m nlu train` runs)."""
    fingerprint = corpus.fingerprint(data_dir)
    model = train(corpus.load(data_dir), fingerprint)
    path = model_path(fingerprint)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL))
    tmp.replace(path)
    return path


def default_model() -> IntentModel | None:
    """The trained model for the committed corpus (trained now if it was never saved); None
    when there is no corpus at all."""
    global _loaded
    if _loaded is not None:
        return _loaded
    with _lock:
        if _loaded is not None:
            return _loaded
        if not any(corpus.DATA_DIR.glob("*.jsonl")):
            return None
        path = model_path(corpus.fingerprint())
        if not path.exists():
            log.info("no trained intent model for this corpus yet: training it now")
            try:
                path = build()
            except OSError:  # a read-only checkout: keep it in memory only
                _loaded = train(corpus.load(), corpus.fingerprint())
                return _loaded
        # Our own file, written by `build` from the committed corpus.
        _loaded = pickle.loads(path.read_bytes())
        return _loaded
