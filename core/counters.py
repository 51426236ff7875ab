"""Gapless per-organization numbers (job numbers, audit sequence)."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.models import OrgCounter
from core.tenancy import current_org_id


def next_value(session: Session, name: str) -> int:
    """Increment and return the counter; the row lock serializes concurrent writers until commit."""
    org_id = current_org_id(session)
    stmt = (
        update(OrgCounter)
        .where(OrgCounter.name == name)
        .values(value=OrgCounter.value + 1)
        .returning(OrgCounter.value)
        .execution_options(synchronize_session=False)
    )
    value = session.execute(stmt).scalar_one_or_none()
    if value is not None:
        return value
    try:
        with session.begin_nested():
            session.add(OrgCounter(org_id=org_id, name=name, value=1))
        return 1
    except IntegrityError:
        # Another transaction created it first; its row lock now orders us after it.
        return session.execute(stmt).scalar_one()


def peek(session: Session, name: str) -> int:
    value = session.scalar(select(OrgCounter.value).where(OrgCounter.name == name))
    return value or 0
