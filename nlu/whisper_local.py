"""Offline Whisper: one WhisperModel per process, audio probing, decoding, the repetition guard.

The model's files are assembled once by `nlu.whisper_files.ensure_model`. Nothing here touches
the network (`HF_HUB_OFFLINE=1` is set before faster-whisper loads).
"""

from __future__ import annotations

import functools
import logging
import math
import os
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nlu.whisper_files import MODEL_BIN_SIZE, ModelFilesError, ensure_model  # noqa: F401 - theirs too

# huggingface_hub reads this when imported (by faster_whisper): set it before anything loads it.
os.environ["HF_HUB_OFFLINE"] = "1"

if TYPE_CHECKING:
    import numpy as np
    from faster_whisper import WhisperModel

    from core.settings import Settings

SAMPLE_RATE = 16_000
WINDOW_SECONDS = 30.0  # what Whisper hears at once

# Words a Whisper base model mishears without a hint; short on purpose (the prompt costs
# decoding time and Whisper keeps at most ~224 prompt tokens).
DOMAIN_WORDS = (
    "plomería", "termotanque", "canilla", "flexible", "calefón", "destapación", "cloaca",
    "disyuntor", "térmica", "enchufe", "aire acondicionado", "gasista", "cerrajería",
    "presupuesto", "lucas", "Palermo", "Caballito", "Belgrano",
)
PROMPT_MAX_CHARS = 400


class AudioError(Exception):
    """The file cannot be opened or decoded as audio."""


log = logging.getLogger("campotech.nlu")


@dataclass(frozen=True)
class Transcription:
    text: str | None
    status: str  # done, failed (reason: not_found, corrupt, too_long, silent)
    reason: str | None = None
    language: str = "es"
    duration: float | None = None  # seconds of audio
    seconds: float = 0.0  # seconds spent


# ---------------------------------------------------------------------------------------------
# The model, once per process

_models: dict[tuple[str, int], WhisperModel] = {}
_models_lock = threading.Lock()
COMPUTE_TYPE = "int8"  # float32: ~700 MB and slower, barely better (FACTS.md)
FRAMES_PER_SECOND = 100  # of the log-mel features the encoder reads
# How much of a window's padding the encoder still hears after the audio ends (None: all of it,
# the 30 s Whisper was trained on). See `_model_class`.
ENCODER_PADDING_FRAMES: int | None = FRAMES_PER_SECOND


def encoder_frames(features: np.ndarray, padding: int | None) -> int:
    """How many feature frames of a window to encode: its audio (faster-whisper pads every
    window to 30 s with zero frames, which real log-mel frames never are) plus `padding` frames,
    rounded up to whole seconds; all of them when `padding` is None."""
    total = features.shape[-1]
    if padding is None:
        return total
    import numpy as np

    voiced = np.flatnonzero(np.any(features.reshape(-1, features.shape[-2], total)[0] != 0, axis=0))
    audio = int(voiced[-1]) + 1 if len(voiced) else 0
    return min(total, math.ceil((audio + padding) / FRAMES_PER_SECOND) * FRAMES_PER_SECOND)


@functools.cache
def _model_class() -> type[WhisperModel]:
    """faster-whisper's WhisperModel, encoding only the audio of a window: its encoder costs the
    same for a 5-s note as for 30 s of speech (~1 s of CPU, most of a short note's time) because
    every window is padded to 30 s. CTranslate2 takes shorter input; on the dev voice set,
    encoding the audio and one second of padding took 0.35x the CPU of the whole window with the
    same error rate (bench/voice.py --sweep, README: Voice notes)."""
    from faster_whisper import WhisperModel

    class AudioLengthWhisperModel(WhisperModel):
        encoder_padding: int | None = ENCODER_PADDING_FRAMES

        def encode(self, features: np.ndarray):
            frames = encoder_frames(features, self.encoder_padding)
            return super().encode(features[..., :frames] if frames < features.shape[-1] else features)

    return AudioLengthWhisperModel


def load_model(model_dir: str | Path, threads: int, compute_type: str = COMPUTE_TYPE) -> WhisperModel:
    """A new WhisperModel from an assembled model directory (no cache: see `get_model`)."""
    return _model_class()(str(ensure_model(model_dir)), device="cpu", compute_type=compute_type,
                          cpu_threads=threads, local_files_only=True)


def get_model(settings: Settings) -> WhisperModel:
    """The process's WhisperModel for these settings (loaded on first use, then reused)."""
    key = (str(Path(settings.whisper_model_dir).resolve()), settings.whisper_threads)
    model = _models.get(key)
    if model is not None:
        return model
    with _models_lock:
        model = _models.get(key)
        if model is None:
            model = load_model(settings.whisper_model_dir, settings.whisper_threads)
            _models[key] = model
    return model


def model_loaded() -> bool:
    """Whether this process holds a Whisper model (only the transcription worker should)."""
    return bool(_models)


# ---------------------------------------------------------------------------------------------
# Audio


def probe_duration(path: str | Path) -> float:
    """Seconds of audio, from the container's header when it says (cheap), else by demuxing.

    Raises AudioError for anything PyAV cannot open or that holds no audio stream.
    """
    import av

    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            if not container.streams.audio:
                raise AudioError("no audio stream")
            stream = container.streams.audio[0]
            if container.duration is not None and container.duration > 0:
                return container.duration / av.time_base
            if stream.duration is not None and stream.time_base is not None and stream.duration > 0:
                return float(stream.duration * stream.time_base)
            # No header duration (some streamed OGG/MP3): add up packet durations, no decoding.
            total = 0.0
            for packet in container.demux(stream):
                if packet.duration is not None and packet.time_base is not None:
                    total += float(packet.duration * packet.time_base)
            return total
    except AudioError:
        raise
    except Exception as exc:  # PyAV raises many kinds for a bad file
        raise AudioError(f"{type(exc).__name__}: {exc}") from exc


def decode(path: str | Path) -> np.ndarray:
    """Mono float32 samples at 16 kHz; AudioError if the file does not decode."""
    from faster_whisper import decode_audio

    try:
        return decode_audio(str(path), sampling_rate=SAMPLE_RATE)
    except Exception as exc:  # PyAV raises many kinds for a bad file
        raise AudioError(f"{type(exc).__name__}: {exc}") from exc


def build_prompt(vocabulary: Iterable[str] = ()) -> str:
    """A short `initial_prompt`: the organization's own words first, then the trade's."""
    words: list[str] = []
    seen: set[str] = set()
    length = 0
    for word in [*vocabulary, *DOMAIN_WORDS]:
        word = " ".join(str(word).split())
        if not word or word.casefold() in seen:
            continue
        if length + len(word) + 2 > PROMPT_MAX_CHARS:
            break
        seen.add(word.casefold())
        words.append(word)
        length += len(word) + 2
    return ", ".join(words) + "." if words else ""


def decoding_options(settings: Settings, prompt: str | None, seconds: float | None = None,
                     **overrides: Any) -> dict[str, Any]:
    """The keyword arguments of `WhisperModel.transcribe` for `seconds` of audio (`overrides`
    are for bench/voice.py's comparisons; the defaults are what it measured best, README: Voice
    notes)."""
    options: dict[str, Any] = {
        "language": "es",  # never detected: auto-detection turned a 2 s clip into Thai
        "task": "transcribe",
        "beam_size": settings.whisper_beam_size,
        "vad_filter": True,
        "initial_prompt": prompt or None,
        "condition_on_previous_text": False,  # with a prompt, True makes it loop
        # Greedy only: the temperature fallback re-decoded hard segments up to 5 times (10 s
        # instead of 2 s for a 10 s note) and did not lower the error rate on our voice notes.
        "temperature": 0.0,
        # A note that fits one 30-s window is decoded once without timestamp tokens: fewer
        # tokens (0.92x the CPU, 0.82x before the encoder was cut to the audio's length), and no
        # second window started from a segment's last timestamp (with the whole-window encoder
        # that lost the end of a dev clip, and made beam search loop on it). Longer notes need
        # the timestamps to carry on where each window's speech ended.
        "without_timestamps": seconds is not None and seconds <= WINDOW_SECONDS,
    }
    options.update(overrides)
    return options


# Whisper's word on the silence after the speech: a last segment of a word or two, decoded
# with little confidence where the model itself half-thinks nobody speaks ("No.", "Gracias."
# after a 35-s note on one machine: log-probability -1.5, no-speech 0.52; the speech before it
# -0.5 to -0.8 and 0.2). Whisper's own filter needs a no-speech probability over 0.6; a stray
# "no" at the end of "pueden venir mañana" is a meaning changed, so the end is held to more.
TAIL_MAX_WORDS = 2
TAIL_MAX_LOGPROB = -1.0
TAIL_MIN_NO_SPEECH = 0.4


def transcribe_raw(model: WhisperModel, audio: np.ndarray, options: dict[str, Any]) -> str:
    """The model's text for decoded samples, segments joined, before any clean-up (but a
    hallucinated last word on the trailing silence, `TAIL_*`)."""
    segments, _info = model.transcribe(audio, **options)
    segments = list(segments)
    if len(segments) > 1 and _stray_tail(segments[-1]):
        segments.pop()
    return " ".join(s.text.strip() for s in segments)


def _stray_tail(segment) -> bool:
    return (len(segment.text.split()) <= TAIL_MAX_WORDS
            and segment.avg_logprob < TAIL_MAX_LOGPROB
            and segment.no_speech_prob >= TAIL_MIN_NO_SPEECH)


def transcribe_samples(audio: np.ndarray, settings: Settings, prompt: str | None) -> str:
    """Spanish text of decoded samples ('' when VAD finds no speech), loops collapsed."""
    options = decoding_options(settings, prompt, seconds=len(audio) / SAMPLE_RATE)
    return collapse_repeats(transcribe_raw(get_model(settings), audio, options))


def warm(settings: Settings) -> float:
    """Load the model and run the pipeline once (voice-activity detection on a second of faint
    noise, then the encoder on a whole window and a few decoding steps), so the first voice note
    pays for no loading or first allocations; returns seconds."""
    import numpy as np

    started = time.perf_counter()
    model = get_model(settings)
    noise = np.random.default_rng(0).normal(0.0, 0.003, int(WINDOW_SECONDS * SAMPLE_RATE))
    noise = noise.astype(np.float32)
    prompt = build_prompt()
    transcribe_raw(model, noise[:SAMPLE_RATE], decoding_options(settings, prompt, 1.0))
    transcribe_raw(model, noise, decoding_options(settings, prompt, WINDOW_SECONDS,
                                                  vad_filter=False, max_new_tokens=8))
    return time.perf_counter() - started


_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\s+(?=[¡¿])")


def collapse_loops(text: str) -> str:
    """Whisper's loop inside a sentence, kept once: a phrase of four words or more said twice in a
    row ("el problema de que el problema de que…"), or of two or three words three times. A word
    said twice ("hola, hola") is speech, and stays."""
    words = text.split()
    keys = [re.sub(r"\W+", "", w).casefold() for w in words]
    out: list[int] = []  # indexes of the words kept
    i = 0
    while i < len(words):
        skipped = False
        for n in range(min(12, (len(words) - i) // 2), 1, -1):
            phrase = keys[i:i + n]
            if not all(phrase):
                continue
            repeats = 1
            while keys[i + repeats * n:i + (repeats + 1) * n] == phrase:
                repeats += 1
            if repeats >= (2 if n >= 4 else 3):
                out.extend(range(i, i + n))
                i += repeats * n
                skipped = True
                break
        if not skipped:
            out.append(i)
            i += 1
    return " ".join(words[j] for j in out)


def collapse_repeats(text: str) -> str:
    """Drop a sentence that repeats the one before it, and loops inside a sentence
    (`collapse_loops`): Whisper's loop on unclear audio."""
    kept: list[str] = []
    for sentence in _SENTENCE_END.split(" ".join(text.split())):
        key = re.sub(r"\W+", "", sentence).casefold()
        if kept and key and key == re.sub(r"\W+", "", kept[-1]).casefold():
            continue
        if sentence:
            kept.append(sentence)
    return collapse_loops(" ".join(kept).strip())


# ---------------------------------------------------------------------------------------------
# Measuring


def transcribe_file(path: str | Path, settings: Settings, prompt: str, *,
                    remote: Callable[[Path, str], str | None] | None = None) -> Transcription:
    """The pipeline `nlu.transcribe.transcribe` describes: checks, then `remote` (when given, a
    transcript or None) and the local model for whatever `remote` could not answer."""
    started = time.perf_counter()
    path = Path(path)

    def failed(reason: str, duration: float | None = None) -> Transcription:
        return Transcription(None, "failed", reason,
                             duration=None if duration is None else round(duration, 3),
                             seconds=time.perf_counter() - started)

    if not path.is_file():
        return failed("not_found")
    try:
        duration = probe_duration(path)
    except AudioError as exc:
        log.info("voice note %s does not open: %s", path.name, exc)
        return failed("corrupt")
    if duration > settings.voice_max_seconds:
        return failed("too_long", duration)

    text = remote(path, prompt) if remote is not None else None
    if text is None:
        try:
            audio = decode(path)
        except AudioError as exc:
            log.info("voice note %s does not decode: %s", path.name, exc)
            return failed("corrupt", duration)
        duration = len(audio) / SAMPLE_RATE or duration
        if len(audio) == 0:
            return failed("silent", duration)
        text = transcribe_samples(audio, settings, prompt)
    text = " ".join(text.split())
    if not text:
        return failed("silent", duration)
    return Transcription(text, "done", None, language="es", duration=round(duration, 3),
                         seconds=time.perf_counter() - started)


def measure_transcription(
    paths: Iterable[str | Path], settings: Settings | None = None
) -> dict[str, Any]:
    """Transcribe each file with the local model and time it (for the bench command).

    Returns {"model_load_seconds", "files": [{path, status, reason, duration, seconds, rtf,
    text}], "total_duration", "total_seconds", "rtf"}; rtf is seconds taken per second of audio.
    The model load is timed apart so the per-file numbers are steady-state.
    """
    from core.settings import get_settings

    settings = settings or get_settings()
    if settings.nlu_transcribe_backend != "local":
        settings = settings.model_copy(update={"nlu_transcribe_backend": "local"})
    started = time.perf_counter()
    get_model(settings)
    load_seconds = time.perf_counter() - started
    rows: list[dict[str, Any]] = []
    for path in paths:
        result = transcribe_file(path, settings, build_prompt())
        duration = result.duration or 0.0
        rows.append({
            "path": str(path), "status": result.status, "reason": result.reason,
            "duration": round(duration, 3), "seconds": round(result.seconds, 3),
            "rtf": round(result.seconds / duration, 4) if duration else None,
            "text": result.text,
        })
    total_duration = sum(r["duration"] for r in rows)
    total_seconds = sum(r["seconds"] for r in rows)
    return {
        "model_load_seconds": round(load_seconds, 3),
        "files": rows,
        "total_duration": round(total_duration, 3),
        "total_seconds": round(total_seconds, 3),
        "rtf": round(total_seconds / total_duration, 4) if total_duration else None,
    }
