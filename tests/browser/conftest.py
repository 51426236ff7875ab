"""Tests in a real browser: the real app served over HTTP, driven by Playwright in Debian's Chromium.

`live_app` serves the app on 127.0.0.1 (PostgreSQL, redis-server) with `public_base_url` set to
its own address, so links the services build open in the browser as they would for a customer.
`make_live_app(setup=..., **settings)` does the same with other settings or a hook that changes
the app before it serves (more blueprints, config). `page` is a fresh phone-sized tab;
`shot(page, name)` keeps a full-page screenshot in var/screenshots/ for a person to look at.

Playwright cannot download its own browser on our machines: it launches the Chromium at
$CHROMIUM_PATH (default /usr/bin/chromium, which `scripts/bootstrap.sh test` installs).
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from core.db import Database
from core.settings import Settings, get_settings, load_settings
from tests.bot.conftest import export_env
from web import create_app

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "var" / "screenshots"
CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# As root (CI) Chromium needs --no-sandbox; the rest keep it off this machine's closed network.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True, "locale": "es-AR", "timezone_id": "America/Argentina/Buenos_Aires"}


@dataclass
class LiveApp:
    url: str  # "http://127.0.0.1:<port>", no trailing slash
    app: Flask
    db: Database  # the test's database (same PostgreSQL as the app's own engine)
    settings: Settings

    def link(self, path: str) -> str:
        return self.url + "/" + path.lstrip("/")


@pytest.fixture
def make_live_app(pg_db, redisdb, monkeypatch) -> Iterator[Callable[..., LiveApp]]:
    """Factory: `make_live_app(setup=None, **settings_overrides)` serves a new app and returns it.

    `setup(app)` runs after `create_app` and before the first request. Settings are exported to
    the environment too, as a worker process would read them. Servers stop at teardown.
    """
    started: list[tuple[BaseWSGIServer, threading.Thread, Flask]] = []

    def _make(setup: Callable[[Flask], None] | None = None, **overrides) -> LiveApp:
        # Bind first: the port is only known then, and the app's links must carry it.
        server = make_server("127.0.0.1", 0, _not_ready, threaded=True)
        url = f"http://127.0.0.1:{server.server_port}"
        values = {"env": "test", "database_url": pg_db.settings.database_url,
                  "system_database_url": pg_db.settings.system_database_url,
                  "redis_url": pg_db.settings.redis_url, "log_json": False,
                  "public_base_url": url}
        values.update(overrides)
        settings = load_settings(**values)
        export_env(monkeypatch, settings)
        app = create_app(settings)
        if setup is not None:
            setup(app)
        server.app = app
        thread = threading.Thread(target=server.serve_forever, name=f"live-app-{server.server_port}",
                                  daemon=True)
        thread.start()
        started.append((server, thread, app))
        return LiveApp(url=url, app=app, db=pg_db, settings=settings)

    yield _make
    for server, thread, app in started:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        app.extensions["campotech.db"].dispose()  # before pg_db truncates the tables
    get_settings.cache_clear()


def _not_ready(environ, start_response):  # pragma: no cover - replaced before serving
    start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
    return [b"not ready"]


@pytest.fixture
def live_app(make_live_app) -> LiveApp:
    """The app with default test settings, served on 127.0.0.1 at `live_app.url`."""
    return make_live_app()


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session; the browser tests skip only without a binary."""
    if not os.access(CHROMIUM_PATH, os.X_OK):
        pytest.skip(f"no Chromium at {CHROMIUM_PATH} (apt-get install chromium, "
                    "or run `make test`, or set CHROMIUM_PATH)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS,
                                              headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A new tab in a fresh context (no cookies) the size of a phone, in Argentine Spanish."""
    context = browser.new_context(**PHONE)
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()


def save_screenshot(page, name: str) -> Path:
    """A full-page PNG at var/screenshots/<name>.png, for human review; returns its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def shot() -> Callable[..., Path]:
    """`shot(page, name)`: see `save_screenshot`."""
    return save_screenshot


def sign_in(page, live: LiveApp, email: str, password: str) -> None:
    """Log in through the login form, as a person does, and wait for the home page."""
    page.goto(live.link("/app/login"))
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button:has-text('Entrar')")
    page.wait_for_url(re.compile(r"/app/?$"))


OWNER_EMAIL = "roberto@example.com"


def owner_shop(live: LiveApp, password: str) -> int:
    """The suites' shop, Plomería Rápida, with its owner Roberto Gómez (who signs in with
    `OWNER_EMAIL` and `password`); its organization id."""
    from core.identity.users import create_user
    from tests.factories import create_org

    org_id = create_org(live.db, "Plomería Rápida", slug="plomeria-rapida")
    with live.db.org_session(org_id) as s:
        create_user(s, {"name": "Roberto Gómez", "role": "owner", "email": OWNER_EMAIL,
                        "password": password, "phone": "+5491155550100"})
    return org_id
