"""Voice-note transcription: offline faster-whisper (Whisper base), Spanish, domain-prompted.

`transcribe(path)` never raises for bad audio: it answers a Transcription whose status is
"done" or "failed" with a short reason code the bot can fit its reply to:

- not_found: no such file
- corrupt: PyAV cannot open or decode it
- too_long: longer than settings.voice_max_seconds (checked from the container, before decoding)
- silent: no speech (empty, or nothing left after voice-activity detection)

With NLU_TRANSCRIBE_BACKEND=openai an OpenAI-compatible server is asked first; any error there
is logged and the local model answers instead.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from nlu import whisper_local
from nlu.whisper_local import AudioError

if TYPE_CHECKING:
    from core.settings import Settings

log = logging.getLogger("campotech.nlu")


@dataclass(frozen=True)
class Transcription:
    text: str | None
    status: str  # done, failed (reason: not_found, corrupt, too_long, silent)
    reason: str | None = None
    language: str = "es"
    duration: float | None = None  # seconds of audio
    seconds: float = 0.0  # seconds spent


def _openai(path: Path, settings: Settings, prompt: str) -> str | None:
    """The remote transcript, or None (after a warning) when the server cannot give one."""
    try:
        from nlu.openai_backend import transcribe_file

        return transcribe_file(path, settings, prompt or None)
    except Exception as exc:  # noqa: BLE001 - any failure there falls back to the local model
        log.warning("openai transcription of %s failed, using the local model: %s: %s",
                    path.name, type(exc).__name__, exc)
        return None


def transcribe(
    path: str | Path, *, vocabulary: Iterable[str] = (), settings: Settings | None = None
) -> Transcription:
    started = time.perf_counter()
    if settings is None:
        from core.settings import get_settings

        settings = get_settings()
    path = Path(path)

    def failed(reason: str, duration: float | None = None) -> Transcription:
        return Transcription(None, "failed", reason,
                             duration=None if duration is None else round(duration, 3),
                             seconds=time.perf_counter() - started)

    if not path.is_file():
        return failed("not_found")
    try:
        duration = whisper_local.probe_duration(path)
    except AudioError as exc:
        log.info("voice note %s does not open: %s", path.name, exc)
        return failed("corrupt")
    if duration > settings.voice_max_seconds:
        return failed("too_long", duration)

    prompt = whisper_local.build_prompt(vocabulary)
    text: str | None = None
    if settings.nlu_transcribe_backend == "openai":
        text = _openai(path, settings, prompt)
    if text is None:
        try:
            audio = whisper_local.decode(path)
        except AudioError as exc:
            log.info("voice note %s does not decode: %s", path.name, exc)
            return failed("corrupt", duration)
        duration = len(audio) / whisper_local.SAMPLE_RATE or duration
        if len(audio) == 0:
            return failed("silent", duration)
        text = whisper_local.transcribe_samples(audio, settings, prompt)
    text = " ".join(text.split())
    if not text:
        return failed("silent", duration)
    return Transcription(text, "done", None, language="es", duration=round(duration, 3),
                         seconds=time.perf_counter() - started)
