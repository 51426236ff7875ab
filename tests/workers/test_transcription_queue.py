"""Voice notes are transcribed on a queue of their own, by the one worker that loads Whisper."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from rq import Queue
from rq import Worker as RQWorker
from rq.job import Job
from rq.registry import FailedJobRegistry, FinishedJobRegistry

from services.dispatch import Dispatcher
from services.queues import HIGH, TRANSCRIPTION_QUEUES, VOICE, WORKER_QUEUES
from workers.outage import Outage
from workers.worker import Worker

ROOT = Path(__file__).resolve().parents[2]


def test_media_is_fetched_and_transcribed_on_the_voice_queue(redisdb):
    Dispatcher(redisdb).fetch_media(7, 42)

    assert Queue(VOICE, connection=redisdb).job_ids == ["media-42"]
    assert all(Queue(name, connection=redisdb).count == 0 for name in WORKER_QUEUES)
    assert VOICE not in WORKER_QUEUES and TRANSCRIPTION_QUEUES == (VOICE,)


def test_the_general_worker_hands_a_transcription_over_instead_of_running_it(redisdb):
    """A fetch_media job left on the high queue (enqueued before the voice queue existed) goes to
    the transcription worker; the general worker runs everything else as before."""
    high = Queue(HIGH, connection=redisdb)
    high.enqueue("workers.tasks.fetch_media", 7, 43, job_id="media-43")
    high.enqueue("workers.tasks.noop", job_id="noop-1")
    worker = Worker([Queue(name, connection=redisdb) for name in WORKER_QUEUES], connection=redisdb)
    log = logging.getLogger("test")
    worker.outage, worker.database = Outage("redis", log), Outage("database", log)

    worker.work(burst=True)

    job = Job.fetch("media-43", connection=redisdb)
    assert job.get_status() == "queued" and job.origin == VOICE
    assert Queue(VOICE, connection=redisdb).job_ids == ["media-43"]
    assert redisdb.llen(high.intermediate_queue_key) == 0
    assert "media-43" not in FailedJobRegistry(HIGH, connection=redisdb)
    assert FinishedJobRegistry(HIGH, connection=redisdb).get_job_ids() == ["noop-1"]


def _maps_ctranslate2(pid: int) -> bool:
    return "ctranslate2" in Path(f"/proc/{pid}/maps").read_text()


def test_only_the_transcription_worker_loads_the_whisper_model(redisdb, redis_url, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "SYSTEM_DATABASE_URL"}
    env.update(ENV="test", LOG_JSON="false", REDIS_URL=redis_url, PYTHONUNBUFFERED="1",
               DATABASE_URL=f"sqlite:///{tmp_path / 'campotech.db'}")
    logs = {name: (tmp_path / f"{name}.log").open("wb") for name in ("general", "transcription")}
    procs = {
        "general": subprocess.Popen([sys.executable, "-m", "workers.worker"], cwd=ROOT, env=env,
                                    stdout=logs["general"], stderr=subprocess.STDOUT),
        "transcription": subprocess.Popen([sys.executable, "-m", "workers.worker", "--transcription"],
                                          cwd=ROOT, env=env, stdout=logs["transcription"],
                                          stderr=subprocess.STDOUT),
    }
    try:
        deadline = time.monotonic() + 180
        listening: dict[tuple[str, ...], int] = {}
        while len(listening) < 2:
            for name, proc in procs.items():
                assert proc.poll() is None, (tmp_path / f"{name}.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "the two workers did not start"
            listening = {tuple(w.queue_names()): w.pid for w in RQWorker.all(connection=redisdb)}
            time.sleep(0.2)

        assert listening == {WORKER_QUEUES: procs["general"].pid,
                             TRANSCRIPTION_QUEUES: procs["transcription"].pid}
        # Warmed before it took a job: the model is mapped already; never in the general worker.
        assert _maps_ctranslate2(procs["transcription"].pid)
        assert not _maps_ctranslate2(procs["general"].pid)
        assert "transcription model warm" in (tmp_path / "transcription.log").read_text()
    finally:
        for proc in procs.values():
            proc.send_signal(signal.SIGTERM)
        for proc in procs.values():
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for out in logs.values():
            out.close()
