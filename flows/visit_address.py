"""A customer with a visit coming who says it is somewhere else ("me equivoqué, la pérdida es en
lo de mi hermana: Av. San Martín 2150, Villa Devoto"): the visit goes to that address, same day
and technician, and the technician is told — not a question left for the office while the
technician drives to the old address, nor a second job.

Only one visit not begun (or on its way), an address with street and number, and words that
say the place changes; a new address with a new problem is a booking of its own."""

from __future__ import annotations

import re

from core import es_ar
from core.messaging import texts
from core.messaging.replies import Reply, Text
from core.models import JobStatus
from flows.booking_job import JOB_SERVICE, move_visit, summary_address
from flows.customer_job_change import tell_technician, visit
from flows.turn import Turn

# the place changes: "me equivoqué", "es en otra dirección", "no es en mi casa", "la dirección es"
_ELSEWHERE = re.compile(
    r"\b(?:me\s+equivoque|(?:estaba|esta)\s+mal\s+la\s+direccion|otra\s+direccion|cambi\w*\s+(?:de\s+|la\s+)?direccion"
    r"|(?:la\s+)?direccion\s+(?:es|correcta|nueva|era)|no\s+es\s+(?:en\s+)?(?:mi\s+casa|ahi|esa|en\s+casa)"
    r"|(?:es|sera|seria)\s+en\s+(?:lo\s+de|la\s+casa\s+de|otro|otra|el\s+depto\s+de)"
    r"|en\s+realidad\s+es\s+en|vengan\s+(?:a|mejor\s+a)\s+(?:lo\s+de|la\s+casa)|al\s+final\s+es\s+en)\b")
_NOT_BEGUN = (JobStatus.SCHEDULED, JobStatus.PENDING, JobStatus.EN_ROUTE)
# another job, not this one moved: "necesito otra visita, es en otra dirección"
_ANOTHER_JOB = re.compile(r"\b(?:otro\s+trabajo|otra\s+cosa|otro\s+problema|tambien|ademas|aparte"
                          r"|nuevo\s+trabajo|otra\s+visita|otro\s+pedido)\b")


def handle(turn: Turn) -> list[Reply] | None:
    """The replies when the customer moves their coming visit to another address; None when the
    words do not."""
    result = turn.result
    address = result.address
    if turn.customer is None or turn.tap is not None or address is None \
            or not (address.street and address.number) or result.urgency == "emergency":
        return None
    said_words = es_ar.folded(turn.text or "")
    if not _ELSEWHERE.search(said_words) or _ANOTHER_JOB.search(said_words):
        return None
    coming = [job for job in turn.open_jobs if job.status in _NOT_BEGUN]
    if len(coming) != 1:
        return None
    job = coming[0]
    if result.service and JOB_SERVICE.get(result.service) not in (None, job.service):
        return None  # another trade at another address: a visit of its own
    said = {"street": address.street, "number": address.number, "unit": address.unit,
            "locality": address.locality}
    current = job.address
    if current is not None and (es_ar.folded(current.street or ""), current.number) \
            == (es_ar.folded(address.street), address.number):
        return [Text(texts.render("cust_address_same", number=job.number,
                                  address=summary_address(said), when=visit(job, turn.now)))]
    if (refused := move_visit(turn, job, turn.customer, said)) is not None:
        return refused
    told = tell_technician(turn, job, "address")
    return [Text(texts.render("cust_address_changed", name=turn.first_name, number=job.number,
                              address=summary_address(said), when=visit(job, turn.now), told=told))]
