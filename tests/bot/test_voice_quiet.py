"""A voice note closes its burst after a short quiet window (VOICE_QUIET_SECONDS): it is usually
a whole thought and the burst waits for its transcript anyway; a text keeps the usual window."""

from __future__ import annotations

import time

from bot import simulator
from services.bursts import DUE
from tests.bot.conftest import CUSTOMER, PHONE_NUMBER_ID


def _due_in(harness) -> float:
    (_, due), = harness.redis.zrange(DUE, 0, -1, withscores=True)
    return due - time.time()


def test_a_voice_note_waits_less_than_a_text(harness):
    harness.transport.settings = harness.settings.model_copy(
        update={"burst_quiet_seconds": 20.0, "burst_max_seconds": 60.0, "voice_quiet_seconds": 2.0})
    harness.transport._timing.clear()  # the org's cached timing, re-read
    harness.say("hola")
    assert 15 < _due_in(harness) <= 20
    harness.post(simulator.voice_note(PHONE_NUMBER_ID, CUSTOMER, "media-voice-1"))
    assert 0 < _due_in(harness) <= 2.0
