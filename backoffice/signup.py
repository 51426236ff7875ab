"""Self-service sign-up: `/app/signup`, then the WhatsApp code at `/app/signup/verify`."""

from __future__ import annotations

import logging
import math

from flask import Blueprint, redirect, render_template, request, session

from backoffice.extensions import db, dispatcher, redis, settings
from backoffice.security import current_user, sign_in
from core.errors import Conflict
from core.identity import signup
from core.identity.users import hash_password
from core.models import utcnow
from services import otp
from services.pending_signups import PendingSignups
from services.ratelimit import SlidingWindow

bp = Blueprint("signup", __name__, url_prefix="/signup")
log = logging.getLogger("campotech.backoffice.signup")

SESSION_KEY = "signup"
# Per visitor address: sign-ups started or codes re-sent, and codes typed.
STARTS_PER_HOUR = 10
CHECKS_PER_10_MIN = 30
EMAIL_TAKEN = "Ese email ya tiene una cuenta en CampoTech. Si es tuyo, entrá desde «Entrar»."


def _wait_text(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} segundo{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minutos"


def _codes() -> otp.OneTimeCodes:
    return otp.OneTimeCodes(redis(), settings().secret_key)


def _starts() -> SlidingWindow:
    return SlidingWindow(redis(), "signup-ip", STARTS_PER_HOUR, 3600, secret=settings().secret_key)


def _checks() -> SlidingWindow:
    return SlidingWindow(redis(), "signup-check-ip", CHECKS_PER_10_MIN, 600,
                         secret=settings().secret_key)


def _visitor() -> str:
    return request.remote_addr or "unknown"


def _masked(phone: str) -> str:
    """'+5491155550101' → '+54 9 11 ••••-0101': enough to recognize it, not to copy it."""
    return f"{phone[:3]} {phone[3]} {phone[4:6]} ••••-{phone[-4:]}"


def _form_page(values: dict, errors: dict | None = None, status: int = 200, error: str | None = None):
    return render_template("backoffice/signup.html", form=values, errors=errors or {},
                           trades=signup.TRADES, example=signup.PHONE_EXAMPLE,
                           min_password=signup.MIN_PASSWORD, error=error), status


def _refused_code_text(refused: otp.CodeRefused) -> str:
    if refused.reason == "hourly":
        return (f"Ya mandamos varios códigos a ese número. Por seguridad, probá de nuevo en "
                f"{_wait_text(refused.retry_in)}.")
    return f"Ya te mandamos un código. Podés pedir otro en {_wait_text(refused.retry_in)}."


@bp.get("")
def form():
    if current_user() is not None:
        return redirect("/app/")
    return _form_page({})


@bp.post("")
def start():
    values = {k: (request.form.get(k) or "").strip()[:254]
              for k in ("business_name", "trade", "owner_name", "email", "phone")}
    try:
        data, password = signup.parse_form(request.form)
    except signup.SignupInvalid as invalid:
        return _form_page(values, invalid.errors)
    with db().system_session() as s:
        taken = signup.email_in_use(s, data.email)
    if taken:
        return _form_page(values, {"email": EMAIL_TAKEN})
    wait = _starts().hit(_visitor())
    if wait:
        log.warning("sign-up refused: too many from one address")
        return _form_page(values, status=429, error=(
            f"Hubo demasiados registros desde tu conexión. Probá de nuevo en {_wait_text(wait)}."))
    pending = PendingSignups(redis()).start(data, hash_password(password))
    try:
        code = _codes().issue(otp.Purpose.SIGNUP, pending.token, data.phone)
    except otp.CodeRefused as refused:
        PendingSignups(redis()).discard(pending.token)
        return _form_page(values, {"phone": _refused_code_text(refused)},
                          status=429 if refused.reason == "hourly" else 200)
    otp.send_code(dispatcher(), settings(), data.phone, code, otp.Purpose.SIGNUP)
    session[SESSION_KEY] = pending.token
    log.info("sign-up started, code queued")
    return redirect("/app/signup/verify")


def _pending() -> signup.PendingSignup | None:
    return PendingSignups(redis()).load(session.get(SESSION_KEY))


def _verify_page(pending: signup.PendingSignup, *, error: str | None = None,
                 notice: str | None = None, status: int = 200):
    return render_template("backoffice/signup_verify.html", phone=_masked(pending.form.phone),
                           resend_in=_codes().resend_in(otp.Purpose.SIGNUP, pending.token),
                           error=error, notice=notice), status


@bp.get("/verify")
def verify_form():
    pending = _pending()
    if pending is None:
        return redirect("/app/signup")
    return _verify_page(pending)


@bp.post("/verify")
def verify():
    pending = _pending()
    if pending is None:
        return _form_page({}, error="Pasaron más de 30 minutos y el registro venció. "
                                    "Completá tus datos de nuevo, es un minuto.")
    wait = _checks().hit(_visitor())
    if wait:
        return _verify_page(pending, status=429, error=(
            f"Hubo demasiados intentos desde tu conexión. Probá de nuevo en {_wait_text(wait)}."))
    checked = _codes().verify(otp.Purpose.SIGNUP, pending.token, request.form.get("code") or "")
    if checked.result is otp.Check.WRONG:
        left = checked.attempts_left
        return _verify_page(pending, error=(
            f"Ese código no es el que te mandamos. Te queda{'n' if left != 1 else ''} "
            f"{left} intento{'s' if left != 1 else ''}."))
    if checked.result is otp.Check.BURNED:
        return _verify_page(pending, error=(
            "Te equivocaste 5 veces, así que anulamos ese código. Pedí uno nuevo con "
            "«Reenviar código»."))
    if checked.result is otp.Check.EXPIRED:
        return _verify_page(pending, error=(
            "Ese código venció (dura 10 minutos). Pedí uno nuevo con «Reenviar código»."))
    try:
        with db().system_session() as s:
            owner = signup.complete(s, pending, utcnow())
    except Conflict:
        PendingSignups(redis()).discard(pending.token)
        session.pop(SESSION_KEY, None)
        form = pending.form
        return _form_page({"business_name": form.business_name, "trade": form.trade.value,
                           "owner_name": form.owner_name, "email": form.email,
                           "phone": form.phone}, {"email": EMAIL_TAKEN})
    PendingSignups(redis()).discard(pending.token)
    sign_in(owner)
    log.info("sign-up complete", extra={"user_id": owner.id, "org_id": owner.org_id})
    return redirect("/app/")


@bp.post("/resend")
def resend():
    pending = _pending()
    if pending is None:
        return redirect("/app/signup")
    wait = _starts().hit(_visitor())
    if wait:
        return _verify_page(pending, status=429, error=(
            f"Hubo demasiados pedidos desde tu conexión. Probá de nuevo en {_wait_text(wait)}."))
    try:
        code = _codes().issue(otp.Purpose.SIGNUP, pending.token, pending.form.phone)
    except otp.CodeRefused as refused:
        return _verify_page(pending, error=_refused_code_text(refused),
                            status=429 if refused.reason == "hourly" else 200)
    otp.send_code(dispatcher(), settings(), pending.form.phone, code, otp.Purpose.SIGNUP)
    return _verify_page(pending, notice="Listo, te mandamos un código nuevo por WhatsApp. "
                                        "El anterior ya no sirve.")
