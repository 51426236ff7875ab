"""Staff accounts: owners, admins, dispatchers, technicians and viewers, and who may change them.

Who acts is the audit actor: "user:<id>" is a person, held to the ownership rules (only an owner
creates, names, edits or deactivates an owner; an admin manages everyone else; nobody
deactivates themselves; the last active owner stays). Any other actor ("system", "seed") is
our own code, trusted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import audit, validation
from core.errors import Conflict, DomainError, NotFound, ValidationFailed
from core.identity import password_links
from core.jobs.working_hours import DAY_NAMES, HoursInvalid, validate_working_hours
from core.models import Role, User
from core.phones import normalize_phone
from core.settings import Settings
from core.tenancy import SCOPE_KEY

_hasher = PasswordHasher()

PASSWORD_MIN = 10
PASSWORD_MAX = 200
MANAGER_ROLES = frozenset({Role.OWNER, Role.ADMIN})

# Spanish for pydantic's own complaints, per field (our validators already speak Spanish).
FIELD_MESSAGES = {
    "name": "Escribí el nombre (entre 2 y 120 letras).",
    "role": "Elegí un rol de la lista.",
    "email": "Ese email no parece válido: revisalo (por ej. nombre@gmail.com).",
    "phone": "Ese teléfono no parece válido.",
    "password": f"La contraseña tiene que tener entre {PASSWORD_MIN} y {PASSWORD_MAX} caracteres.",
    "on_call": "Indicá si está de guardia o no.",
    "active": "Indicá si la cuenta está activa o no.",
    "working_hours": "No entendimos el horario.",
}


class NotAllowed(DomainError):
    """A change the acting person's role does not allow; the message is Spanish, for them."""


class DuplicateField(Conflict):
    """Another account already holds this phone or email; `errors` names the field."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.errors = {field: message}


class LinkUsed(DomainError):
    """A genuine, unexpired set-password link that no longer applies (used, or the account is off)."""


# ---- input -----------------------------------------------------------------------------------

def _phone(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    try:
        phone = normalize_phone(value)
    except ValidationFailed:
        raise ValueError("Ese teléfono no parece válido: escribilo con característica, "
                         "por ej. 11 15 5555-0101.") from None
    if not phone.startswith("+549"):
        raise ValueError("Cargá un celular argentino (el que usa para WhatsApp), "
                         "con el 9 o el 15: por ej. 11 15 5555-0101.")
    return phone


def _email(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise ValueError(FIELD_MESSAGES["email"]) from None


class _Person(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    name: str = Field(min_length=2, max_length=120)
    role: Role
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = None
    on_call: bool = False
    working_hours: dict | None = None

    _phone = field_validator("phone")(classmethod(lambda cls, v: _phone(v)))
    _email = field_validator("email")(classmethod(lambda cls, v: _email(v)))
    _hours = field_validator("working_hours")(classmethod(lambda cls, v: validate_working_hours(v)))


class UserIn(_Person):
    password: str | None = Field(default=None, min_length=PASSWORD_MIN, max_length=PASSWORD_MAX)


class UserUpdate(_Person):
    """The team form's fields; `active` None leaves the account as it is."""

    active: bool | None = None


M = TypeVar("M", bound=BaseModel)


def _spanish_errors(exc: ValidationError) -> dict[str, str]:
    """Field → Spanish message; working hours per day as "working_hours.mon"."""
    errors: dict[str, str] = {}
    for err in exc.errors():
        field = str(err["loc"][0]) if err["loc"] else "_"
        cause = (err.get("ctx") or {}).get("error")
        if isinstance(cause, HoursInvalid):
            for day, message in cause.errors.items():
                label = DAY_NAMES[day].capitalize() if day in DAY_NAMES else f"«{day}»"
                errors.setdefault(f"{field}.{day}", f"{label}: {message}")
        elif err["type"] == "value_error" and cause is not None:
            errors.setdefault(field, str(cause))
        else:
            errors.setdefault(field, FIELD_MESSAGES.get(field, "Revisá este dato."))
    return errors


def validated(model: type[M], data: M | dict) -> M:
    """`data` as `model`, or ValidationFailed with every field's problem in the team form's words."""
    return validation.validated(model, data, errors=_spanish_errors,
                                summary=lambda errors: "Revisá los datos: " + " ".join(errors.values()))


# ---- passwords -------------------------------------------------------------------------------

def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(user: User, password: str) -> bool:
    if not user.password_hash:
        return False
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _password_errors(password: str, confirm: str | None, email: str | None) -> dict[str, str]:
    errors = {}
    if not PASSWORD_MIN <= len(password or "") <= PASSWORD_MAX:
        errors["password"] = FIELD_MESSAGES["password"]
    elif email and password.strip().lower() == email.lower():
        errors["password"] = "La contraseña no puede ser tu email: elegí otra."
    if confirm is not None and confirm != password:
        errors["confirm"] = "Las dos contraseñas no coinciden: escribila igual en los dos campos."
    return errors


# ---- who may do what -------------------------------------------------------------------------

def acting_user(session: Session, actor: str) -> User | None:
    """The person behind a "user:<id>" actor, or None for our own code (seeds, system jobs)."""
    if not actor.startswith("user:"):
        return None
    user_id = actor.removeprefix("user:")
    user = session.get(User, int(user_id)) if user_id.isdigit() else None
    if user is None or not user.active:
        raise NotAllowed("Tu cuenta ya no puede hacer cambios en el equipo.")
    return user


def check_may_manage(by: User | None, target: User | None, new_role: Role | None) -> None:
    if by is None:
        return
    if Role(by.role) not in MANAGER_ROLES:
        raise NotAllowed("Solo el dueño o administración pueden hacer cambios en el equipo.")
    if Role(by.role) is Role.OWNER:
        return
    if target is not None and Role(target.role) is Role.OWNER:
        raise NotAllowed("Solo un dueño puede cambiar los datos de otro dueño.")
    if new_role is Role.OWNER:
        raise NotAllowed("Solo un dueño puede sumar a otro dueño.")


def _check_keeps_an_owner(session: Session, target: User, role: Role, active: bool) -> None:
    """The organization keeps at least one active owner (locked, so two demotions cannot race)."""
    if Role(target.role) is not Role.OWNER or not target.active or (role is Role.OWNER and active):
        return
    owners = session.scalars(
        select(User.id).where(User.role == Role.OWNER, User.active.is_(True)).with_for_update()
    ).all()
    if not set(owners) - {target.id}:
        raise NotAllowed("No podés dejar la cuenta sin dueño: primero hacé dueño/a a otra persona.")


def _check_not_self(by: User | None, target: User, active: bool) -> None:
    if by is not None and by.id == target.id and not active:
        raise NotAllowed("No podés desactivar tu propia cuenta.")


def _load(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"No encontramos a esa persona del equipo (#{user_id}).")
    return user


# ---- changes ---------------------------------------------------------------------------------

def _check_phone_free(session: Session, phone: str | None, user_id: int | None) -> None:
    if not phone:
        return
    query = select(User).where(User.phone == phone)
    if user_id is not None:
        query = query.where(User.id != user_id)
    other = session.scalar(query)
    if other is not None:
        raise DuplicateField("phone", f"Ese teléfono ya es de {other.name}, del equipo.")


def _flush_unique(session: Session, user: User, add: bool = False) -> None:
    """Save, turning the unique indexes into Spanish. Emails are global logins: another
    organization may hold this one, which only the index can see (RLS hides their rows)."""
    try:
        with session.begin_nested():
            if add:
                session.add(user)
            session.flush()
    except IntegrityError as exc:
        # The constraint's name (PostgreSQL) or SQLite's first line, never the values.
        diag = getattr(exc.orig, "diag", None)
        violated = getattr(diag, "constraint_name", None) or str(exc.orig).split("\n")[0]
        if "phone" in violated:
            raise DuplicateField("phone", "Ese teléfono ya es de otra persona del equipo.") from None
        raise DuplicateField("email", "Ese email ya tiene una cuenta.") from None


def create_user(session: Session, data: UserIn | dict, actor: str = "system") -> User:
    data = validated(UserIn, data)
    check_may_manage(acting_user(session, actor), None, data.role)
    _check_phone_free(session, data.phone, None)
    user = User(
        name=data.name,
        role=data.role,
        email=data.email,
        phone=data.phone,
        password_hash=hash_password(data.password) if data.password else None,
        on_call=data.on_call and data.role is Role.TECHNICIAN,
        working_hours=data.working_hours,
        active=True,
    )
    _flush_unique(session, user, add=True)
    audit.record(session, actor=actor, action="user.create", entity_type="user", entity_id=user.id,
                 data={"name": user.name, "role": user.role, "phone": user.phone, "email": user.email,
                       "on_call": user.on_call, "working_hours": user.working_hours})
    return user


def update_user(session: Session, user_id: int, data: UserUpdate | dict, actor: str) -> User:
    """Change a person's details, role, hours and (when `active` is given) whether they can work."""
    data = validated(UserUpdate, data)
    by = acting_user(session, actor)
    user = _load(session, user_id)
    active = user.active if data.active is None else data.active
    check_may_manage(by, user, data.role if data.role != user.role else None)
    _check_not_self(by, user, active)
    _check_keeps_an_owner(session, user, data.role, active)
    _check_phone_free(session, data.phone, user.id)
    values: dict[str, Any] = {
        "name": data.name, "role": data.role, "email": data.email, "phone": data.phone,
        "on_call": data.on_call and data.role is Role.TECHNICIAN,
        "working_hours": data.working_hours, "active": active,
    }
    changes = {k: {"from": getattr(user, k), "to": v} for k, v in values.items() if getattr(user, k) != v}
    if not changes:
        return user
    for key, change in changes.items():
        setattr(user, key, change["to"])
    if "role" in changes:
        end_sessions(user)  # a role change signs the person in again with the new rights
    _flush_unique(session, user)
    audit.record(session, actor=actor, action="user.update", entity_type="user", entity_id=user.id,
                 data={"changes": changes})
    return user


def set_active(session: Session, user_id: int, active: bool, actor: str) -> User:
    """Turn an account on or off; off signs the person out at their next request."""
    by = acting_user(session, actor)
    user = _load(session, user_id)
    check_may_manage(by, user, None)
    _check_not_self(by, user, active)
    _check_keeps_an_owner(session, user, Role(user.role), active)
    if user.active != active:
        user.active = active
        session.flush()
        audit.record(session, actor=actor, action="user.activate" if active else "user.deactivate",
                     entity_type="user", entity_id=user.id, data={"active": active})
    return user


def end_sessions(user: User) -> None:
    """Every back-office session of `user` stops working at its next request (the cookie
    carries the version it was signed in with)."""
    user.session_version = (user.session_version or 0) + 1


def set_password(session: Session, user_id: int, password: str, actor: str, *,
                 confirm: str | None = None) -> User:
    """A new password (10 to 200 characters, not the email; `confirm` must match when given)."""
    by = acting_user(session, actor)
    user = _load(session, user_id)
    if by is None or by.id != user.id:
        check_may_manage(by, user, None)
    errors = _password_errors(password, confirm, user.email)
    if errors:
        raise ValidationFailed("Revisá la contraseña: " + " ".join(errors.values()), errors)
    user.password_hash = hash_password(password)
    end_sessions(user)
    session.flush()
    audit.record(session, actor=actor, action="user.password", entity_type="user", entity_id=user.id,
                 data={"self": by is not None and by.id == user.id})
    return user


# ---- set-password links ----------------------------------------------------------------------

def password_link(session: Session, settings: Settings, user_id: int, actor: str, *,
                  now: datetime | None = None) -> str:
    """`{public_base_url}/app/password/<token>`: 72 hours, works once. The token is not audited."""
    user = _load(session, user_id)
    check_may_manage(acting_user(session, actor), user, None)
    if not user.active:
        raise NotAllowed("Esa cuenta está desactivada: activala antes de mandarle el enlace.")
    if not user.email:
        raise NotAllowed("Primero cargale un email: es con lo que va a entrar.")
    token = password_links.make_token(settings, user, now=now)
    audit.record(session, actor=actor, action="user.password_link", entity_type="user",
                 entity_id=user.id, data={"valid_hours": int(password_links.TTL.total_seconds() // 3600)})
    return f"{settings.public_base_url.rstrip('/')}/app/password/{token}"


def user_for_link(session: Session, settings: Settings, token: str) -> User:
    """The person a link (already read with `password_links.read_token`) is for; LinkUsed when
    their password changed since, or the account is off."""
    _org_id, user_id = password_links.read_token(settings, token)
    user = session.get(User, user_id)
    if user is None or not user.active or not user.email:
        raise LinkUsed("account gone, inactive or without a login")
    if not password_links.still_valid_for(settings, token, user):
        raise LinkUsed("link already used")
    return user


def set_password_with_link(session: Session, settings: Settings, token: str, password: str,
                           confirm: str) -> User:
    user = user_for_link(session, settings, token)
    return set_password(session, user.id, password, f"user:{user.id}", confirm=confirm)


# ---- lookups ---------------------------------------------------------------------------------

_TEAM_KEY = "campotech.active_team"


def _active_team(session: Session) -> list[User] | None:
    """The organization's active staff, read once per transaction of an organization's session
    (a burst asks who the sender is, then whom to offer slots with: one statement, not two).
    None — read from the database instead — in a system session, or while a staff member's
    change is pending in this session (the cached list would not show it)."""
    scope = session.info.get(SCOPE_KEY)
    if scope is None or scope.org_id is None:
        return None
    if any(isinstance(obj, User) for obj in (*session.new, *session.dirty, *session.deleted)):
        session.info.pop(_TEAM_KEY, None)
        return None
    cached = session.info.get(_TEAM_KEY)
    if cached is not None and cached[0] == scope.org_id:
        return cached[1]
    # Without flushing first: reading the team never depends on what the caller has pending
    # (a conversation's new state, say), which is written once at commit instead of twice.
    with session.no_autoflush:
        team = list(session.scalars(select(User).where(User.active.is_(True)).order_by(User.name, User.id)))
    session.info[_TEAM_KEY] = (scope.org_id, team)
    return team


@event.listens_for(Session, "after_flush")
def _forget_team_on_staff_change(session: Session, _context) -> None:
    if _TEAM_KEY in session.info and any(
            isinstance(obj, User) for obj in (*session.new, *session.dirty, *session.deleted)):
        session.info.pop(_TEAM_KEY, None)


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_soft_rollback")
def _forget_team(session: Session, *_args) -> None:
    # Committed objects expire (reading them again would cost a statement each), and the next
    # transaction may see another team.
    session.info.pop(_TEAM_KEY, None)


def find_by_phone(session: Session, phone: str) -> User | None:
    """The active staff member with this number in the current organization, if any."""
    number = normalize_phone(phone)
    team = _active_team(session)
    if team is not None:
        return next((user for user in team if user.phone == number), None)
    return session.scalar(select(User).where(User.phone == number, User.active.is_(True)))


def technicians(session: Session) -> list[User]:
    """The organization's active technicians, by name."""
    team = _active_team(session)
    if team is not None:
        return [user for user in team if user.role == Role.TECHNICIAN]
    with session.no_autoflush:
        return list(session.scalars(
            select(User).where(User.role == Role.TECHNICIAN, User.active.is_(True)).order_by(User.name)
        ))


def find_by_email(session: Session, email: str) -> User | None:
    """The user who signs in with `email` (stored lowercased), active or not.

    Logins are global, so the back-office calls this in the read-only system scope to learn
    which organization to sign in to.
    """
    email = (email or "").strip().lower()
    if not email:
        return None
    return session.scalar(select(User).where(User.email == email))
