"""Text people typed (names, messages, notes) is always shown as text, never run as HTML."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from core.models import Direction, Message, Role, User
from tests.backoffice.conftest import add_message, email_of, login, seed_shop

EVIL = '<script>alert("hola")</script>'


def test_every_page_escapes_user_text(app, pg_db, redisdb):
    shop = seed_shop(pg_db, marta_name=EVIL)
    with pg_db.org_session(shop.org_id) as s:
        add_message(s, shop.marta_chat, Direction.INBOUND, EVIL, datetime.now(UTC))
        s.get(User, shop.users[Role.TECHNICIAN]).name = EVIL
        assert s.scalar(select(Message.id).where(Message.body == EVIL))
    client = app.test_client()
    assert login(client, email_of(Role.OWNER)).status_code == 302
    for path in ("/app/", "/app/conversations", f"/app/conversations/{shop.marta_chat}",
                 "/app/invoices", f"/app/invoices/{shop.authorized}", "/app/team",
                 f"/app/invoices?customer={EVIL}"):
        html = client.get(path).get_data(as_text=True)
        assert "<script>" not in html, path
    assert "&lt;script&gt;" in client.get("/app/conversations").get_data(as_text=True)
    assert "&lt;script&gt;" in client.get("/app/team").get_data(as_text=True)
    assert "&lt;script&gt;" in client.get("/app/invoices").get_data(as_text=True)
