"""Taps, template buttons, pins and reactions are parsed once at the webhook and stored as typed
columns; the burst is built from those columns, never from the raw payload."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, update

from bot import simulator
from bot.payloads import parse_webhook
from bot.updates import PLACE_ADDRESS_MAX, PLACE_NAME_MAX, REACTED_TO_MAX, REPLY_ID_MAX, GeoPoint
from core.models import Message
from flows.burst import Pin
from services.answer_burst import _item
from tests.bot.conftest import CUSTOMER, PHONE_NUMBER_ID
from tests.factories import add_technician

TYPED = ("reply_id", "latitude", "longitude", "place_name", "place_address", "reacted_to")


def _post_raw(harness, body: bytes):
    """A body as bytes: what Meta could send that json.dumps would never write (1e999)."""
    return harness.client.post("/webhooks/whatsapp", data=body, headers={
        "Content-Type": "application/json",
        "X-Hub-Signature-256": simulator.sign(harness.settings.whatsapp_app_secret, body)})


def _stored(harness, wamid: str) -> Message:
    with harness.db.org_session(harness.org_id) as s:
        return s.scalar(select(Message).where(Message.wa_message_id == wamid))


def _typed(row: Message) -> dict:
    return {name: getattr(row, name) for name in TYPED}


def _forget_raw(harness) -> None:
    """What a burst sees must not depend on `raw`: take it away before the worker runs."""
    with harness.db.org_session(harness.org_id) as s:
        s.execute(update(Message).values(raw=None))


def _wamid(payload: dict) -> str:
    return payload["entry"][0]["changes"][0]["value"]["messages"][0]["id"]


def _last_text(harness) -> str:
    payload = harness.replies()[-1]["payload"]
    return payload["text"]["body"] if payload["type"] == "text" else payload["interactive"]["body"]["text"]


NONE = dict.fromkeys(TYPED)


@pytest.mark.parametrize(("payload", "reply_id"), [
    (simulator.button_reply(PHONE_NUMBER_ID, CUSTOMER, "menu:new_job", "👉"), "menu:new_job"),
    (simulator.list_reply(PHONE_NUMBER_ID, CUSTOMER, "menu:new_job", "👉", "una fila"), "menu:new_job"),
    # A template's quick-reply button (a reminder, outside the 24-hour window): type "button".
    (simulator.message(PHONE_NUMBER_ID, CUSTOMER, "button",
                       {"payload": "menu:new_job", "text": "👉"}, context_id="wamid.TEMPLATE1"),
     "menu:new_job"),
], ids=["button_reply", "list_reply", "template_button"])
def test_a_tap_goes_webhook_to_column_to_burst_and_the_flow_follows_it(harness, payload, reply_id):
    assert harness.post(payload).get_json()["stored"] == 1
    row = _stored(harness, _wamid(payload))
    assert _typed(row) == {**NONE, "reply_id": reply_id}
    item = _item(row)
    assert (item.reply_id, item.pin, item.text) == (reply_id, None, "👉")

    _forget_raw(harness)
    harness.work()
    # The title says nothing; only the stored id can have told the flow what was tapped.
    assert _last_text(harness).startswith("Dale 🙌 Contame qué pasó")


def test_a_location_pin_goes_webhook_to_columns_to_burst_and_books_the_address(harness):
    add_technician(harness.db, harness.org_id, "Carlos Rodríguez", "+5491155550101")
    harness.say("necesito un plomero, pierde la canilla del baño")
    harness.work()
    assert "¿En qué dirección es?" in _last_text(harness)

    pin = simulator.location(PHONE_NUMBER_ID, CUSTOMER, -34.5889, -58.4306, "Casa de Marta",
                             "Gorriti 3400, Palermo, Buenos Aires")
    assert harness.post(pin).get_json()["stored"] == 1
    row = _stored(harness, _wamid(pin))
    assert _typed(row) == {**NONE, "latitude": -34.5889, "longitude": -58.4306,
                           "place_name": "Casa de Marta",
                           "place_address": "Gorriti 3400, Palermo, Buenos Aires"}
    assert _item(row).pin == Pin(-34.5889, -58.4306, "Casa de Marta", "Gorriti 3400, Palermo, Buenos Aires")

    _forget_raw(harness)
    harness.work()
    assert "¿Qué día te queda bien?" in _last_text(harness)
    assert "Gorriti 3400" in json.dumps(harness.booking()["address"], ensure_ascii=False)


@pytest.mark.parametrize("latitude", [b"1e999", b"-1e999", b"200", b'"NaN"', b'"abc"'])
def test_a_bad_latitude_is_stored_without_a_pin_and_the_delivery_still_answers_200(harness, latitude):
    good = simulator.text(PHONE_NUMBER_ID, CUSTOMER, "estoy acá")
    bad = simulator.location(PHONE_NUMBER_ID, CUSTOMER, 1.5, -58.4306, "Casa", "Gorriti 3400")
    good["entry"][0]["changes"][0]["value"]["messages"] += bad["entry"][0]["changes"][0]["value"]["messages"]
    body = simulator.encode(good).replace(b'"latitude":1.5', b'"latitude":' + latitude)
    assert latitude in body

    response = _post_raw(harness, body)

    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["stored"] == 2  # the good message of the batch is kept too
    row = _stored(harness, _wamid(bad))
    assert row.type == "location" and _typed(row) == NONE and _item(row).pin is None
    with harness.db.org_session(harness.org_id) as s:
        raw = s.get(Message, row.id).raw  # kept for audit, made storable
    assert raw["location"]["longitude"] == -58.4306
    harness.work()
    assert harness.replies()  # the burst was answered, not stuck on the odd pin


def test_nul_characters_and_lone_surrogates_are_cleaned_before_the_insert(harness):
    payload = simulator.location(PHONE_NUMBER_ID, CUSTOMER, -34.6, -58.38, "Casa\x00 de Marta",
                                 "Gorriti \ud800 3400")
    body = json.dumps(payload, ensure_ascii=True).encode()  # "\u0000" and "\ud800" escapes, as JSON allows
    response = _post_raw(harness, body)
    assert response.status_code == 200 and response.get_json()["stored"] == 1, response.get_data(as_text=True)
    row = _stored(harness, _wamid(payload))
    assert (row.place_name, row.place_address) == ("Casa de Marta", "Gorriti \ufffd 3400")

    said = simulator.text(PHONE_NUMBER_ID, CUSTOMER, "hola\x00 che")
    assert _post_raw(harness, json.dumps(said).encode()).get_json()["stored"] == 1
    assert _stored(harness, _wamid(said)).body == "hola che"


def test_a_reaction_stores_the_message_it_points_at(harness):
    payload = simulator.message(PHONE_NUMBER_ID, CUSTOMER, "reaction",
                                {"message_id": "wamid.OUTBOUND1", "emoji": "👍"})
    assert harness.post(payload).get_json()["stored"] == 1
    row = _stored(harness, _wamid(payload))
    assert _typed(row) == {**NONE, "reacted_to": "wamid.OUTBOUND1"}


def test_typed_fields_are_cut_to_their_columns():
    payload = simulator.location(PHONE_NUMBER_ID, CUSTOMER, 90, -180, "n" * 1000, "a" * 1000)
    pin = parse_webhook(payload).messages[0].location
    assert pin == GeoPoint(90.0, -180.0, "n" * PLACE_NAME_MAX, "a" * PLACE_ADDRESS_MAX, None)
    tap = simulator.button_reply(PHONE_NUMBER_ID, CUSTOMER, "b" * 1000, "Sí")
    assert parse_webhook(tap).messages[0].reply_id == "b" * REPLY_ID_MAX
    reaction = simulator.message(PHONE_NUMBER_ID, CUSTOMER, "reaction", {"message_id": "w" * 1000, "emoji": "👍"})
    assert parse_webhook(reaction).messages[0].reacted_to == "w" * REACTED_TO_MAX
    columns = Message.__table__.c
    assert (REPLY_ID_MAX, PLACE_NAME_MAX, PLACE_ADDRESS_MAX, REACTED_TO_MAX) == (
        columns.reply_id.type.length, columns.place_name.type.length,
        columns.place_address.type.length, columns.reacted_to.type.length)


@pytest.mark.parametrize(("latitude", "longitude"), [
    (90.0001, 0), (-90.5, 0), (0, 180.01), (0, -181), (float("nan"), 0), (0, float("inf")), (True, 0),
])
def test_a_pin_off_the_globe_is_no_pin(latitude, longitude):
    payload = simulator.location(PHONE_NUMBER_ID, CUSTOMER, 0.0, 0.0)
    payload["entry"][0]["changes"][0]["value"]["messages"][0]["location"].update(
        latitude=latitude, longitude=longitude)
    m = parse_webhook(payload).messages[0]
    assert m.type == "location" and m.location is None
    json.dumps(m.raw, allow_nan=False)  # what is kept for audit is valid JSON all the same
