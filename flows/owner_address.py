"""The owner giving a customer's new address from WhatsApp: "Marta García se mudó, la dirección
nueva es Thames 1520 3° B, Palermo; la visita de hoy es ahí", "cambiale la dirección a Quiroga:
Av. Cabildo 2100".

The contract has no intent for it (an owner's is a summary or who owes), so these arrived as
`other` and met "no te entendí" while the technician drove to the old address. The customer is
found by name (among those with an open visit first); the address is kept on file, and every
visit of theirs not yet begun goes there, its technician told and the customer shown the address
the visit now has, so a slip is caught by the one who lives there."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from core import es_ar
from core.customers.search import customers_named
from core.jobs import OPEN_STATUSES
from core.messaging import texts
from core.messaging.replies import Reply, Text
from core.models import ConversationRole, Customer, Job, JobStatus
from flows.booking_job import address_id_for, move_visit, summary_address
from flows.customer_job_change import tell_technician, visit
from flows.technician_jobs import tell_customer
from flows.turn import Turn

# the place changes: "se mudó", "la dirección nueva", "nueva dirección", "cambiale la dirección",
# "ahora vive en", "se cambió de casa"
_MOVED = re.compile(
    r"\bse\s+(?:mudo|mudaron|cambio\s+de\s+(?:casa|depto|direccion))\b|\bdireccion\s+nueva\b"
    r"|\bnueva\s+direccion\b|\bcambia(?:le|r)?\s+(?:la\s+)?direccion\b|\bahora\s+(?:vive|viven|esta|estan)\s+en\b"
    r"|\bactualiza(?:le)?\s+(?:la\s+)?direccion\b")
_NOT_BEGUN = (JobStatus.PENDING, JobStatus.SCHEDULED)
_NOT_NAMES = frozenset({"se", "mudo", "mudaron", "la", "el", "de", "del", "direccion", "nueva", "nuevo",
                        "es", "ahi", "hoy", "manana", "visita", "cambiale", "ahora", "vive", "en", "que",
                        "su", "sus", "los", "las", "con", "para", "por", "casa", "depto"})


def handle(turn: Turn) -> list[Reply] | None:
    """The new address kept and the customer's coming visits moved there; None when the words
    give no new address of a customer."""
    if turn.role is not ConversationRole.OWNER or turn.tap is not None or not turn.text:
        return None
    said = es_ar.folded(turn.text)
    address = turn.result.address
    if not _MOVED.search(said) or address is None or not (address.street and address.number):
        return None
    place = {w for w in es_ar.folded(" ".join(p for p in (address.street, address.locality, address.unit)
                                              if p)).split()}
    words = {w for w in said.split() if len(w) > 2 and not w.isdigit()} - place - _NOT_NAMES
    found = _named(turn, words)
    if len(found) != 1:
        return [Text(texts.render("owner_address_who", many=[c.name for c in found[:5]]))]
    customer = found[0]
    given = {"street": address.street, "number": address.number, "unit": address.unit,
             "locality": address.locality}
    address_id_for(turn.session, customer, given, actor=turn.actor)
    moved, told = [], set()
    for job in _coming(turn, customer):
        current = job.address
        if current is not None and (es_ar.folded(current.street or ""), current.number) \
                == (es_ar.folded(address.street), address.number):
            continue
        if (refused := move_visit(turn, job, customer, given)) is not None:
            return refused
        if technician := tell_technician(turn, job, "address"):
            told.add(technician)
        when = visit(job, turn.now)
        if tell_customer(turn, job, "customer_address_by_office", number=job.number,
                         address=summary_address(given), when=when):
            told.add(es_ar.first_name(customer.name) or customer.name)
        moved.append({"number": job.number, "when": when})
    return [Text(texts.render("owner_address_changed", customer=customer.name,
                              address=summary_address(given), moved=moved, told=sorted(told)))]


def _named(turn: Turn, words: set[str]) -> list[Customer]:
    """The customers with an open visit whose name holds one of `words`; else the best match
    among every customer."""
    open_jobs = turn.session.scalars(
        select(Job).options(joinedload(Job.customer)).where(Job.status.in_(OPEN_STATUSES))).unique()
    found: dict[int, Customer] = {}
    for job in open_jobs:
        if job.customer is not None and words & {w for w in es_ar.folded(job.customer.name or "").split()
                                                  if len(w) > 2}:
            found.setdefault(job.customer.id, job.customer)
    if found:
        best = [c for c in found.values() if words >= set(es_ar.folded(c.name).split())]
        return best or list(found.values())
    return customers_named(turn.session, " ".join(sorted(words))) if words else []


def _coming(turn: Turn, customer: Customer) -> list[Job]:
    return list(turn.session.scalars(
        select(Job).where(Job.customer_id == customer.id, Job.status.in_(_NOT_BEGUN))
        .order_by(Job.scheduled_start)))
