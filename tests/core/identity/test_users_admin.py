"""Managing the team in core: validation in Spanish, uniqueness, ownership rules, passwords, links."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from core.errors import Conflict, ValidationFailed
from core.identity import password_links, users
from core.identity.users import NotAllowed
from core.models import AuditEntry, Role, User

SPLIT = {"mon": [["16:00", "20:00"], ["8:00", "12:00"]], "sat": [["09:00", "13:00"]]}


def _add(db, org: int, name: str, role: str, phone: str, email: str | None = None, **extra) -> int:
    with db.org_session(org) as s:
        return users.create_user(s, {"name": name, "role": role, "phone": phone, "email": email,
                                     **extra}).id


@pytest.fixture
def team(db, make_org):
    """An organization with one person per role (owner, admin, dispatcher, technician)."""
    org = make_org("Gasista Sosa", slug="gasista-sosa")
    ids = {
        "owner": _add(db, org, "Rosa Sosa", "owner", "+5491155550100", "rosa@sosa.com.ar"),
        "admin": _add(db, org, "Ana Admin", "admin", "+5491155550101", "ana@sosa.com.ar"),
        "dispatcher": _add(db, org, "Diego Despacho", "dispatcher", "+5491155550102"),
        "technician": _add(db, org, "Carlos Técnico", "technician", "+5491155550103",
                           "carlos@sosa.com.ar"),
    }
    return org, ids


def _as(ids: dict, role: str) -> str:
    return f"user:{ids[role]}"


def _person(db, org: int, user_id: int) -> User:
    with db.org_session(org) as s:
        return s.get(User, user_id)


def _errors(call) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as caught:
        call()
    return caught.value.errors


def _form(**changes) -> dict:
    data = {"name": "Carlos Técnico", "role": "technician", "phone": "+5491155550103",
            "email": "carlos@sosa.com.ar", "on_call": False, "working_hours": None}
    return {**data, **changes}


# ---- creating and validating -----------------------------------------------------------------

def test_a_technician_with_split_shifts_is_stored_normalized_and_audited(db, team):
    org, ids = team
    with db.org_session(org) as s:
        tech = users.create_user(s, {"name": " Lucas Gómez ", "role": "technician",
                                     "phone": "11 15 6666-0101", "email": "Lucas@Gmail.com",
                                     "on_call": True, "working_hours": SPLIT}, actor=_as(ids, "admin"))
        tech_id = tech.id
    tech = _person(db, org, tech_id)
    assert (tech.name, tech.phone, tech.email, tech.on_call) == (
        "Lucas Gómez", "+5491166660101", "lucas@gmail.com", True)
    assert tech.working_hours["mon"] == [["08:00", "12:00"], ["16:00", "20:00"]]
    assert tech.working_hours["sat"] == [["09:00", "13:00"]] and tech.working_hours["sun"] == []
    with db.org_session(org) as s:
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "user.create",
                                                  AuditEntry.entity_id == str(tech_id)))
    assert entry.actor == _as(ids, "admin")
    assert entry.data["working_hours"]["mon"] == [["08:00", "12:00"], ["16:00", "20:00"]]


def test_empty_hours_mean_the_business_hours_and_on_call_is_only_for_technicians(db, team):
    org, _ids = team
    with db.org_session(org) as s:
        tech = users.create_user(s, {"name": "Sin Horario", "role": "technician", "phone": "+5491166660102",
                                     "working_hours": {"mon": [], "tue": []}})
        viewer = users.create_user(s, {"name": "Vera Vista", "role": "viewer", "on_call": True})
        assert tech.working_hours is None
        assert viewer.on_call is False


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"name": "A"}, "name", "Escribí el nombre"),
    ({"role": "jefe"}, "role", "Elegí un rol de la lista."),
    ({"email": "carlos@"}, "email", "Ese email no parece válido"),
    ({"phone": "4555-0101"}, "phone", "Ese teléfono no parece válido"),
    ({"phone": "11 4555-0101"}, "phone", "Cargá un celular argentino"),
    ({"password": "corta"}, "password", "La contraseña tiene que tener entre 10 y 200 caracteres."),
    ({"working_hours": {"mon": [["08:00", "13:00"], ["12:00", "16:00"]]}}, "working_hours.mon",
     "Lunes: los turnos 08:00 a 13:00 y 12:00 a 16:00 se superponen."),
    ({"working_hours": {"tue": [["25:00", "26:00"]]}}, "working_hours.tue",
     "Martes: «25:00» no es una hora válida"),
    ({"working_hours": {"wed": [["18:00", "08:00"]]}}, "working_hours.wed",
     "Miércoles: el turno 18:00 a 08:00 tiene que terminar después de empezar."),
    ({"working_hours": {"thu": [["08:00", ""]]}}, "working_hours.thu",
     "Jueves: completá las dos horas del turno"),
    ({"working_hours": {"lunes": [["08:00", "12:00"]]}}, "working_hours.lunes",
     "«lunes»: ese día no existe"),
])
def test_each_wrong_field_gets_a_spanish_message(db, team, data, field, message):
    org, _ids = team
    base = {"name": "Lucas Gómez", "role": "technician", "phone": "+5491166660101"}
    with db.org_session(org) as s:
        errors = _errors(lambda: users.create_user(s, {**base, **data}))
    assert list(errors) == [field]
    assert errors[field].startswith(message)


def test_every_wrong_field_is_reported_at_once(db, team):
    org, _ids = team
    with db.org_session(org) as s:
        errors = _errors(lambda: users.create_user(s, {"name": "", "role": "technician", "phone": "123",
                                                       "working_hours": {"fri": [["9", "10"]]}}))
    assert set(errors) == {"name", "phone", "working_hours.fri"}


def test_phones_are_unique_per_organization_and_emails_across_all(db, team, make_org):
    org, _ids = team
    with db.org_session(org) as s, pytest.raises(Conflict) as caught:
        users.create_user(s, {"name": "Otro", "role": "technician", "phone": "11 15 5555-0103"})
    assert caught.value.errors == {"phone": "Ese teléfono ya es de Carlos Técnico, del equipo."}

    other = make_org("Electricidad Paz", slug="electricidad-paz")
    _add(db, other, "Pablo Paz", "technician", "+5491155550103")  # the same phone elsewhere is fine
    with db.org_session(other) as s, pytest.raises(Conflict) as caught:
        users.create_user(s, {"name": "Pablo Paz", "role": "owner", "email": "ROSA@sosa.com.ar"})
    assert caught.value.errors == {"email": "Ese email ya tiene una cuenta."}


# ---- ownership rules -------------------------------------------------------------------------

def test_only_an_owner_creates_or_names_an_owner(db, team):
    org, ids = team
    with db.org_session(org) as s, pytest.raises(NotAllowed, match="Solo un dueño puede sumar"):
        users.create_user(s, {"name": "Otra Dueña", "role": "owner"}, actor=_as(ids, "admin"))
    with db.org_session(org) as s, pytest.raises(NotAllowed, match="Solo un dueño puede sumar"):
        users.update_user(s, ids["technician"], _form(role="owner"), actor=_as(ids, "admin"))
    with db.org_session(org) as s:
        users.create_user(s, {"name": "Otra Dueña", "role": "owner"}, actor=_as(ids, "owner"))
        users.update_user(s, ids["technician"], _form(role="owner"), actor=_as(ids, "owner"))
    assert _person(db, org, ids["technician"]).role == Role.OWNER


def test_an_admin_cannot_touch_an_owner_but_manages_everyone_else(db, team, pg_settings):
    org, ids = team
    owner = {"name": "Rosa Sosa", "role": "owner", "phone": "+5491155550100", "email": "rosa@sosa.com.ar"}
    refused = [
        lambda s: users.update_user(s, ids["owner"], {**owner, "name": "Rosa S."}, _as(ids, "admin")),
        lambda s: users.set_active(s, ids["owner"], False, _as(ids, "admin")),
        lambda s: users.set_password(s, ids["owner"], "una-clave-nueva-larga", _as(ids, "admin")),
        lambda s: users.password_link(s, pg_settings, ids["owner"], _as(ids, "admin")),
    ]
    for call in refused:
        with db.org_session(org) as s, pytest.raises(NotAllowed, match="Solo un dueño"):
            call(s)
    assert _person(db, org, ids["owner"]).name == "Rosa Sosa"
    with db.org_session(org) as s:
        users.update_user(s, ids["technician"], _form(name="Carlos Pereyra"), _as(ids, "admin"))
        users.set_active(s, ids["dispatcher"], False, _as(ids, "admin"))
    assert _person(db, org, ids["technician"]).name == "Carlos Pereyra"
    assert _person(db, org, ids["dispatcher"]).active is False


def test_people_who_are_not_managers_change_nobody(db, team):
    org, ids = team
    for role in ("dispatcher", "technician"):
        with db.org_session(org) as s, pytest.raises(NotAllowed, match="Solo el dueño o administración"):
            users.create_user(s, {"name": "Nuevo Nuevo", "role": "viewer"}, actor=_as(ids, role))
    with db.org_session(org) as s, pytest.raises(NotAllowed):
        users.set_active(s, ids["admin"], False, _as(ids, "dispatcher"))


def test_an_inactive_or_unknown_person_cannot_act(db, team, make_org):
    org, ids = team
    with db.org_session(org) as s:
        users.set_active(s, ids["admin"], False, _as(ids, "owner"))
    with db.org_session(org) as s, pytest.raises(NotAllowed, match="ya no puede hacer cambios"):
        users.set_active(s, ids["technician"], False, _as(ids, "admin"))
    other = make_org("Otra", slug="otra")
    stranger = _add(db, other, "Extraño Total", "owner", "+5491177770000")
    with db.org_session(org) as s, pytest.raises(NotAllowed):
        users.set_active(s, ids["technician"], False, f"user:{stranger}")


def test_nobody_deactivates_themselves(db, team):
    org, ids = team
    with db.org_session(org) as s, pytest.raises(NotAllowed, match="No podés desactivar tu propia cuenta"):
        users.set_active(s, ids["admin"], False, _as(ids, "admin"))
    admin = {"name": "Ana Admin", "role": "admin", "phone": "+5491155550101", "email": "ana@sosa.com.ar"}
    with db.org_session(org) as s, pytest.raises(NotAllowed, match="No podés desactivar"):
        users.update_user(s, ids["admin"], {**admin, "active": False}, _as(ids, "admin"))
    assert _person(db, org, ids["admin"]).active is True


def test_the_last_active_owner_stays(db, team):
    org, ids = team
    rosa = {"name": "Rosa Sosa", "role": "owner", "phone": "+5491155550100", "email": "rosa@sosa.com.ar"}
    with db.org_session(org) as s, pytest.raises(NotAllowed, match="sin dueño"):
        users.update_user(s, ids["owner"], {**rosa, "role": "admin"}, _as(ids, "owner"))
    with db.org_session(org) as s, pytest.raises(NotAllowed, match="sin dueño"):
        users.set_active(s, ids["owner"], False, "system")  # not even our own code

    # An inactive second owner does not count; an active one does.
    with db.org_session(org) as s:
        second = users.create_user(s, {"name": "Hugo Sosa", "role": "owner"}, _as(ids, "owner")).id
        users.set_active(s, second, False, _as(ids, "owner"))
    with db.org_session(org) as s, pytest.raises(NotAllowed, match="sin dueño"):
        users.update_user(s, ids["owner"], {**rosa, "role": "admin"}, _as(ids, "owner"))
    with db.org_session(org) as s:
        users.set_active(s, second, True, _as(ids, "owner"))
        users.update_user(s, ids["owner"], {**rosa, "role": "admin"}, _as(ids, "owner"))
    assert _person(db, org, ids["owner"]).role == Role.ADMIN


def test_updates_are_audited_with_what_changed_and_no_change_writes_nothing(db, team):
    org, ids = team
    with db.org_session(org) as s:
        users.update_user(s, ids["technician"], _form(on_call=True, working_hours=SPLIT), _as(ids, "owner"))
        users.update_user(s, ids["technician"], _form(on_call=True, working_hours=SPLIT), _as(ids, "owner"))
        entries = list(s.scalars(select(AuditEntry).where(AuditEntry.action == "user.update")))
    assert len(entries) == 1
    changes = entries[0].data["changes"]
    assert set(changes) == {"on_call", "working_hours"}
    assert changes["on_call"] == {"from": False, "to": True}


def test_update_keeps_phone_unique_but_lets_a_person_keep_their_own(db, team):
    org, ids = team
    with db.org_session(org) as s:
        users.update_user(s, ids["technician"], _form(phone="11 15 5555-0103"), _as(ids, "owner"))
    with db.org_session(org) as s, pytest.raises(Conflict) as caught:
        users.update_user(s, ids["technician"], _form(phone="+5491155550102"), _as(ids, "owner"))
    assert caught.value.errors == {"phone": "Ese teléfono ya es de Diego Despacho, del equipo."}
    with db.org_session(org) as s, pytest.raises(Conflict) as caught:
        users.update_user(s, ids["technician"], _form(email="ana@sosa.com.ar"), _as(ids, "owner"))
    assert caught.value.errors == {"email": "Ese email ya tiene una cuenta."}


# ---- passwords and links ---------------------------------------------------------------------

def test_password_rules(db, team):
    org, ids = team
    tech = ids["technician"]
    with db.org_session(org) as s:
        assert _errors(lambda: users.set_password(s, tech, "corta", _as(ids, "technician"))) == {
            "password": "La contraseña tiene que tener entre 10 y 200 caracteres."}
        assert _errors(lambda: users.set_password(s, tech, "Carlos@Sosa.com.ar", _as(ids, "technician"))) == {
            "password": "La contraseña no puede ser tu email: elegí otra."}
        assert _errors(lambda: users.set_password(s, tech, "mate-amargo-1", _as(ids, "technician"),
                                                  confirm="mate-amargo-2")) == {
            "confirm": "Las dos contraseñas no coinciden: escribila igual en los dos campos."}
        users.set_password(s, tech, "mate-amargo-1", _as(ids, "technician"), confirm="mate-amargo-1")
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "user.password"))
    assert users.check_password(_person(db, org, tech), "mate-amargo-1")
    assert entry.data == {"self": True}


def test_a_link_works_once_and_older_links_die_with_it(db, team, pg_settings):
    org, ids = team
    settings = pg_settings
    with db.org_session(org) as s:
        first = users.password_link(s, settings, ids["technician"], _as(ids, "admin"))
        second = users.password_link(s, settings, ids["technician"], _as(ids, "owner"))
        logged = list(s.scalars(select(AuditEntry).where(AuditEntry.action == "user.password_link")))
    assert first != second and first.startswith(settings.public_base_url.rstrip("/") + "/app/password/")
    token, older = first.rsplit("/", 1)[1], second.rsplit("/", 1)[1]
    assert len(logged) == 2 and all(token not in str(e.data) for e in logged)
    assert password_links.read_token(settings, token) == (org, ids["technician"])

    with db.org_session(org) as s:
        users.set_password_with_link(s, settings, token, "mate-con-azucar", "mate-con-azucar")
    assert users.check_password(_person(db, org, ids["technician"]), "mate-con-azucar")
    for used in (token, older):
        with db.org_session(org) as s, pytest.raises(users.LinkUsed):
            users.set_password_with_link(s, settings, used, "otra-clave-larga", "otra-clave-larga")
    assert users.check_password(_person(db, org, ids["technician"]), "mate-con-azucar")


def test_expired_and_tampered_links_are_refused(db, team, pg_settings):
    org, ids = team
    tech = _person(db, org, ids["technician"])
    old = password_links.make_token(pg_settings, tech, now=datetime.now(UTC) - timedelta(hours=73))
    with pytest.raises(password_links.TokenExpired):
        password_links.read_token(pg_settings, old)
    fresh = password_links.make_token(pg_settings, tech)
    swapped_tag = fresh[:-1] + ("A" if fresh[-1] != "A" else "B")
    assert password_links.read_token(pg_settings, swapped_tag) == (org, tech.id)  # the signature holds
    assert not password_links.still_valid_for(pg_settings, swapped_tag, tech)  # the tag does not
    for bad in (fresh[:-1], fresh[1:] + "A", "x" * len(fresh), ""):
        with pytest.raises(password_links.TokenInvalid):
            password_links.read_token(pg_settings, bad)
    invoice_token = fresh[:50]  # a token of another kind, shape alone, is not a password link
    with pytest.raises(password_links.TokenInvalid):
        password_links.read_token(pg_settings, invoice_token)


def test_no_link_for_someone_without_email_or_switched_off(db, team, pg_settings):
    org, ids = team
    with db.org_session(org) as s, pytest.raises(NotAllowed, match="cargale un email"):
        users.password_link(s, pg_settings, ids["dispatcher"], _as(ids, "owner"))
    with db.org_session(org) as s:
        token = users.password_link(s, pg_settings, ids["technician"], _as(ids, "owner")).rsplit("/", 1)[1]
        users.set_active(s, ids["technician"], False, _as(ids, "owner"))
    with db.org_session(org) as s, pytest.raises(NotAllowed, match="desactivada"):
        users.password_link(s, pg_settings, ids["technician"], _as(ids, "owner"))
    with db.org_session(org) as s, pytest.raises(users.LinkUsed):
        users.user_for_link(s, pg_settings, token)
