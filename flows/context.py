"""What an organization knows that helps the NLU: its price book, customers, streets, team.

Built from the database for one organization; the transcriber uses its words as a prompt and
the extractor matches "lo de García" or "el flexible" against it.
"""

from __future__ import annotations

import time

from sqlalchemy import event, func, literal, select, union_all
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


# Read for every burst, changed rarely: each process keeps an organization's words for a few
# seconds. A change written by this process (a new customer, a price, a technician, the
# organization's zone) drops its organization's entry when it commits; one written by another
# process (the back-office's) is seen within CACHE_SECONDS.
CACHE_SECONDS = 5.0
_WORD_SOURCES = (Customer, CustomerAddress, PriceBookItem, User, Organization)
_TOUCHED_KEY = "campotech.words_touched"
_cache: dict[int, tuple[float, OrgContext]] = {}


def _org_of(obj) -> int | None:
    return obj.id if isinstance(obj, Organization) else getattr(obj, "org_id", None)


@event.listens_for(Session, "after_flush")
def _note_word_changes(session: Session, _context) -> None:
    touched = {_org_of(obj) for obj in (*session.new, *session.dirty, *session.deleted)
               if isinstance(obj, _WORD_SOURCES)}
    touched.discard(None)
    if touched:
        for org_id in touched:
            _cache.pop(org_id, None)
        session.info.setdefault(_TOUCHED_KEY, set()).update(touched)


@event.listens_for(Session, "after_commit")
def _drop_changed_words(session: Session) -> None:
    # Again at commit: a burst of another thread may have read the old words in between.
    for org_id in session.info.pop(_TOUCHED_KEY, ()):
        _cache.pop(org_id, None)


def forget_org_context(org_id: int | None = None) -> None:
    """Drop the cached words of one organization (all when None): for a change this process did
    not write through the ORM."""
    if org_id is None:
        _cache.clear()
    else:
        _cache.pop(org_id, None)


def org_context(session: Session, org_id: int) -> OrgContext:
    """The current organization's context (`session` is scoped to `org_id`), in one round trip
    at most every CACHE_SECONDS per process: it is read for every burst, and each statement
    costs more in the ORM and the tenancy hooks than in PostgreSQL."""
    now = time.monotonic()
    cached = _cache.get(org_id)
    if cached is not None and now - cached[0] < CACHE_SECONDS:
        return cached[1]
    context = _read(session, org_id)
    _cache[org_id] = (now, context)
    return context


def _read(session: Session, org_id: int) -> OrgContext:
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
