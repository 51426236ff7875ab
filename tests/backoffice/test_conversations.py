"""The inbox, reading one conversation, taking it over, replying and handing it back."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from rq import Queue
from sqlalchemy import select

from backoffice.conversations import THREAD_PAGE
from backoffice.paging import PER_PAGE
from core import customers, jobs
from core.models import (
    AuditEntry,
    Conversation,
    ConversationRole,
    DeliveryStatus,
    Direction,
    JobStatus,
    Message,
    Role,
)
from tests.backoffice.conftest import add_message, post
from tests.backoffice.pages import link, walk


def _cards(html: str) -> list[str]:
    return re.findall(r'<li class="card">(.*?)</li>', html, re.DOTALL)


def test_inbox_lists_newest_first_with_flags(signed_in, shop):
    html = signed_in(Role.DISPATCHER).get("/app/conversations").get_data(as_text=True)
    marta, juan = _cards(html)
    assert "Marta García" in marta and "Juan Pérez" in juan
    assert "Espera a una persona" in marta and "atendida por una persona" not in marta
    assert "sin responder" in marta  # her voice note came after our last reply
    assert "🎤 Avenida Avellaneda 2150" in marta
    # Staff have Juan's chat and answered him last: he is not waiting for anyone.
    assert "atendida por una persona" in juan and "Espera a una persona" not in juan
    assert "Urgencia" not in marta + juan
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
    assert buenos_aires.strftime("%d/%m/%Y %H:%M") in html
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


# ---- paging ----------------------------------------------------------------------------------

def _inbox_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<li class="card">\s*<a href="/app/conversations/(\d+)">', html)]


def _add_chats(shop, count: int) -> list[tuple[int, datetime | None]]:
    """`count` customers' chats a day old or more, two by two with the same last-message time,
    every fifth one asking for a person; and one chat without messages. (id, last message time)."""
    long_ago = datetime.now(UTC) - timedelta(days=1)
    chats = []
    with shop.db.org_session(shop.org_id) as s:
        for n in range(count):
            wa = f"54911777{n:05d}"
            chat = Conversation(wa_id=wa, phone=f"+{wa}", role=ConversationRole.CUSTOMER,
                                profile_name=f"Vecino {n:02d}", slots={}, needs_person=n % 5 == 0)
            s.add(chat)
            s.flush()
            at = long_ago - timedelta(minutes=n // 2)
            add_message(s, chat.id, Direction.INBOUND, f"consulta {n:02d}", at)
            chats.append((chat.id, at))
        silent = Conversation(wa_id="5491177799999", phone="+5491177799999", role=ConversationRole.CUSTOMER,
                              profile_name="Sin mensajes", slots={})
        s.add(silent)
        s.flush()
        chats.append((silent.id, None))
    return chats


def _card(html: str, conversation_id: int) -> str:
    return re.search(rf'<li class="card">\s*<a href="/app/conversations/{conversation_id}">(.*?)</li>',
                     html, re.DOTALL).group(1)


def test_inbox_pages_newest_first_each_chat_once_with_its_flags(signed_in, shop):
    chats = _add_chats(shop, 60)
    pages = walk(signed_in(Role.DISPATCHER), "/app/conversations")
    seen = [i for page in pages for i in _inbox_ids(page)]
    by_time = sorted(chats[:-1], key=lambda chat: (chat[1], chat[0]), reverse=True)
    waiting = [i for n, (i, _) in enumerate(chats[:-1]) if n % 5 == 0]
    # Those waiting for a person first (Marta's and Juan's, then every fifth neighbour), then
    # the rest; each group newest first, equal times by id, newest id first; no messages last.
    assert seen == [shop.marta_chat, shop.juan_chat, *(i for i, _ in by_time if i in waiting),
                    *(i for i, _ in by_time if i not in waiting), chats[-1][0]]
    assert [len(_inbox_ids(page)) for page in pages] == [PER_PAGE, 13]
    assert link(pages[1], "prev") == "/app/conversations"
    # Each page keeps each chat's tags and preview.
    card = _card(pages[0], chats[50][0])
    assert "Vecino 50" in card and "Espera a una persona" in card and "sin responder" in card
    assert "consulta 50" in card
    card = _card(pages[1], chats[51][0])
    assert "Vecino 51" in card and "Espera a una persona" not in card and "sin responder" in card
    assert "consulta 51" in card
    assert "Se muestran" not in pages[0]


@pytest.mark.parametrize("page", ["0", "abc", "99999"])
def test_inbox_nonsense_page_numbers_show_the_first_page(signed_in, shop, page):
    response = signed_in(Role.OWNER).get(f"/app/conversations?page={page}")
    assert response.status_code == 200
    assert _inbox_ids(response.get_data(as_text=True)) == [shop.marta_chat, shop.juan_chat]


def test_inbox_page_past_the_end_is_empty_with_a_way_back(signed_in, shop):
    html = signed_in(Role.OWNER).get("/app/conversations?page=3").get_data(as_text=True)
    assert _inbox_ids(html) == [] and "Todavía no escribió nadie" not in html
    assert '<a href="/app/conversations">Volver a la primera página</a>' in html


def test_a_long_conversation_shows_the_latest_and_older_ones_a_page_at_a_time(signed_in, shop):
    start = datetime.now(UTC) - timedelta(days=2)
    with shop.db.org_session(shop.org_id) as s:
        for n in range(250):
            add_message(s, shop.juan_chat, Direction.INBOUND if n % 2 else Direction.OUTBOUND,
                        f"mensaje {n:03d}", start + timedelta(minutes=n))
    client = signed_in(Role.OWNER)
    base = f"/app/conversations/{shop.juan_chat}"
    pages = walk(client, base)
    bodies = [re.findall(r"(mensaje \d{3})<span", page) for page in pages]
    assert [len(b) for b in bodies] == [THREAD_PAGE, THREAD_PAGE, 50]  # the last also has the shop's 2
    # The first page is the newest; each reads oldest first; together all of them once.
    assert bodies[0][-1] == "mensaje 249" and bodies[0] == sorted(bodies[0])
    assert sorted(b for page in bodies for b in page) == [f"mensaje {n:03d}" for n in range(250)]
    assert "← Mensajes anteriores" in pages[0] and "Mensajes más nuevos" not in pages[0]
    assert link(pages[1], "prev") == base and link(pages[2], "prev") == f"{base}?page=2"
    assert "¿Cuándo vienen?" in pages[2] and "¿Cuándo vienen?" not in pages[0]
    # Replying works from any page, and an old page number shows a way back.
    assert "Tu respuesta" in pages[1]
    gone = client.get(f"{base}?page=9").get_data(as_text=True)
    assert f'<a href="{base}">Ver los últimos</a>' in gone and "Sin mensajes todavía." not in gone


# ---- what needs a person first ---------------------------------------------------------------

def _chat(shop, wa: str, name: str, at: datetime, **fields) -> int:
    with shop.db.org_session(shop.org_id) as s:
        chat = Conversation(wa_id=wa, phone=f"+{wa}", role=ConversationRole.CUSTOMER, profile_name=name,
                            slots={}, **fields)
        s.add(chat)
        s.flush()
        add_message(s, chat.id, Direction.INBOUND, f"hola, soy {name}", at)
        return chat.id


def test_chats_waiting_for_a_person_come_before_newer_ones(signed_in, shop):
    now = datetime.now(UTC)
    newest = _chat(shop, "5491177700001", "Recién llegado", now)
    waiting = _chat(shop, "5491177700002", "Pide una persona", now - timedelta(days=2), needs_person=True)
    html = signed_in(Role.DISPATCHER).get("/app/conversations").get_data(as_text=True)
    # Marta asked for a person, Juan's chat is in staff's hands: both before the newest message.
    assert _inbox_ids(html) == [shop.marta_chat, shop.juan_chat, waiting, newest]
    assert "Espera a una persona" in _card(html, waiting)
    assert "Espera a una persona" not in _card(html, newest)


def test_a_chat_about_an_open_emergency_comes_first_marked(signed_in, shop):
    now = datetime.now(UTC)
    newest = _chat(shop, "5491177700001", "Recién llegado", now)
    # A chat the bot started an emergency from, for a customer who has no chat of their own.
    stranger = _chat(shop, "5491177700003", "Sin agendar", now - timedelta(days=3))
    with shop.db.org_session(shop.org_id) as s:
        other = customers.create_customer(s, {"name": "Otro Vecino", "phone": "+5491177700004"}).id
        juans = jobs.create_job(s, {"customer_id": 2, "service": "gas", "urgency": "emergency",
                                    "description": "olor a gas"}).id
        jobs.create_job(s, {"customer_id": other, "service": "gas", "urgency": "emergency",
                            "description": "olor a gas", "source_conversation_id": stranger})
        # Marta's job is urgent, not an emergency: her chat waits with those asking for a person.
        jobs.create_job(s, {"customer_id": 1, "service": "gas", "urgency": "urgent", "description": "x"})
    client = signed_in(Role.DISPATCHER)
    html = client.get("/app/conversations").get_data(as_text=True)
    assert _inbox_ids(html) == [shop.juan_chat, stranger, shop.marta_chat, newest]
    for chat in (shop.juan_chat, stranger):
        assert "🚨 Urgencia" in _card(html, chat)
    for chat in (shop.marta_chat, newest):
        assert "Urgencia" not in _card(html, chat)
    # Once Juan's emergency is cancelled, his chat is back with those waiting for a person.
    with shop.db.org_session(shop.org_id) as s:
        jobs.transition(s, juans, JobStatus.CANCELLED, "test")
    html = client.get("/app/conversations").get_data(as_text=True)
    assert _inbox_ids(html) == [stranger, shop.marta_chat, shop.juan_chat, newest]
    assert "Urgencia" not in _card(html, shop.juan_chat)
