"""/metrics in Prometheus format, and panic mode flipping on and off with the owner told."""

from __future__ import annotations

import re

from sqlalchemy import select

from core.models import Message
from services.panic import PanicSwitch


def _value(text: str, series: str) -> float:
    match = re.search(rf"^{re.escape(series)} (\S+)$", text, re.MULTILINE)
    assert match, f"{series} not in metrics"
    return float(match.group(1))


def test_metrics_count_messages_bursts_latency_and_queues(harness):
    harness.say("hola")
    harness.say("se me rompió el termotanque")  # a second message in the same burst
    harness.work()
    body = harness.client.get("/metrics").get_data(as_text=True)
    assert _value(body, 'campotech_messages_in_total{type="text"}') == 2
    assert _value(body, 'campotech_messages_out_total{type="text"}') == 1
    assert _value(body, 'campotech_bursts_total{outcome="answered"}') == 1
    assert _value(body, "campotech_burst_reply_seconds_count") == 1
    assert _value(body, 'campotech_queue_depth{queue="default"}') == 0
    assert "# TYPE campotech_burst_reply_seconds histogram" in body


def test_send_failures_are_counted_by_meta_code(harness):
    harness.graph.fail_next(131026, title="Message undeliverable")
    harness.say("hola")
    harness.work()
    from bot import simulator
    from tests.bot.conftest import CUSTOMER, PHONE_NUMBER_ID

    harness.say("¿hola?")
    harness.work()
    with harness.db.org_session(harness.org_id) as s:
        sent = s.scalar(select(Message).where(Message.direction == "out", Message.status == "sent"))
    harness.post(simulator.status(PHONE_NUMBER_ID, sent.wa_message_id, CUSTOMER, "failed", error_code=131049))
    body = harness.client.get("/metrics").get_data(as_text=True)
    assert _value(body, 'campotech_send_failures_total{code="131049"}') == 1


def test_panic_switch_flips_on_over_the_rate_and_off_when_it_clears(redisdb, harness):
    panic = PanicSwitch(redisdb, harness.settings)
    changes = [panic.record(7, ok=False, now=1000.0 + i) for i in range(10)]
    assert changes[-1] == "on" and changes.count("on") == 1 and panic.active(7)
    later = [panic.record(7, ok=True, now=1011.0 + i) for i in range(40)]
    assert "off" in later and not panic.active(7)


def test_in_panic_the_bot_answers_safely_and_the_owner_is_alerted(harness, monkeypatch):
    from core.identity.users import create_user
    from core.settings import get_settings
    from tests.bot.conftest import CUSTOMER

    with harness.db.org_session(harness.org_id) as s:
        create_user(s, {"name": "Dueña", "role": "owner", "phone": "+5491144440000",
                        "email": "duena@example.com", "password": "una-clave-larga-123"})
    monkeypatch.setenv("PANIC_MIN_EVENTS", "3")
    get_settings.cache_clear()
    harness.graph.fail_next(131026, title="Message undeliverable", count=3, to=CUSTOMER)
    for n in range(3):
        harness.say(f"hola {n}")
        harness.work()
    assert PanicSwitch(harness.redis, get_settings()).active(harness.org_id)
    [alert] = harness.replies("5491144440000")
    # The owner has not written in 24 hours: the alert goes as the approved template.
    assert alert["payload"]["type"] == "template"
    assert "está teniendo problemas" in alert["preview"]

    harness.say("¿me atienden?")
    harness.work()
    [answer] = harness.replies(CUSTOMER)
    assert "te va a responder una persona" in answer["payload"]["text"]["body"]
