"""The learned intent model: its corpus, its held-out score, context, and the contract's CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest

from nlu.extract import extract
from nlu.intent import corpus
from nlu.intent.evaluate import ASK_BELOW, held_out
from nlu.intent.model import Context
from nlu.schema import intents_for

ROOT = Path(__file__).resolve().parents[2]
DEV = ROOT.parent / "shared" / "nlu" / "dev.jsonl"
NOW = datetime.fromisoformat("2026-11-24T10:00:00-03:00")
ALL_INTENTS = {i for role in ("customer", "technician", "owner") for i in intents_for(role)}


@pytest.fixture(scope="module")
def report():
    return held_out()


def test_the_corpus_is_big_varied_and_labelled_by_the_contract():
    examples = corpus.load()
    counts = Counter(ex.intent for ex in examples)
    assert len(examples) >= 4000
    assert set(counts) == ALL_INTENTS
    assert min(counts.values()) >= 150, counts
    families = Counter(ex.family for ex in examples)
    assert all(n >= 2 for n in families.values())  # every situation written more than once
    assert {ex.role for ex in examples} == {"customer", "technician", "owner"}


def test_the_dev_set_stays_out_of_the_corpus():
    if not DEV.exists():
        pytest.skip("no shared dev set beside the repo")
    dev = {json.loads(line)["text"].strip().lower() for line in DEV.read_text().splitlines()
           if line.strip()}
    shared = [ex.text for ex in corpus.load() if ex.text.strip().lower() in dev]
    assert all(len(text.split()) <= 2 for text in shared), shared  # a bare "holaa" at most


def test_families_never_straddle_the_split():
    train, test = corpus.split_by_family(corpus.load())
    assert not {ex.family for ex in train} & {ex.family for ex in test}
    assert 0.15 <= len(test) / (len(train) + len(test)) <= 0.25


def test_near_copies_in_different_families_stay_on_one_side():
    examples = corpus.load()
    group = corpus.linked_families(examples)
    train, test = corpus.split_by_family(examples)
    held = {group[ex.family] for ex in test}
    assert not {group[ex.family] for ex in train} & held
    a = corpus.Example("pasame el cel de la señora Medina", "technician", "tech_agenda", "x:1")
    b = corpus.Example("pasame el cel de la sra. Medina", "technician", "tech_agenda", "y:7")
    c = corpus.Example("llego en veinte minutos", "technician", "tech_on_the_way", "z:2")
    linked = corpus.linked_families([a, b, c])
    assert linked["x:1"] == linked["y:7"] != linked["z:2"]


def test_held_out_score(report):
    # Families the model never saw, their rule-made variants too. The target is 0.95;
    # this floor keeps what is reached today (0.936 on 4,693 held-out messages of a corpus whose
    # newer files were written for the hardest confusions; 0.926 on variants, 0.925 without
    # context) from slipping back, with under a point of room for the split's noise.
    assert report.accuracy >= 0.93, report.per_intent
    assert report.variant_accuracy >= 0.915
    # read without context, as the contract's command line reads them: a customer's "¿sigue en
    # pie lo del jueves?" must say job_status on its own words
    assert report.no_context_accuracy >= 0.915
    assert report.held_out_size >= 800


def test_confidence_is_calibrated(report):
    # Answers above the asking threshold are right more often than answers overall, and the
    # bot asks on a minority of messages.
    assert report.confident_accuracy > report.accuracy
    assert report.ask_rate <= 0.2
    assert 0 < ASK_BELOW < 1


def test_every_extraction_says_how_sure_it_is():
    result = extract("se me rompió el calefón, ¿pueden venir mañana?", "customer", NOW)
    assert result.intent == "new_job" and 0.5 < result.confidence <= 1
    assert result.alternatives[0] == "new_job" and len(set(result.alternatives)) > 1
    assert "confidence" not in result.answer("x")  # the contract's output stays the same


@pytest.mark.parametrize(("text", "without", "with_job"), [
    ("necesito cambiar para el jueves", {"new_job"}, {"reschedule"}),
    ("¿sigue en pie lo de mañana?", {"job_status"}, {"job_status"}),
])
def test_an_open_job_changes_what_a_sentence_means(text, without, with_job):
    alone = extract(text, "customer", NOW).intent
    booked = extract(text, "customer", NOW, context=Context(open_job="scheduled")).intent
    assert alone in without
    assert booked in with_job


@pytest.mark.parametrize("text", ["hola?", "Buen día", "Buenas", "hola, cómo estás?", "buenas tardes",
                                  "Hola, buenas noches!"])
@pytest.mark.parametrize("role", ["customer", "technician"])
@pytest.mark.parametrize("context", [None, Context(asked="day"), Context(asked="confirm"),
                                     Context(asked="address", open_job="scheduled"),
                                     Context(asked="which_job", open_job="on_site")])
def test_a_greeting_and_nothing_else_is_a_greeting_whatever_the_bot_asked(text, role, context):
    # someone coming back to the conversation: the flow says hello and asks again
    assert extract(text, role, NOW, context=context).intent == "greeting"


@pytest.mark.parametrize("text", ["mejor el jueves", "el jueves a la tarde"])
def test_a_day_answering_the_bots_question_is_part_of_the_booking(text):
    # asked "¿qué día te queda bien?" while booking: a day, not a move of some other visit
    asked = extract(text, "customer", NOW, context=Context(asked="day")).intent
    booked = extract(text, "customer", NOW, context=Context(open_job="scheduled")).intent
    assert (asked, booked) == ("new_job", "reschedule")


def test_the_cli_reads_an_optional_context(tmp_path):
    cases = [
        {"id": "a", "role": "customer", "now": NOW.isoformat(), "text": "mejor el jueves",
         "context": {"asked": "day"}},
        {"id": "b", "role": "customer", "now": NOW.isoformat(), "text": "mejor el jueves",
         "context": {"open_job": "scheduled"}},
        {"id": "c", "role": "customer", "now": NOW.isoformat(), "text": "mejor el jueves"},
    ]
    done = subprocess.run([sys.executable, "-m", "nlu", "extract", "--jsonl"],
                          input="\n".join(json.dumps(c) for c in cases), capture_output=True,
                          text=True, cwd=ROOT, timeout=120, check=True)
    answers = {a["id"]: a for a in map(json.loads, done.stdout.splitlines())}
    assert answers["b"]["intent"] == "reschedule" and answers["a"]["intent"] == "new_job"
    assert set(answers["a"]) == set(answers["b"]) == set(answers["c"])  # same contract fields
    assert "confidence" not in answers["a"]


def test_variants_keep_their_label_and_family():
    import random

    example = corpus.Example("¿Me pasás el alias para transferirte?", "customer", "payment",
                             "t:1")
    made = corpus.variants(example, random.Random(1))
    assert made and all(v.intent == "payment" and v.family == "t:1" for v in made)
    assert {v.variant for v in made} >= {"typed", "spoken"}
    assert all(v.text != example.text for v in made)


def test_the_rows_made_for_part_of_the_corpus_are_those_made_for_it_within_the_whole():
    # The install reads each row's features once for the app's model and the held-out one
    # (model.build): that holds only if an example's variants do not depend on its neighbours.
    def key(ex):
        return ex.text, ex.role, ex.intent, ex.family, ex.variant, tuple(sorted(ex.context.items()))

    sample = corpus.load()[::60]
    whole = [key(row) for row in corpus.augmented(sample)]
    assert whole == [key(row) for ex in sample for row in corpus.augmented([ex])]
    assert {key(row) for row in corpus.augmented(sample[1::3])} < set(whole)
    assert {row[4] for row in whole} == {"written", "typed", "spoken", "shouted", "no_context"}


def test_family_groups_are_compared_once_per_checkout(tmp_path, monkeypatch):
    rows = [corpus.Example("se me rompió el calefón", "customer", "new_job", "a:1"),
            corpus.Example("se me rompio el calefon!", "customer", "new_job", "b:1"),
            corpus.Example("¿a qué hora vienen?", "customer", "job_status", "c:1")]
    monkeypatch.setattr(corpus, "CACHE_DIR", tmp_path)
    monkeypatch.setattr(corpus, "_GROUPS", {})
    groups = corpus.linked_families(rows)
    assert groups["a:1"] == groups["b:1"] != groups["c:1"]
    [saved] = tmp_path.glob("families-*.json")
    monkeypatch.setattr(corpus, "_GROUPS", {})  # a new process: read from the file, not compared
    monkeypatch.setattr(corpus, "_linked_families", lambda examples: pytest.fail("compared again"))
    assert corpus.linked_families(rows) == groups
    saved.unlink()
    monkeypatch.setattr(corpus, "_GROUPS", {})
    with pytest.raises(pytest.fail.Exception, match="compared again"):
        corpus.linked_families(rows[:2])  # other rows: other groups


@pytest.mark.parametrize(("text", "role", "intent"), [
    # What Whisper makes of voice notes: no punctuation, fillers, misheard words, digits.
    ("eh bueno nada termine lo de garcia cambie el flexibe y la canilla cobrale 15.000 pesos",
     "technician", "tech_job_done"),
    ("este estoy yendo para lo de la señora ruis llego en 20 minutos", "technician",
     "tech_on_the_way"),
    ("hola eh se me rompio el cale fon no sale agua caliente pueden venir mañana a la tarde",
     "customer", "new_job"),
    ("eh no pude terminar falta el repuesto de la valvula vuelvo el jueves", "technician",
     "tech_cannot_complete"),
])
def test_voice_transcripts_with_typical_errors(text, role, intent):
    assert extract(text, role, NOW).intent == intent
