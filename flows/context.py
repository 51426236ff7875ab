"""What an organization knows that helps the NLU: its price book, customers, streets, team.

Built from the database for one organization; the transcriber uses its words as a prompt and
the extractor matches "lo de García" or "el flexible" against it.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import Customer, CustomerAddress, Organization, PriceBookItem, Role, User
from nlu.schema import OrgContext

LIMIT = 40  # per kind: enough words for a prompt, few enough to stay fast


def org_context(session: Session, org_id: int) -> OrgContext:
    """The current organization's context (`session` is scoped to `org_id`)."""
    org = session.get(Organization, org_id)
    items = session.scalars(
        select(PriceBookItem.name).where(PriceBookItem.archived.is_(False))
        .order_by(PriceBookItem.name).limit(LIMIT)
    )
    customers = session.scalars(
        select(Customer.name).where(Customer.name.is_not(None)).order_by(Customer.id.desc()).limit(LIMIT)
    )
    streets = session.scalars(
        select(CustomerAddress.street).distinct().order_by(CustomerAddress.street).limit(LIMIT)
    )
    technicians = session.scalars(
        select(User.name).where(User.role == Role.TECHNICIAN, User.active.is_(True)).order_by(User.name)
    )
    return OrgContext(
        time_zone=org.time_zone if org else "America/Argentina/Buenos_Aires",
        price_book=tuple(items), customers=tuple(customers), streets=tuple(streets),
        technicians=tuple(technicians),
    )
