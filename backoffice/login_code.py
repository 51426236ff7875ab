"""The optional second step of the login (a code by WhatsApp) and the owner's switch for it.

After a right password, an organization that asks for codes gets a half-login in the session:
who, until when, where to go next. Nothing is signed in until the code matches; wrong codes
count towards the same lockout as wrong passwords.
"""

from __future__ import annotations

import logging
import time

from flask import Blueprint, redirect, render_template, request, session

from backoffice.extensions import db, dispatcher, redis, settings
from backoffice.security import (
    OWNER,
    LoginThrottle,
    csrf_token,
    current_user,
    locked_message,
    requires,
    safe_next,
    sign_in,
)
from core.errors import ValidationFailed
from core.identity import login_codes
from core.models import Organization, User
from services import otp

bp = Blueprint("login_code", __name__)
log = logging.getLogger("campotech.backoffice.login_code")

PENDING_KEY = "login_code"
PENDING_SECONDS = otp.CODE_TTL
NO_PHONE = ("Tu negocio pide un código por WhatsApp para entrar, pero tu usuario no tiene un "
            "celular cargado. Pedile al dueño o a un administrador que lo agregue en «Equipo» "
            "y volvé a intentar.")
NOTICES = {"on": "Listo: desde ahora, para entrar se pide también un código por WhatsApp.",
           "off": "Listo: para entrar alcanza con el email y la contraseña."}


def _codes() -> otp.OneTimeCodes:
    return otp.OneTimeCodes(redis(), settings().secret_key)


def _login_page(error: str | None = None, *, email: str = "", notice: str | None = None,
                status: int = 200):
    return render_template("backoffice/login.html", email=email, next=None, error=error,
                           notice=notice), status


def begin(user: User, next_path: str | None):
    """Called by the login after a right password: None to sign in now, or the response that
    starts the code step (or explains why it cannot)."""
    with db().system_session() as s:
        if not login_codes.required(s, user):
            return None
    if not user.phone:
        log.warning("login refused: code required and the user has no phone",
                    extra={"user_id": user.id})
        return _login_page(NO_PHONE, email=user.email or "")
    notice = None
    try:
        code = _codes().issue(otp.Purpose.LOGIN, str(user.id), user.phone)
        otp.send_code(dispatcher(), settings(), user.phone, code, otp.Purpose.LOGIN)
    except otp.CodeRefused as refused:
        if refused.reason == "hourly":
            return _login_page("Ya te mandamos varios códigos en la última hora. Por seguridad, "
                               f"probá de nuevo en {max(1, refused.retry_in // 60)} minutos.",
                               email=user.email or "", status=429)
        notice = "El código que te mandamos hace un ratito sigue sirviendo."
    # Nothing from before the password survives; the half-login gets its own CSRF token.
    session.clear()
    session[PENDING_KEY] = {"user_id": user.id, "until": int(time.time()) + PENDING_SECONDS,
                            "next": next_path}
    csrf_token()
    if notice:
        session["login_code_notice"] = notice
    log.info("login waiting for the WhatsApp code", extra={"user_id": user.id})
    return redirect("/app/login/code")


def _pending_user() -> tuple[User, str | None] | None:
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict) or not isinstance(pending.get("user_id"), int):
        return None
    if int(pending.get("until") or 0) < time.time():
        session.pop(PENDING_KEY, None)
        return None
    with db().system_session() as s:
        user = s.get(User, pending["user_id"])
    if user is None or not user.active:
        session.pop(PENDING_KEY, None)
        return None
    return user, safe_next(pending.get("next"))


def _masked(phone: str) -> str:
    return f"••••-{phone[-4:]}"


def _code_page(user: User, *, error: str | None = None, notice: str | None = None,
               status: int = 200):
    return render_template("backoffice/login_code.html", phone=_masked(user.phone or ""),
                           resend_in=_codes().resend_in(otp.Purpose.LOGIN, str(user.id)),
                           error=error, notice=notice), status


def _give_up(user: User, message: str, status: int = 200):
    _codes().discard(otp.Purpose.LOGIN, str(user.id))
    session.pop(PENDING_KEY, None)
    return _login_page(message, email=user.email or "", status=status)


@bp.get("/login/code")
def code_form():
    found = _pending_user()
    if found is None:
        return redirect("/app/login")
    return _code_page(found[0], notice=session.pop("login_code_notice", None))


@bp.post("/login/code")
def check_code():
    found = _pending_user()
    if found is None:
        return _login_page("Pasó demasiado tiempo. Entrá de nuevo con tu email y contraseña.")
    user, next_path = found
    throttle = LoginThrottle(redis())
    email = user.email or f"user:{user.id}"
    locked = throttle.locked_for(email)
    if locked:
        return _give_up(user, locked_message(locked), 429)
    checked = _codes().verify(otp.Purpose.LOGIN, str(user.id), request.form.get("code") or "")
    if checked.ok:
        throttle.succeeded(email)
        sign_in(user)
        log.info("login with WhatsApp code", extra={"user_id": user.id, "org_id": user.org_id})
        return redirect(next_path or "/app/")
    if checked.result is otp.Check.EXPIRED:
        return _code_page(user, error="Ese código venció (dura 10 minutos). "
                                      "Pedí uno nuevo con «Reenviar código».")
    log.info("login code wrong", extra={"user_id": user.id})
    if throttle.failed(email):
        return _give_up(user, locked_message(throttle.locked_for(email)), 429)
    if checked.result is otp.Check.BURNED:
        return _give_up(user, "Te equivocaste 5 veces con el código, así que lo anulamos. "
                              "Entrá de nuevo para recibir otro.")
    left = checked.attempts_left
    return _code_page(user, error=f"Ese código no es el que te mandamos. Te queda{'n' if left != 1 else ''} "
                                  f"{left} intento{'s' if left != 1 else ''}.")


@bp.post("/login/code/resend")
def resend_code():
    found = _pending_user()
    if found is None:
        return redirect("/app/login")
    user = found[0]
    try:
        code = _codes().issue(otp.Purpose.LOGIN, str(user.id), user.phone)
    except otp.CodeRefused as refused:
        if refused.reason == "hourly":
            return _give_up(user, "Ya te mandamos varios códigos en la última hora. Por seguridad, "
                                  f"probá de nuevo en {max(1, refused.retry_in // 60)} minutos.", 429)
        return _code_page(user, error=f"Podés pedir otro código en {refused.retry_in} segundos.")
    otp.send_code(dispatcher(), settings(), user.phone, code, otp.Purpose.LOGIN)
    return _code_page(user, notice="Listo, te mandamos un código nuevo. El anterior ya no sirve.")


# -- the owner's switch -----------------------------------------------------------------------

def _security_page(*, error: str | None = None, notice: str | None = None, status: int = 200):
    me = current_user()
    with db().org_session(me.org_id) as s:
        org = s.get(Organization, me.org_id)
        missing = login_codes.staff_without_phone(s)
    return render_template("backoffice/security.html", required=org.login_code_required,
                           missing=missing, me=me, error=error, notice=notice), status


@bp.get("/security")
@requires(OWNER)
def security():
    return _security_page(notice=NOTICES.get(request.args.get("done", "")))


@bp.post("/security")
@requires(OWNER)
def set_security():
    me = current_user()
    on = request.form.get("required") == "on"
    try:
        with db().org_session(me.org_id) as s:
            changed = login_codes.set_required(s, s.get(Organization, me.org_id), on, me)
    except ValidationFailed as refused:
        return _security_page(error=str(refused))
    if changed:
        log.info("login code switch changed", extra={"required": on, "user_id": me.id})
    return redirect(f"/app/security?done={'on' if on else 'off'}")
