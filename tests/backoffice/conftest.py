"""A shop with one user per role, chats and invoices, and a client that signs in like a person."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from rq import Queue, SimpleWorker
from sqlalchemy import select

from core import customers, jobs
from core.billing import price_book
from core.db import Database
from core.identity.users import create_user, hash_password
from core.models import (
    Conversation,
    ConversationRole,
    DeliveryStatus,
    Direction,
    Invoice,
    InvoiceStatus,
    JobEvent,
    Message,
    Role,
)
from core.settings import load_settings
from tests.bot.conftest import export_env
from tests.factories import create_org
from web import create_app

PASSWORD = "mate-con-bizcochitos"
MARTA_WA = "5491166660001"
JUAN_WA = "5491166660002"
CARLOS_WA = "5491155550103"  # the shop's technician
# A real 1×1 PNG, for photos a technician sends.
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")


def email_of(role: Role | str) -> str:
    return f"{Role(role).value}@plomeriaramos.com.ar"


@cache
def _password_hash() -> str:
    # argon2 is slow on purpose: hash once for the whole suite.
    return hash_password(PASSWORD)


@dataclass
class Shop:
    db: Database
    org_id: int
    users: dict[Role, int]
    marta_chat: int
    juan_chat: int
    authorized: int  # factura B 0001-00000012, $15.000, Marta
    pending: int  # factura B waiting for AFIP, $8.000, Juan
    rejected: int  # factura B AFIP refused, $5.000, Juan
    photo: int | None = None  # a photo message on job 1, when a test added one (add_photo)


def add_staff(db: Database, org_id: int, role: Role, name: str, phone: str,
              email: str | None = None) -> int:
    with db.org_session(org_id) as s:
        user = create_user(s, {"name": name, "role": role, "phone": phone,
                               "email": email or email_of(role)})
        user.password_hash = _password_hash()
        return user.id


def add_message(s, conversation_id: int, direction: Direction, body: str, at: datetime,
                **fields) -> Message:
    message = Message(conversation_id=conversation_id, direction=direction, type=fields.pop("type", "text"),
                      body=body, created_at=at,
                      status=DeliveryStatus.RECEIVED if direction == Direction.INBOUND else DeliveryStatus.SENT,
                      **fields)
    s.add(message)
    s.flush()
    return message


def seed_shop(db: Database, *, marta_name: str = "Marta García") -> Shop:
    org_id = create_org(db, "Plomería Ramos", "plomeria-ramos")
    names = {Role.OWNER: "Roberto Ramos", Role.ADMIN: "Ana Admin", Role.DISPATCHER: "Diego Despacho",
             Role.TECHNICIAN: "Carlos Técnico", Role.VIEWER: "Vera Contadora"}
    users = {role: add_staff(db, org_id, role, name, f"+54911555501{n:02d}")
             for n, (role, name) in enumerate(names.items())}
    now = datetime.now(UTC)
    with db.org_session(org_id) as s:
        marta = customers.create_customer(s, {"name": marta_name, "phone": f"+{MARTA_WA}"})
        juan = customers.create_customer(s, {"name": "Juan Pérez", "phone": f"+{JUAN_WA}"})
        # Job 1, Carlos's: the technician may open it (test_access's ROUTES relies on that).
        jobs.create_job(s, {"customer_id": marta.id, "service": "plumbing",
                            "description": "pierde el flexible", "technician_id": users[Role.TECHNICIAN]})
        # Price book item 1 (test_access's ROUTES edit, archive and restore it).
        price_book.create_item(s, {"code": "PL-FLEX40", "name": "Flexible mallado 40 cm",
                                   "price": "9.500", "service": "plumbing"})
        marta_chat = Conversation(wa_id=MARTA_WA, phone=f"+{MARTA_WA}", role=ConversationRole.CUSTOMER,
                                  customer_id=marta.id, profile_name="Marta", slots={},
                                  needs_person=True, last_inbound_at=now - timedelta(minutes=5))
        juan_chat = Conversation(wa_id=JUAN_WA, phone=f"+{JUAN_WA}", role=ConversationRole.CUSTOMER,
                                 customer_id=juan.id, slots={}, human_takeover=True,
                                 last_inbound_at=now - timedelta(hours=3))
        s.add_all([marta_chat, juan_chat])
        s.flush()
        # Juan's chat is older and answered; Marta's has the newest message, unanswered.
        add_message(s, juan_chat.id, Direction.INBOUND, "¿Cuándo vienen?", now - timedelta(hours=3))
        add_message(s, juan_chat.id, Direction.OUTBOUND, "Mañana entre 9 y 12.", now - timedelta(hours=2))
        add_message(s, marta_chat.id, Direction.INBOUND, "Hola, se me rompió el flexible",
                    now - timedelta(minutes=20))
        add_message(s, marta_chat.id, Direction.OUTBOUND, "¿Me pasás la dirección?",
                    now - timedelta(minutes=19))
        add_message(s, marta_chat.id, Direction.INBOUND, None, now - timedelta(minutes=5),
                    type="audio", transcript="Avenida Avellaneda 2150, tercero B")

        def invoice(customer_id: int, total: str, status: InvoiceStatus, issued: date, **fields) -> int:
            row = Invoice(customer_id=customer_id, letter="B", cbte_tipo=6, punto_de_venta=1,
                          issue_date=issued, status=status, total=Decimal(total), net=Decimal(total),
                          **fields)
            s.add(row)
            s.flush()
            return row.id

        authorized = invoice(marta.id, "15000", InvoiceStatus.AUTHORIZED, date(2026, 11, 10),
                             number=12, cae="76123456789012")
        pending = invoice(juan.id, "8000", InvoiceStatus.PENDING, date(2026, 11, 20),
                          last_error="AFIP no está disponible (503).")
        rejected = invoice(juan.id, "5000", InvoiceStatus.REJECTED, date(2026, 11, 21),
                           last_error="AFIP dijo: el CUIT del receptor no es válido (código 10015)")
    return Shop(db, org_id, users, marta_chat.id, juan_chat.id, authorized, pending, rejected)


def add_photo(db: Database, org_id: int, job_id: int, media_dir: Path, *, content: bytes = PNG,
              mime: str = "image/png", caption: str | None = None, media_path: str | None = None,
              kind: str = "image") -> int:
    """A photo the shop's technician sent by WhatsApp, stored as services.media stores it
    (<media_dir>/<org>/YYYY/MM/<message id>.<ext>) and attached to the job as flows.photos does;
    `media_path` stores that path instead (nothing written). Returns the message id."""
    with db.org_session(org_id) as s:
        chat = s.scalar(select(Conversation).where(Conversation.wa_id == CARLOS_WA))
        if chat is None:
            chat = Conversation(wa_id=CARLOS_WA, phone=f"+{CARLOS_WA}", role=ConversationRole.TECHNICIAN,
                                slots={})
            s.add(chat)
            s.flush()
        message = add_message(s, chat.id, Direction.INBOUND, caption, datetime.now(UTC), type=kind,
                              media_id=f"media-{datetime.now(UTC).timestamp()}", media_mime=mime)
        if media_path is None:
            folder = media_dir / str(org_id) / "2026" / "11"
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{message.id}.{mime.split('/')[-1]}"
            path.write_bytes(content)
            media_path = str(path)
        message.media_path = media_path
        s.add(JobEvent(job_id=job_id, kind="photo", actor=f"whatsapp:{CARLOS_WA}", note=caption,
                       data={"message_id": message.id, "type": kind}))
        return message.id


@pytest.fixture
def media_dir(tmp_path) -> Path:
    return tmp_path / "media"


@pytest.fixture
def app(pg_db, redisdb, media_dir):
    app = create_app(pg_db.settings.model_copy(update={"media_dir": str(media_dir)}))
    app.testing = True
    yield app
    app.extensions["campotech.db"].dispose()


@pytest.fixture
def platform_app(pg_db, redisdb, fake_graph, monkeypatch):
    """The app with the platform's own number (sign-up and login codes) pointed at the fake Graph
    API, exported to the environment so a worker in the test sends there too."""
    settings = load_settings(**{**pg_db.settings.model_dump(), "whatsapp_access_token": "platform-token",
                                "whatsapp_graph_url": fake_graph.url})
    export_env(monkeypatch, settings)
    app = create_app(settings)
    app.testing = True
    yield app
    app.extensions["campotech.db"].dispose()


def work_high_queue(redis) -> None:
    """Run what is queued on "high" (codes, sends) in this process, then return."""
    SimpleWorker([Queue("high", connection=redis)], connection=redis).work(burst=True)


@pytest.fixture
def shop(pg_db) -> Shop:
    return seed_shop(pg_db)


def csrf_of(client: FlaskClient) -> str:
    """This client's CSRF token, as a page's hidden field carries it."""
    html = client.get("/app/login").get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    if found:
        return found.group(1)
    with client.session_transaction() as session:
        return session["csrf"]


def login(client: FlaskClient, email: str, password: str = PASSWORD, **extra):
    return client.post("/app/login", data={"email": email, "password": password,
                                           "csrf_token": csrf_of(client), **extra})


def post(client: FlaskClient, path: str, **data):
    """A form POST with this session's CSRF token."""
    with client.session_transaction() as session:
        token = session.get("csrf", "")
    return client.post(path, data={"csrf_token": token, **data})


@pytest.fixture
def signed_in(app, shop):
    """A client signed in as `role`."""

    def _as(role: Role | str) -> FlaskClient:
        client = app.test_client()
        response = login(client, email_of(role))
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return _as
