"""The public page behind a set-password link: `/app/password/<token>`, no login needed.

The token is the person's key: it is never logged (the request log shows "/app/password/…").
"""

from __future__ import annotations

import logging

from flask import Blueprint, redirect, render_template, request

from backoffice.extensions import db, settings
from core.errors import ValidationFailed
from core.identity import password_links, users
from core.models import User

bp = Blueprint("passwords", __name__, url_prefix="/password")
log = logging.getLogger("campotech.backoffice.passwords")

INVALID = ("Este enlace no funciona",
           ("Puede que se haya copiado incompleto. Pedile al dueño o a administración que te "
            "genere uno nuevo desde Equipo."))
EXPIRED = ("Este enlace venció",
           ("Los enlaces para elegir la contraseña duran 72 horas. Pedile al dueño o a "
            "administración que te mande uno nuevo."))
USED = ("Este enlace ya se usó",
        ("Cada enlace sirve una sola vez. Si ya elegiste tu contraseña, entrá con tu email; "
         "si no, pedí uno nuevo."))


class _Refused(Exception):
    def __init__(self, page: tuple[str, str], status: int):
        super().__init__(page[0])
        self.page, self.status = page, status


def _org_of(token: str) -> int:
    try:
        org_id, _user_id = password_links.read_token(settings(), token)
    except password_links.TokenExpired:
        raise _Refused(EXPIRED, 410) from None
    except password_links.TokenInvalid:
        raise _Refused(INVALID, 400) from None
    return org_id


def _person(session, token: str) -> User:
    try:
        return users.user_for_link(session, settings(), token)
    except users.LinkUsed:
        raise _Refused(USED, 410) from None


def _refused(exc: _Refused):
    title, body = exc.page
    return render_template("backoffice/team_password.html", refused=True, title=title, body=body), exc.status


@bp.get("/<token>")
def form(token: str):
    try:
        with db().org_session(_org_of(token)) as s:
            person = _person(s, token)
    except _Refused as exc:
        return _refused(exc)
    return render_template("backoffice/team_password.html", refused=False, person=person, errors={})


@bp.post("/<token>")
def save(token: str):
    password = request.form.get("password") or ""
    confirm = request.form.get("confirm") or ""
    errors = None
    try:
        with db().org_session(_org_of(token)) as s:
            person = _person(s, token)
            try:
                users.set_password_with_link(s, settings(), token, password, confirm)
            except ValidationFailed as exc:
                errors = exc.errors  # nothing was changed: the password is checked first
    except _Refused as exc:
        return _refused(exc)
    if errors:
        return render_template("backoffice/team_password.html", refused=False, person=person,
                               errors=errors)
    log.info("password set with a link", extra={"user_id": person.id})
    return redirect("/app/login?listo=clave")
