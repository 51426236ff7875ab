"""Offline transcription with the bundled Whisper base model (real model, real audio).

The fixtures in tests/data/audio are espeak-ng voices (es-419) encoded as WhatsApp does
(OGG/Opus, mono 16 kHz, 24 kb/s). Other formats, silence and garbage are made here at run
time with PyAV (the decoder faster-whisper itself uses), so no system ffmpeg is needed.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import types
import unicodedata
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from core.settings import Settings, load_settings
from nlu import whisper_local
from nlu.transcribe import Transcription, transcribe

ROOT = Path(__file__).resolve().parents[2]
AUDIO = ROOT / "tests" / "data" / "audio"
TERMOTANQUE = AUDIO / "termotanque.ogg"  # "se me rompió el termotanque, estoy en Gorriti 3400"
DISYUNTOR = AUDIO / "disyuntor.ogg"  # "se cortó la luz, saltó el disyuntor, pueden venir mañana"


def fold(text: str | None) -> str:
    """Lower case without accents, for comparing what Whisper wrote."""
    decomposed = unicodedata.normalize("NFKD", (text or "").casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def convert(source: Path, target: Path, codec: str, rate: int = 16000) -> Path:
    """Re-encode `source` into `target` (container from the suffix) with PyAV."""
    with av.open(str(source)) as src, av.open(str(target), "w") as out:
        stream = out.add_stream(codec, rate=rate, layout="mono")
        resampler = av.AudioResampler(format=stream.codec_context.format.name, layout="mono",
                                      rate=rate)
        for frame in src.decode(audio=0):
            for converted in resampler.resample(frame):
                converted.pts = None
                for packet in stream.encode(converted):
                    out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return target


def write_silence(target: Path, seconds: float = 2.0) -> Path:
    """An OGG/Opus file of digital silence, as a voice note recorded with the mic muted."""
    rate = 48000
    with av.open(str(target), "w", format="ogg") as out:
        stream = out.add_stream("libopus", rate=rate, layout="mono")
        stream.codec_context.bit_rate = 24000
        frame = av.AudioFrame.from_ndarray(np.zeros((1, int(rate * seconds)), dtype=np.int16),
                                           format="s16", layout="mono")
        frame.sample_rate = rate
        frame.time_base = Fraction(1, rate)
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            out.mux(packet)
    return target


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory) -> Path:
    """The model assembled once for the whole session (about a second)."""
    return whisper_local.ensure_model(tmp_path_factory.mktemp("whisper-base"))


@pytest.fixture(scope="session")
def settings(model_dir) -> Settings:
    return load_settings(env="test", log_json=False, whisper_model_dir=str(model_dir),
                         whisper_beam_size=1, whisper_threads=1, nlu_transcribe_backend="local")


# --- the model files ---------------------------------------------------------------------------


def test_model_is_assembled_beside_its_files(model_dir):
    assert (model_dir / "model.bin").stat().st_size == whisper_local.MODEL_BIN_SIZE == 145_217_607
    for name in ("config.json", "tokenizer.json", "vocabulary.json"):
        assert (model_dir / name).stat().st_size > 0
    assert not list(model_dir.glob("*.tmp"))
    assert os.environ["HF_HUB_OFFLINE"] == "1"


def test_assembly_is_safe_when_two_workers_race(tmp_path):
    target = tmp_path / "race"
    results: list[object] = []

    def assemble() -> None:
        try:
            results.append(whisper_local.ensure_model(target))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            results.append(exc)

    threads = [threading.Thread(target=assemble) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [target, target]
    assert (target / "model.bin").stat().st_size == whisper_local.MODEL_BIN_SIZE
    assert not list(target.glob("*.tmp"))
    # Done once: a later call only checks sizes and leaves the file alone.
    mtime = (target / "model.bin").stat().st_mtime_ns
    assert whisper_local.ensure_model(target) == target
    assert (target / "model.bin").stat().st_mtime_ns == mtime


# --- real transcription --------------------------------------------------------------------------


def test_transcribes_the_termotanque_note(settings):
    result = transcribe(TERMOTANQUE, settings=settings)
    assert isinstance(result, Transcription)
    assert (result.status, result.reason, result.language) == ("done", None, "es")
    text = fold(result.text)
    assert "termotanque" in text
    assert "rompio" in text
    assert result.duration == pytest.approx(5.1, abs=0.3)
    assert 0 < result.seconds < 30


def test_transcribes_the_disyuntor_note(settings):
    result = transcribe(DISYUNTOR, vocabulary=("Gorriti", "disyuntor"), settings=settings)
    assert result.status == "done"
    text = fold(result.text)
    assert "disyuntor" in text
    assert "luz" in text
    assert "pueden venir" in text


def test_the_model_is_loaded_once_per_process(settings):
    transcribe(TERMOTANQUE, settings=settings)
    first = whisper_local.get_model(settings)
    loaded = len(whisper_local._models)
    transcribe(DISYUNTOR, settings=settings)
    assert whisper_local.get_model(settings) is first
    assert len(whisper_local._models) == loaded


@pytest.mark.parametrize(("suffix", "codec"), [
    ("mp3", "libmp3lame"), ("wav", "pcm_s16le"), ("m4a", "aac"),
])
def test_other_formats(settings, tmp_path, suffix, codec):
    path = convert(TERMOTANQUE, tmp_path / f"note.{suffix}", codec)
    result = transcribe(path, settings=settings)
    assert result.status == "done", result
    assert "termotanque" in fold(result.text)
    assert result.duration == pytest.approx(5.1, abs=0.4)


# --- bad audio: a status, never an exception --------------------------------------------------


def test_missing_file(settings, tmp_path):
    result = transcribe(tmp_path / "nope.ogg", settings=settings)
    assert (result.status, result.reason, result.text) == ("failed", "not_found", None)


@pytest.mark.parametrize("content", [
    os.urandom(4096),
    b"",
    b"OggS" + os.urandom(2000),  # looks like OGG, is not
    TERMOTANQUE.read_bytes()[:300],  # cut off after the headers
])
def test_corrupt_file(settings, tmp_path, content):
    path = tmp_path / "broken.ogg"
    path.write_bytes(content)
    result = transcribe(path, settings=settings)
    assert (result.status, result.reason, result.text) == ("failed", "corrupt", None)


def test_silence(settings, tmp_path):
    path = write_silence(tmp_path / "silence.ogg", seconds=2.0)
    result = transcribe(path, settings=settings)
    assert (result.status, result.reason, result.text) == ("failed", "silent", None)
    assert result.duration == pytest.approx(2.0, abs=0.2)


def test_too_long_is_refused_before_transcribing(settings, monkeypatch):
    short = settings.model_copy(update={"voice_max_seconds": 3.0})

    def no_decoding(*args, **kwargs):
        raise AssertionError("a too-long note must not be decoded")

    monkeypatch.setattr(whisper_local, "decode", no_decoding)
    result = transcribe(TERMOTANQUE, settings=short)
    assert (result.status, result.reason, result.text) == ("failed", "too_long", None)
    assert result.duration == pytest.approx(5.1, abs=0.3)
    assert result.seconds < 1


# --- the prompt and the OpenAI backend ---------------------------------------------------------


def test_prompt_has_the_organizations_words_first_and_stays_short():
    prompt = whisper_local.build_prompt(("Gorriti", "  Villa   Crespo ", "gorriti", ""))
    assert prompt.startswith("Gorriti, Villa Crespo, plomería, termotanque")
    assert prompt.count("Gorriti") == 1
    assert "condition" not in prompt
    long_prompt = whisper_local.build_prompt([f"palabra{i}" for i in range(500)])
    assert len(long_prompt) <= whisper_local.PROMPT_MAX_CHARS + 1


def test_repeated_sentences_are_collapsed():
    collapse = whisper_local.collapse_repeats
    assert collapse("¡Vengan ya! ¡vengan ya! Gracias.") == "¡Vengan ya! Gracias."
    assert collapse("el resto ¡Ponga ya! ¡Ponga ya!") == "el resto ¡Ponga ya!"
    assert collapse("Hola. ¿Hola? Hola, hola.") == "Hola. Hola, hola."
    assert collapse("") == ""


def test_loops_inside_a_sentence_are_kept_once():
    collapse = whisper_local.collapse_repeats
    assert collapse("el problema de que el problema de que el problema de que no anda") == \
        "el problema de que no anda"
    assert collapse("se me se me se me rompió el flexible") == "se me rompió el flexible"
    # speech repeats a word or a short phrase now and then: that stays
    assert collapse("la canilla la canilla pierde") == "la canilla la canilla pierde"
    assert collapse("no no no anda, dale dale") == "no no no anda, dale dale"
    assert collapse("una pérdida en la cocina y una pérdida en el baño") == \
        "una pérdida en la cocina y una pérdida en el baño"


def _fake_openai(monkeypatch, behaviour) -> list[tuple]:
    calls: list[tuple] = []
    module = types.ModuleType("nlu.openai_backend")

    class OpenAIBackendError(Exception):
        pass

    def transcribe_file(path, settings, prompt):
        calls.append((path, prompt))
        return behaviour(OpenAIBackendError)

    module.transcribe_file = transcribe_file
    module.OpenAIBackendError = OpenAIBackendError
    monkeypatch.setitem(sys.modules, "nlu.openai_backend", module)
    return calls


def test_openai_backend_is_used_when_configured(settings, monkeypatch):
    calls = _fake_openai(monkeypatch, lambda _err: "  Se rompió el termotanque.  ")
    remote = settings.model_copy(update={"nlu_transcribe_backend": "openai"})
    result = transcribe(TERMOTANQUE, vocabulary=("Gorriti",), settings=remote)
    assert (result.status, result.text) == ("done", "Se rompió el termotanque.")
    assert calls[0][0] == TERMOTANQUE
    assert calls[0][1].startswith("Gorriti, ")


@pytest.mark.parametrize("failure", ["backend_error", "other_error"])
def test_openai_failure_falls_back_to_the_local_model(settings, monkeypatch, caplog, failure):
    def fail(error_class):
        raise error_class("503") if failure == "backend_error" else ConnectionError("refused")

    calls = _fake_openai(monkeypatch, fail)
    remote = settings.model_copy(update={"nlu_transcribe_backend": "openai"})
    with caplog.at_level(logging.WARNING, logger="campotech.nlu"):
        result = transcribe(TERMOTANQUE, settings=remote)
    assert len(calls) == 1
    assert result.status == "done"
    assert "termotanque" in fold(result.text)
    assert any(r.name == "campotech.nlu" and r.levelno == logging.WARNING for r in caplog.records)


def test_measure_transcription(settings, tmp_path):
    report = whisper_local.measure_transcription([TERMOTANQUE, tmp_path / "gone.ogg"], settings)
    first, missing = report["files"]
    assert first["status"] == "done" and first["duration"] > 5 and first["seconds"] > 0
    assert first["rtf"] == pytest.approx(first["seconds"] / first["duration"], rel=0.01)
    assert missing["reason"] == "not_found"
    assert report["total_duration"] == first["duration"]


# --- the CLI -----------------------------------------------------------------------------------


def test_cli_json(model_dir):
    env = {**os.environ, "WHISPER_MODEL_DIR": str(model_dir), "NLU_TRANSCRIBE_BACKEND": "local"}
    proc = subprocess.run([sys.executable, "-m", "nlu", "transcribe", str(TERMOTANQUE), "--json"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["status"] == "done"
    assert "termotanque" in fold(out["text"])
    assert out["language"] == "es"
    assert out["duration"] == pytest.approx(5.1, abs=0.3)
    assert out["seconds"] > 0
