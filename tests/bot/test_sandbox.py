"""The sandbox end to end over real HTTP: the app serves both the simulator and the Graph stand-in,
and heyoo's real calls from the worker land back on it — what `make run` gives a newcomer."""

from __future__ import annotations

import io
import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from sqlalchemy import select
from werkzeug.serving import make_server

from bot import sandbox as sandbox_routes
from bot import simulator
from bot.chat import Chat, render
from core.models import Message
from core.models.enums import DeliveryStatus, Direction
from core.organizations import find_by_phone_number_id
from core.settings import get_settings, load_settings
from tests.background import turn_until
from tests.bot.conftest import export_env
from tests.factories import add_technician, create_org
from web import create_app

PHONE_NUMBER_ID = "100000000000001"


class Sandbox:
    def __init__(self, app, url: str):
        self.app, self.url = app, url
        self.redis = app.extensions["campotech.redis"]

    def work(self, until, timeout: float = 15.0) -> None:
        """The clock and a worker, turned until `until()` is true."""
        turn_until(self.app, until, timeout, "the sandbox to answer")


@pytest.fixture
def sandbox(pg_db, redisdb, tmp_path, monkeypatch) -> Iterator[Sandbox]:
    holder = {}
    server = make_server("127.0.0.1", 0, lambda env, start: holder["app"](env, start), threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    settings = load_settings(
        env="test", database_url=pg_db.settings.database_url, redis_url=pg_db.settings.redis_url,
        system_database_url=pg_db.settings.system_database_url,
        log_json=False, public_base_url=url, whatsapp_phone_number_id=PHONE_NUMBER_ID,
        burst_quiet_seconds=0.2, burst_max_seconds=1.0, media_dir=str(tmp_path / "media"),
    )
    assert settings.whatsapp_sandbox and settings.graph_base_url == f"{url}/sandbox/graph"
    export_env(monkeypatch, settings)
    org_id = create_org(pg_db, "Plomería Rápida", slug="plomeria-rapida", wa_phone_number_id=PHONE_NUMBER_ID)
    add_technician(pg_db, org_id, "Carlos Técnico", "+5491155550101")
    holder["app"] = create_app(settings)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Sandbox(holder["app"], url)
    finally:
        server.shutdown()
        thread.join(5)
        holder["app"].extensions["campotech.db"].dispose()
        get_settings.cache_clear()


def test_the_simulator_page_offers_the_organizations_phones(sandbox):
    page = requests.get(f"{sandbox.url}/sandbox", timeout=5)
    assert page.status_code == 200
    assert "Simulador de WhatsApp" in page.text
    assert "5491155550000" in page.text  # a new customer
    assert "Carlos Técnico (técnico) · 5491155550101" in page.text


def test_a_message_typed_in_the_sandbox_is_answered_through_heyoo_and_the_graph_stand_in(sandbox):
    sent = requests.post(f"{sandbox.url}/sandbox/send",
                         data={"wa_id": "5491155550000", "name": "Marta", "kind": "text",
                               "text": "se me rompió el termotanque"}, timeout=5)
    assert sent.status_code == 200, sent.text
    assert sent.json()["stored"] == 1 and sent.json()["wamid"].startswith("wamid.")

    def answered():
        return requests.get(f"{sandbox.url}/sandbox/messages", params={"wa_id": "5491155550000"},
                            timeout=5).json()["messages"]

    sandbox.work(lambda: len(answered()) == 1)
    [reply] = answered()
    assert reply["payload"]["messaging_product"] == "whatsapp" and reply["to"] == "5491155550000"
    # The booking flow took it from there: it asks for what is missing, the address.
    assert "¿En qué dirección es?" in reply["payload"]["text"]["body"]
    assert "¿En qué dirección es?" in reply["preview"]
    later = requests.get(f"{sandbox.url}/sandbox/messages",
                         params={"wa_id": "5491155550000", "since": reply["at"]}, timeout=5).json()
    assert later["messages"] == []


def test_a_voice_note_uploaded_in_the_sandbox_is_downloaded_by_the_worker(sandbox, tmp_path):
    ogg = b"OggS" + bytes(2000)
    sent = requests.post(f"{sandbox.url}/sandbox/send", data={"wa_id": "5491155550000"},
                         files={"file": ("nota.ogg", io.BytesIO(ogg), "audio/ogg")}, timeout=5)
    assert sent.status_code == 200, sent.text
    assert sent.json()["type"] == "audio"
    stored = list((tmp_path / "media").rglob("*.ogg"))
    sandbox.work(lambda: bool(list((tmp_path / "media").rglob("*.ogg"))))
    stored = list((tmp_path / "media").rglob("*.ogg"))
    assert [p.read_bytes() for p in stored] == [ogg]
    # The media is also there to open from the simulator page.
    media = requests.get(f"{sandbox.url}/sandbox/media/{sent.json()['media_id']}", timeout=5)
    assert media.content == ogg and media.headers["Content-Type"] == "audio/ogg"


def test_bad_simulator_input_gets_a_clear_400(sandbox):
    for data in ({"wa_id": "abc", "text": "hola"}, {"wa_id": "5491155550000", "text": " "},
                 {"wa_id": "5491155550000", "kind": "location", "latitude": "x"},
                 {"wa_id": "5491155550000", "kind": "telepathy"}):
        answer = requests.post(f"{sandbox.url}/sandbox/send", data=data, timeout=5)
        assert answer.status_code == 400 and answer.json()["error"], data


def test_the_graph_stand_in_speaks_metas_errors(sandbox):
    url = f"{sandbox.url}/sandbox/graph/v23.0/{PHONE_NUMBER_ID}/messages"
    unauthorized = requests.post(url, json={"messaging_product": "whatsapp", "to": "5491155550000",
                                            "type": "text", "text": {"body": "hola"}}, timeout=5)
    assert unauthorized.status_code == 401 and unauthorized.json()["error"]["code"] == 190
    too_many = requests.post(url, headers={"Authorization": "Bearer x"}, json={
        "messaging_product": "whatsapp", "to": "5491155550000", "type": "interactive",
        "interactive": {"type": "button", "body": {"text": "¿Cuál?"}, "action": {"buttons": [
            {"type": "reply", "reply": {"id": str(n), "title": f"Opción {n}"}} for n in range(4)]}},
    }, timeout=5)
    assert too_many.status_code == 400 and too_many.json()["error"]["code"] == 100
    assert "1 to 3" in too_many.json()["error"]["error_data"]["details"]


def test_terminal_chat_shows_answers_and_taps_buttons_by_number(sandbox):
    out = io.StringIO()
    chat = Chat(sandbox.url, "5491155550000", "Marta", out=out)
    chat.poll()  # starts from now
    assert chat.handle("hola")
    sandbox.work(lambda: chat.show_new() > 0)
    # The menu comes with buttons, numbered in the terminal: "1" taps "Pedir un servicio".
    assert "[1] Pedir un servicio" in out.getvalue()
    assert chat.handle("1")
    sandbox.work(lambda: chat.show_new() > 0)
    assert "Contame qué pasó" in out.getvalue().split("🤖")[-1]
    text, _ = render({"payload": {"type": "interactive", "interactive": {
        "type": "button", "body": {"text": "¿Cuándo te queda bien?"},
        "action": {"buttons": [{"type": "reply", "reply": {"id": "slot-1", "title": "Mañana 9 a 12"}}]}}}})
    assert text.splitlines() == ["¿Cuándo te queda bien?", "  [1] Mañana 9 a 12"]
    assert chat.handle("/salir") is False


# -- reactions, stickers and delivery ticks -------------------------------------------------

CUSTOMER = "5491155550000"
WEBHOOKS = Path(__file__).resolve().parents[1] / "data" / "webhooks"


def _rows(sandbox, **where) -> list[Message]:
    db = sandbox.app.extensions["campotech.db"]
    with db.system_session() as session:
        org_id = find_by_phone_number_id(session, PHONE_NUMBER_ID).id
    with db.org_session(org_id) as session:
        rows = session.scalars(select(Message).filter_by(**where).order_by(Message.id)).all()
        session.expunge_all()
        return list(rows)


def _replies(sandbox) -> list[dict]:
    return requests.get(f"{sandbox.url}/sandbox/messages", params={"wa_id": CUSTOMER},
                        timeout=5).json()["messages"]


def _say_hello(sandbox) -> dict:
    sent = requests.post(f"{sandbox.url}/sandbox/send",
                         data={"wa_id": CUSTOMER, "kind": "text", "text": "hola"}, timeout=5)
    assert sent.status_code == 200, sent.text
    sandbox.work(lambda: len(_replies(sandbox)) == 1)
    return sent.json()


def _shape(value):
    """The keys of a payload, recursively: the shape to compare with Meta's own samples."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(v) for v in value[:1]]
    return type(value).__name__


def test_simulator_reactions_and_stickers_have_metas_shapes():
    form = {"wa_id": CUSTOMER, "name": "Marta García"}
    reaction = simulator.inbound_payload(PHONE_NUMBER_ID, {**form, "kind": "reaction",
                                                           "message_id": "wamid.X", "emoji": "👍"})
    sticker = simulator.inbound_payload(PHONE_NUMBER_ID, {**form, "kind": "sticker"}, "1048576000000005",
                                        "image/webp")
    for payload, sample in ((reaction, "reaction.json"), (sticker, "sticker.json")):
        real = json.loads((WEBHOOKS / sample).read_text(encoding="utf-8"))
        assert _shape(payload) == _shape(real), sample
    assert reaction["entry"][0]["changes"][0]["value"]["messages"][0]["reaction"] == {
        "message_id": "wamid.X", "emoji": "👍"}
    assert sticker["entry"][0]["changes"][0]["value"]["messages"][0]["sticker"]["mime_type"] == "image/webp"


def test_a_reaction_and_a_sticker_from_the_simulator_are_stored_and_get_no_reply(sandbox):
    _say_hello(sandbox)
    [menu] = _replies(sandbox)
    reacted = requests.post(f"{sandbox.url}/sandbox/send", data={
        "wa_id": CUSTOMER, "kind": "reaction", "message_id": menu["wamid"], "emoji": "👍"}, timeout=5)
    assert reacted.status_code == 200 and reacted.json()["type"] == "reaction", reacted.text
    stuck = requests.post(f"{sandbox.url}/sandbox/send",
                          data={"wa_id": CUSTOMER, "kind": "sticker", "sticker": "gracias"}, timeout=5)
    assert stuck.status_code == 200 and stuck.json()["type"] == "sticker", stuck.text
    webp = requests.get(f"{sandbox.url}/sandbox/media/{stuck.json()['media_id']}", timeout=5)
    assert webp.headers["Content-Type"] == "image/webp" and webp.content[8:12] == b"WEBP"

    def settled():
        inbound = _rows(sandbox, direction=Direction.INBOUND)
        return len(inbound) == 3 and all(m.processed_at for m in inbound) and inbound[-1].media_path
    sandbox.work(settled)
    _hello, reaction, sticker = _rows(sandbox, direction=Direction.INBOUND)
    assert (reaction.type, reaction.body, reaction.reacted_to) == ("reaction", "👍", menu["wamid"])
    assert (sticker.type, sticker.media_mime) == ("sticker", "image/webp")
    # The worker fetched the sticker from the Graph stand-in like any media; the bot said nothing.
    assert Path(sticker.media_path).read_bytes() == webp.content
    assert len(_replies(sandbox)) == 1

    for data, files in (({"wa_id": CUSTOMER, "kind": "sticker", "sticker": "nope"}, None),
                        ({"wa_id": CUSTOMER, "kind": "sticker"},
                         {"file": ("s.png", io.BytesIO(b"\x89PNG"), "image/png")}),
                        ({"wa_id": CUSTOMER, "kind": "reaction", "emoji": "👍"}, None)):
        answer = requests.post(f"{sandbox.url}/sandbox/send", data=data, files=files, timeout=5)
        assert answer.status_code == 400 and answer.json()["error"], data


def test_receipts_from_the_simulator_move_the_stored_status_through_the_webhook(sandbox):
    hello = _say_hello(sandbox)
    [menu] = _replies(sandbox)
    [stored] = _rows(sandbox, wa_message_id=menu["wamid"])
    assert stored.status is DeliveryStatus.SENT

    def receipts(**lists):
        answer = requests.post(f"{sandbox.url}/sandbox/receipts", json={"wa_id": CUSTOMER, **lists}, timeout=5)
        assert answer.status_code == 200, answer.text
        return answer.json()

    assert receipts(delivered=[menu["wamid"]])["statuses"] == {menu["wamid"]: "delivered"}
    assert _rows(sandbox, wa_message_id=menu["wamid"])[0].status is DeliveryStatus.DELIVERED
    assert receipts(read=[menu["wamid"]])["statuses"] == {menu["wamid"]: "read"}
    # Statuses never go back, and the page cannot speak for another phone's messages.
    assert receipts(delivered=[menu["wamid"]])["statuses"] == {menu["wamid"]: "read"}
    other = requests.post(f"{sandbox.url}/sandbox/receipts",
                          json={"wa_id": "5491155559999", "delivered": [menu["wamid"]]}, timeout=5)
    assert other.json()["statuses"] == {}
    [stored] = _rows(sandbox, wa_message_id=menu["wamid"])
    assert stored.status is DeliveryStatus.READ and stored.status_at is not None
    # The bot marked the customer's "hola" read: the page's blue ticks for its own message.
    sandbox.work(lambda: receipts(mine=[hello["wamid"]])["seen"] == [hello["wamid"]])

    for bad in ({"wa_id": CUSTOMER, "read": "wamid.X"}, {"wa_id": CUSTOMER, "delivered": [1]},
                {"wa_id": CUSTOMER, "read": ["w"] * 51}):
        answer = requests.post(f"{sandbox.url}/sandbox/receipts", json=bad, timeout=5)
        assert answer.status_code == 400 and answer.json()["error"], bad
    assert requests.post(f"{sandbox.url}/sandbox/receipts", data="x", timeout=5).status_code == 400


def test_the_simulator_page_loads_its_script_styles_and_stickers_from_the_app(sandbox):
    page = requests.get(f"{sandbox.url}/sandbox", timeout=5)
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert not re.search(r"\son[a-z]+=", page.text)  # no inline handlers: the CSP would block them
    for path in ("/sandbox/static/sandbox.js", "/sandbox/static/sandbox.css",
                 *(f"/sandbox/static/stickers/{name}.webp" for name in sandbox_routes.STICKERS)):
        assert path in page.text
        asset = requests.get(sandbox.url + path, timeout=5)
        assert asset.status_code == 200 and asset.content, path
