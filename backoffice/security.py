"""Who is signed in to the back-office, what their role lets them see, CSRF and login lockout.

Login state lives in Flask's signed session cookie: user id, organization id, role, the CSRF
token, the user's session version and when the user was last seen (12 hours idle signs them
out). The user row is loaded again on every request inside their organization's scope, so a
deactivated user or a changed role takes effect at once, and a cookie whose version is behind
the user's (after logout, a password change or a role change) no longer signs anyone in.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import secrets
import time
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from urllib.parse import urlencode

from flask import abort, g, redirect, request, session
from markupsafe import Markup, escape
from redis import Redis

from backoffice.extensions import db
from core.identity.users import end_sessions
from core.models import Role, User
from services.ratelimit import SlidingWindow

log = logging.getLogger("campotech.backoffice.security")

OWNER = frozenset({Role.OWNER})
ADMIN = frozenset({Role.ADMIN})
DISPATCHER = frozenset({Role.DISPATCHER})
TECHNICIAN = frozenset({Role.TECHNICIAN})
VIEWER = frozenset({Role.VIEWER})
STAFF = OWNER | ADMIN | DISPATCHER
EVERYONE = frozenset(Role)
# Who may do what beyond the basic sets (one place, so a page's roles read as a name).
MANAGERS = OWNER | ADMIN
INVOICE_READERS = STAFF | VIEWER

IDLE_TIMEOUT = timedelta(hours=12)
CSRF_FIELD = "csrf_token"
_KEYS = ("user_id", "org_id", "role", "seen")

LOCKOUT_ATTEMPTS = 5
LOCKOUT_WINDOW = timedelta(minutes=15)
LOCKOUT_DURATION = timedelta(minutes=15)


# ---- the session ---------------------------------------------------------------------------

def sign_in(user: User) -> None:
    """A fresh session for `user`: nothing from before the login survives (no fixation)."""
    session.clear()
    session.permanent = True
    session.update(user_id=user.id, org_id=user.org_id, role=str(user.role), seen=int(time.time()),
                   ver=user.session_version or 0, csrf=secrets.token_urlsafe(32))


def sign_out() -> None:
    session.clear()


def end_every_session(user: User) -> None:
    """Logout: this browser's cookie and any copy of it stop working, on every device."""
    with db().org_session(user.org_id) as s:
        row = s.get(User, user.id)
        if row is not None:
            end_sessions(row)
    sign_out()


def current_user() -> User | None:
    """The signed-in, active user (loaded in their organization's scope), or None."""
    if "current_user" in g:
        return g.current_user
    g.current_user = None
    user_id, org_id, seen = session.get("user_id"), session.get("org_id"), session.get("seen")
    if not isinstance(user_id, int) or not isinstance(org_id, int) or not isinstance(seen, int):
        return None
    if time.time() - seen > IDLE_TIMEOUT.total_seconds():
        log.info("back-office session expired after being idle", extra={"user_id": user_id})
        sign_out()
        return None
    with db().org_session(org_id) as s:
        user = s.get(User, user_id)
    if user is None or not user.active:
        sign_out()
        return None
    if session.get("ver", 0) != (user.session_version or 0):
        log.info("back-office session ended elsewhere (logout, password or role change)",
                 extra={"user_id": user_id})
        sign_out()
        return None
    session["seen"] = int(time.time())
    session["role"] = str(user.role)
    g.current_user = user
    return user


def actor() -> str:
    """How the audit trail names the signed-in user."""
    return f"user:{current_user().id}"


def requires(*roles: frozenset[Role] | Role) -> Callable:
    """Only signed-in users with one of `roles` (role sets or single roles) get in."""
    allowed: set[Role] = set()
    for r in roles:
        allowed |= set(r) if isinstance(r, frozenset | set) else {Role(r)}

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args, **kwargs):
            user = current_user()
            if user is None:
                # Back here after the login; a form POST cannot be replayed, so home instead.
                here = request.full_path if request.query_string else request.path
                return redirect(login_url(here if request.method == "GET" else None))
            if Role(user.role) not in allowed:
                abort(403)
            return view(*args, **kwargs)

        guarded.allowed_roles = frozenset(allowed)
        return guarded

    return decorate


def login_url(next_path: str | None = None) -> str:
    if next_path and safe_next(next_path):
        return "/app/login?" + urlencode({"next": next_path})
    return "/app/login"


def safe_next(target: str | None) -> str | None:
    """Only back-office paths on this site: never an open redirect."""
    if not target or not target.startswith("/app") or target.startswith("//") or "\\" in target:
        return None
    return target


# ---- CSRF ----------------------------------------------------------------------------------

def csrf_token() -> str:
    token = session.get("csrf")
    if not isinstance(token, str):
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def csrf_field() -> Markup:
    return Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, escape(csrf_token()))


def check_csrf() -> None:
    """before_request of the back-office: every POST carries this session's token."""
    if request.method != "POST":
        return
    expected = session.get("csrf")
    given = request.form.get(CSRF_FIELD, "")
    if not isinstance(expected, str) or not hmac.compare_digest(expected.encode(), given.encode()):
        log.warning("back-office POST refused: missing or wrong CSRF token",
                    extra={"path": request.path, "had_session_token": isinstance(expected, str)})
        abort(400)


# ---- lockout -------------------------------------------------------------------------------

def locked_message(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return (f"Hubo demasiados intentos fallidos con ese email. Por seguridad lo bloqueamos: "
            f"probá de nuevo en {minutes} minuto{'s' if minutes != 1 else ''}.")


class LoginThrottle:
    """Five failed logins for one email within 15 minutes lock it for 15 minutes."""

    def __init__(self, redis: Redis):
        self.redis = redis
        self.failures = SlidingWindow(redis, "failures", LOCKOUT_ATTEMPTS,
                                      int(LOCKOUT_WINDOW.total_seconds()), secret="", prefix="login")

    @staticmethod
    def _subject(email: str) -> str:
        return email.strip().lower()

    def _lock_key(self, email: str) -> str:
        digest = hashlib.sha256(self._subject(email).encode()).hexdigest()[:32]
        return f"campotech:login:lock:{digest}"

    def locked_for(self, email: str) -> int:
        """Seconds left on this email's lock; 0 when it may try."""
        ttl = self.redis.ttl(self._lock_key(email))
        return max(0, int(ttl))

    def failed(self, email: str) -> bool:
        """Count a failure; True when this one locked the email."""
        if self.failures.add(self._subject(email)) >= LOCKOUT_ATTEMPTS:
            lock_key = self._lock_key(email)
            self.redis.set(lock_key, 1, ex=int(LOCKOUT_DURATION.total_seconds()))
            self.failures.clear(self._subject(email))
            log.warning("login locked after repeated failures", extra={"email_key": lock_key[-32:]})
            return True
        return False

    def succeeded(self, email: str) -> None:
        self.failures.clear(self._subject(email))
