"""Staff accounts: owners, admins, dispatchers, technicians and viewers."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import audit
from core.errors import Conflict
from core.models import Role, User
from core.phones import normalize_phone
from core.validation import validated

_hasher = PasswordHasher()


class UserIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    name: str = Field(min_length=2, max_length=120)
    role: Role
    email: EmailStr | None = None
    phone: str | None = None
    password: str | None = Field(default=None, min_length=8, max_length=200)
    on_call: bool = False
    working_hours: dict | None = None

    @field_validator("phone")
    @classmethod
    def _phone(cls, v: str | None) -> str | None:
        return normalize_phone(v) if v else None

    @field_validator("email")
    @classmethod
    def _email(cls, v: str | None) -> str | None:
        return v.lower() if v else None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(user: User, password: str) -> bool:
    if not user.password_hash:
        return False
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def create_user(session: Session, data: UserIn | dict, actor: str = "system") -> User:
    data = validated(UserIn, data)
    if data.phone and session.scalar(select(User.id).where(User.phone == data.phone)):
        raise Conflict(f"Ya hay alguien del equipo con el teléfono {data.phone}.")
    user = User(
        name=data.name,
        role=data.role,
        email=data.email,
        phone=data.phone,
        password_hash=hash_password(data.password) if data.password else None,
        on_call=data.on_call,
        working_hours=data.working_hours,
    )
    try:
        # Emails are global logins: another organization may hold this one, which only the
        # unique index can see (RLS hides their rows from us).
        with session.begin_nested():
            session.add(user)
            session.flush()
    except IntegrityError:
        raise Conflict(f"El email {data.email} ya está registrado.") from None
    audit.record(session, actor=actor, action="user.create", entity_type="user", entity_id=user.id,
                 data={"name": user.name, "role": user.role, "phone": user.phone, "email": user.email})
    return user


def find_by_phone(session: Session, phone: str) -> User | None:
    """The active staff member with this number in the current organization, if any."""
    return session.scalar(
        select(User).where(User.phone == normalize_phone(phone), User.active.is_(True))
    )


def technicians(session: Session) -> list[User]:
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
