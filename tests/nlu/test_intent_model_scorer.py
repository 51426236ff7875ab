"""The hand-written scorer that answers single messages must compute what the fitted sklearn
vectorizers and learner compute for a batch, for every learner and block the Config offers:
the bot's one-message path and the evaluation's batch path would otherwise disagree."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from nlu.intent import corpus
from nlu.intent import model as intent_model

CASES = [
    ("se me rompió el calefón, ¿pueden venir mañana?", "customer", None),
    ("mejor el jueves", "customer", intent_model.Context(open_job="scheduled")),
    ("mejor el jueves", "customer", intent_model.Context(asked="day")),
    ("llego en 20 minutos a lo de la señora Ruiz", "technician", None),
    ("¿quién me debe plata de este mes?", "owner", None),
    ("holaa", "customer", None),
    ("zzz", "technician", None),  # no n-gram of the vocabulary in some blocks
]


@pytest.fixture(scope="module")
def sample():
    # Every fortieth written line (with its variants): enough for every intent, fitted in
    # seconds.
    return corpus.load()[::40]


@pytest.mark.parametrize("change", [
    {},  # the current choice
    {"learner": "logreg", "scale": 1.0},
    {"learner": "svm", "c": 0.5, "scale": 4.0},
    {"learner": "sgd", "alpha": 3e-5, "scale": 3.0},
    {"learner": "logreg+nb", "nb_weight": 0.3, "nb_alpha": 0.1, "scale": 1.0},
    {"learner": "nbsvm", "nbsvm_c": 2.0, "nbsvm_alpha": 0.5, "scale": 1.0},
    {"learner": "logreg+nb+nbsvm", "nbsvm_weight": 0.5, "scale": 0.7},
    {"extra_block": "words13", "extra_weight": 0.7, "variant_weight": 0.5},
    {"extra_block": "chars36", "dedupe": True},
])
def test_the_single_message_scorer_computes_what_the_batch_path_computes(sample, change):
    config = dataclasses.replace(intent_model.CONFIG, **change)
    model = intent_model.train(sample, "test", config=config)
    docs = [intent_model.features(text, role, context) for text, role, context in CASES]
    batch = intent_model.probabilities(model.classifier, model.vectorizer.transform(docs),
                                       model.scale)
    single = np.array([model._scorer.probabilities(doc) for doc in docs])
    assert np.allclose(single, batch, atol=1e-4)  # float32 coefficients, summed in two orders
    assert np.allclose(single.sum(axis=1), 1.0)
    # The answers themselves, through both paths: `guess` (one message) and a batch of more
    # than 50 (`guess_many`'s sklearn path).
    alone = [model.guess(text, role, context) for text, role, context in CASES]
    many = model.guess_many(CASES * 8)[:len(CASES)]
    for a, b in zip(alone, many, strict=True):
        assert a.intent == b.intent
        assert a.confidence == pytest.approx(b.confidence, abs=1e-4)
        assert 0 < a.confidence <= 1


def test_a_logistic_regressions_probabilities_are_its_own():
    # scale 1 over a multinomial logistic regression is exactly sklearn's predict_proba: the
    # confidence the asking threshold was calibrated on
    sample = corpus.load()[::40]
    config = dataclasses.replace(intent_model.CONFIG, learner="logreg", scale=1.0)
    model = intent_model.train(sample, "test", augment=False, config=config)
    matrix = model.vectorizer.transform([intent_model.features(t, r, c) for t, r, c in CASES])
    assert np.allclose(intent_model.probabilities(model.classifier, matrix),
                       model.classifier.predict_proba(matrix), atol=1e-6)


def test_the_nbsvm_weighs_each_intents_words_by_their_log_count_ratio():
    # Linear in the original features: its scores are the fitted coefficients applied to the
    # tf-idf rows, and a wording seen only in one intent's messages pulls toward that intent.
    rows = [corpus.Example(text, "customer", intent, f"f{i}") for i, (text, intent) in enumerate([
        ("se me rompió el calefón", "new_job"), ("pierde la canilla del baño", "new_job"),
        ("¿a qué hora vienen?", "job_status"), ("¿ya salió el técnico?", "job_status"),
        ("cancelen la visita", "cancel"), ("ya no hace falta que vengan", "cancel"),
    ] * 3)]
    config = dataclasses.replace(intent_model.CONFIG, learner="nbsvm", nbsvm_c=4.0, scale=1.0,
                                 extra_block=None)  # no context in these rows
    model = intent_model.train(rows, "test", augment=False, config=config)
    assert isinstance(model.classifier, intent_model._NBSVM)
    assert model.guess("se rompió el calefón", "customer").intent == "new_job"
    assert model.guess("¿a qué hora viene el técnico?", "customer").intent == "job_status"
    assert model.guess("cancelen", "customer").intent == "cancel"
