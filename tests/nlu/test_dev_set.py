"""The offline rules against the shared dev set, scored by the shared evaluator."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "nlu"
INTENT_TARGET, FIELD_TARGET, ALL_RIGHT_TARGET = 0.95, 0.90, 0.80


@pytest.mark.skipif(not (SHARED / "dev.jsonl").exists(), reason="shared dev set not present")
def test_rules_meet_dev_targets():
    cmd = f'"{sys.executable}" -m nlu extract --jsonl'
    proc = subprocess.run(
        [
            sys.executable,
            str(SHARED / "evaluate.py"),
            str(SHARED / "dev.jsonl"),
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
