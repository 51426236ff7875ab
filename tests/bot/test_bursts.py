"""Bursts: closed by the quiet window or the cap, answered once, whatever races."""

from __future__ import annotations

import time

from sqlalchemy import select

from core.models import Message
from services.answer_burst import answer_burst
from services.bursts import BurstClock
from tests.bot.conftest import CUSTOMER


def test_quiet_window_closes_a_burst_after_the_last_message(redisdb):
    clock = BurstClock(redisdb)
    clock.note(1, 7, now=100.0, quiet=4, cap=20)
    clock.note(1, 7, now=102.0, quiet=4, cap=20)
    assert clock.claim_due(105.9) == []
    [burst] = clock.claim_due(106.0)
    assert (burst.org_id, burst.conversation_id, burst.count, burst.first_at) == (1, 7, 2, 100.0)
    assert clock.claim_due(200.0) == []  # claimed once, gone


def test_cap_closes_a_burst_that_never_goes_quiet(redisdb):
    clock = BurstClock(redisdb)
    for t in range(0, 40, 3):  # a message every 3 s, quiet window 4 s: never quiet
        clock.note(1, 7, now=1000.0 + t, quiet=4, cap=20)
        if t >= 20:
            break
    [burst] = clock.claim_due(1020.0)
    assert burst.first_at == 1000.0


def test_each_conversation_has_its_own_burst(redisdb):
    clock = BurstClock(redisdb)
    clock.note(1, 7, now=0.0, quiet=1, cap=5)
    clock.note(1, 8, now=0.5, quiet=1, cap=5)
    clock.note(2, 7, now=0.7, quiet=1, cap=5)
    assert {(b.org_id, b.conversation_id) for b in clock.claim_due(2.0)} == {(1, 7), (1, 8), (2, 7)}


def test_three_messages_get_one_reply_that_echoes_them_in_order(harness):
    harness.say("hola", name="Marta García")
    harness.say("se me rompió el termotanque")
    harness.say("estoy en Palermo")
    harness.work()
    [reply] = harness.replies()  # one answer: the booking asks for the street and number
    # in the barrio already said
    assert reply["payload"]["text"]["body"].startswith("¿En qué calle y altura de Palermo?")
    said = harness.booking()["said"]  # the whole burst, in order
    assert said.index("hola") < said.index("termotanque") < said.index("Palermo")
    assert "hola" not in harness.booking()["description"].lower()  # the job says the problem
    with harness.db.org_session(harness.org_id) as s:
        inbound = list(s.scalars(select(Message).where(Message.direction == "in")))
        assert {m.burst_id for m in inbound} != {None} and len({m.burst_id for m in inbound}) == 1
        out = s.scalar(select(Message).where(Message.direction == "out"))
        assert out.status == "sent" and out.wa_message_id == reply["wamid"]


def test_a_message_after_the_reply_opens_a_new_burst(harness):
    harness.say("hola")
    harness.work()
    harness.say("¿siguen ahí?")
    harness.work()
    assert len(harness.replies()) == 2


def test_the_cap_answers_a_sender_who_never_stops(harness):
    start = time.monotonic()
    first_reply_at = None
    sent = 0
    # quiet 0.3 s, cap 1.5 s, a message every 0.2 s; kept up until the bot has answered and two
    # more messages came after (bounded by a deadline, not by a wall-clock guess that a loaded
    # machine can miss)
    while time.monotonic() - start < 30:
        harness.say(f"se rompió el caño, parte {sent}")
        sent += 1
        harness.step()  # the clock and a worker keep running while the sender types
        if first_reply_at is None and harness.replies():
            first_reply_at, answered_before = time.monotonic() - start, sent
        if first_reply_at is not None and sent >= answered_before + 2:
            break
        time.sleep(0.2)
    harness.work()
    # The cap answered while messages kept coming, and what came after got its own answer.
    assert first_reply_at is not None and answered_before < sent, (first_reply_at, sent)
    with harness.db.org_session(harness.org_id) as s:
        inbound = list(s.scalars(select(Message).where(Message.direction == "in")))
        answered = {m.idempotency_key.split(":")[1] for m in s.scalars(
            select(Message).where(Message.direction == "out", Message.idempotency_key.like("burst:%")))}
    bursts = {m.burst_id for m in inbound}
    assert len(inbound) == sent and None not in bursts  # every message in exactly one burst
    assert len(bursts) >= 2 and bursts == answered  # each burst answered, none twice


def test_a_retried_burst_job_does_not_answer_twice(harness):
    harness.say("hola")
    harness.redis.delete("campotech:bursts:due")  # run the job by hand, twice, as a retry would
    with harness.db.org_session(harness.org_id) as s:
        conversation_id = s.scalar(select(Message.conversation_id))
    first = answer_burst(harness.db, harness.redis, harness.settings, harness.org_id, conversation_id, "b1")
    second = answer_burst(harness.db, harness.redis, harness.settings, harness.org_id, conversation_id, "b1")
    assert first.status == "answered" and second.reply_ids == first.reply_ids
    third = answer_burst(harness.db, harness.redis, harness.settings, harness.org_id, conversation_id, "b2")
    assert third.status == "nothing_new" and third.reply_ids == []


def test_duplicate_delivery_mid_burst_gives_one_reply(harness):
    from bot import simulator
    from tests.bot.conftest import PHONE_NUMBER_ID

    payload = simulator.text(PHONE_NUMBER_ID, CUSTOMER, "hola")
    for _ in range(3):
        assert harness.post(payload).status_code == 200
    harness.work()
    harness.post(payload)  # Meta redelivers long after: still no second answer
    harness.work()
    assert len(harness.replies()) == 1

