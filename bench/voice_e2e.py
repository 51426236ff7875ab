"""Voice bench, end to end: gunicorn in sandbox mode, the general worker, the transcription
worker and the burst clock on PostgreSQL and Redis; voice notes and the same words typed, timed
from the webhook POST to the first reply at the Graph stand-in, then each process's PSS and CPU."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bench._http import RetryingConnection, signed_webhook
from bench._procs import children_of, cpu_seconds_of, maps_ctranslate2, memory_mb
from bench.voice_wer import ROOT

PHONE_NUMBER_ID = "100000000000890"
SECRET = "bench-app-secret"
EVERY_DAY = {d: [["00:00", "23:59"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


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
        self.http = RetryingConnection(port, attempts=50)

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict | None = None) -> tuple[int, bytes]:
        return self.http.request(method, path, body, headers)

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
    body, headers = signed_webhook(payload, SECRET)
    sent = time.time()
    status, _ = stack.request("POST", "/webhooks/whatsapp", body, headers)
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
