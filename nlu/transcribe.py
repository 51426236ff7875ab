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
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from nlu import whisper_local
from nlu.whisper_local import Transcription

if TYPE_CHECKING:
    from core.settings import Settings

__all__ = ["Transcription", "transcribe", "warm"]

log = logging.getLogger("campotech.nlu")


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
    if settings is None:
        from core.settings import get_settings

        settings = get_settings()
    remote = None
    if settings.nlu_transcribe_backend == "openai":
        def remote(audio: Path, prompt: str) -> str | None:
            return _openai(audio, settings, prompt)
    return whisper_local.transcribe_file(path, settings, whisper_local.build_prompt(vocabulary),
                                         remote=remote)


def warm(settings: Settings) -> float:
    """Load the local model and run it once, before the first note (the transcription worker
    does at start; the OpenAI backend falls back to it); returns seconds."""
    return whisper_local.warm(settings)
