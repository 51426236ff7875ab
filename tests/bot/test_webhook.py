"""The webhook edge: handshake, signatures, bad bodies, storage before the 200, redeliveries."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from bot import simulator
from core.models import Conversation, DeliveryStatus, Direction, Message
from tests.bot.conftest import CUSTOMER, PHONE_NUMBER_ID

FIXTURES = Path(__file__).resolve().parent.parent / "data" / "webhooks"


def _count(harness, *where) -> int:
    with harness.db.org_session(harness.org_id) as s:
        return s.scalar(select(func.count(Message.id)).where(*where))


def test_verification_handshake(harness):
    ok = harness.client.get("/webhooks/whatsapp", query_string={
        "hub.mode": "subscribe", "hub.verify_token": "test-verify-token", "hub.challenge": "1158201444"})
    assert ok.status_code == 200 and ok.get_data(as_text=True) == "1158201444"
    wrong = harness.client.get("/webhooks/whatsapp", query_string={
        "hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "1"})
    assert wrong.status_code == 403


def test_missing_signature_is_401_and_wrong_signature_403_and_nothing_is_stored(harness, caplog):
    body = simulator.encode(simulator.text(PHONE_NUMBER_ID, CUSTOMER, "hola"))
    with caplog.at_level(logging.WARNING, logger="campotech.bot.webhook"):
        unsigned = harness.client.post("/webhooks/whatsapp", data=body, content_type="application/json")
        forged = harness.client.post("/webhooks/whatsapp", data=body, content_type="application/json",
                                     headers={"X-Hub-Signature-256": simulator.sign("other-secret", body)})
        tampered = harness.client.post(
            "/webhooks/whatsapp", data=body.replace(b"hola", b"chau"), content_type="application/json",
            headers={"X-Hub-Signature-256": simulator.sign(harness.settings.whatsapp_app_secret, body)})
    assert (unsigned.status_code, forged.status_code, tampered.status_code) == (401, 403, 403)
    assert "missing X-Hub-Signature-256" in caplog.text and "signature does not match" in caplog.text
    assert _count(harness) == 0


@pytest.mark.parametrize("body", [
    b"{not json", b"\xff\xfe", b"[]", b'{"object":"page","entry":[]}',
    b'{"object":"whatsapp_business_account","entry":{}}',
    b'{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages"}]}]}',
    (b'{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":'
     b'{"metadata":{"phone_number_id":"100000000000001"},"messages":[{"type":"text"}]}}]}]}'),
])
def test_malformed_bodies_get_400_never_500(harness, body):
    response = harness.client.post(
        "/webhooks/whatsapp", data=body, content_type="application/json",
        headers={"X-Hub-Signature-256": simulator.sign(harness.settings.whatsapp_app_secret, body)})
    assert response.status_code == 400
    assert response.get_json()["error"]


def test_every_fixture_is_accepted(harness):
    for path in sorted(FIXTURES.glob("*.json")):
        response = harness.post(json.loads(path.read_text()))
        assert response.status_code == 200, (path.name, response.get_data(as_text=True))


def test_a_message_is_stored_before_the_200_and_a_redelivery_is_ignored(harness):
    payload = simulator.text(PHONE_NUMBER_ID, CUSTOMER, "se me rompió el termotanque", name="Marta García")
    first = harness.post(payload)
    assert first.get_json()["stored"] == 1
    with harness.db.org_session(harness.org_id) as s:
        message = s.scalar(select(Message))
        assert message.body == "se me rompió el termotanque"
        assert message.direction is Direction.INBOUND and message.status is DeliveryStatus.RECEIVED
        conversation = s.get(Conversation, message.conversation_id)
        assert (conversation.wa_id, conversation.phone, conversation.profile_name) == (
            CUSTOMER, "+5491155550000", "Marta García")
        assert conversation.last_inbound_at is not None
    again = harness.post(payload)
    assert again.status_code == 200 and again.get_json() == {**again.get_json(), "stored": 0, "duplicates": 1}
    assert _count(harness) == 1


def test_batched_payload_stores_every_message_of_every_entry(harness):
    a = simulator.text(PHONE_NUMBER_ID, CUSTOMER, "hola")
    b = simulator.text(PHONE_NUMBER_ID, CUSTOMER, "estoy en Palermo")
    c = simulator.text(PHONE_NUMBER_ID, "5491166660001", "buenas")
    a["entry"][0]["changes"][0]["value"]["messages"] += b["entry"][0]["changes"][0]["value"]["messages"]
    a["entry"].append(c["entry"][0])
    assert harness.post(a).get_json()["stored"] == 3
    with harness.db.org_session(harness.org_id) as s:
        assert s.scalar(select(func.count(Conversation.id))) == 2


def test_unknown_phone_number_is_acknowledged_and_logged(harness, caplog):
    with caplog.at_level(logging.WARNING):
        response = harness.post(simulator.text("999999999999999", CUSTOMER, "hola"))
    assert response.status_code == 200
    assert response.get_json()["unknown_numbers"] == ["999999999999999"]
    assert "unknown phone_number_id 999999999999999" in caplog.text
    assert _count(harness) == 0


def test_username_only_sender_is_stored_but_not_answered(harness):
    payload = simulator.text(PHONE_NUMBER_ID, CUSTOMER, "hola, soy usuario sin número")
    value = payload["entry"][0]["changes"][0]["value"]
    value["contacts"] = [{"profile": {"name": "Anónimo"}, "user_id": "AR.13491208655302741918"}]
    message = value["messages"][0]
    del message["from"]
    message["from_user_id"] = "AR.13491208655302741918"
    assert harness.post(payload).get_json()["stored"] == 1
    harness.work()
    assert harness.graph.sent() == []
    with harness.db.org_session(harness.org_id) as s:
        conversation = s.scalar(select(Conversation))
        assert conversation.reply_address is None and conversation.wa_user_id == "AR.13491208655302741918"
        assert s.scalar(select(Message)).processed_at is not None


def test_database_is_not_touched_by_statuses_for_unknown_messages(harness):
    response = harness.post(simulator.status(PHONE_NUMBER_ID, "wamid.UNKNOWN", CUSTOMER, "delivered"))
    assert response.status_code == 200 and response.get_json()["statuses"] == 0


def test_database_down_is_a_503_so_meta_delivers_again(harness, caplog):
    from core.db import Database
    from web import create_app

    down = harness.settings.model_copy(update={
        "database_url": "postgresql+psycopg://campotech_app:x@127.0.0.1:9/campotech_test"})
    app = create_app(down)
    app.extensions["campotech.db"] = Database(down)
    harness.app = app
    with caplog.at_level(logging.ERROR, logger="campotech.bot.webhook"):
        response = harness.post(simulator.text(PHONE_NUMBER_ID, CUSTOMER, "hola"))
    assert response.status_code == 503 and "retry" in response.get_json()["error"]
    assert "could not store" in caplog.text


def test_a_dropped_database_connection_costs_no_message(harness, caplog):
    """Plain messages are written on the webhook's own connections (bot.inbound_sql.DirectStore),
    which are not pinged before use: one the server dropped fails, and that post is stored
    through the session instead; the next one gets a new connection."""
    assert harness.post(simulator.text(PHONE_NUMBER_ID, CUSTOMER, "hola")).get_json()["stored"] == 1
    with harness.db.org_session(harness.org_id) as s:
        # Every other connection of the app's role, the webhook's among them (a restart, a proxy).
        killed = s.scalar(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                               " WHERE usename = current_user AND pid <> pg_backend_pid()"))
    assert killed >= 1
    with caplog.at_level(logging.WARNING, logger="campotech.bot.inbound"):
        second = harness.post(simulator.text(PHONE_NUMBER_ID, CUSTOMER, "sigo acá"))
    assert second.status_code == 200 and second.get_json()["stored"] == 1
    assert "direct store failed" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="campotech.bot.inbound"):
        third = harness.post(simulator.text(PHONE_NUMBER_ID, "5491166660001", "buenas"))
    assert third.get_json()["stored"] == 1 and "direct store failed" not in caplog.text
    assert _count(harness) == 3


def test_redis_losing_the_burst_script_still_opens_the_burst(harness):
    """The clock's script runs without redis-py's `SCRIPT EXISTS` before it once this process
    has seen it run; a Redis that lost it (a restart) is given it again, and no burst is lost."""
    from services.bursts import DUE

    assert harness.post(simulator.text(PHONE_NUMBER_ID, CUSTOMER, "hola")).get_json()["stored"] == 1
    harness.redis.script_flush()
    harness.redis.delete(DUE)
    assert harness.post(simulator.text(PHONE_NUMBER_ID, "5491166660001", "buenas")).get_json()["stored"] == 1
    assert harness.redis.zcard(DUE) == 1
    assert harness.post(simulator.text(PHONE_NUMBER_ID, "5491166660002", "qué tal")).get_json()["stored"] == 1
    assert harness.redis.zcard(DUE) == 2


def test_posts_for_two_organizations_each_land_in_their_own(harness, caplog):
    """The webhook's connections keep an organization's scope while posts are for it
    (bot.inbound_sql.DirectStore): posts alternating between two organizations, and one post
    for both, are stored in their own, none of them through the session's fallback."""
    from tests.factories import create_org

    other_number = "100000000000999"
    other = create_org(harness.db, "Gas del Sur", slug="gas-del-sur", wa_phone_number_id=other_number)
    with caplog.at_level(logging.WARNING, logger="campotech.bot.inbound"):
        for n in range(3):
            for number in (PHONE_NUMBER_ID, other_number):
                assert harness.post(simulator.text(number, CUSTOMER, f"hola {n}")).get_json()["stored"] == 1
        both = simulator.text(PHONE_NUMBER_ID, CUSTOMER, "uno")
        both["entry"].append(simulator.text(other_number, CUSTOMER, "dos")["entry"][0])
        assert harness.post(both).get_json()["stored"] == 2
    assert "direct store failed" not in caplog.text
    for org_id, last in ((harness.org_id, "uno"), (other, "dos")):
        with harness.db.org_session(org_id) as s:
            assert s.scalar(select(func.count(Message.id))) == 4
            assert s.scalar(select(Message.body).order_by(Message.id.desc()).limit(1)) == last


def test_the_fast_path_answers_as_the_flask_route_does(harness):
    """Meta's posts are answered in front of Flask (bot.webhook.WebhookFastPath); Flask's own
    route (what a post without a Content-Length reaches) answers every case the same way."""
    from werkzeug.test import Client

    flask_only = Client(harness.app.wsgi_app.app)
    secret = harness.settings.whatsapp_app_secret

    def cases(n: int):
        good = simulator.encode(simulator.text(PHONE_NUMBER_ID, f"54911666600{n:02d}", f"hola {n}"))
        shape = b'{"object":"page","entry":[]}'
        yield good, {"X-Hub-Signature-256": simulator.sign(secret, good)}
        yield good, {}
        yield good, {"X-Hub-Signature-256": simulator.sign("other", good)}
        yield shape, {"X-Hub-Signature-256": simulator.sign(secret, shape)}
        yield b"{not json", {"X-Hub-Signature-256": simulator.sign(secret, b"{not json")}
        yield b"x" * (3 * 1024 * 1024 + 1), {}

    for n, client in ((1, harness.client), (2, flask_only)):
        answers = []
        for body, headers in cases(n):
            response = client.post("/webhooks/whatsapp", data=body, headers={
                "Content-Type": "application/json", "X-Request-ID": "req-42", **headers})
            answers.append((response.status_code, response.get_json(),
                            response.headers["X-Request-ID"], response.headers.get("X-Content-Type-Options")))
        if n == 1:
            fast = answers
    assert [a[0] for a in fast] == [200, 401, 403, 400, 400, 413]
    assert fast == answers
    assert all(a[2] == "req-42" and a[3] == "nosniff" for a in fast)
    assert _count(harness) == 2  # one new message by each path
