"""Voice notes wait for their transcript; bad media gets a polite reply; floods stay fair."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from bot import simulator
from core.models import Message
from tests.bot.conftest import CUSTOMER, PHONE_NUMBER_ID

VOICE_NOTE = (Path(__file__).resolve().parent.parent / "data" / "audio" / "termotanque.ogg").read_bytes()
NOT_AUDIO = b"OggS" + bytes(2000)  # says it is OGG, decodes to nothing


def test_voice_note_is_downloaded_transcribed_and_answered_with_the_burst(harness):
    media_id = harness.graph.upload_media(VOICE_NOTE, "audio/ogg")
    harness.say("hola")
    harness.post(simulator.voice_note(PHONE_NUMBER_ID, CUSTOMER, media_id))
    harness.work(timeout=60)
    assert len(harness.replies()) == 1  # the booking goes on with what the voice note said
    assert "termotanque" in harness.booking()["description"].lower()
    assert harness.booking()["service"] == "gas"  # a termotanque is a gas job
    with harness.db.org_session(harness.org_id) as s:
        audio = s.scalar(select(Message).where(Message.type == "audio"))
        assert audio.transcript_status == "done" and "termotanque" in audio.transcript.lower()
        assert audio.media_path and audio.media_path.startswith(harness.settings.media_dir)
        with open(audio.media_path, "rb") as fh:
            assert fh.read() == VOICE_NOTE


def test_an_unreadable_voice_note_gets_asked_to_be_written(harness):
    media_id = harness.graph.upload_media(NOT_AUDIO, "audio/ogg")
    harness.post(simulator.voice_note(PHONE_NUMBER_ID, CUSTOMER, media_id))
    harness.work(timeout=60)
    [reply] = [r["payload"]["text"]["body"] for r in harness.replies()]
    assert reply == "No pude escuchar bien el audio, ¿me lo escribís?"
    with harness.db.org_session(harness.org_id) as s:
        assert s.scalar(select(Message.transcript_status).where(Message.type == "audio")) == "corrupt"


def test_oversized_media_gets_a_polite_reply_not_a_crash(harness):
    settings = harness.settings
    big = harness.graph.upload_media(b"\xff\xd8" + bytes(settings.media_max_bytes + 10), "image/jpeg")
    harness.post(simulator.image(PHONE_NUMBER_ID, CUSTOMER, big, caption="así quedó el caño"))
    harness.work()
    texts = [r["payload"]["text"]["body"] for r in harness.replies()]
    assert any("demasiado grande" in t for t in texts)


def test_a_flooding_sender_gets_one_dame_un_momento_and_nothing_is_lost(harness, monkeypatch):
    settings = harness.settings.model_copy(update={"inbound_sender_limit": 5})
    harness.transport.settings = settings
    # The same plea again and again, the last one different: what a flooding customer sends
    # (numbered "mensaje 0..11" lines read as chatter about messages, not as a broken pipe).
    for _ in range(11):
        harness.say("se rompió el caño!!")
    harness.say("se rompió el caño, sale agua por todos lados")
    harness.work()
    bodies = [r["payload"].get("text", {}).get("body", "") for r in harness.replies()]
    assert sum("Dame un momento" in b for b in bodies) == 1
    with harness.db.org_session(harness.org_id) as s:
        assert s.scalar(select(func.count(Message.id)).where(Message.direction == "in")) == 12
        assert s.scalar(select(func.count(Message.id)).where(
            Message.direction == "in", Message.processed_at.is_(None))) == 0
    assert "sale agua por todos lados" in harness.booking()["said"]  # read with the burst, not dropped


def test_a_busy_organization_is_moved_to_the_low_queue(harness):
    from rq import Queue

    settings = harness.settings.model_copy(update={"inbound_org_limit": 3})
    harness.transport.settings = settings
    for n in range(5):
        harness.say(f"hola {n}", wa_id=f"54911555500{n:02d}")
    import time

    harness.closer.tick(now=time.time() + settings.burst_quiet_seconds + 0.05)  # once quiet
    assert Queue("low", connection=harness.redis).count == 5
    assert Queue("default", connection=harness.redis).count == 0


def test_staff_read_a_cleaned_voice_note_and_the_raw_transcript_is_kept(
        pg_db, redisdb, fake_graph, fake_openai, tmp_path, monkeypatch):
    """The transcriber mishears (through the OpenAI-compatible fake): the job's description is
    the problem with the words fixed and the fillers gone; the message keeps what was heard."""
    from core.settings import get_settings
    from tests.bot.conftest import ALWAYS_OPEN, Harness, export_env, transport_settings
    from tests.factories import create_org
    from web import create_app

    settings = transport_settings(
        pg_db.settings, fake_graph.url, str(tmp_path / "media"), nlu_transcribe_backend="openai",
        openai_base_url=fake_openai.url, openai_api_key="test-key",
        openai_transcribe_model="whisper-test")
    export_env(monkeypatch, settings)
    org_id = create_org(pg_db, "Plomería Rápida", slug="plomeria-rapida",
                        wa_phone_number_id=PHONE_NUMBER_ID, business_hours=ALWAYS_OPEN)
    app = create_app(settings)
    harness = Harness(settings, pg_db, app, fake_graph, org_id)
    raw = "eh hola, este, tengo una perdiada eh abajo de la bacha, o sea, el flesible pierde"
    fake_openai.transcript(raw)
    try:
        media_id = harness.graph.upload_media(VOICE_NOTE, "audio/ogg")
        harness.post(simulator.voice_note(PHONE_NUMBER_ID, CUSTOMER, media_id))
        harness.work(timeout=60)
        description = harness.booking()["description"]
        assert "pérdida" in description and "flexible" in description
        assert "eh" not in description.split() and "o sea" not in description
        assert harness.booking()["service"] == "plomeria"
        with harness.db.org_session(harness.org_id) as s:
            audio = s.scalar(select(Message).where(Message.type == "audio"))
            assert audio.transcript == raw
    finally:
        app.extensions["campotech.db"].dispose()
        get_settings.cache_clear()
