"""The back-office in a real browser at phone width: log in, take a conversation over, reply
(the reply reaches the fake Graph API), hand it back; a technician meets a forbidden page."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from rq import Queue, SimpleWorker
from sqlalchemy import select

from bot import simulator
from core.identity.users import create_user
from core.models import Conversation
from services.queues import QUEUE_NAMES
from tests.bot.conftest import APP_SECRET, CUSTOMER, PHONE_NUMBER_ID
from tests.factories import create_org

PASSWORD = "una-clave-bien-larga"


def _staff(live, org_id: int) -> None:
    with live.db.org_session(org_id) as s:
        create_user(s, {"name": "Roberto Gómez", "role": "owner", "email": "roberto@example.com",
                        "password": PASSWORD, "phone": "+5491155550100"})
        create_user(s, {"name": "Carlos Rodríguez", "role": "technician",
                        "email": "carlos@example.com", "password": PASSWORD,
                        "phone": "+5491155550101"})


def _customer_writes(live, text: str) -> None:
    body = simulator.encode(simulator.text(PHONE_NUMBER_ID, CUSTOMER, text))
    response = live.app.test_client().post(
        "/webhooks/whatsapp", data=body,
        headers={"Content-Type": "application/json",
                 "X-Hub-Signature-256": simulator.sign(APP_SECRET, body)})
    assert response.status_code == 200


def _work(redis) -> None:
    queues = [Queue(name, connection=redis) for name in QUEUE_NAMES]
    SimpleWorker(queues, connection=redis).work(burst=True)


def _login(page, live, email: str) -> None:
    page.goto(live.link("/app/login"))
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Entrar')")


def test_owner_takes_over_replies_and_hands_back(make_live_app, page, shot, fake_graph, redisdb):
    live = make_live_app(whatsapp_app_secret=APP_SECRET, whatsapp_access_token="test-token",
                         whatsapp_phone_number_id=PHONE_NUMBER_ID,
                         whatsapp_graph_url=fake_graph.url)
    org_id = create_org(live.db, "Plomería Rápida", slug="plomeria-rapida",
                        wa_phone_number_id=PHONE_NUMBER_ID)
    _staff(live, org_id)
    _customer_writes(live, "hola, ¿me pueden llamar? quiero hablar con alguien")
    with live.db.org_session(org_id) as s:
        conversation_id = s.scalar(select(Conversation.id).where(Conversation.wa_id == CUSTOMER))

    _login(page, live, "roberto@example.com")
    page.wait_for_url(re.compile(r"/app/?$"))
    shot(page, "backoffice-home")
    page.goto(live.link("/app/conversations"))
    expect(page.get_by_text("sin responder").first).to_be_visible()
    shot(page, "backoffice-inbox")
    page.click(f"a[href='/app/conversations/{conversation_id}']")
    page.click("button:has-text('Tomar la conversación')")
    page.fill("#body", "¡Hola! Soy Roberto, te llamo en 5 minutos.")
    page.click("button:has-text('Mandar')")
    page.wait_for_load_state()
    shot(page, "backoffice-conversation")
    _work(redisdb)
    sent = [m["payload"] for m in fake_graph.sent(to=CUSTOMER)]
    assert any(p.get("type") == "text" and "te llamo en 5 minutos" in p["text"]["body"]
               for p in sent)
    page.click("button:has-text('Devolver al bot')")
    page.wait_for_load_state()
    with live.db.org_session(org_id) as s:
        assert s.get(Conversation, conversation_id).human_takeover is False
    # Nothing wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_a_technician_cannot_open_the_inbox(live_app, page, shot):
    org_id = create_org(live_app.db, "Plomería Rápida", slug="plomeria-rapida")
    _staff(live_app, org_id)
    _login(page, live_app, "carlos@example.com")
    page.wait_for_url(re.compile(r"/app/?$"))
    response = page.goto(live_app.link("/app/conversations"))
    assert response.status == 403
    expect(page.get_by_text("No tenés permiso para ver esto.")).to_be_visible()
    shot(page, "backoffice-forbidden")
