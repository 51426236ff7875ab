"""Bad data in a signed delivery is cleaned or set aside per field and per message, never taken
for an outage (#16 items 3, 4) — and old messages are stored but not answered as new (item 11)."""

from __future__ import annotations

import json
import logging
import time

import pytest
from sqlalchemy import func, select

from bot import simulator
from core.models import Conversation, DeliveryStatus, Direction, Message
from tests.bot.conftest import CUSTOMER, PHONE_NUMBER_ID

OTHER = "5491166660001"


def _post_raw(harness, body: bytes):
    return harness.client.post("/webhooks/whatsapp", data=body, headers={
        "Content-Type": "application/json",
        "X-Hub-Signature-256": simulator.sign(harness.settings.whatsapp_app_secret, body)})


def _message(payload: dict) -> dict:
    return payload["entry"][0]["changes"][0]["value"]["messages"][0]


def _delivery(*payloads: dict) -> dict:
    """One webhook post carrying the messages (and contacts) of every payload, in order."""
    first = json.loads(json.dumps(payloads[0]))
    value = first["entry"][0]["changes"][0]["value"]
    for extra in payloads[1:]:
        other = extra["entry"][0]["changes"][0]["value"]
        value["messages"] += other["messages"]
        value["contacts"] += other["contacts"]
    return first


def _rows(harness) -> dict[str, Message]:
    with harness.db.org_session(harness.org_id) as s:
        rows = s.scalars(select(Message).where(Message.direction == Direction.INBOUND)).all()
        for row in rows:
            _ = row.raw  # deferred: load it while the session is open
        return {row.wa_message_id: row for row in rows}


def _good_pair():
    before = simulator.text(PHONE_NUMBER_ID, CUSTOMER, "hola, se me rompió el calefón")
    after = simulator.text(PHONE_NUMBER_ID, OTHER, "estoy en Palermo")
    return before, after


# -- item 3: bad fields are cleaned (truncated or dropped) or the message set aside ------------

def _bad_text(wamid: str, **changes) -> dict:
    payload = simulator.text(PHONE_NUMBER_ID, "5491177770002", "mensaje raro", wamid=wamid)
    msg = _message(payload)
    for key, value in changes.items():
        if value is _DELETE:
            msg.pop(key, None)
        else:
            msg[key] = value
    return payload


_DELETE = object()
LONG = "x" * 300


@pytest.mark.parametrize(("name", "build", "expect"), [
    ("nul_in_body", lambda w: _bad_text(w, text={"body": "hola\x00 che"}), {"body": "hola che"}),
    ("nul_in_id", lambda w: _bad_text(w, id=w + "\x00"), {"wa_message_id": "W"}),
    ("type_too_long", lambda w: _bad_text(w, type="t" * 300), {"type": "t" * 24}),
    ("mime_too_long", lambda w: simulator.image(PHONE_NUMBER_ID, "5491177770002", "media-1",
                                                mime="image/" + LONG, wamid=w),
     {"media_mime": ("image/" + LONG)[:80], "media_id": "media-1"}),
    ("media_id_too_long", lambda w: simulator.image(PHONE_NUMBER_ID, "5491177770002", "m" * 300,
                                                    wamid=w), {"media_id": None}),
    ("location_1e999", None, {"latitude": None, "longitude": None}),
    ("huge_int_in_unknown_field", lambda w: _bad_text(w, extra=10 ** 400), {"body": "mensaje raro"}),
])
def test_a_bad_field_is_cleaned_and_the_whole_delivery_is_stored(harness, name, build, expect, caplog):
    wamid = f"wamid.BAD-{name}"
    before, after = _good_pair()
    if build is None:  # 1e999 cannot come out of json.dumps: write the bytes by hand
        bad = simulator.location(PHONE_NUMBER_ID, "5491177770002", 1.5, 2.5, wamid=wamid)
        body = simulator.encode(_delivery(before, bad, after)).replace(b'"latitude":1.5', b'"latitude":1e999')
    else:
        body = simulator.encode(_delivery(before, build(wamid), after))
    with caplog.at_level(logging.INFO, logger="campotech.bot"):
        response = _post_raw(harness, body)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["stored"] == 3
    rows = _rows(harness)
    assert {_message(before)["id"], _message(after)["id"]} <= rows.keys()
    (bad_row,) = [r for w, r in rows.items() if w.startswith(wamid)]
    for column, value in expect.items():
        assert getattr(bad_row, column) == (wamid if value == "W" else value), column


@pytest.mark.parametrize(("name", "changes"), [
    ("id_too_long", {"id": "wamid." + LONG}),
    ("sender_too_long", {"from": "5" * 300}),
    ("user_id_too_long", {"from": _DELETE, "from_user_id": "AR." + LONG}),
    ("timestamp_1e999", {"timestamp": 1e308}),  # replaced by 1e999 in the bytes below
    ("timestamp_beyond_datetime", {"timestamp": "99999999999999"}),
])
def test_a_bad_identifier_sets_that_message_aside_with_a_log_line_and_keeps_the_rest(
        harness, name, changes, caplog):
    before, after = _good_pair()
    bad = _bad_text("wamid.SET-ASIDE", **changes)
    body = simulator.encode(_delivery(before, bad, after)).replace(b"1e+308", b"1e999")
    with caplog.at_level(logging.WARNING, logger="campotech.bot"):
        response = _post_raw(harness, body)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["stored"] == 2 and response.get_json()["rejected"] == 1
    assert set(_rows(harness)) == {_message(before)["id"], _message(after)["id"]}
    assert "messages[1]" in caplog.text and "set aside" in caplog.text


def test_a_delivery_with_nothing_usable_is_still_a_400(harness):
    bad = _bad_text("wamid." + LONG)
    response = harness.post(bad)
    assert response.status_code == 400
    assert _rows(harness) == {}


def test_a_status_error_code_beyond_the_column_is_dropped_not_an_outage(harness, caplog):
    with harness.db.org_session(harness.org_id) as s:
        conversation = Conversation(org_id=harness.org_id, wa_id=CUSTOMER, slots={})
        s.add(conversation)
        s.flush()
        s.add(Message(org_id=harness.org_id, conversation_id=conversation.id, direction=Direction.OUTBOUND,
                      type="text", body="hola", wa_message_id="wamid.OUT-1", status=DeliveryStatus.SENT))
    payload = simulator.status(PHONE_NUMBER_ID, "wamid.OUT-1", CUSTOMER, "failed", error_code=2 ** 40,
                               error_title="t" * 500)
    with caplog.at_level(logging.WARNING, logger="campotech.bot"):
        response = harness.post(payload)
    assert response.status_code == 200, response.get_data(as_text=True)
    with harness.db.org_session(harness.org_id) as s:
        row = s.scalar(select(Message).where(Message.wa_message_id == "wamid.OUT-1"))
        assert row.status is DeliveryStatus.FAILED and row.error_code is None
        assert row.error_title == "t" * 200
    assert "error code" in caplog.text


def test_only_an_outage_is_a_503_bad_data_never(harness):
    """The 503 path stays for a database that is down (tests/bot/test_webhook.py proves it);
    a value the database would refuse is not one."""
    before, after = _good_pair()
    bad = _bad_text("wamid.NUL", text={"body": "\x00" * 10})
    assert harness.post(_delivery(before, bad, after)).status_code == 200


# -- item 4: bodies that got a 500 ------------------------------------------------------------

def _text_body(raw_json_body: bytes) -> bytes:
    """A signed text message whose JSON `text.body` is given as raw bytes."""
    payload = simulator.text(PHONE_NUMBER_ID, CUSTOMER, "PLACEHOLDER", wamid="wamid.ODD")
    return simulator.encode(payload).replace(b'"PLACEHOLDER"', raw_json_body)


def _deep(levels: int) -> bytes:
    return b"[" * levels + b"]" * levels


@pytest.mark.parametrize(("name", "body", "stored"), [
    ("escaped_lone_surrogate", _text_body(rb'"hola \ud800 che"'), True),
    ("lone_surrogate_in_a_key", _text_body(rb'"hola", "\udfff": "x"'), True),
    ("utf8_encoded_surrogate_bytes", _text_body(b'"hola \xed\xa0\x80 che"'), True),
    ("deep_nesting_in_a_field", _text_body(b'"hola", "deep": ' + _deep(5000)), False),
    ("deep_nesting_under_the_parser_limit", _text_body(b'"hola", "deep": ' + _deep(600)), True),
    ("deep_nesting_whole_body", _deep(100_000), False),
    ("five_thousand_digit_number", _text_body(b'"hola", "n": ' + b"7" * 5000), True),
    ("five_thousand_digit_timestamp", simulator.encode(simulator.text(
        PHONE_NUMBER_ID, CUSTOMER, "hola", wamid="wamid.ODD")).replace(b'"timestamp":"', b'"timestamp":' + b"9" * 5000 + b',"x":"'), False),
    ("nan_and_infinity_literals", _text_body(b'"hola", "a": NaN, "b": -Infinity'), True),
])
def test_odd_signed_bodies_get_a_4xx_or_are_stored_cleaned_never_a_500(harness, name, body, stored):
    response = _post_raw(harness, body)
    assert response.status_code in (200, 400, 413), (response.status_code, response.get_data(as_text=True))
    rows = _rows(harness)
    if stored:
        assert response.status_code == 200 and "wamid.ODD" in rows
        row = rows["wamid.ODD"]
        assert "\x00" not in row.body and not any(0xD800 <= ord(c) <= 0xDFFF for c in row.body)
    else:
        assert response.status_code == 400 and rows == {}


# -- item 11: freshness -------------------------------------------------------------------------

def test_an_old_message_is_stored_but_not_answered_and_a_fresh_one_is(harness, caplog):
    old = simulator.text(PHONE_NUMBER_ID, OTHER, "hola, ¿siguen atendiendo?", timestamp=time.time() - 25 * 3600)
    fresh = simulator.text(PHONE_NUMBER_ID, CUSTOMER, "hola, se me rompió el calefón")
    with caplog.at_level(logging.INFO, logger="campotech.bot"):
        response = harness.post(_delivery(old, fresh))
    assert response.status_code == 200
    assert response.get_json()["stored"] == 1 and response.get_json()["stale"] == 1
    assert "older than 24 h" in caplog.text
    harness.work()
    assert harness.replies(OTHER) == [] and len(harness.replies(CUSTOMER)) >= 1
    rows = _rows(harness)
    assert rows[_message(old)["id"]].processed_at is not None
    assert rows[_message(old)["id"]].body == "hola, ¿siguen atendiendo?"
    # the sweeper does not pick it up later either
    assert harness.closer.sweep(older_than=0)["bursts"] == 0
    # a redelivery of the old message is a duplicate, as any other
    assert harness.post(old).get_json()["duplicates"] == 1


def test_a_hand_back_never_reopens_an_old_message(harness):
    from core.messaging.conversations import reopen_unanswered
    from core.models import utcnow

    old = simulator.text(PHONE_NUMBER_ID, OTHER, "hola, ¿siguen atendiendo?", timestamp=time.time() - 25 * 3600)
    harness.post(old)
    harness.say("¿hay alguien?", OTHER)  # a fresh one after it, still unanswered
    with harness.db.org_session(harness.org_id) as s:
        conversation = s.scalar(select(Conversation).where(Conversation.wa_id == OTHER))
        s.execute(Message.__table__.update().where(Message.body == "¿hay alguien?")
                  .values(processed_at=utcnow(), burst_id="b-1"))
        assert reopen_unanswered(s, conversation.id) == 1  # the fresh one, not the stale one
    assert _rows(harness)[_message(old)["id"]].processed_at is not None


def test_the_age_limit_is_a_setting(harness, monkeypatch):
    from web import create_app

    settings = harness.settings.model_copy(update={"inbound_max_age_hours": 1.0})
    harness.app = create_app(settings)
    two_hours = simulator.text(PHONE_NUMBER_ID, CUSTOMER, "hola", timestamp=time.time() - 2 * 3600)
    assert harness.post(two_hours).get_json()["stale"] == 1
    harness.work()
    assert harness.replies(CUSTOMER) == []


def test_statuses_are_not_affected_by_age(harness):
    with harness.db.org_session(harness.org_id) as s:
        conversation = Conversation(org_id=harness.org_id, wa_id=CUSTOMER, slots={})
        s.add(conversation)
        s.flush()
        s.add(Message(org_id=harness.org_id, conversation_id=conversation.id, direction=Direction.OUTBOUND,
                      type="text", body="hola", wa_message_id="wamid.OUT-OLD", status=DeliveryStatus.SENT))
    old = simulator.status(PHONE_NUMBER_ID, "wamid.OUT-OLD", CUSTOMER, "read", timestamp=time.time() - 72 * 3600)
    assert harness.post(old).get_json()["statuses"] == 1
    with harness.db.org_session(harness.org_id) as s:
        assert s.scalar(select(func.count(Message.id)).where(Message.status == DeliveryStatus.READ)) == 1


def test_the_parsers_limits_are_the_columns_sizes():
    """bot.payloads sizes every field to its column; a migration that changes one must move both."""
    from bot import updates

    messages, conversations = Message.__table__.c, Conversation.__table__.c
    assert {
        "REPLY_ID_MAX": messages.reply_id.type.length, "PLACE_NAME_MAX": messages.place_name.type.length,
        "PLACE_ADDRESS_MAX": messages.place_address.type.length,
        "REACTED_TO_MAX": messages.reacted_to.type.length, "WAMID_MAX": messages.wa_message_id.type.length,
        "TYPE_MAX": messages.type.type.length, "MEDIA_ID_MAX": messages.media_id.type.length,
        "MIME_MAX": messages.media_mime.type.length,
        "PROFILE_NAME_MAX": conversations.profile_name.type.length,
        "WA_ID_MAX": conversations.wa_id.type.length,
    } == {name: getattr(updates, name) for name in (
        "REPLY_ID_MAX", "PLACE_NAME_MAX", "PLACE_ADDRESS_MAX", "REACTED_TO_MAX", "WAMID_MAX", "TYPE_MAX",
        "MEDIA_ID_MAX", "MIME_MAX", "PROFILE_NAME_MAX", "WA_ID_MAX")}
    assert updates.USER_ID_MAX + len("user:") == conversations.wa_id.type.length
    assert updates.USER_ID_MAX <= conversations.wa_user_id.type.length
