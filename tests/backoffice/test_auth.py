"""Signing in and out, idle expiry, lockout after failed logins, CSRF on every POST."""

from __future__ import annotations

import time

from backoffice.security import IDLE_TIMEOUT
from core.models import Role, User
from tests.backoffice.conftest import PASSWORD, add_staff, email_of, login, post
from tests.factories import create_org


def test_login_lands_on_home_with_the_counts(app, shop):
    client = app.test_client()
    response = login(client, "Owner@PlomeriaRamos.com.ar ")  # case and blanks do not matter
    assert response.status_code == 302
    assert response.headers["Location"] == "/app/"
    html = client.get("/app/").get_data(as_text=True)
    assert "¡Hola, Roberto!" in html
    assert "trabajos abiertos" in html and "conversaciones que necesitan una persona" in html
    assert "facturas esperando a AFIP" in html
    assert "$23.000" in html  # authorized 15.000 + pending 8.000; a rejected one is not owed
    with client.session_transaction() as session:
        assert session["user_id"] == shop.users[Role.OWNER]
        assert session["org_id"] == shop.org_id
        assert session["role"] == "owner"


def test_wrong_password_and_unknown_email_get_the_same_answer(app, shop):
    client = app.test_client()
    for email, password in ((email_of(Role.OWNER), "otra-cosa"), ("nadie@plomeriaramos.com.ar", PASSWORD)):
        response = login(client, email, password)
        assert response.status_code == 200
        assert "El email o la contraseña no coinciden" in response.get_data(as_text=True)
    assert client.get("/app/").status_code == 302


def test_login_finds_the_users_organization(app, pg_db, shop):
    other = create_org(pg_db, "Gasista Otro", "gasista-otro")
    add_staff(pg_db, other, Role.ADMIN, "Olga Otra", "+5491144440000", email="olga@gasistaotro.com.ar")
    client = app.test_client()
    assert login(client, "olga@gasistaotro.com.ar").status_code == 302
    with client.session_transaction() as session:
        assert session["org_id"] == other
    html = client.get("/app/team").get_data(as_text=True)
    assert "Olga Otra" in html and "Roberto Ramos" not in html


def test_inactive_user_cannot_sign_in_and_is_signed_out(app, pg_db, shop, signed_in):
    client = signed_in(Role.ADMIN)
    with pg_db.org_session(shop.org_id) as s:
        s.get(User, shop.users[Role.ADMIN]).active = False
    assert client.get("/app/").headers["Location"].startswith("/app/login")
    assert "no coinciden" in login(app.test_client(), email_of(Role.ADMIN)).get_data(as_text=True)


def test_five_failures_lock_the_email_for_fifteen_minutes(app, shop, redisdb):
    client = app.test_client()
    email = email_of(Role.DISPATCHER)
    for _ in range(4):
        assert "no coinciden" in login(client, email, "mal").get_data(as_text=True)
    fifth = login(client, email, "mal")
    assert fifth.status_code == 429
    assert "probá de nuevo en 15 minutos" in fifth.get_data(as_text=True)
    # Even the right password waits out the lock.
    locked = login(client, email, PASSWORD)
    assert locked.status_code == 429 and "demasiados intentos" in locked.get_data(as_text=True)
    keys = [k.decode() for k in redisdb.keys("campotech:login:*")]
    assert len(keys) == 1 and keys[0].startswith("campotech:login:lock:")
    assert 14 * 60 < redisdb.ttl(keys[0]) <= 15 * 60
    # Other emails are not affected; when the lock expires the right password works again.
    assert login(app.test_client(), email_of(Role.OWNER)).status_code == 302
    redisdb.delete(keys[0])
    assert login(client, email, PASSWORD).status_code == 302


def test_a_successful_login_clears_the_failures(app, shop, redisdb):
    client = app.test_client()
    email = email_of(Role.VIEWER)
    for _ in range(4):
        login(client, email, "mal")
    assert login(client, email).status_code == 302
    assert redisdb.keys("campotech:login:*") == []
    post(client, "/app/logout")
    for _ in range(4):
        assert login(client, email, "mal").status_code == 200  # counting from zero again


def test_logout_ends_the_session(app, signed_in):
    client = signed_in(Role.OWNER)
    response = post(client, "/app/logout")
    assert response.status_code == 302 and response.headers["Location"] == "/app/login"
    assert client.get("/app/").headers["Location"].startswith("/app/login")


def test_pages_need_a_session_and_come_back_after_login(app, shop):
    client = app.test_client()
    response = client.get("/app/invoices?status=pending")
    assert response.status_code == 302
    assert response.headers["Location"] == "/app/login?next=%2Fapp%2Finvoices%3Fstatus%3Dpending"
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'name="next" value="/app/invoices?status=pending"' in html
    back = login(client, email_of(Role.OWNER), next="/app/invoices?status=pending")
    assert back.headers["Location"] == "/app/invoices?status=pending"


def test_next_never_leaves_the_back_office(app, shop):
    for target in ("https://evil.example/", "//evil.example/app", "/sandbox"):
        response = login(app.test_client(), email_of(Role.OWNER), next=target)
        assert response.headers["Location"] == "/app/"


def test_sessions_expire_after_twelve_idle_hours(app, signed_in):
    client = signed_in(Role.OWNER)
    with client.session_transaction() as session:
        session["seen"] = int(time.time() - IDLE_TIMEOUT.total_seconds() + 60)
    assert client.get("/app/").status_code == 200  # 11 h 59 min: still in, and the clock restarts
    with client.session_transaction() as session:
        assert session["seen"] >= int(time.time()) - 5
        session["seen"] = int(time.time() - IDLE_TIMEOUT.total_seconds() - 1)
    assert client.get("/app/").headers["Location"].startswith("/app/login")


def test_posts_without_the_right_csrf_token_are_refused(app, signed_in, shop, caplog):
    client = signed_in(Role.OWNER)
    for data in ({}, {"csrf_token": "not-the-token"}):
        response = client.post(f"/app/conversations/{shop.marta_chat}/take-over", data=data)
        assert response.status_code == 400
        assert "El formulario venció" in response.get_data(as_text=True)
    assert "missing or wrong CSRF token" in caplog.text
    # The login form needs it too.
    refused = app.test_client().post("/app/login", data={"email": email_of(Role.OWNER),
                                                         "password": PASSWORD})
    assert refused.status_code == 400
    # Nothing changed.
    html = client.get(f"/app/conversations/{shop.marta_chat}").get_data(as_text=True)
    assert "Tomar la conversación" in html


def test_login_replaces_the_session_and_its_csrf_token(app, shop):
    client = app.test_client()
    client.get("/app/login")
    with client.session_transaction() as session:
        before = session["csrf"]
    login(client, email_of(Role.OWNER))
    with client.session_transaction() as session:
        assert session["csrf"] != before
