"""The inbox, reading one conversation, taking it over, replying and handing it back."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from rq import Queue
from sqlalchemy import select

from core.models import AuditEntry, Conversation, DeliveryStatus, Direction, Message, Role
from tests.backoffice.conftest import post


def _cards(html: str) -> list[str]:
    return re.findall(r'<li class="card">(.*?)</li>', html, re.DOTALL)


def test_inbox_lists_newest_first_with_flags(signed_in, shop):
    html = signed_in(Role.DISPATCHER).get("/app/conversations").get_data(as_text=True)
    marta, juan = _cards(html)
    assert "Marta García" in marta and "Juan Pérez" in juan
    assert "necesita una persona" in marta and "atendida por una persona" not in marta
    assert "sin responder" in marta  # her voice note came after our last reply
    assert "🎤 Avenida Avellaneda 2150" in marta
    assert "atendida por una persona" in juan and "necesita una persona" not in juan
    assert "sin responder" not in juan
    assert "Mañana entre 9 y 12." in juan


def test_a_conversation_shows_its_messages_in_order_in_local_time(signed_in, shop, pg_db):
    html = signed_in(Role.OWNER).get(f"/app/conversations/{shop.marta_chat}").get_data(as_text=True)
    first = html.index("se me rompió el flexible")
    assert first < html.index("¿Me pasás la dirección?") < html.index("🎤 Avenida Avellaneda 2150")
    with pg_db.org_session(shop.org_id) as s:
        created = s.scalar(select(Message.created_at).where(Message.conversation_id == shop.marta_chat)
                           .order_by(Message.id).limit(1))
    buenos_aires = created.astimezone(ZoneInfo("America/Argentina/Buenos_Aires"))
    assert buenos_aires.strftime("%d/%m %H:%M") in html
    assert "Tomar la conversación" in html
    assert f'action="/app/conversations/{shop.marta_chat}/reply"' not in html


def test_take_over_reply_and_hand_back(signed_in, shop, pg_db, redisdb):
    client = signed_in(Role.DISPATCHER)
    base = f"/app/conversations/{shop.marta_chat}"
    assert post(client, f"{base}/take-over").headers["Location"] == base
    html = client.get(base).get_data(as_text=True)
    assert "atendida por una persona" in html and "Devolver al bot" in html

    response = post(client, f"{base}/reply", body="  Hola Marta, soy Diego. Mañana a las 10 pasa Carlos.  ")
    assert response.status_code == 302
    with pg_db.org_session(shop.org_id) as s:
        sent = s.scalars(select(Message).where(Message.conversation_id == shop.marta_chat,
                                               Message.direction == Direction.OUTBOUND)
                         .order_by(Message.id.desc())).first()
        actions = [a for a in s.scalars(select(AuditEntry.action).order_by(AuditEntry.seq))]
    assert sent.body == "Hola Marta, soy Diego. Mañana a las 10 pasa Carlos."
    assert sent.status == DeliveryStatus.QUEUED and sent.type == "text"
    assert sent.payload == {"kind": "text", "body": sent.body, "preview_url": False}
    assert sent.idempotency_key.startswith(f"staff:{shop.marta_chat}:")
    job = Queue("high", connection=redisdb).fetch_job(f"send-{sent.id}")
    assert job is not None and job.func_name == "workers.tasks.send_message"
    assert job.args == (shop.org_id, sent.id)
    assert actions[-2:] == ["conversation.take_over", "conversation.reply"]
    assert "en cola" in client.get(base).get_data(as_text=True)

    assert post(client, f"{base}/hand-back").status_code == 302
    with pg_db.org_session(shop.org_id) as s:
        chat = s.get(Conversation, shop.marta_chat)
        assert not chat.human_takeover and not chat.needs_person
        assert s.scalar(select(AuditEntry.action).order_by(AuditEntry.seq.desc()).limit(1)) == \
            "conversation.hand_back"
    assert "Tomar la conversación" in client.get(base).get_data(as_text=True)


def _outbound_count(pg_db, shop) -> int:
    with pg_db.org_session(shop.org_id) as s:
        return len(list(s.scalars(select(Message.id).where(Message.direction == Direction.OUTBOUND))))


def test_reply_is_refused_unless_taken_over(signed_in, shop, pg_db, redisdb):
    client = signed_in(Role.ADMIN)
    before = _outbound_count(pg_db, shop)
    response = post(client, f"/app/conversations/{shop.marta_chat}/reply", body="Hola")
    assert response.status_code == 200
    assert "primero tomá la conversación" in response.get_data(as_text=True)
    assert _outbound_count(pg_db, shop) == before
    assert Queue("high", connection=redisdb).count == 0


def test_empty_or_too_long_replies_re_render_with_the_draft(signed_in, shop, pg_db):
    client = signed_in(Role.OWNER)
    path = f"/app/conversations/{shop.juan_chat}/reply"  # Juan's chat is taken over
    empty = post(client, path, body="   ")
    assert "Escribí el mensaje antes de mandarlo." in empty.get_data(as_text=True)
    long = post(client, path, body="a" * 4097)
    html = long.get_data(as_text=True)
    assert "hasta 4096 caracteres (el tuyo tiene 4097)" in html
    assert "a" * 4097 in html  # what they typed is not lost
    before = _outbound_count(pg_db, shop)
    assert post(client, path, body="b" * 4096).status_code == 302
    assert _outbound_count(pg_db, shop) == before + 1


def test_unknown_conversation_is_a_spanish_404(signed_in, shop):
    client = signed_in(Role.OWNER)
    response = client.get("/app/conversations/999999")
    assert response.status_code == 404
    assert "No encontramos esa página" in response.get_data(as_text=True)
    assert post(client, "/app/conversations/999999/take-over").status_code == 404
