"""Voice-note transcription.

Placeholder until the NLU issue lands faster-whisper: it hears nothing and says so, and the
bot tells the customer it cannot listen to audio yet (templates/whatsapp/audio_placeholder.txt).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Transcription:
    text: str | None
    status: str  # done, failed (silent, corrupt, too long), placeholder (no transcriber)
    reason: str | None = None
    language: str = "es"
    duration: float | None = None
    seconds: float = 0.0


def transcribe(path: str | Path, *, vocabulary: tuple[str, ...] = ()) -> Transcription:
    if not Path(path).is_file():
        return Transcription(None, "failed", "file not found")
    return Transcription(None, "placeholder", "no speech-to-text backend installed yet")
