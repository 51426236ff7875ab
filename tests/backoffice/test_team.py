"""The team pages: adding people with their hours, the Spanish errors, the ownership rules,
signing out whoever is switched off, and the set-password link that works once."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta
from html import unescape
from urllib.parse import urlparse

from sqlalchemy import select

from core.identity import password_links
from core.identity.users import check_password
from core.models import AuditEntry, Role, User
from tests.backoffice.conftest import csrf_of, email_of, login, post

EVIL = '<script>alert("hola")</script>'
NEW_PASSWORD = "termotanque-2026"


def _new_person(**fields) -> dict:
    data = {"name": "Lucas Gómez", "role": "technician", "phone": "11 15 6666-0101",
            "email": "lucas@gmail.com", "on_call": "1",
            "h-mon-0-start": "08:00", "h-mon-0-end": "12:00",
            "h-mon-1-start": "16:00", "h-mon-1-end": "20:00",
            "h-sat-0-start": "09:00", "h-sat-0-end": "13:00"}
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def _person(shop, **where) -> User | None:
    with shop.db.org_session(shop.org_id) as s:
        return s.scalar(select(User).filter_by(**where))


def _link_in(html: str) -> str:
    found = re.search(r'id="link" type="text" readonly value="([^"]+)"', html)
    assert found, html
    return urlparse(unescape(found.group(1))).path


def _edit_form(user: User, **fields) -> dict:
    data = {"name": user.name, "role": str(user.role), "phone": user.phone or "",
            "email": user.email or "", "active": "1" if user.active else None}
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def test_owner_adds_a_technician_with_split_shifts_and_gets_the_link(signed_in, shop):
    client = signed_in(Role.OWNER)
    page = client.get("/app/team").get_data(as_text=True)
    assert "Agregar persona" in page and f'href="/app/team/{shop.users[Role.TECHNICIAN]}"' in page

    response = post(client, "/app/team/new", **_new_person())
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Listo, Lucas Gómez ya es parte del equipo." in html
    assert "Mandáselo por WhatsApp" in html and "Copiar" in html
    assert _link_in(html).startswith("/app/password/")
    lucas = _person(shop, email="lucas@gmail.com")
    assert (lucas.role, lucas.phone, lucas.on_call, lucas.password_hash) == (
        Role.TECHNICIAN, "+5491166660101", True, None)
    assert lucas.working_hours["mon"] == [["08:00", "12:00"], ["16:00", "20:00"]]
    assert lucas.working_hours["sat"] == [["09:00", "13:00"]] and lucas.working_hours["tue"] == []

    # Their page shows the hours back, and the link is not shown again.
    html = client.get(f"/app/team/{lucas.id}").get_data(as_text=True)
    assert 'name="h-mon-1-start" aria-label="lunes, turno 2, desde" value="16:00"' in html
    assert "/app/password/" not in html and "Generar enlace para la contraseña" in html
    assert "Lucas Gómez" in client.get("/app/team").get_data(as_text=True)


def test_blank_hours_mean_the_business_hours(signed_in, shop):
    client = signed_in(Role.ADMIN)
    data = {k: v for k, v in _new_person(email="", on_call=None).items() if not k.startswith("h-")}
    html = post(client, "/app/team/new", **data).get_data(as_text=True)
    assert "Sin email no puede entrar al panel" in html and "/app/password/" not in html
    assert _person(shop, phone="+5491166660101").working_hours is None
    assert "usa el horario del negocio: lunes 08:00 a 18:00" in html


def test_wrong_fields_get_spanish_errors_and_keep_what_was_typed(signed_in, shop):
    client = signed_in(Role.OWNER)
    cases = [
        ({"phone": "4555-0101"}, "Ese teléfono no parece válido"),
        ({"phone": "+54 9 11 5555-0102"}, "Ese teléfono ya es de Diego Despacho, del equipo."),
        ({"email": email_of(Role.ADMIN).upper()}, "Ese email ya tiene una cuenta."),
        ({"h-mon-1-start": "11:00"}, "Lunes: los turnos 08:00 a 12:00 y 11:00 a 20:00 se superponen."),
        ({"h-sat-0-end": "08:00"}, "Sábado: el turno 09:00 a 08:00 tiene que terminar después de empezar."),
        ({"h-sat-0-end": "25:99"}, "Sábado: «25:99» no es una hora válida"),
        ({"h-tue-0-start": "10:00"}, "Martes: completá las dos horas del turno"),
        ({"name": "L"}, "Escribí el nombre"),
    ]
    for fields, message in cases:
        response = post(client, "/app/team/new", **_new_person(**fields))
        html = unescape(response.get_data(as_text=True))
        assert response.status_code == 200, fields
        assert message in html, fields
        assert "Revisá los campos marcados." in html
        for value in fields.values():
            assert f'value="{value}"' in html, (fields, value)
    assert _person(shop, email="lucas@gmail.com") is None


def test_admin_cannot_create_or_touch_an_owner(signed_in, shop):
    client = signed_in(Role.ADMIN)
    form = client.get("/app/team/new").get_data(as_text=True)
    assert '<option value="owner"' not in form and '<option value="admin"' in form
    response = post(client, "/app/team/new", **_new_person(role="owner"))
    assert response.status_code == 403
    assert "Solo un dueño puede sumar a otro dueño." in response.get_data(as_text=True)
    assert _person(shop, email="lucas@gmail.com") is None

    owner_id = shop.users[Role.OWNER]
    owner = _person(shop, id=owner_id)
    for response in (client.get(f"/app/team/{owner_id}"),
                     post(client, f"/app/team/{owner_id}", **_edit_form(owner, name="Otro Nombre")),
                     post(client, f"/app/team/{owner_id}", **_edit_form(owner, active=None)),
                     post(client, f"/app/team/{owner_id}/password-link")):
        assert response.status_code == 403
        assert "Solo un dueño puede cambiar los datos de otro dueño." in response.get_data(as_text=True)
    owner = _person(shop, id=owner_id)
    assert (owner.name, owner.active) == ("Roberto Ramos", True)

    tech = _person(shop, id=shop.users[Role.TECHNICIAN])
    response = post(client, f"/app/team/{tech.id}", **_edit_form(tech, role="owner"))
    assert response.status_code == 403 and "Solo un dueño puede sumar" in response.get_data(as_text=True)
    response = post(client, f"/app/team/{tech.id}", **_edit_form(tech, name="Carlos Pereyra"))
    assert "Listo, guardamos los cambios." in response.get_data(as_text=True)
    assert _person(shop, id=tech.id).name == "Carlos Pereyra"


def test_nobody_switches_themselves_off_nor_leaves_the_shop_without_owner(signed_in, shop):
    client = signed_in(Role.OWNER)
    me = _person(shop, id=shop.users[Role.OWNER])
    response = post(client, f"/app/team/{me.id}", **_edit_form(me, active=None))
    assert "No podés desactivar tu propia cuenta." in response.get_data(as_text=True)
    response = post(client, f"/app/team/{me.id}", **_edit_form(me, role="admin"))
    assert "No podés dejar la cuenta sin dueño" in response.get_data(as_text=True)
    me = _person(shop, id=me.id)
    assert (me.role, me.active) == (Role.OWNER, True)


def test_a_switched_off_person_is_signed_out_at_their_next_request(signed_in, shop):
    technician = signed_in(Role.TECHNICIAN)
    assert technician.get("/app/jobs").status_code == 200
    tech = _person(shop, id=shop.users[Role.TECHNICIAN])
    response = post(signed_in(Role.ADMIN), f"/app/team/{tech.id}", **_edit_form(tech, active=None))
    assert "Listo, guardamos los cambios." in response.get_data(as_text=True)

    response = technician.get("/app/jobs")
    assert response.status_code == 302 and response.headers["Location"].startswith("/app/login")
    with shop.db.org_session(shop.org_id) as s:
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "user.update")
                         .order_by(AuditEntry.seq.desc()))
    assert entry.data["changes"]["active"] == {"from": True, "to": False}
    assert entry.actor == f"user:{shop.users[Role.ADMIN]}"


def test_the_password_link_works_once(app, signed_in, shop, caplog):
    caplog.set_level(logging.INFO)
    tech_id = shop.users[Role.TECHNICIAN]
    html = post(signed_in(Role.OWNER), f"/app/team/{tech_id}/password-link").get_data(as_text=True)
    path = _link_in(html)
    token = path.rsplit("/", 1)[1]

    visitor = app.test_client()
    page = visitor.get(path)
    assert page.status_code == 200
    assert "¡Hola, Carlos Técnico! Elegí tu contraseña" in page.get_data(as_text=True)
    refused = post(visitor, path, password=NEW_PASSWORD, confirm="otra-cosa-distinta")
    assert "Las dos contraseñas no coinciden" in refused.get_data(as_text=True)
    refused = post(visitor, path, password=email_of(Role.TECHNICIAN), confirm=email_of(Role.TECHNICIAN))
    assert "La contraseña no puede ser tu email" in refused.get_data(as_text=True)
    refused = post(visitor, path, password="corta", confirm="corta")
    assert "al menos 10" in refused.get_data(as_text=True)

    done = post(visitor, path, password=NEW_PASSWORD, confirm=NEW_PASSWORD)
    assert done.status_code == 302 and done.headers["Location"] == "/app/login?listo=clave"
    assert "¡Listo! Ya tenés tu contraseña" in visitor.get(done.headers["Location"]).get_data(as_text=True)
    assert check_password(_person(shop, id=tech_id), NEW_PASSWORD)
    assert login(visitor, email_of(Role.TECHNICIAN), NEW_PASSWORD).status_code == 302
    assert visitor.get("/app/jobs").status_code == 200

    again = app.test_client()
    csrf_of(again)
    for response in (again.get(path), post(again, path, password="otra-clave-larga", confirm="otra-clave-larga")):
        assert response.status_code == 410
        assert "Este enlace ya se usó" in response.get_data(as_text=True)
    assert check_password(_person(shop, id=tech_id), NEW_PASSWORD)
    assert token not in caplog.text
    assert all(token not in str(vars(record)) for record in caplog.records)


def test_expired_and_broken_links_get_a_friendly_page(app, shop):
    settings = app.extensions["campotech.settings"]
    tech = _person(shop, id=shop.users[Role.TECHNICIAN])
    expired = password_links.make_token(settings, tech, now=datetime.now(UTC) - timedelta(hours=73))
    client = app.test_client()
    csrf_of(client)
    response = client.get(f"/app/password/{expired}")
    assert response.status_code == 410 and "Este enlace venció" in response.get_data(as_text=True)
    response = post(client, f"/app/password/{expired}", password=NEW_PASSWORD, confirm=NEW_PASSWORD)
    assert response.status_code == 410
    for broken in ("nada", expired[:-3], "A" * len(expired)):
        response = client.get(f"/app/password/{broken}")
        assert response.status_code == 400, broken
        assert "Este enlace no funciona" in response.get_data(as_text=True)
    assert _person(shop, id=tech.id).password_hash == tech.password_hash


def test_names_are_shown_as_text(signed_in, shop):
    client = signed_in(Role.OWNER)
    html = post(client, "/app/team/new", **_new_person(name=EVIL)).get_data(as_text=True)
    assert EVIL not in html and "&lt;script&gt;alert(" in html
    evil = _person(shop, name=EVIL)
    for path in ("/app/team", f"/app/team/{evil.id}"):
        html = client.get(path).get_data(as_text=True)
        assert EVIL not in html and "&lt;script&gt;alert(" in html, path
    html = post(client, f"/app/team/{evil.id}/password-link").get_data(as_text=True)
    assert EVIL not in html and "Mandáselo por WhatsApp a &lt;script&gt;" in html
