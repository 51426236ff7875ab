"""Parsing of Meta's webhook payloads: every fixture in tests/data/webhooks, and the bad shapes."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.payload_fields import PayloadError
from bot.payloads import parse_webhook
from bot.updates import (
    STATUS_ORDER,
    GeoPoint,
    InboundMessage,
    Media,
    StatusError,
    WebhookBatch,
    status_advances,
)

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "webhooks"
PHONE_NUMBER_ID = "100000000000001"
MARTA = "5491155550000"
JUAN = "5491166660001"

# (messages, statuses, other changes) each fixture must yield.
COUNTS = {
    "text.json": (1, 0, 0),
    "text_burst_batched.json": (4, 0, 0),
    "audio_voice.json": (1, 0, 0),
    "image.json": (1, 0, 0),
    "document.json": (1, 0, 0),
    "video.json": (1, 0, 0),
    "sticker.json": (1, 0, 0),
    "location.json": (1, 0, 0),
    "contacts.json": (1, 0, 0),
    "interactive_button_reply.json": (1, 0, 0),
    "interactive_list_reply.json": (1, 0, 0),
    "template_button.json": (1, 0, 0),
    "reaction.json": (1, 0, 0),
    "unsupported.json": (1, 0, 0),
    "unknown_type.json": (1, 0, 0),
    "username_only.json": (1, 0, 0),
    "status_sent.json": (0, 1, 0),
    "status_delivered.json": (0, 1, 0),
    "status_read.json": (0, 1, 0),
    "status_played.json": (0, 1, 0),
    "status_failed.json": (0, 1, 0),
    "statuses_out_of_order.json": (0, 2, 0),
    "mixed_messages_and_statuses.json": (2, 2, 1),
    "edit_text.json": (1, 0, 0),
    "edit_caption.json": (1, 0, 0),
    "revoke.json": (1, 0, 0),
    "smb_message_echo_text.json": (1, 0, 0),
    "system_customer_changed_number.json": (1, 0, 0),
    "system_user_changed_number.json": (1, 0, 0),
}


def load(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def parse(name: str) -> WebhookBatch:
    return parse_webhook(load(name))


def only_message(name: str) -> InboundMessage:
    batch = parse(name)
    assert len(batch.messages) == 1
    return batch.messages[0]


def test_every_fixture_is_listed():
    assert sorted(p.name for p in FIXTURES.glob("*.json")) == sorted(COUNTS)


@pytest.mark.parametrize("name", sorted(COUNTS))
def test_fixture_parses_with_expected_counts(name):
    batch = parse(name)
    assert (len(batch.messages), len(batch.statuses), len(batch.other_changes)) == COUNTS[name]
    for item in (*batch.messages, *batch.statuses):
        assert item.phone_number_id == PHONE_NUMBER_ID
        assert item.wa_message_id.startswith("wamid.")
        assert item.timestamp.tzinfo is not None
        assert item.timestamp.utcoffset().total_seconds() == 0
    for message in batch.messages:
        assert message.display_phone_number == "5491140000000"
        assert message.raw["id"] == message.wa_message_id


def test_message_ids_are_unique_across_fixtures():
    ids = [m.wa_message_id for name in COUNTS for m in parse(name).messages]
    assert len(ids) == len(set(ids))


def test_text():
    m = only_message("text.json")
    assert (m.type, m.text, m.wa_id, m.profile_name) == (
        "text", "hola, se me rompió el termotanque", MARTA, "Marta García")
    assert m.timestamp == datetime(2025, 11, 24, 15, 0, tzinfo=UTC)
    assert (m.user_id, m.reply_id, m.media, m.location, m.context_id, m.reacted_to) == (
        None, None, None, None, None, None)
    assert m.errors == ()


def test_batched_burst_keeps_order_and_matches_each_sender():
    batch = parse("text_burst_batched.json")
    assert [(m.wa_id, m.text) for m in batch.messages] == [
        (MARTA, "hola"),
        (MARTA, "se me rompió el termotanque"),
        (JUAN, "estoy en Palermo"),
        (MARTA, "pierde agua por abajo"),
    ]
    assert [m.profile_name for m in batch.messages] == [
        "Marta García", "Marta García", "Juan Pérez", "Marta García"]
    stamps = [m.timestamp for m in batch.messages]
    assert stamps == sorted(stamps)


def test_voice_note():
    m = only_message("audio_voice.json")
    assert m.type == "audio" and m.text is None
    assert m.media is not None
    assert (m.media.id, m.media.mime_type, m.media.voice) == (
        "1048576000000001", "audio/ogg; codecs=opus", True)
    assert m.media.sha256


def test_audio_file_without_voice_flag_is_not_a_voice_note():
    payload = load("audio_voice.json")
    del payload["entry"][0]["changes"][0]["value"]["messages"][0]["audio"]["voice"]
    media = parse_webhook(payload).messages[0].media
    assert media is not None and media.voice is False


@pytest.mark.parametrize(
    ("name", "kind", "media", "text"),
    [
        ("image.json", "image",
         Media("1048576000000002", "image/jpeg", None, None, "así quedó la pérdida", False),
         "así quedó la pérdida"),
        ("document.json", "document",
         Media("1048576000000003", "application/pdf", None, "factura_0001-00001234.pdf",
               "la factura anterior", False),
         "la factura anterior"),
        ("video.json", "video",
         Media("1048576000000004", "video/mp4", None, None, "mirá cómo gotea", False),
         "mirá cómo gotea"),
        ("sticker.json", "sticker",
         Media("1048576000000005", "image/webp", None, None, None, False),
         None),
    ],
)
def test_media_messages(name, kind, media, text):
    m = only_message(name)
    assert m.type == kind and m.text == text
    assert m.media is not None and m.media.sha256  # compared apart: it is a real digest
    assert m.media == replace(media, sha256=m.media.sha256)


def test_location():
    m = only_message("location.json")
    assert m.type == "location" and m.text is None and m.media is None
    assert m.location == GeoPoint(
        -34.5875, -58.4106, "Alto Palermo", "Av. Santa Fe 3253, C1425 CABA",
        "https://maps.google.com/?q=-34.5875,-58.4106")


def test_shared_contacts_read_as_name_and_phone():
    m = only_message("contacts.json")
    assert m.type == "contacts"
    assert m.text == "Carlos Gómez +54 9 11 5555-0003\nLaura +5491155550004"
    assert m.wa_id == MARTA and m.profile_name == "Marta García"


def test_interactive_button_reply():
    m = only_message("interactive_button_reply.json")
    assert (m.type, m.text, m.reply_id) == ("interactive", "Sí, mañana 9 hs", "confirm_slot:2025-11-25T09")
    assert m.context_id is not None and m.context_id.startswith("wamid.")


def test_interactive_list_reply_text_is_the_title():
    m = only_message("interactive_list_reply.json")
    assert (m.type, m.text, m.reply_id) == ("interactive", "Plomería", "trade:plumbing")


def test_interactive_flow_reply():
    payload = load("interactive_button_reply.json")
    message = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    message["interactive"] = {"type": "nfm_reply", "nfm_reply": {
        "name": "flow", "body": "Sent", "response_json": '{"address": "Gorriti 4800"}'}}
    m = parse_webhook(payload).messages[0]
    assert (m.text, m.reply_id) == ("Sent", None)
    del message["interactive"]["nfm_reply"]["body"]
    assert parse_webhook(payload).messages[0].text == '{"address": "Gorriti 4800"}'


def test_template_quick_reply_button():
    m = only_message("template_button.json")
    assert (m.type, m.text, m.reply_id) == ("button", "Cambiar horario", "reminder:reschedule")
    assert m.context_id is not None


def test_reaction():
    m = only_message("reaction.json")
    assert (m.type, m.text) == ("reaction", "👍")
    assert m.reacted_to is not None and m.reacted_to.startswith("wamid.")


def test_removed_reaction_has_no_text():
    payload = load("reaction.json")
    payload["entry"][0]["changes"][0]["value"]["messages"][0]["reaction"]["emoji"] = ""
    m = parse_webhook(payload).messages[0]
    assert m.text is None and m.reacted_to is not None


def test_unsupported_keeps_its_errors():
    m = only_message("unsupported.json")
    assert (m.type, m.text, m.media) == ("unsupported", None, None)
    assert [e["code"] for e in m.errors] == [131051]
    assert m.errors[0]["error_data"]["details"] == "Message type is currently not supported."


def test_unknown_type_is_kept_as_given_with_its_raw_fields():
    m = only_message("unknown_type.json")
    assert (m.type, m.text, m.reply_id, m.media, m.location) == ("poll_vote", None, None, None, None)
    assert m.raw["poll_vote"]["option"] == "A la tarde"
    assert m.raw["extra_field"] == {"nested": [1, 2, 3]}
    assert m.wa_id == MARTA


def test_system_message_text_is_its_body():
    payload = load("text.json")
    message = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    del message["text"]
    message.update(type="system", system={
        "body": "Marta cambió su número", "wa_id": "5491155550099", "type": "user_changed_number"})
    assert parse_webhook(payload).messages[0].text == "Marta cambió su número"


def test_username_only_sender():
    m = only_message("username_only.json")
    assert m.wa_id is None
    assert m.user_id == "AR.13491208655302741918"
    assert m.profile_name == "Anónimo"
    assert m.text == "hola, ¿trabajan en Caballito?"


def test_user_id_comes_from_the_contact_when_the_message_has_a_number():
    payload = load("text.json")
    payload["entry"][0]["changes"][0]["value"]["contacts"][0]["user_id"] = "AR.1"
    m = parse_webhook(payload).messages[0]
    assert (m.wa_id, m.user_id) == (MARTA, "AR.1")


def test_sender_without_a_matching_contact_has_no_profile_name():
    payload = load("text.json")
    payload["entry"][0]["changes"][0]["value"]["contacts"][0]["wa_id"] = "5491100000000"
    m = parse_webhook(payload).messages[0]
    assert (m.wa_id, m.profile_name) == (MARTA, None)


@pytest.mark.parametrize(
    ("name", "status"),
    [("status_sent.json", "sent"), ("status_delivered.json", "delivered"),
     ("status_read.json", "read"), ("status_played.json", "played")],
)
def test_statuses(name, status):
    s = parse(name).statuses[0]
    assert s.status == status and s.errors == ()
    assert s.recipient_id is not None and s.recipient_id.startswith("549")
    assert s.conversation_id == "d7b3a1f0c2e94b5a8f6e1c0b9a7d3e21"
    assert s.pricing_category == "service"
    assert s.raw["id"] == s.wa_message_id


def test_sent_delivered_and_read_refer_to_one_message():
    ids = {parse(n).statuses[0].wa_message_id
           for n in ("status_sent.json", "status_delivered.json", "status_read.json")}
    assert len(ids) == 1


def test_failed_status_carries_its_error():
    s = parse("status_failed.json").statuses[0]
    assert (s.status, s.recipient_id, s.conversation_id, s.pricing_category) == (
        "failed", JUAN, None, None)
    assert s.errors == (StatusError(
        131047, "Re-engagement message", "Re-engagement message",
        "Message failed to send because more than 24 hours have passed since the customer "
        "last replied to this number."),)


def test_statuses_out_of_order_are_all_reported_in_arrival_order():
    read, delivered = parse("statuses_out_of_order.json").statuses
    assert read.wa_message_id == delivered.wa_message_id
    assert (read.status, delivered.status) == ("read", "delivered")
    assert not status_advances(read.status, delivered.status)


def test_mixed_payload_walks_every_entry_and_change():
    batch = parse("mixed_messages_and_statuses.json")
    assert [(m.type, m.wa_id) for m in batch.messages] == [("text", MARTA), ("location", JUAN)]
    assert batch.messages[0].text == "¿cuándo vienen?"
    assert batch.messages[1].location == GeoPoint(-34.6037, -58.3816, None, None, None)
    assert [(s.status, s.recipient_id) for s in batch.statuses] == [
        ("delivered", MARTA), ("read", JUAN)]
    assert batch.other_changes[0]["field"] == "account_update"


def test_unknown_status_string_is_kept():
    payload = load("status_sent.json")
    payload["entry"][0]["changes"][0]["value"]["statuses"][0]["status"] = "deleted"
    assert parse_webhook(payload).statuses[0].status == "deleted"


def test_numeric_timestamp_is_accepted():
    payload = load("text.json")
    payload["entry"][0]["changes"][0]["value"]["messages"][0]["timestamp"] = 1763996400
    assert parse_webhook(payload).messages[0].timestamp == datetime(2025, 11, 24, 15, 0, tzinfo=UTC)


def test_change_with_only_value_errors_is_kept_not_failed():
    payload = load("text.json")
    value = payload["entry"][0]["changes"][0]["value"]
    del value["messages"], value["contacts"]
    value["errors"] = [{"code": 131000, "title": "Something went wrong"}]
    batch = parse_webhook(payload)
    assert (batch.messages, batch.statuses) == ((), ())
    assert batch.other_changes[0]["value"]["errors"][0]["code"] == 131000


def _break(path: list[Any], new: Any = None, *, delete: bool = False) -> dict[str, Any]:
    """text.json with the item at `path` replaced (or deleted)."""
    payload = copy.deepcopy(load("text.json"))
    target = payload
    for key in path[:-1]:
        target = target[key]
    if delete:
        del target[path[-1]]
    else:
        target[path[-1]] = new
    return payload


MESSAGE = ["entry", 0, "changes", 0, "value", "messages", 0]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("hola", "body: expected an object, got a string"),
        ([load("text.json")], "body: expected an object, got a list"),
        (None, "body: expected an object, got null"),
        (_break(["object"], "page"), "object: expected 'whatsapp_business_account'"),
        (_break(["object"], delete=True), "object: expected"),
        (_break(["entry"], {"id": "1"}), "entry: expected a list, got an object"),
        (_break(["entry"], delete=True), "entry: missing"),
        (_break(["entry", 0], "x"), "entry[0]: expected an object"),
        (_break(["entry", 0, "changes"], None), "entry[0].changes: expected a list"),
        (_break(["entry", 0, "changes", 0, "value"], delete=True),
         "entry[0].changes[0].value: missing"),
        (_break(["entry", 0, "changes", 0, "value"], []),
         "entry[0].changes[0].value: expected an object"),
        (_break(["entry", 0, "changes", 0, "field"], delete=True),
         "entry[0].changes[0].field: expected a string"),
        (_break(["entry", 0, "changes", 0, "value", "metadata"], delete=True),
         "entry[0].changes[0].value.metadata: missing"),
        (_break(["entry", 0, "changes", 0, "value", "messages"], {}),
         "entry[0].changes[0].value.messages: expected a list"),
        (_break(MESSAGE, "hola"), "entry[0].changes[0].value.messages[0]: expected an object"),
        (_break([*MESSAGE, "id"], delete=True), "entry[0].changes[0].value.messages[0].id: missing"),
        (_break([*MESSAGE, "type"], 7), "messages[0].type: expected a non-empty string"),
        (_break([*MESSAGE, "timestamp"], "ayer"), "messages[0].timestamp: expected Unix seconds"),
        (_break([*MESSAGE, "timestamp"], delete=True), "messages[0].timestamp: expected Unix"),
        (_break([*MESSAGE, "timestamp"], True), "messages[0].timestamp: expected Unix"),
        (_break([*MESSAGE, "timestamp"], "1e300"), "messages[0].timestamp: out of range"),
    ],
)
def test_malformed_bodies_raise_payload_error_naming_the_path(body, message):
    with pytest.raises(PayloadError) as raised:
        parse_webhook(body)
    assert message in str(raised.value)
    assert isinstance(raised.value, ValueError)


def test_malformed_status_raises_payload_error():
    payload = load("status_failed.json")
    status = payload["entry"][0]["changes"][0]["value"]["statuses"][0]
    status["errors"][0]["code"] = "oops"
    with pytest.raises(PayloadError, match=r"statuses\[0\]\.errors\[0\]\.code"):
        parse_webhook(payload)
    del status["id"]
    with pytest.raises(PayloadError, match=r"statuses\[0\]\.id: missing"):
        parse_webhook(payload)


def test_later_bad_message_fails_the_batch_with_its_index():
    payload = load("text_burst_batched.json")
    del payload["entry"][0]["changes"][0]["value"]["messages"][2]["id"]
    with pytest.raises(PayloadError, match=r"messages\[2\]\.id: missing"):
        parse_webhook(payload)


def test_status_order_ranks():
    assert sorted(STATUS_ORDER, key=STATUS_ORDER.get) == [
        "queued", "sent", "delivered", "read", "played"]


@pytest.mark.parametrize(
    ("current", "new", "advances"),
    [
        (None, "sent", True),
        (None, "delivered", True),  # "sent" may never arrive
        ("queued", "sent", True),
        ("sent", "delivered", True),
        ("sent", "read", True),  # "delivered" may be skipped
        ("delivered", "read", True),
        ("read", "played", True),
        ("sent", "sent", False),
        ("read", "read", False),
        ("read", "delivered", False),  # out of order: never backwards
        ("played", "read", False),
        ("delivered", "sent", False),
        (None, "failed", True),
        ("queued", "failed", True),
        ("sent", "failed", True),
        ("delivered", "failed", False),
        ("read", "failed", False),
        ("played", "failed", False),
        ("failed", "failed", False),
        ("failed", "sent", False),
        ("failed", "delivered", False),
        ("failed", "read", False),
        ("failed", "played", False),
        (None, "deleted", False),
        ("sent", "warning", False),
        ("received", "sent", True),  # a status we do not rank is treated like none yet
    ],
)
def test_status_advances(current, new, advances):
    assert status_advances(current, new) is advances
