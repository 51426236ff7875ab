"""Voice notes: transcription speed, accuracy and memory, and a voice note answered end to end (JSON).

- transcription: a fresh child process does what the transcription worker does (import
  faster-whisper, load the model, warm it), then transcribes each dev voice clip
  (`../shared/nlu/audio.jsonl`) through `nlu.whisper_local.transcribe_file`: seconds, CPU
  seconds, real-time factor (seconds taken per second of audio: below 1 is faster than real
  time), and word error rate against the spoken text, per clip and overall (pooled: all edits
  over all reference words; and the mean of the clips), with the repetition guard
  (`collapse_repeats`) and without it (the model's raw text). Then the child's RSS, PSS and
  peak RSS.
- `--sweep`: decoding options compared on the same clips in one child, interleaved (each clip
  is decoded by every variant in turn, `--rounds` times) so the machine's load falls on all of
  them alike; speed as CPU seconds and as a ratio to the production options in the same run.
- end to end (unless `--skip-stack`): gunicorn in sandbox mode, the general worker, the
  transcription worker and the burst clock on PostgreSQL and Redis. Voice notes (the dev clips
  nearest 15 s, one shorter and one longer) and the same words typed as one text message, each
  from a new sender, alternate; the latency is from the webhook POST to the first reply
  recorded by the Graph stand-in (read from its feed in Redis, so the bench does not load the
  app it measures), in seconds and as a ratio to the text bursts of the same run. Then each
  process's PSS (`/proc/<pid>/smaps_rollup`) and whether it maps CTranslate2 (holds a Whisper
  model). `--quiet` sets the burst quiet window (default 4 s, the settings').

The machine has 2 cores shared with others: the load average is printed before and after, and
CPU seconds are given beside wall seconds (CPU time is what the load does not inflate much).
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import platform
import re
import subprocess
import sys
import time
import unicodedata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "nlu"
sys.path.insert(0, str(ROOT))

PHONE_NUMBER_ID = "100000000000890"
SECRET = "bench-app-secret"
EVERY_DAY = {d: [["00:00", "23:59"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
TARGETS = {"wer_max": 0.40, "voice_note_15s_seconds_max": 4.0, "pss_mb_max_but_transcription": 400}

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
# Word error rate (the folding bench/nlu.py uses: lower case, no accents, words of [a-z0-9])


def _words(text: str | None) -> list[str]:
    text = unicodedata.normalize("NFKD", (text or "").lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.findall(r"[a-z0-9]+", text)


def edits(reference: str, hypothesis: str | None) -> tuple[int, int]:
    """(word edits, reference words) between the spoken text and a transcript."""
    ref, hyp = _words(reference), _words(hypothesis)
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        current = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h))
        previous = current
    return previous[-1], len(ref)


def wer_summary(pairs: list[tuple[int, int]]) -> dict[str, float]:
    """Pooled WER (all edits over all reference words) and the mean of the clips' WERs."""
    total_edits, total_words = sum(e for e, _ in pairs), sum(n for _, n in pairs)
    return {"wer": round(total_edits / max(1, total_words), 3),
            "mean_clip_wer": round(sum(e / max(1, n) for e, n in pairs) / max(1, len(pairs)), 3)}


def intent_accuracy(clips: list[dict], texts: dict[str, str | None]) -> float:
    """Share of clips whose transcript the offline extractor reads as the expected intent (what
    the flows read: the transcript tidied as `engine._heard` does, without organization words)."""
    from datetime import datetime

    from nlu.extract import extract, spoken

    right = 0
    for clip in clips:
        tidy = spoken.default().tidy(texts.get(clip["id"]) or "")
        got = extract(tidy, clip["role"], datetime.fromisoformat(clip["now"]))
        right += got.intent == clip["expect"].get("intent")
    return round(right / max(1, len(clips)), 3)


def cases() -> list[dict]:
    rows = [json.loads(line) for line in (SHARED / "audio.jsonl").read_text().splitlines() if line.strip()]
    for row in rows:
        row["path"] = str(SHARED / row["audio"])
    return rows


# ---------------------------------------------------------------------------------------------
# Process memory


def memory_mb(pid: int | str = "self") -> dict[str, float | None]:
    """RSS and PSS (MB) from smaps_rollup, peak RSS from status; None where unreadable."""
    out: dict[str, float | None] = {"rss_mb": None, "pss_mb": None, "peak_rss_mb": None}
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("Rss", "Pss"):
                out[f"{key.lower()}_mb"] = round(int(value.split()[0]) / 1024, 1)
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                out["peak_rss_mb"] = round(int(line.split()[1]) / 1024, 1)
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return out


def maps_ctranslate2(pid: int) -> bool | None:
    try:
        return "ctranslate2" in Path(f"/proc/{pid}/maps").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None


def children_of(pid: int) -> list[int]:
    try:
        raw = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return []
    return [int(p) for p in raw.split()]


def cpu_seconds_of(pid: int) -> float | None:
    """User + system CPU seconds a process has used so far."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = raw[raw.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", mode],
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
               if len(_words(r.get("raw") or r["text"])) > 1.5 * len(_words(reference[r["id"]]))]
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


# ---------------------------------------------------------------------------------------------
# End to end on a running stack


class Stack:
    """gunicorn (sandbox Graph stand-in), the general worker, the transcription worker, the clock."""

    def __init__(self, settings, port: int) -> None:
        self.settings, self.port = settings, port
        bindir = Path(sys.executable).parent
        quiet = {"cwd": ROOT, "env": os.environ.copy(),
                 "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        self.started = time.monotonic()
        self.procs = {
            "web": subprocess.Popen([str(bindir / "gunicorn"), "wsgi:app", "--bind", f"127.0.0.1:{port}",
                                     "--workers", "2", "--threads", "4", "--worker-class", "gthread",
                                     "--no-control-socket", "--log-level", "warning"], **quiet),
            "worker": subprocess.Popen([sys.executable, "-m", "workers.worker"], **quiet),
            "transcription_worker": subprocess.Popen(
                [sys.executable, "-m", "workers.worker", "--transcription"], **quiet),
            "clock": subprocess.Popen([sys.executable, "-m", "workers.clock"], **quiet),
        }
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict | None = None) -> tuple[int, bytes]:
        for attempt in range(50):
            try:
                self.conn.request(method, path, body=body, headers=headers or {})
                resp = self.conn.getresponse()
                return resp.status, resp.read()
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
                if attempt == 49:
                    raise
                time.sleep(0.2)
        raise AssertionError("unreachable")

    def wait_ready(self, redis) -> float:
        """Seconds from start until web answers and both workers listen (the general one after
        loading the intent model, the transcription worker after its warm-up)."""
        from rq import Worker

        from services.queues import TRANSCRIPTION_QUEUES, WORKER_QUEUES

        deadline = time.monotonic() + 300
        while self.request("GET", "/healthz")[0] != 200:
            time.sleep(0.2)
        while {tuple(w.queue_names()) for w in Worker.all(connection=redis)} \
                != {WORKER_QUEUES, TRANSCRIPTION_QUEUES}:
            if time.monotonic() > deadline:
                raise SystemExit("the transcription worker did not start")
            for name, proc in self.procs.items():
                if proc.poll() is not None:
                    raise SystemExit(f"{name} exited with {proc.returncode}")
            time.sleep(0.1)
        return time.monotonic() - self.started

    def processes(self) -> dict[str, list[int]]:
        out = {name: [proc.pid] for name, proc in self.procs.items()}
        out["web"] += children_of(self.procs["web"].pid)  # gunicorn's workers
        return out

    def stop(self) -> None:
        for proc in self.procs.values():
            proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _post_webhook(stack: Stack, payload: dict) -> float:
    from bot import simulator

    body = simulator.encode(payload)
    sent = time.time()
    status, _ = stack.request("POST", "/webhooks/whatsapp", body, {
        "Content-Type": "application/json", "X-Hub-Signature-256": simulator.sign(SECRET, body)})
    if status != 200:
        raise SystemExit(f"webhook answered {status}")
    return sent


def _first_reply_at(redis, cursor: str, wa_id: str, timeout: float) -> tuple[float, str, str]:
    """The stand-in's record time of the first message to `wa_id` after `cursor` (its feed)."""
    from bot.sandbox_graph import FEED

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for _stream, entries in redis.xread({FEED: cursor}, block=100) or []:
            for entry_id, fields in entries:
                cursor = entry_id.decode()
                if fields.get(b"kind") != b"message":
                    continue
                record = json.loads(fields[b"record"])
                if record["to"] == wa_id:
                    return float(record["at"]), cursor, record.get("preview", "")
    raise SystemExit(f"no reply to {wa_id} within {timeout} s")


def _feed_cursor(redis) -> str:
    from bot.sandbox_graph import FEED

    last = redis.xrevrange(FEED, count=1)
    return last[0][0].decode() if last else "0-0"


def _job_times(redis) -> dict[str, dict]:
    """Per task on every queue: count, mean queue wait and mean run time (ms)."""
    from rq import Queue
    from rq.job import Job
    from rq.registry import FinishedJobRegistry

    from services.queues import QUEUE_NAMES

    out: dict[str, dict[str, list[float]]] = {}
    for name in QUEUE_NAMES:
        registry = FinishedJobRegistry(queue=Queue(name, connection=redis))
        for job in Job.fetch_many(registry.get_job_ids(), connection=redis):
            if job is None or not (job.enqueued_at and job.started_at and job.ended_at):
                continue
            row = out.setdefault(f"{name}:{job.func_name.rsplit('.', 1)[-1]}", {"wait": [], "run": []})
            row["wait"].append((job.started_at - job.enqueued_at).total_seconds())
            row["run"].append((job.ended_at - job.started_at).total_seconds())
    return {k: {"count": len(v["run"]), "mean_wait_ms": round(1000 * sum(v["wait"]) / len(v["wait"]), 1),
                "mean_run_ms": round(1000 * sum(v["run"]) / len(v["run"]), 1)} for k, v in sorted(out.items())}


def _fetch_jobs(redis) -> list[dict]:
    """Each voice note's fetch_media job, in the order they were enqueued: queue wait and run."""
    from rq import Queue
    from rq.job import Job
    from rq.registry import FinishedJobRegistry

    from services.queues import VOICE

    registry = FinishedJobRegistry(queue=Queue(VOICE, connection=redis))
    jobs = [j for j in Job.fetch_many(registry.get_job_ids(), connection=redis)
            if j is not None and j.enqueued_at and j.started_at and j.ended_at]
    return [{"wait_s": round((j.started_at - j.enqueued_at).total_seconds(), 3),
             "run_s": round((j.ended_at - j.started_at).total_seconds(), 3)}
            for j in sorted(jobs, key=lambda j: j.enqueued_at)]


def bench_end_to_end(notes: list[dict], rounds: int, quiet: float) -> dict:
    from redis import Redis

    from bench._infra import free_port, percentile, stack
    from bot import simulator
    from core.db import Database
    from core.organizations import create_organization

    port = free_port()
    with stack(whatsapp_app_secret=SECRET, whatsapp_access_token=None,
               whatsapp_phone_number_id=PHONE_NUMBER_ID, burst_quiet_seconds=quiet,
               public_base_url=f"http://127.0.0.1:{port}") as settings:
        db = Database(settings)
        with db.system_session() as s:
            create_organization(s, {"name": "Bench", "slug": "bench-voice",
                                    "wa_phone_number_id": PHONE_NUMBER_ID,
                                    "business_hours": EVERY_DAY})
        db.dispose()
        redis = Redis.from_url(settings.redis_url)
        running = Stack(settings, port)
        try:
            ready = running.wait_ready(redis)
            cpu_at_ready = {n: cpu_seconds_of(p) for n, p in
                            ((n, pids[0]) for n, pids in running.processes().items())}
            voice: list[dict] = []
            text: list[float] = []
            n = 0
            for round_ in range(rounds):
                for note in notes:
                    n += 1
                    wa_id = f"5491172{n:06d}"
                    cursor = _feed_cursor(redis)
                    # The same words typed: what the voice note costs beyond them.
                    sent = _post_webhook(running, simulator.text(PHONE_NUMBER_ID, wa_id, note["text"]))
                    at, _, _ = _first_reply_at(redis, cursor, wa_id, 60)
                    text.append(at - sent)

                    n += 1
                    wa_id = f"5491172{n:06d}"
                    status, raw = running.request("POST", "/sandbox/graph/_media",
                                                  Path(note["path"]).read_bytes(),
                                                  {"Content-Type": "audio/ogg"})
                    if status != 201:
                        raise SystemExit(f"media upload answered {status}")
                    media_id = json.loads(raw)["id"]
                    cursor = _feed_cursor(redis)
                    sent = _post_webhook(running, simulator.voice_note(PHONE_NUMBER_ID, wa_id, media_id))
                    at, _, preview = _first_reply_at(redis, cursor, wa_id, 90)
                    voice.append({"clip": note["id"], "audio_seconds": note["duration"],
                                  "round": round_, "seconds": round(at - sent, 3),
                                  "reply": preview[:80]})
            memory = {}
            for name, pids in running.processes().items():
                for i, pid in enumerate(pids):
                    key = name if i == 0 else f"{name}[{i}]"
                    memory[key] = {**memory_mb(pid), "maps_ctranslate2": maps_ctranslate2(pid)}
            cpu_used = {n: round((cpu_seconds_of(p) or 0) - (cpu_at_ready[n] or 0), 2)
                        for n, p in ((n, pids[0]) for n, pids in running.processes().items())}
            jobs = _job_times(redis)
            for note, job in zip(voice, _fetch_jobs(redis), strict=False):
                note["fetch_media"] = job
        finally:
            running.stop()

    voice_seconds = [v["seconds"] for v in voice]
    text_median = percentile(text, 50)

    def by_clip(clip_id: str) -> dict:
        times = [v["seconds"] for v in voice if v["clip"] == clip_id]
        return {"audio_seconds": next(v["audio_seconds"] for v in voice if v["clip"] == clip_id),
                "first": times[0], "warm_median": round(percentile(times[1:] or times, 50), 3),
                "warm_max": round(max(times[1:] or times), 3)}

    ours = [m["pss_mb"] or 0 for m in memory.values()]
    return {
        "quiet_window_seconds": quiet,
        "rounds": rounds,
        "stack_ready_seconds": round(ready, 2),
        "text_burst_seconds": {"median": round(text_median, 3), "max": round(max(text), 3)},
        "voice_note_seconds": {"median": round(percentile(voice_seconds, 50), 3),
                               "max": round(max(voice_seconds), 3)},
        "voice_ratio_to_text_burst": round(percentile(voice_seconds, 50) / text_median, 3),
        "voice_minus_text_seconds": round(percentile(voice_seconds, 50) - text_median, 3),
        "by_clip": {c["id"]: by_clip(c["id"]) for c in notes},
        "notes": voice,
        "process_memory": memory,
        "total_pss_mb": round(sum(ours), 1),
        "largest_pss_mb_but_transcription": max(
            (m["pss_mb"] or 0) for k, m in memory.items() if not k.startswith("transcription")),
        "cpu_seconds_during_run": cpu_used,
        "jobs": jobs,
    }


# ---------------------------------------------------------------------------------------------


def _config(args: argparse.Namespace, clips: list[dict]) -> dict:
    from importlib.metadata import version

    from core.settings import get_settings

    settings = get_settings()
    return {
        "cpus": os.cpu_count(), "python": platform.python_version(),
        "faster_whisper": version("faster-whisper"), "ctranslate2": version("ctranslate2"),
        "whisper_beam_size": settings.whisper_beam_size, "whisper_threads": settings.whisper_threads,
        "transcript_wait_seconds": settings.transcript_wait_seconds,
        "clips": len(clips), "clip_seconds": round(sum(c["duration"] for c in clips), 2),
        "args": vars(args),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--sweep", nargs="*", metavar="VARIANT",
                        help=f"compare decoding options (all, or some of: {', '.join(VARIANTS)})")
    parser.add_argument("--rounds", type=int, default=2, help="--sweep: decodes per clip and variant")
    parser.add_argument("--skip-transcription", action="store_true")
    parser.add_argument("--skip-stack", action="store_true")
    parser.add_argument("--stack-rounds", type=int, default=4,
                        help="end to end: rounds of (text burst, voice note) per note clip")
    parser.add_argument("--quiet", type=float, default=None,
                        help="end to end: the burst quiet window (default: the settings', 4 s)")
    args = parser.parse_args()
    if args.child:
        spec = json.loads(sys.stdin.read())
        result = _child_production(spec) if args.child == "production" else _child_sweep(spec)
        print(json.dumps(result, ensure_ascii=False))
        return

    from core.settings import get_settings
    from nlu.whisper_local import probe_duration

    clips = cases()
    for clip in clips:
        clip["duration"] = round(probe_duration(clip["path"]), 3)
    result: dict[str, Any] = {"benchmark": "voice", "config": _config(args, clips),
                              "load_average_before": [round(x, 2) for x in os.getloadavg()],
                              "targets": TARGETS}
    if not args.skip_transcription:
        result["transcription"] = bench_transcription(clips)
    if args.sweep is not None:
        names = args.sweep or list(VARIANTS)
        if "production" not in names:
            names = ["production", *names]
        result["sweep"] = bench_sweep(clips, names, args.rounds)
    if not args.skip_stack:
        # The clips nearest 15 s on either side: a voice note of that length is the target's.
        notes = [max((c for c in clips if c["duration"] <= 15), key=lambda c: c["duration"]),
                 min((c for c in clips if c["duration"] > 15), key=lambda c: c["duration"])]
        quiet = args.quiet if args.quiet is not None else get_settings().burst_quiet_seconds
        result["end_to_end"] = bench_end_to_end(notes, args.stack_rounds, quiet)
    result["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
