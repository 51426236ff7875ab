"""Voice bench, transcription: a fresh child process does what the transcription worker does
(production options) or decodes the clips with every `--sweep` variant interleaved; the parent
turns its timings and texts into speed, WER and intent figures."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from typing import Any

from bench._procs import memory_mb
from bench._text import words
from bench.voice_wer import ROOT, edits, intent_accuracy, wer_summary

# Decoding options compared by --sweep: overrides of `whisper_local.decoding_options` (for each
# clip's length), plus the model's "compute_type", "threads" and "encoder_padding" (frames of a
# window's padding the encoder hears after the audio; None: the whole 30-s window).
# ("chunk_length" is left out: faster-whisper pads every window to 30 s before the encoder, so it
# changed nothing.)
BEFORE = {"without_timestamps": False, "encoder_padding": None}  # the options before #20
VARIANTS: dict[str, dict[str, Any]] = {
    "production": {},
    "before": BEFORE,
    "before_beam5_patience2": {**BEFORE, "beam_size": 5, "patience": 2.0},  # loops on a dev clip
    "whole_window": {"encoder_padding": None},
    "encoder_padding_0": {"encoder_padding": 0},
    "encoder_padding_3s": {"encoder_padding": 300},
    "with_timestamps": {"without_timestamps": False},
    "beam3": {"beam_size": 3},
    "beam5": {"beam_size": 5},
    "beam5_patience2": {"beam_size": 5, "patience": 2.0},
    "beam5_best_of5_fallback": {"beam_size": 5, "best_of": 5,
                                "temperature": [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]},
    "no_vad": {"vad_filter": False},
    "no_prompt": {"initial_prompt": None},
    "hotwords_not_prompt": {"initial_prompt": None, "hotwords": "PROMPT"},
    "threads2": {"threads": 2},
    "float32": {"compute_type": "float32"},
    "temperature_fallback": {"temperature": [0.0, 0.2, 0.4, 0.6, 0.8, 1.0],
                             "compression_ratio_threshold": 2.4},
    "no_repeat_ngram_3": {"no_repeat_ngram_size": 3},
    "no_repeat_ngram_5": {"no_repeat_ngram_size": 5},
    "repetition_penalty_1.1": {"repetition_penalty": 1.1},
    "repetition_penalty_1.3": {"repetition_penalty": 1.3},
}


# ---------------------------------------------------------------------------------------------
# The child process: what the transcription worker does, measured


def _child_production(spec: dict) -> dict:
    started = time.perf_counter()
    import faster_whisper  # noqa: F401 - timed: what a worker pays at start

    imported = time.perf_counter() - started
    from core.settings import get_settings
    from nlu import whisper_local

    settings = get_settings()
    t0 = time.perf_counter()
    whisper_local.get_model(settings)
    load = time.perf_counter() - t0
    after_load = memory_mb()
    warm = whisper_local.warm(settings)
    raw_texts: list[str] = []
    guard = whisper_local.collapse_repeats

    def recording_guard(text: str) -> str:  # the model's text before the guard, for its WER
        raw_texts.append(text)
        return guard(text)

    whisper_local.collapse_repeats = recording_guard
    prompt = whisper_local.build_prompt()
    rows = []
    for clip in spec["clips"]:
        raw_texts.clear()
        cpu0, wall0 = time.process_time(), time.perf_counter()
        result = whisper_local.transcribe_file(clip["path"], settings, prompt)
        rows.append({"id": clip["id"], "status": result.status, "duration": result.duration,
                     "seconds": round(time.perf_counter() - wall0, 3),
                     "cpu_seconds": round(time.process_time() - cpu0, 3),
                     "text": result.text, "raw": raw_texts[0] if raw_texts else result.text})
    return {"import_seconds": round(imported, 3), "model_load_seconds": round(load, 3),
            "warm_seconds": round(warm, 3), "memory_after_load": after_load,
            "memory_after_clips": memory_mb(), "clips": rows,
            "options_for_a_15s_note": whisper_local.decoding_options(settings, "PROMPT", 15.0),
            "threads": settings.whisper_threads, "compute_type": whisper_local.COMPUTE_TYPE,
            "encoder_padding_frames": whisper_local.ENCODER_PADDING_FRAMES}


def _child_sweep(spec: dict) -> dict:
    from core.settings import get_settings
    from nlu import whisper_local

    settings = get_settings()
    prompt = whisper_local.build_prompt()
    models: dict[tuple[str, int], Any] = {}
    audio = {c["id"]: whisper_local.decode(c["path"]) for c in spec["clips"]}
    results: dict[str, dict[str, dict]] = {name: {} for name in spec["variants"]}

    def model_for(variant: dict) -> Any:
        key = (variant.get("compute_type", whisper_local.COMPUTE_TYPE),
               int(variant.get("threads", settings.whisper_threads)))
        if key not in models:
            models[key] = whisper_local.load_model(settings.whisper_model_dir, key[1], key[0])
            whisper_local.transcribe_raw(models[key], audio[spec["clips"][0]["id"]],
                                         whisper_local.decoding_options(settings, prompt, 5.0))
        return models[key]

    for round_ in range(spec["rounds"]):
        for clip in spec["clips"]:
            samples = audio[clip["id"]]
            for name, variant in spec["variants"].items():
                overrides = {k: v for k, v in variant.items()
                             if k not in ("compute_type", "threads", "encoder_padding")}
                if overrides.get("chunk_length") == "fit":
                    overrides["chunk_length"] = min(30, math.ceil(len(samples) / whisper_local.SAMPLE_RATE))
                if overrides.get("hotwords") == "PROMPT":
                    overrides["hotwords"] = prompt
                model = model_for(variant)
                model.encoder_padding = variant.get("encoder_padding",
                                                    whisper_local.ENCODER_PADDING_FRAMES)
                options = whisper_local.decoding_options(
                    settings, prompt, len(samples) / whisper_local.SAMPLE_RATE, **overrides)
                cpu0, wall0 = time.process_time(), time.perf_counter()
                raw = whisper_local.transcribe_raw(model, samples, options)
                cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
                row = results[name].setdefault(clip["id"], {"cpu": [], "wall": []})
                row["cpu"].append(round(cpu, 3))
                row["wall"].append(round(wall, 3))
                if round_ == 0:
                    row["raw"] = raw
                    row["text"] = whisper_local.collapse_repeats(raw)
    return {"results": results, "memory": memory_mb()}


def run_child(mode: str, spec: dict) -> dict:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "voice.py"), "--child", mode],
                          input=json.dumps(spec), cwd=ROOT, env=env, capture_output=True, text=True,
                          check=False, timeout=3600)
    if proc.returncode != 0:
        raise SystemExit(f"the {mode} child failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------------------------
# Transcription figures


def bench_transcription(clips: list[dict]) -> dict:
    data = run_child("production", {"clips": [{"id": c["id"], "path": c["path"]} for c in clips]})
    reference = {c["id"]: c["text"] for c in clips}
    rows, guarded, raw = [], [], []
    for row in data["clips"]:
        e, n = edits(reference[row["id"]], row["text"])
        e_raw, _ = edits(reference[row["id"]], row["raw"])
        guarded.append((e, n))
        raw.append((e_raw, n))
        duration = row["duration"] or 0
        rows.append({
            "id": row["id"], "status": row["status"], "audio_seconds": duration,
            "seconds": row["seconds"], "cpu_seconds": row["cpu_seconds"],
            "rtf": round(row["seconds"] / duration, 3) if duration else None,
            "wer": round(e / max(1, n), 3), "wer_without_guard": round(e_raw / max(1, n), 3),
            "text": row["text"], **({"raw": row["raw"]} if row["raw"] != row["text"] else {}),
        })
    audio = sum(r["audio_seconds"] for r in rows)
    wall = sum(r["seconds"] for r in rows)
    cpu = sum(r["cpu_seconds"] for r in rows)
    looping = [r["id"] for r in rows
               if len(words(r.get("raw") or r["text"])) > 1.5 * len(words(reference[r["id"]]))]
    return {
        "clips": len(rows), "audio_seconds": round(audio, 2),
        "seconds": round(wall, 2), "cpu_seconds": round(cpu, 2),
        "rtf": round(wall / audio, 3), "cpu_rtf": round(cpu / audio, 3),
        "times_real_time": round(audio / wall, 2),
        **wer_summary(guarded),
        "intent_accuracy": intent_accuracy(clips, {r["id"]: r["text"] for r in rows}),
        "without_guard": wer_summary(raw),
        "looping_clips_without_guard": looping,
        "import_seconds": data["import_seconds"], "model_load_seconds": data["model_load_seconds"],
        "warm_up_seconds": data["warm_seconds"],
        "process_memory_after_load": data["memory_after_load"],
        "process_memory_after_clips": data["memory_after_clips"],
        "compute_type": data["compute_type"], "threads": data["threads"],
        "encoder_padding_frames": data["encoder_padding_frames"],
        "options_for_a_15s_note": data["options_for_a_15s_note"],
        "by_clip": rows,
    }


def bench_sweep(clips: list[dict], names: list[str], rounds: int) -> dict:
    variants = {name: VARIANTS[name] for name in names}
    data = run_child("sweep", {"clips": [{"id": c["id"], "path": c["path"]} for c in clips],
                               "variants": variants, "rounds": rounds})
    reference = {c["id"]: c["text"] for c in clips}
    duration = {c["id"]: c["duration"] for c in clips}
    base = data["results"].get("production")
    out: dict[str, Any] = {}
    for name, by_clip in data["results"].items():
        guarded = [edits(reference[i], r["text"]) for i, r in by_clip.items()]
        raw = [edits(reference[i], r["raw"]) for i, r in by_clip.items()]
        cpu = sum(min(r["cpu"]) for r in by_clip.values())
        wall = sum(min(r["wall"]) for r in by_clip.values())
        audio = sum(duration[i] for i in by_clip)
        row: dict[str, Any] = {
            "options": variants[name], **wer_summary(guarded),
            "intent_accuracy": intent_accuracy(clips, {i: r["text"] for i, r in by_clip.items()}),
            "wer_without_guard": wer_summary(raw)["wer"],
            "cpu_seconds": round(cpu, 2), "cpu_rtf": round(cpu / audio, 3),
            "wall_seconds": round(wall, 2), "rtf": round(wall / audio, 3),
        }
        if base is not None:
            base_cpu = sum(min(r["cpu"]) for r in base.values())
            row["cpu_ratio_to_production"] = round(cpu / base_cpu, 3)
            # The ~15-s note: the longest clips' time, the figure the 4-s target hangs on.
            long_ids = [i for i in by_clip if duration[i] >= 12]
            if long_ids:
                row["long_clips_cpu_seconds"] = {i: min(by_clip[i]["cpu"]) for i in long_ids}
        row["texts"] = {i: r["text"] for i, r in by_clip.items()}
        row["raw_where_the_guard_changed_it"] = {i: r["raw"] for i, r in by_clip.items()
                                                 if r["raw"] != r["text"]}
        out[name] = row
    return {"rounds": rounds, "clips": len(clips), "variants": out, "child_memory": data["memory"]}


