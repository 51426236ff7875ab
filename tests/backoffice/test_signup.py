"""Sign-up: the form, the WhatsApp code (read back from the fake Graph API), the new business."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core import audit
from core.models import AuditEntry, Organization, Role, Service, User
from tests.backoffice.conftest import csrf_of, email_of, login, post
from tests.backoffice.conftest import work_high_queue as work

PHONE_TYPED = "11 5555-0177"
WA = "5491155550177"
PASSWORD = "una-clave-bien-larga"
FORM = {"business_name": "Gas Sur", "trade": "gas", "owner_name": "Lucía Fernández",
        "email": "lucia@gassur.com.ar", "password": PASSWORD, "phone": PHONE_TYPED}


@pytest.fixture
def app(platform_app):
    return platform_app


def start(client, **changes):
    csrf_of(client)
    return post(client, "/app/signup", **{**FORM, **changes})


def code_for(redis, graph, wa: str = WA) -> str:
    work(redis)
    return graph.codes(to=wa)[-1]


def test_the_login_page_invites_new_businesses(app):
    html = app.test_client().get("/app/login").get_data(as_text=True)
    assert "¿Tu negocio todavía no usa CampoTech?" in html and 'href="/app/signup"' in html
    form = app.test_client().get("/app/signup").get_data(as_text=True)
    assert "11 5555-0101" in form and "Plomería" in form and "Cerrajería" in form


def test_sign_up_verify_and_land_on_the_checklist(app, pg_db, redisdb, fake_graph):
    client = app.test_client()
    response = start(client)
    assert response.status_code == 302 and response.headers["Location"] == "/app/signup/verify"
    page = client.get("/app/signup/verify").get_data(as_text=True)
    assert "+54 9 11 ••••-0177" in page
    with pg_db.system_session() as s:
        assert s.scalar(select(Organization.id)) is None  # nothing exists before the code
    code = code_for(redisdb, fake_graph)

    wrong = post(client, "/app/signup/verify", code=f"{(int(code) + 1) % 10**6:06d}")
    assert "Ese código no es el que te mandamos. Te quedan 4 intentos." in wrong.get_data(as_text=True)
    done = post(client, "/app/signup/verify", code=code)
    assert done.status_code == 302 and done.headers["Location"] == "/app/"

    with pg_db.system_session() as s:
        org = s.scalars(select(Organization)).one()
        owner = s.scalars(select(User)).one()
    assert (org.name, org.slug, org.trade) == ("Gas Sur", "gas-sur", Service.GAS)
    assert owner.org_id == org.id and owner.role == Role.OWNER and owner.name == "Lucía Fernández"
    assert owner.phone == f"+{WA}" and owner.phone_verified_at is not None
    assert owner.password_hash.startswith("$argon2")
    with pg_db.org_session(org.id) as s:
        actions = list(s.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)))
        assert audit.verify(s).ok
    assert actions == ["organization.create", "user.create", "signup.complete"]

    home = client.get("/app/")
    html = home.get_data(as_text=True)
    assert home.status_code == 200 and "¡Hola, Lucía!" in html
    assert "Primeros pasos" in html and "0 de 6 listos" in html
    assert 'href="/app/team"' in html and 'href="/app/price-book"' in html
    # The password works from now on; the code is spent.
    assert login(app.test_client(), "lucia@gassur.com.ar", PASSWORD).status_code == 302
    assert redisdb.keys("campotech:signup:*") == []


def test_every_field_is_checked_and_typed_values_come_back_escaped(app, redisdb, fake_graph):
    client = app.test_client()
    csrf_of(client)
    empty = post(client, "/app/signup")
    html = empty.get_data(as_text=True)
    assert empty.status_code == 200
    for message in ("Escribí el nombre de tu negocio.", "Elegí a qué se dedica tu negocio.",
                    "Escribí tu nombre y apellido.", "Escribí tu email",
                    "La contraseña tiene que tener al menos 10 caracteres.",
                    "Escribí tu celular con WhatsApp, por ejemplo 11 5555-0101."):
        assert message in html
    bad = start(client, business_name="<script>alert(1)</script>", email="no-es-un-email",
                password="corta", phone="4555")
    html = bad.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Ese email no parece válido" in html
    assert "No parece un celular válido" in html
    same = start(client, password="Lucia@GasSur.com.ar")
    assert "La contraseña no puede ser tu email." in same.get_data(as_text=True)
    foreign = start(client, phone="+1 415 555 0101")
    assert "Por ahora solo tomamos celulares de Argentina." in foreign.get_data(as_text=True)
    work(redisdb)
    assert fake_graph.sent() == []


def test_an_email_in_use_is_refused_without_a_code(app, shop, redisdb, fake_graph):
    response = start(app.test_client(), email=email_of(Role.VIEWER).upper())
    html = response.get_data(as_text=True)
    assert "Ese email ya tiene una cuenta en CampoTech." in html
    assert "Plomería Ramos" not in html  # nothing about whose account it is
    work(redisdb)
    assert fake_graph.sent() == []


def test_five_wrong_codes_burn_it(app, redisdb, fake_graph):
    client = app.test_client()
    start(client)
    code = code_for(redisdb, fake_graph)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for left in (4, 3, 2):
        assert f"Te quedan {left} intentos." in post(client, "/app/signup/verify", code=wrong).get_data(as_text=True)
    assert "Te queda 1 intento." in post(client, "/app/signup/verify", code=wrong).get_data(as_text=True)
    burned = post(client, "/app/signup/verify", code=wrong).get_data(as_text=True)
    assert "Te equivocaste 5 veces, así que anulamos ese código." in burned
    after = post(client, "/app/signup/verify", code=code).get_data(as_text=True)
    assert "Ese código venció" in after
    assert client.get("/app/").status_code == 302


def test_an_expired_code_asks_for_a_new_one(app, redisdb, fake_graph):
    client = app.test_client()
    start(client)
    code = code_for(redisdb, fake_graph)
    redisdb.delete(*redisdb.keys("campotech:otp:code:*"))  # its ten minutes are up
    html = post(client, "/app/signup/verify", code=code).get_data(as_text=True)
    assert "Ese código venció (dura 10 minutos)." in html


def test_resend_respects_the_cooldown_and_replaces_the_code(app, redisdb, fake_graph):
    client = app.test_client()
    start(client)
    first = code_for(redisdb, fake_graph)
    soon = post(client, "/app/signup/resend").get_data(as_text=True)
    assert "Ya te mandamos un código. Podés pedir otro en" in soon
    work(redisdb)
    assert len(fake_graph.codes(to=WA)) == 1
    redisdb.delete(*redisdb.keys("campotech:otp:cooldown:*"))  # a minute later
    again = post(client, "/app/signup/resend").get_data(as_text=True)
    assert "te mandamos un código nuevo" in again
    second = code_for(redisdb, fake_graph)
    assert len(fake_graph.codes(to=WA)) == 2
    if first != second:
        assert "no es el que te mandamos" in post(client, "/app/signup/verify", code=first).get_data(as_text=True)
    assert post(client, "/app/signup/verify", code=second).headers["Location"] == "/app/"


def test_one_phone_gets_at_most_five_codes_an_hour(app, redisdb, fake_graph):
    for n in range(5):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"10.0.0.{n}"
        assert start(client, email=f"lucia{n}@gassur.com.ar").status_code == 302
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "10.0.0.99"
    refused = start(client, email="lucia9@gassur.com.ar")
    assert refused.status_code == 429
    assert "Ya mandamos varios códigos a ese número." in refused.get_data(as_text=True)
    work(redisdb)
    assert len(fake_graph.codes(to=WA)) == 5


def test_one_address_starts_at_most_ten_sign_ups_an_hour(app, redisdb, fake_graph):
    client = app.test_client()
    for n in range(10):
        assert start(client, email=f"l{n}@gassur.com.ar", phone=f"11 5555-02{n:02d}").status_code == 302
    refused = start(client, email="otra@gassur.com.ar", phone="11 5555-0299")
    assert refused.status_code == 429
    assert "Hubo demasiados registros desde tu conexión." in refused.get_data(as_text=True)
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "10.9.9.9"
    assert start(other, email="otra@gassur.com.ar", phone="11 5555-0299").status_code == 302


def test_a_sign_up_waits_thirty_minutes_at_most(app, redisdb, fake_graph):
    client = app.test_client()
    start(client)
    code = code_for(redisdb, fake_graph)
    [key] = redisdb.keys("campotech:signup:*")
    assert 1790 <= redisdb.ttl(key) <= 1800
    redisdb.delete(key)
    html = post(client, "/app/signup/verify", code=code).get_data(as_text=True)
    assert "el registro venció" in html
    assert client.get("/app/signup/verify").headers["Location"] == "/app/signup"


def test_the_same_name_gets_its_own_address_and_a_taken_email_is_caught_at_the_end(
        app, pg_db, shop, redisdb, fake_graph):
    client = app.test_client()
    start(client, business_name="Plomería Ramos", trade="plumbing")
    code = code_for(redisdb, fake_graph)
    assert post(client, "/app/signup/verify", code=code).status_code == 302
    with pg_db.system_session() as s:
        assert s.scalar(select(Organization.slug).where(Organization.id != shop.org_id)) == "plomeria-ramos-2"

    # Someone else finishes first with the same email while this code travels.
    late, early = app.test_client(), app.test_client()
    late.environ_base["REMOTE_ADDR"] = "10.1.1.1"
    start(late, email="mismo@gassur.com.ar", phone="11 5555-0301")
    early.environ_base["REMOTE_ADDR"] = "10.1.1.2"
    start(early, email="mismo@gassur.com.ar", phone="11 5555-0302")
    work(redisdb)
    late_code = fake_graph.codes(to="5491155550301")[-1]
    early_code = fake_graph.codes(to="5491155550302")[-1]
    assert post(early, "/app/signup/verify", code=early_code).status_code == 302
    html = post(late, "/app/signup/verify", code=late_code).get_data(as_text=True)
    assert "Ese email ya tiene una cuenta en CampoTech." in html
    with pg_db.system_session() as s:
        assert s.scalar(select(Organization.id).where(Organization.name == "Gas Sur")) is not None
        assert len(list(s.scalars(select(Organization.id)))) == 3  # the shop and two sign-ups


def test_one_address_types_at_most_thirty_codes_in_ten_minutes(app, redisdb, fake_graph):
    client = app.test_client()
    start(client)
    for _ in range(30):
        assert post(client, "/app/signup/verify", code="000000").status_code == 200
    refused = post(client, "/app/signup/verify", code="000000")
    assert refused.status_code == 429
    assert "Hubo demasiados intentos desde tu conexión." in refused.get_data(as_text=True)
