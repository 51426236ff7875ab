"""Signing in and out of the back-office: `/app/login`, `/app/logout`."""

from __future__ import annotations

import logging
from functools import cache

from flask import Blueprint, redirect, render_template, request

from backoffice import login_code
from backoffice.extensions import db, redis
from backoffice.security import (
    LoginThrottle,
    current_user,
    end_every_session,
    locked_message,
    safe_next,
    sign_in,
    sign_out,
)
from core.identity.users import check_password, find_by_email, hash_password
from core.models import User

bp = Blueprint("auth", __name__)
log = logging.getLogger("campotech.backoffice.auth")

WRONG = "El email o la contraseña no coinciden. Revisalos y probá de nuevo."


@bp.get("/login")
def login_form():
    if current_user() is not None:
        return redirect(safe_next(request.args.get("next")) or "/app/")
    return render_template("backoffice/login.html", email="", next=safe_next(request.args.get("next")))


@bp.post("/login")
def login():
    email = (request.form.get("email") or "").strip().lower()[:254]
    password = request.form.get("password") or ""
    next_path = safe_next(request.form.get("next"))

    def refuse(message: str, status: int = 200):
        return render_template("backoffice/login.html", email=email, next=next_path,
                               error=message), status

    if not email or not password:
        return refuse("Escribí tu email y tu contraseña.")
    throttle = LoginThrottle(redis())
    locked = throttle.locked_for(email)
    if locked:
        log.info("login refused: email locked")
        return refuse(locked_message(locked), 429)
    with db().system_session() as s:
        user = find_by_email(s, email)
    if user is None:
        check_password_against_decoy(password)
    if user is None or not user.active or not check_password(user, password):
        log.info("login failed")
        if throttle.failed(email):
            return refuse(locked_message(throttle.locked_for(email)), 429)
        return refuse(WRONG)
    throttle.succeeded(email)
    second_step = login_code.begin(user, next_path)
    if second_step is not None:
        return second_step
    sign_in(user)
    log.info("login", extra={"user_id": user.id, "org_id": user.org_id})
    return redirect(next_path or "/app/")


@cache
def _decoy_hash() -> str:
    return hash_password("campotech-decoy-password")


def check_password_against_decoy(password: str) -> None:
    """Verify against a throwaway hash, so an unknown email costs as long as a wrong password."""
    check_password(User(password_hash=_decoy_hash()), password)


@bp.post("/logout")
def logout():
    user = current_user()
    if user is not None:
        end_every_session(user)
    sign_out()
    return redirect("/app/login")
