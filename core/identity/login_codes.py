"""The organization-wide switch that asks staff for a WhatsApp code after their password."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.errors import ValidationFailed
from core.models import Organization, User


def required(session: Session, user: User) -> bool:
    """Whether `user` must type a code to sign in (`session` may be the system scope)."""
    org = session.get(Organization, user.org_id)
    return bool(org and org.login_code_required)


def staff_without_phone(session: Session) -> list[User]:
    """Active staff who sign in (they have an email) but have no phone to get a code on."""
    return list(session.scalars(
        select(User).where(User.active.is_(True), User.email.is_not(None),
                           (User.phone.is_(None)) | (User.phone == ""))
        .order_by(User.name)))


def set_required(session: Session, org: Organization, on: bool, by: User) -> bool:
    """Turn the switch; returns whether it changed. The owner turning it on needs a phone
    themselves, or the next login would lock them out."""
    if on and not by.phone:
        raise ValidationFailed(
            "Antes de activarlo, cargá tu celular en Equipo: ahí te vamos a mandar el código.",
            {"required": "owner_without_phone"})
    if bool(org.login_code_required) == on:
        return False
    org.login_code_required = on
    session.flush()
    audit.record(session, actor=f"user:{by.id}", action="organization.login_code",
                 entity_type="organization", entity_id=org.id, data={"required": on})
    return True
