"""The offline rules against the shared dev set, and against our own cases written apart from it
(other sentences, names, streets and dates: a guard against rules that only fit the dev set),
both scored by the shared evaluator."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "nlu"
INTENT_TARGET, FIELD_TARGET, ALL_RIGHT_TARGET = 0.95, 0.90, 0.80


OWN = REPO / "tests" / "data" / "nlu" / "own.jsonl"
# 240 cases a helper wrote from the contract alone, never reading the dev set or the corpus
# (every field labelled, urgency on every new job, many calm ones): 90.8% all fields right
# when written, 97.1% after fixing the categories its misses showed (durations, windows,
# weekday-day numbers, streets named after dates, thousands, "gamba").
FIELDS = REPO / "tests" / "data" / "nlu" / "fields_blind.jsonl"
# 360 cases another helper wrote from the contract alone (every intent of every role, bursts,
# voice style, tricky keywords). Scored as written: intent 94-95%, all fields 81%; its author
# corrected 16 labels the contract contradicts or leaves open and reported the real misses to
# us as categories only (we never read the cases), which we fixed as categories.
INDEPENDENT = REPO / "tests" / "data" / "nlu" / "intent_independent.jsonl"
# 220 cases a third helper wrote from the contract alone as a conurbano receptionist would have
# received them (voice style, capitals, signatures, numbers in words). As written: intent 99.1%,
# all fields 94.1%; its misses were fixed as categories (names in capitals or followed by a
# place, signatures with a title, days and house numbers in words, a running toilet tank).
OUTSIDE_B = REPO / "tests" / "data" / "nlu" / "outside_b.jsonl"


@pytest.mark.skipif(not (SHARED / "evaluate.py").exists(), reason="shared evaluator not present")
@pytest.mark.parametrize("cases", [SHARED / "dev.jsonl", OWN, FIELDS, INDEPENDENT, OUTSIDE_B],
                         ids=["dev", "own", "fields", "independent", "outside_b"])
def test_rules_meet_dev_targets(cases):
    cmd = f'"{sys.executable}" -m nlu extract --jsonl'
    proc = subprocess.run(
        [
            sys.executable,
            str(SHARED / "evaluate.py"),
            str(cases),
            "--cmd",
            cmd,
            "--json",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    figures = ", ".join(f"{k}={v['acc']:.3f}" for k, v in result["fields"].items())
    summary = (
        f"intent={result['intent']:.3f} all_right={result['all_right']:.3f} "
        f"answered={result['answered']}/{result['n']}; {figures}"
    )
    assert result["answered"] == result["n"], summary
    assert result["intent"] >= INTENT_TARGET, summary
    low = {k: v["acc"] for k, v in result["fields"].items() if v["acc"] < FIELD_TARGET}
    assert not low, f"fields below {FIELD_TARGET}: {low}; {summary}"
    assert result["all_right"] >= ALL_RIGHT_TARGET, summary
