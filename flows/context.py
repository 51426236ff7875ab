"""What an organization knows that helps the NLU: its price book, customers, streets, team.

Built from the database for one organization; the transcriber uses its words as a prompt and
the extractor matches "lo de García" or "el flexible" against it.
"""

from __future__ import annotations

from sqlalchemy import func, literal, select, union_all
from sqlalchemy.orm import Session

from core.models import Customer, CustomerAddress, Organization, PriceBookItem, Role, User
from nlu.schema import OrgContext

LIMIT = 40  # per kind: enough words for a prompt, few enough to stay fast


def _words_statement():
    """One UNION ALL of every kind of word, each kind's order kept by its row number."""
    kinds = {
        "price_book": select(PriceBookItem.name.label("word"),
                             func.row_number().over(order_by=PriceBookItem.name).label("pos"))
        .where(PriceBookItem.archived.is_(False)).order_by(PriceBookItem.name).limit(LIMIT),
        "customers": select(Customer.name.label("word"),
                            func.row_number().over(order_by=Customer.id.desc()).label("pos"))
        .where(Customer.name.is_not(None)).order_by(Customer.id.desc()).limit(LIMIT),
        "streets": select(CustomerAddress.street.label("word"),
                          func.row_number().over(order_by=CustomerAddress.street).label("pos"))
        .group_by(CustomerAddress.street).order_by(CustomerAddress.street).limit(LIMIT),
        "technicians": select(User.name.label("word"),
                              func.row_number().over(order_by=User.name).label("pos"))
        .where(User.role == Role.TECHNICIAN, User.active.is_(True)),
    }
    parts = [select(literal(kind).label("kind"), part.c.word, part.c.pos)
             for kind, query in kinds.items() for part in [query.subquery()]]
    return union_all(*parts), tuple(kinds)


# Built once: the statement is the same for every organization (the session's tenancy scopes
# it), and building it again for every burst cost more than running it.
_WORDS, _KINDS = _words_statement()


def org_context(session: Session, org_id: int) -> OrgContext:
    """The current organization's context (`session` is scoped to `org_id`), in one round trip:
    it is read for every burst, and each statement costs more in the ORM and the tenancy hooks
    than in PostgreSQL."""
    org = session.get(Organization, org_id)  # the burst has it loaded already: no statement
    words: dict[str, list[tuple[int, str]]] = {kind: [] for kind in _KINDS}
    for kind, word, pos in session.execute(_WORDS):
        words[kind].append((pos, word))
    found = {kind: tuple(word for _, word in sorted(rows)) for kind, rows in words.items()}
    return OrgContext(
        time_zone=org.time_zone if org else "America/Argentina/Buenos_Aires",
        price_book=found["price_book"], customers=found["customers"], streets=found["streets"],
        technicians=found["technicians"],
    )
