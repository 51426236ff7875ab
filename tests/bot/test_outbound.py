"""Outbound: statuses only move forward, the 24-hour window, Meta's limits, our rate limit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot import simulator
from core.messaging.outbox import queue_replies
from core.messaging.replies import Button, Buttons, Document, Location, Text
from core.models import Conversation, DeliveryStatus, Message, utcnow
from services.ratelimit import TokenBucket
from services.send_reply import ORDER_WAIT_LIMIT, SendDeferred, Sender
from tests.bot.conftest import CUSTOMER, PHONE_NUMBER_ID


def _answered(harness) -> Message:
    harness.say("hola")
    harness.work()
    with harness.db.org_session(harness.org_id) as s:
        return s.scalar(select(Message).where(Message.direction == "out"))


def _status(harness, message_id):
    with harness.db.org_session(harness.org_id) as s:
        m = s.get(Message, message_id)
        return m.status, m.error_code


def test_statuses_move_forward_only_even_out_of_order(harness):
    out = _answered(harness)
    for state in ("read", "delivered", "sent"):
        harness.post(simulator.status(PHONE_NUMBER_ID, out.wa_message_id, CUSTOMER, state))
    assert _status(harness, out.id) == (DeliveryStatus.READ, None)
    harness.post(simulator.status(PHONE_NUMBER_ID, out.wa_message_id, CUSTOMER, "failed", error_code=131026))
    assert _status(harness, out.id) == (DeliveryStatus.READ, None)  # no failing after read


def test_a_failed_status_is_kept_for_staff_and_not_retried_when_meta_says_final(harness):
    out = _answered(harness)
    harness.post(simulator.status(PHONE_NUMBER_ID, out.wa_message_id, CUSTOMER, "failed",
                                  error_code=131026, error_title="Message undeliverable"))
    harness.work()
    assert _status(harness, out.id) == (DeliveryStatus.FAILED, 131026)
    assert len(harness.replies()) == 1


def test_a_failed_status_with_a_retryable_code_is_sent_again(harness):
    out = _answered(harness)
    harness.post(simulator.status(PHONE_NUMBER_ID, out.wa_message_id, CUSTOMER, "failed",
                                  error_code=131000, error_title="Something went wrong"))
    harness.work()
    assert len(harness.replies()) == 2
    assert _status(harness, out.id)[0] is DeliveryStatus.SENT


def _queue(harness, replies, *, last_inbound=None, key="t"):
    harness.say("hola")
    harness.work()
    with harness.db.org_session(harness.org_id) as s:
        conversation = s.scalar(select(Conversation))
        if last_inbound is not None:
            conversation.last_inbound_at = last_inbound
        return queue_replies(s, conversation, replies, key=key)


def test_every_reply_kind_reaches_the_graph_api(harness):
    ids = _queue(harness, [
        Buttons("¿Te viene bien mañana?", (Button("si", "Sí"), Button("no", "Otro día"))),
        Document("factura.pdf", link="https://example.com/f.pdf", caption="Tu factura"),
        Location(-34.58, -58.42, "Gorriti 3400", "Palermo"),
    ])
    sender = Sender(harness.db, harness.redis, harness.settings)
    assert [sender.deliver(harness.org_id, i).outcome for i in ids] == ["sent"] * 3
    kinds = [r["payload"]["type"] for r in harness.replies()[1:]]
    assert kinds == ["interactive", "document", "location"]


def test_outside_the_24_hour_window_a_template_is_sent_instead(harness):
    [mid] = _queue(harness, [Text("Te recordamos la visita de mañana")],
                   last_inbound=utcnow() - timedelta(hours=25))
    assert Sender(harness.db, harness.redis, harness.settings).deliver(harness.org_id, mid).outcome == "sent"
    sent = harness.replies()[-1]["payload"]
    assert sent["type"] == "template" and sent["template"]["name"] == "seguimiento_servicio"


def test_outside_the_window_without_a_template_the_send_is_refused(harness):
    settings = harness.settings.model_copy(update={"whatsapp_window_template": ""})
    [mid] = _queue(harness, [Text("hola de nuevo")], last_inbound=utcnow() - timedelta(days=2))
    result = Sender(harness.db, harness.redis, settings).deliver(harness.org_id, mid)
    assert result.outcome == "refused"
    assert _status(harness, mid) == (DeliveryStatus.FAILED, 131047)


def test_meta_says_outside_window_then_the_template_goes(harness):
    [mid] = _queue(harness, [Text("¿Seguís ahí?")])
    harness.graph.fail_next(131047, title="Re-engagement message")
    sender = Sender(harness.db, harness.redis, harness.settings)
    with pytest.raises(SendDeferred):
        sender.deliver(harness.org_id, mid)
    assert sender.deliver(harness.org_id, mid).outcome == "sent"
    assert harness.replies()[-1]["payload"]["type"] == "template"


@pytest.mark.parametrize("code", [130429, 131056])
def test_throughput_errors_back_off_and_retry(harness, code):
    harness.graph.fail_next(code, title="Rate limit hit", count=2)
    harness.say("hola")
    harness.work(timeout=30)
    [reply] = harness.replies()
    with harness.db.org_session(harness.org_id) as s:
        out = s.scalar(select(Message).where(Message.direction == "out"))
        assert out.status is DeliveryStatus.SENT and out.attempts == 3 and out.wa_message_id == reply["wamid"]


def test_a_non_retryable_error_fails_at_once_and_is_visible(harness):
    harness.graph.fail_next(131026, title="Message undeliverable")
    harness.say("hola")
    harness.work()
    with harness.db.org_session(harness.org_id) as s:
        out = s.scalar(select(Message).where(Message.direction == "out"))
        assert (out.status, out.error_code, out.attempts) == (DeliveryStatus.FAILED, 131026, 1)


def test_a_crash_after_meta_accepted_does_not_send_twice(harness):
    [mid] = _queue(harness, [Text("una sola vez")])
    harness.redis.set(f"campotech:sent:{mid}", "wamid.ALREADY")  # what a crashed job left behind
    result = Sender(harness.db, harness.redis, harness.settings).deliver(harness.org_id, mid)
    assert (result.outcome, result.wa_message_id) == ("sent", "wamid.ALREADY")
    assert len(harness.replies()) == 1  # only the first "hola" answer


def test_token_bucket_allows_the_rate_and_makes_the_rest_wait(redisdb):
    bucket = TokenBucket(redisdb, "send:test", rate=20)
    granted = sum(1 for _ in range(30) if bucket.take(1000.0) == 0)
    assert granted == 20
    assert bucket.take(1000.0) == pytest.approx(0.05)
    assert bucket.take(1000.05) == 0  # one token back after 1/20 s


def test_sends_are_held_to_the_per_number_rate(harness):
    clock = {"t": 5000.0}
    waits: list[float] = []

    def sleep(seconds):
        waits.append(seconds)
        clock["t"] += seconds

    settings = harness.settings.model_copy(update={"whatsapp_send_rate": 5.0})
    ids = _queue(harness, [Text(f"mensaje {n}") for n in range(8)])
    sender = Sender(harness.db, harness.redis, settings, clock=lambda: clock["t"], sleep=sleep)
    for mid in ids:
        sender.deliver(harness.org_id, mid)
    # 5 at once (the bucket's size), then one every 1/5 s.
    assert len(waits) == 3 and all(w == pytest.approx(0.2) for w in waits)


def test_a_reply_waits_for_an_earlier_one_of_its_conversation_still_queued(harness):
    first, second = _queue(harness, [Text("Carlos terminó, en un ratito va la factura"),
                                     Text("acá tenés la factura")])
    naps = []

    def meanwhile(seconds):  # another send thread puts the earlier reply on the wire
        naps.append(seconds)
        Sender(harness.db, harness.redis, harness.settings).deliver(harness.org_id, first)

    Sender(harness.db, harness.redis, harness.settings, sleep=meanwhile).deliver(harness.org_id, second)
    assert [r["payload"]["text"]["body"] for r in harness.replies()[1:]] == [
        "Carlos terminó, en un ratito va la factura", "acá tenés la factura"]
    assert len(naps) == 1


def test_an_earlier_reply_stuck_in_the_queue_holds_the_next_only_so_long(harness):
    _first, second = _queue(harness, [Text("uno"), Text("dos")])
    naps = []
    sender = Sender(harness.db, harness.redis, harness.settings, sleep=naps.append)
    assert sender.deliver(harness.org_id, second).outcome == "sent"
    assert sum(naps) == pytest.approx(ORDER_WAIT_LIMIT)
    assert [r["payload"]["text"]["body"] for r in harness.replies()[1:]] == ["dos"]


def test_every_reply_sent_leaves_its_mark_and_lets_go_of_its_claim(harness):
    """Not only a burst's first reply: the second of a burst, a notice, a staff reply. The mark
    is what keeps a crashed sender's retry from sending it twice; the claim held on would keep
    any other sender of it off for the send timeout."""
    before = _count_out(harness)
    ids = _queue(harness, [Text("uno"), Text("dos"), Text("tres")])
    for mid in ids:
        assert Sender(harness.db, harness.redis, harness.settings).deliver(harness.org_id, mid).outcome == "sent"
    for mid, reply in zip(ids, harness.replies()[-3:], strict=True):
        assert harness.redis.get(f"campotech:sent:{mid}").decode() == reply["wamid"]
        assert not harness.redis.exists(f"campotech:sending:{mid}")
    assert _count_out(harness) == before + 3


def _count_out(harness) -> float:
    from services.metrics import Metrics

    text = Metrics(harness.redis).render()
    line = next((ln for ln in text.splitlines() if ln.startswith('campotech_messages_out_total{type="text"}')), None)
    return float(line.split()[-1]) if line else 0.0


def test_an_earlier_reply_that_failed_for_good_stops_holding_the_next_at_the_next_look(harness):
    """It never gets a sent mark: the database is looked at again every ORDER_RECHECK polls."""
    from services.send_reply import ORDER_POLL, ORDER_RECHECK

    first, second = _queue(harness, [Text("uno"), Text("dos")])
    naps = []

    def meanwhile(seconds):
        naps.append(seconds)
        if len(naps) == 2:  # the earlier one fails for good while this one waits
            with harness.db.org_session(harness.org_id) as s:
                s.get(Message, first).status = DeliveryStatus.FAILED

    sender = Sender(harness.db, harness.redis, harness.settings, sleep=meanwhile)
    assert sender.deliver(harness.org_id, second).outcome == "sent"
    assert sum(naps) == pytest.approx(ORDER_RECHECK * ORDER_POLL)
