"""The optional WhatsApp code after the password: the owner's switch, the half-login, lockout."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.models import AuditEntry, Organization, Role, User
from tests.backoffice.conftest import PASSWORD, email_of, login, post
from tests.backoffice.conftest import work_high_queue as work

DISPATCHER_WA = "5491155550102"  # seed_shop: owner ...0100, admin 0101, dispatcher 0102


@pytest.fixture
def app(platform_app):
    return platform_app


@pytest.fixture
def codes_on(pg_db, shop, signed_in):
    owner = signed_in(Role.OWNER)
    response = post(owner, "/app/security", required="on")
    assert response.headers["Location"] == "/app/security?done=on"
    assert "para entrar se pide también un código" in owner.get(response.headers["Location"]).get_data(as_text=True)
    return owner


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def test_the_password_alone_is_a_half_login_until_the_code(app, shop, codes_on, redisdb, fake_graph):
    client = app.test_client()
    response = login(client, email_of(Role.DISPATCHER), next="/app/jobs")
    assert response.headers["Location"] == "/app/login/code"
    with client.session_transaction() as session:
        assert "user_id" not in session and session["login_code"]["user_id"] == shop.users[Role.DISPATCHER]
    assert client.get("/app/jobs").headers["Location"].startswith("/app/login")
    page = client.get("/app/login/code").get_data(as_text=True)
    assert "terminado en <strong>••••-0102</strong>" in page
    work(redisdb)
    [code] = fake_graph.codes(to=DISPATCHER_WA)
    assert [r["phone_number_id"] for r in fake_graph.sent(to=DISPATCHER_WA)] == ["100000000000001"]

    wrong = post(client, "/app/login/code", code=_wrong(code))
    assert "Te quedan 4 intentos." in wrong.get_data(as_text=True)
    done = post(client, "/app/login/code", code=code)
    assert done.headers["Location"] == "/app/jobs"
    with client.session_transaction() as session:
        assert session["user_id"] == shop.users[Role.DISPATCHER] and "login_code" not in session
    assert client.get("/app/jobs").status_code == 200


def test_without_the_switch_the_password_is_enough(app, shop, redisdb, fake_graph):
    assert login(app.test_client(), email_of(Role.DISPATCHER)).headers["Location"] == "/app/"
    work(redisdb)
    assert fake_graph.codes() == []


def test_wrong_codes_count_towards_the_lockout(app, shop, codes_on, redisdb, fake_graph):
    client = app.test_client()
    login(client, email_of(Role.DISPATCHER))
    work(redisdb)
    [code] = fake_graph.codes(to=DISPATCHER_WA)
    for _ in range(4):
        assert "no es el que te mandamos" in post(client, "/app/login/code", code=_wrong(code)).get_data(as_text=True)
    fifth = post(client, "/app/login/code", code=_wrong(code))
    assert fifth.status_code == 429 and "demasiados intentos" in fifth.get_data(as_text=True)
    # The half-login is gone, the code too, and the email waits out the lock.
    assert client.get("/app/login/code").headers["Location"] == "/app/login"
    locked = login(app.test_client(), email_of(Role.DISPATCHER))
    assert locked.status_code == 429


def test_an_expired_half_login_starts_over(app, shop, codes_on, redisdb, fake_graph):
    client = app.test_client()
    login(client, email_of(Role.DISPATCHER))
    work(redisdb)
    [code] = fake_graph.codes(to=DISPATCHER_WA)
    with client.session_transaction() as session:
        session["login_code"] = {**session["login_code"], "until": 1}
    html = post(client, "/app/login/code", code=code).get_data(as_text=True)
    assert "Pasó demasiado tiempo" in html
    with client.session_transaction() as session:
        assert "user_id" not in session


def test_resend_waits_a_minute(app, shop, codes_on, redisdb, fake_graph):
    client = app.test_client()
    login(client, email_of(Role.DISPATCHER))
    soon = post(client, "/app/login/code/resend").get_data(as_text=True)
    assert "Podés pedir otro código en" in soon
    redisdb.delete(*redisdb.keys("campotech:otp:cooldown:*"))
    assert "te mandamos un código nuevo" in post(client, "/app/login/code/resend").get_data(as_text=True)
    work(redisdb)
    first, second = fake_graph.codes(to=DISPATCHER_WA)
    if first != second:
        assert "no es el que te mandamos" in post(client, "/app/login/code", code=first).get_data(as_text=True)
    assert post(client, "/app/login/code", code=second).headers["Location"] == "/app/"


def test_someone_without_a_phone_is_told_why_and_the_owner_sees_who(app, pg_db, shop, codes_on):
    with pg_db.org_session(shop.org_id) as s:
        s.get(User, shop.users[Role.DISPATCHER]).phone = None
    response = login(app.test_client(), email_of(Role.DISPATCHER))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "tu usuario no tiene un celular cargado" in html and "«Equipo»" in html
    page = codes_on.get("/app/security").get_data(as_text=True)
    assert "Sin celular cargado" in page and "Diego Despacho" in page and "no pueden entrar" in page


def test_the_owner_needs_a_phone_to_turn_it_on(app, pg_db, shop, signed_in):
    owner = signed_in(Role.OWNER)
    with pg_db.org_session(shop.org_id) as s:
        s.get(User, shop.users[Role.OWNER]).phone = None
    html = post(owner, "/app/security", required="on").get_data(as_text=True)
    assert "Antes de activarlo, cargá tu celular en Equipo" in html
    with pg_db.org_session(shop.org_id) as s:
        assert s.get(Organization, shop.org_id).login_code_required is False


def test_turning_it_off_again_is_audited(app, pg_db, shop, codes_on):
    assert post(codes_on, "/app/security").headers["Location"] == "/app/security?done=off"
    assert login(app.test_client(), email_of(Role.ADMIN)).headers["Location"] == "/app/"
    with pg_db.org_session(shop.org_id) as s:
        data = [e.data for e in s.scalars(select(AuditEntry)
                                          .where(AuditEntry.action == "organization.login_code")
                                          .order_by(AuditEntry.seq))]
    assert data == [{"required": True}, {"required": False}]


def test_the_existing_password_checks_still_come_first(app, shop, codes_on, redisdb, fake_graph):
    wrong = login(app.test_client(), email_of(Role.ADMIN), "no-es-la-clave")
    assert "no coinciden" in wrong.get_data(as_text=True)
    work(redisdb)
    assert fake_graph.codes() == []
    assert login(app.test_client(), email_of(Role.ADMIN), PASSWORD).headers["Location"] == "/app/login/code"
