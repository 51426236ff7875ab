"""The RQ queues and the Redis connection every worker, scheduler and enqueuer shares."""

from __future__ import annotations

from redis import Redis
from rq import Queue

from core.settings import Settings

# Workers listen in this order: what a customer is waiting for first, housekeeping last.
HIGH = "high"
DEFAULT = "default"
LOW = "low"
# Downloading media and transcribing voice notes: a queue with a worker of its own
# (`python -m workers.worker --transcription`), the one process that loads the Whisper model
# (~240 MB), so a burst of voice notes never holds up a reply and no other process grows.
VOICE = "voice"
WORKER_QUEUES = (HIGH, DEFAULT, LOW)  # the general workers'
TRANSCRIPTION_QUEUES = (VOICE,)  # the transcription worker's
QUEUE_NAMES = (*WORKER_QUEUES, *TRANSCRIPTION_QUEUES)  # every queue (metrics, tests)


def redis_connection(settings: Settings) -> Redis:
    """A Redis client for RQ (bytes in and out: RQ does its own decoding)."""
    return Redis.from_url(settings.redis_url, socket_connect_timeout=5)


def get_queue(name: str, connection: Redis) -> Queue:
    if name not in QUEUE_NAMES:
        raise ValueError(f"unknown queue '{name}' (known: {', '.join(QUEUE_NAMES)})")
    return Queue(name, connection=connection)
