"""NLU speed and the voice subset end to end (JSON).

- extraction: rules-backend extractions per second on one core over the dev set's texts, next to
  a baseline in the same run (folding and tokenizing the same texts: the least any extractor does);
- transcription: real-time factor (audio seconds per second taken) on the voice-note fixtures and
  the shared voice subset, and the peak RSS of a fresh process that loads the model and
  transcribes them (the worker's footprint);
- voice subset (`../shared/nlu/audio.jsonl`): transcription then extraction; intent accuracy
  and word error rate against the spoken text.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
import unicodedata
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "nlu"
sys.path.insert(0, str(ROOT))


def _fold(text: str) -> list[str]:
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.findall(r"[a-z0-9]+", text)


def wer(reference: str, hypothesis: str) -> float:
    ref, hyp = _fold(reference), _fold(hypothesis)
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        current = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h))
        previous = current
    return previous[-1] / max(1, len(ref))


def _cases(name: str) -> list[dict]:
    return [json.loads(line) for line in (SHARED / name).read_text().splitlines() if line.strip()]


def bench_extraction(seconds: float) -> dict:
    from nlu.extract import extract

    cases = _cases("dev.jsonl")
    parsed = [(c["text"], c["role"], datetime.fromisoformat(c["now"])) for c in cases]

    def rate(fn) -> float:
        done, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            for text, role, now in parsed:
                fn(text, role, now)
            done += len(parsed)
        return done / (time.perf_counter() - start)

    for text, role, now in parsed:  # warm up: regexes, tables, imports
        extract(text, role, now)
    ours = rate(extract)
    baseline = rate(lambda text, role, now: _fold(text))
    return {"extractions_per_second": round(ours), "baseline_fold_per_second": round(baseline),
            "ratio_to_baseline": round(ours / baseline, 4), "target_per_second_min": 500}


_CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from nlu.transcribe import transcribe
out = []
for path in sys.argv[1:]:
    r = transcribe(path)
    out.append({"file": Path(path).name, "status": r.status, "duration": r.duration,
                "seconds": r.seconds, "text": r.text})
print(json.dumps({"files": out, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def bench_transcription(paths: list[Path]) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "2"))
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _CHILD, *map(str, paths)], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=False, timeout=900)
    if proc.returncode != 0:
        raise SystemExit(f"transcription child failed: {proc.stderr[-2000:]}")
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    audio = sum(f["duration"] or 0 for f in data["files"])
    taken = sum(f["seconds"] for f in data["files"])
    return {
        "files": len(data["files"]),
        "audio_seconds": round(audio, 1),
        "transcribe_seconds": round(taken, 2),
        "real_time_factor": round(audio / taken, 2) if taken else None,
        "process_wall_seconds": round(time.perf_counter() - started, 2),
        "peak_rss_mb": round(data["peak_rss_mb"]),
        "targets": {"real_time_factor_min": 4, "peak_rss_mb_max": 800},
        "by_file": {f["file"]: f for f in data["files"]},
    }


def bench_voice_subset(transcripts: dict[str, dict]) -> dict:
    from nlu.extract import extract

    cases = _cases("audio.jsonl")
    right, errors, rows = 0, [], []
    for case in cases:
        heard = transcripts.get(Path(case["audio"]).name, {}).get("text") or ""
        got = extract(heard, case["role"], datetime.fromisoformat(case["now"]))
        ok = got.intent == case["expect"].get("intent")
        right += ok
        errors.append(wer(case["text"], heard))
        rows.append({"id": case["id"], "intent_ok": ok, "wer": round(errors[-1], 3), "heard": heard})
    return {"cases": len(cases), "intent_accuracy": round(right / len(cases), 3),
            "mean_wer": round(sum(errors) / len(errors), 3), "target_intent_min": 0.8, "cases_detail": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0, help="per extraction measurement")
    parser.add_argument("--skip-audio", action="store_true")
    args = parser.parse_args()
    result: dict = {"benchmark": "nlu", "extraction": bench_extraction(args.seconds)}
    if not args.skip_audio:
        fixtures = sorted((ROOT / "tests" / "data" / "audio").glob("*.ogg"))
        voice = [SHARED / c["audio"] for c in _cases("audio.jsonl")]
        transcription = bench_transcription(fixtures + voice)
        result["transcription"] = transcription
        result["voice_subset"] = bench_voice_subset(transcription["by_file"])
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
