"""Back-office sessions end for real, the cookie is locked down, every page has a CSP (#16, 7)."""

from __future__ import annotations

import re

import pytest

from core.identity.users import create_user, update_user
from core.settings import load_settings
from tests.factories import create_org
from web import create_app

PASSWORD = "clave-muy-segura-2026"
PRODUCTION = {"env": "production", "secret_key": "s" * 40, "whatsapp_app_secret": "app-secret",
              "whatsapp_verify_token": "verify-token-xyz", "encryption_key": "k1:" + "A" * 43 + "="}


@pytest.fixture
def staff(pg_db):
    org = create_org(pg_db, "Gas Sur", "gas-sur")
    with pg_db.org_session(org) as s:
        owner = create_user(s, {"name": "Dueña", "role": "owner", "email": "duena@gassur.com.ar",
                                "password": PASSWORD})
        admin = create_user(s, {"name": "Admin", "role": "admin", "email": "admin@gassur.com.ar",
                                "password": PASSWORD})
    return org, owner.id, admin.id


def _app(pg_settings, redisdb, **extra):
    values = {"env": "test", "database_url": pg_settings.database_url,
              "system_database_url": pg_settings.system_database_url,
              "redis_url": pg_settings.redis_url, "log_json": False, **extra}
    app = create_app(load_settings(**values))
    return app


def _login(client, email: str) -> None:
    page = client.get("/app/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/app/login", data={"email": email, "password": PASSWORD,
                                               "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)


def _cookie(client) -> str:
    return client.get_cookie("session").value


def _csrf(client) -> str:
    with client.session_transaction() as sess:
        return sess["csrf"]


def test_a_cookie_copied_before_logout_is_dead_after_it(pg_settings, pg_db, redisdb, staff):
    app = _app(pg_settings, redisdb)
    browser, thief = app.test_client(), app.test_client()
    _login(browser, "duena@gassur.com.ar")
    thief.set_cookie("session", _cookie(browser))
    assert thief.get("/app/").status_code == 200
    assert browser.post("/app/logout", data={"csrf_token": _csrf(browser)}).status_code == 302
    assert thief.get("/app/").status_code == 302  # to the login page
    _login(browser, "duena@gassur.com.ar")  # signing in again works
    assert browser.get("/app/").status_code == 200


def test_a_password_or_role_change_ends_other_sessions(pg_settings, pg_db, redisdb, staff):
    org, owner_id, admin_id = staff
    app = _app(pg_settings, redisdb)
    admin = app.test_client()
    _login(admin, "admin@gassur.com.ar")
    assert admin.get("/app/").status_code == 200
    with pg_db.org_session(org) as s:
        update_user(s, admin_id, {"name": "Admin", "role": "dispatcher",
                                  "email": "admin@gassur.com.ar"}, actor=f"user:{owner_id}")
    assert admin.get("/app/").status_code == 302
    _login(admin, "admin@gassur.com.ar")
    from core.identity.users import set_password

    with pg_db.org_session(org) as s:
        set_password(s, admin_id, "otra-clave-segura-99", actor=f"user:{owner_id}")
    assert admin.get("/app/").status_code == 302


def test_production_cookie_flags_and_a_csp_on_every_page(pg_settings, pg_db, redisdb, staff):
    app = _app(pg_settings, redisdb, **PRODUCTION)
    client = app.test_client()
    page = client.get("/app/login", base_url="https://campotech.example")
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in policy and "object-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    assert f'<script nonce="{nonce}">' in page.get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    response = client.post("/app/login", data={"email": "duena@gassur.com.ar", "password": PASSWORD,
                                               "csrf_token": token},
                           base_url="https://campotech.example")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    for path in ("/healthz", "/", "/app/signup"):
        assert "Content-Security-Policy" in client.get(path).headers, path
