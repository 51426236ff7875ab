"""How a voice note is decoded: the options bench/voice.py chose, for short and long notes."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import numpy as np
import pytest

from core.settings import Settings, load_settings
from nlu import whisper_local

AUDIO = Path(__file__).resolve().parents[2] / "tests" / "data" / "audio"


def fold(text: str | None) -> str:
    decomposed = unicodedata.normalize("NFKD", (text or "").casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@pytest.fixture(scope="module")
def settings() -> Settings:
    return load_settings(env="test", log_json=False, whisper_beam_size=1, whisper_threads=1,
                         nlu_transcribe_backend="local")


@pytest.mark.parametrize("seconds", [0.5, 15.0, 30.0])
def test_a_note_that_fits_one_window_is_decoded_without_timestamps(settings, seconds):
    options = whisper_local.decoding_options(settings, "plomería, termotanque.", seconds)
    assert options["without_timestamps"] is True
    assert (options["language"], options["task"]) == ("es", "transcribe")
    # The prompt only ever goes with condition_on_previous_text=False (True made it loop).
    assert options["initial_prompt"] == "plomería, termotanque."
    assert options["condition_on_previous_text"] is False
    assert (options["beam_size"], options["temperature"], options["vad_filter"]) == (1, 0.0, True)


@pytest.mark.parametrize("seconds", [30.5, 95.0, None])
def test_a_longer_note_keeps_timestamps_to_carry_on_where_each_window_ended(settings, seconds):
    assert whisper_local.decoding_options(settings, "", seconds)["without_timestamps"] is False
    assert whisper_local.decoding_options(settings, "", seconds)["initial_prompt"] is None


def test_overrides_are_for_the_bench(settings):
    options = whisper_local.decoding_options(settings, "x.", 10.0, beam_size=5, vad_filter=False)
    assert (options["beam_size"], options["vad_filter"], options["language"]) == (5, False, "es")


def test_a_note_longer_than_one_window_is_transcribed_to_its_end(settings):
    """Three notes twice over (35 s): the first words and the last ones are both there."""
    parts = [whisper_local.decode(AUDIO / name)
             for name in ("termotanque.ogg", "disyuntor.ogg", "terminado.ogg")]
    gap = np.zeros(whisper_local.SAMPLE_RATE * 3 // 10, dtype=np.float32)
    audio = np.concatenate([chunk for part in parts * 2 for chunk in (part, gap)])
    assert len(audio) / whisper_local.SAMPLE_RATE > whisper_local.WINDOW_SECONDS

    text = fold(whisper_local.transcribe_samples(audio, settings, whisper_local.build_prompt()))

    assert text.startswith("se me rompio el termotanque")
    assert text.count("termotanque") == 2 and text.count("pueden venir") == 2
    assert text.rstrip(". ").endswith("pesos")


def test_warming_loads_the_model_and_runs_it_once(settings):
    assert whisper_local.warm(settings) > 0
    assert whisper_local.model_loaded()


def test_the_encoder_hears_the_audio_and_a_second_of_padding_not_the_whole_window():
    window = np.zeros((80, 3000), dtype=np.float32)
    window[:, :1234] = -0.5  # 12.34 s of log-mel frames, then faster-whisper's zero padding
    assert whisper_local.encoder_frames(window, 100) == 1400  # 12.34 + 1 s, whole seconds
    assert whisper_local.encoder_frames(window[None], 0) == 1300
    assert whisper_local.encoder_frames(window, None) == 3000
    window[:, :] = -0.5
    assert whisper_local.encoder_frames(window, 100) == 3000  # a full window stays whole
    assert whisper_local.encoder_frames(np.zeros((80, 3000), dtype=np.float32), 100) == 100


def test_the_model_encodes_only_the_audio(settings):
    model = whisper_local.get_model(settings)
    assert model.encoder_padding == whisper_local.ENCODER_PADDING_FRAMES == 100
    window = np.zeros((80, 3000), dtype=np.float32)
    window[:, :450] = -0.5
    assert model.encode(window).shape == [1, 300, 512]  # 5.5 s -> 6 s of frames, 2 per encoder step


def _segment(text: str, avg_logprob: float, no_speech_prob: float):
    from faster_whisper.transcribe import Segment

    return Segment(id=0, seek=0, start=0.0, end=1.0, text=text, tokens=[], avg_logprob=avg_logprob,
                   compression_ratio=1.0, no_speech_prob=no_speech_prob, words=None, temperature=0.0)


@pytest.mark.parametrize(("text", "avg_logprob", "no_speech_prob", "stray"), [
    (" No.", -1.51, 0.52, True),  # measured: after "…cobrale quince mil pesos." and silence
    (" Gracias.", -1.2, 0.45, True),
    (" No.", -0.4, 0.52, False),  # said clearly: the person's "no"
    (" No.", -1.51, 0.1, False),  # the model hears speech there
    (" pueden venir mañana.", -1.51, 0.52, False),  # three words are speech, however unsure
])
def test_a_lone_unsure_word_on_the_trailing_silence_is_dropped(text, avg_logprob, no_speech_prob,
                                                                 stray):
    assert whisper_local._stray_tail(_segment(text, avg_logprob, no_speech_prob)) is stray
