"""The transport's test harness: the real app, PostgreSQL, redis-server, RQ and a fake Graph API."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from bot import simulator
from core.db import Database
from core.settings import Settings, get_settings, load_settings
from services.burst_closer import BurstCloser
from tests.background import idle, turn, turn_until
from tests.factories import create_org
from tests.waiting import settled
from web import create_app

PHONE_NUMBER_ID = "100000000000001"
APP_SECRET = "test-app-secret"
CUSTOMER = "5491155550000"


def transport_settings(pg_settings: Settings, graph_url: str, media_dir: str, **overrides) -> Settings:
    values = {
        "env": "test",
        "database_url": pg_settings.database_url,
        "system_database_url": pg_settings.system_database_url,
        "redis_url": pg_settings.redis_url,
        "log_json": False,
        "whatsapp_app_secret": APP_SECRET,
        "whatsapp_verify_token": "test-verify-token",
        "whatsapp_access_token": "test-access-token",
        "whatsapp_phone_number_id": PHONE_NUMBER_ID,
        "whatsapp_graph_url": graph_url,
        "burst_quiet_seconds": 0.3,
        "burst_max_seconds": 1.5,
        "transcript_wait_seconds": 5.0,
        "media_dir": media_dir,
    }
    values.update(overrides)
    return load_settings(**values)


def export_env(monkeypatch, settings: Settings) -> None:
    """RQ work horses and worker processes read settings from the environment, as in production."""
    for name, value in settings.model_dump().items():
        if value is not None:
            monkeypatch.setenv(name.upper(), str(value).lower() if isinstance(value, bool) else str(value))
    get_settings.cache_clear()


@dataclass
class Harness:
    settings: Settings
    db: Database
    app: object
    graph: object
    org_id: int

    @property
    def client(self):
        return self.app.test_client()

    @property
    def transport(self):
        return self.app.extensions["campotech.transport"]

    @property
    def redis(self):
        return self.app.extensions["campotech.redis"]

    @property
    def closer(self) -> BurstCloser:
        """What the clock process runs: closes due bursts, sweeps what was left behind."""
        return BurstCloser(self.app.extensions["campotech.db"], self.redis)

    def post(self, payload: dict, *, secret: str | None = None):
        body = simulator.encode(payload)
        headers = {"Content-Type": "application/json",
                   "X-Hub-Signature-256": simulator.sign(secret or self.settings.whatsapp_app_secret, body)}
        return self.client.post("/webhooks/whatsapp", data=body, headers=headers)

    def say(self, body: str, wa_id: str = CUSTOMER, **kw):
        response = self.post(simulator.text(PHONE_NUMBER_ID, wa_id, body, **kw))
        assert response.status_code == 200, response.get_data(as_text=True)
        return response

    def step(self) -> None:
        """One turn of the clock and of a worker: what runs in the background in production."""
        turn(self.app)

    def work(self, *, timeout: float = 15.0, settle: float = 0.0) -> None:
        """Run the clock and an in-process worker until nothing is due, queued or scheduled
        (and has stayed so for `settle` seconds)."""
        turn_until(self.app, settled(lambda: idle(self.redis), settle), timeout,
                   what="the transport to settle")

    def replies(self, wa_id: str = CUSTOMER) -> list[dict]:
        return self.graph.sent(to=wa_id)

    def booking(self, wa_id: str = CUSTOMER) -> dict:
        """The booking flow's slots for this sender (what the bot kept from the bursts)."""
        from sqlalchemy import select

        from core.models import Conversation

        with self.db.org_session(self.org_id) as s:
            return dict(s.scalar(select(Conversation.slots).where(Conversation.wa_id == wa_id)) or {})


ALWAYS_OPEN = {day: [["00:00", "23:59"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


@pytest.fixture
def harness(pg_db, redisdb, fake_graph, tmp_path, monkeypatch) -> Iterator[Harness]:
    settings = transport_settings(pg_db.settings, fake_graph.url, str(tmp_path / "media"))
    export_env(monkeypatch, settings)
    # Open around the clock: the conversations under test must not depend on the
    # hour the suite happens to run at (outside hours the bot prefixes a "fuera de horario").
    org_id = create_org(pg_db, "Plomería Rápida", slug="plomeria-rapida", wa_phone_number_id=PHONE_NUMBER_ID,
                        business_hours=ALWAYS_OPEN)
    app = create_app(settings)
    yield Harness(settings, pg_db, app, fake_graph, org_id)
    app.extensions["campotech.db"].dispose()
    get_settings.cache_clear()
