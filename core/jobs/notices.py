"""Telling a technician on WhatsApp that a job was assigned to them, moved, cancelled or taken off them;
and the customer that the office moved or cancelled their visit."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import es_ar, links
from core.billing.reports import SERVICE_LABELS
from core.messaging import texts
from core.messaging.outbox import customer_conversation, queue_replies
from core.messaging.replies import Reply, Text
from core.models import (
    Conversation,
    ConversationRole,
    Customer,
    CustomerAddress,
    Job,
    Organization,
    Urgency,
    User,
    utcnow,
)
from core.organizations import zone_of
from core.phones import wa_id_for

log = logging.getLogger("campotech.job_notices")

CHANGES = frozenset({"assigned", "rescheduled", "cancelled", "unassigned", "note", "address"})
PROBLEM_MAX = 150  # characters of the job's description a notice quotes
NO_DATE = "sin fecha todavía"
GO_NOW = "ahora: andá lo antes posible"
EMERGENCY_NOW = timedelta(hours=1)  # an emergency booked within this is "now"


def technician_notice(
    session: Session, job: Job, change: str, *, technician: User | None = None,
    now: datetime | None = None, note: str | None = None,
) -> tuple[str, Reply] | None:
    """(the technician's wa_id, the text telling them about `change` on `job`), or None when
    there is nobody to tell: no technician, an inactive one, or one without a phone.

    `technician` defaults to the job's own; pass the previous one for "unassigned". `note`: the
    customer's words a "note" passes on ("ese día va a estar mi marido").
    """
    if change not in CHANGES:
        raise ValueError(f"unknown job change {change!r}")
    if technician is None and job.technician_id is not None:
        # By id rather than `job.technician`: a just-flushed reassignment leaves that stale.
        technician = session.get(User, job.technician_id)
    if technician is None or not technician.active or not technician.phone:
        return None
    zone = zone_of(session, job.org_id)
    customer = session.get(Customer, job.customer_id)
    # The problem's line, then each line the booking added ("Nota del cliente: …", "Contacto:
    # …") in full, not cut off with the problem's ellipsis
    problem, *details = [line for line in (job.description or "").splitlines() if line.strip()] or [""]
    body = texts.render(
        f"tech_job_{change}",
        emergency=job.urgency == Urgency.EMERGENCY,
        number=job.number,
        customer=(customer.name if customer else None) or "",
        phone=es_ar.readable_phone(customer.phone if customer else None),
        address=_address(session, job),
        maps=_map(session, job),
        when=_when(job, zone, now or utcnow()),
        service=SERVICE_LABELS.get(job.service, str(job.service)).capitalize(),
        problem=es_ar.shortened(problem, PROBLEM_MAX),
        details=[es_ar.shortened(line, PROBLEM_MAX) for line in details],
        note=note,
    )
    return wa_id_for(technician.phone), Text(body)


def queue_technician_notice(
    session: Session, job: Job, change: str, *, key: str, technician: User | None = None,
    now: datetime | None = None,
) -> list[int]:
    """Store the notice as a queued message in the technician's conversation; the ids to send
    once the transaction commits ([] when there is nobody to tell). The same `key` never
    stores it twice; keys are unique across organizations, so name the job's id in them."""
    notice = technician_notice(session, job, change, technician=technician, now=now)
    if notice is None:
        return []
    wa_id, reply = notice
    if technician is None:
        technician = session.get(User, job.technician_id)
    conversation = technician_conversation(session, technician, wa_id)
    return queue_replies(session, conversation, [reply], key=key)


CUSTOMER_CHANGES = {"rescheduled": "customer_visit_moved_by_office",
                    "cancelled": "customer_visit_cancelled_by_office"}


def queue_customer_notice(session: Session, job: Job, change: str, *, key: str,
                          now: datetime | None = None) -> list[int]:
    """Store, in the customer's conversation, the text telling them the office moved
    ("rescheduled") or cancelled their visit; the ids to send once the transaction commits ([]
    without a number to write to). The same `key` never stores it twice."""
    customer = session.get(Customer, job.customer_id)
    conversation = customer_conversation(session, customer)
    if conversation is None:
        return []
    zone = zone_of(session, job.org_id)
    now = now or utcnow()
    when = es_ar.visit_phrase(es_ar.aware(job.scheduled_start).astimezone(zone),
                              es_ar.aware(job.scheduled_end).astimezone(zone) if job.scheduled_end else None,
                              now.astimezone(zone).date()) if job.scheduled_start else None
    body = texts.render(CUSTOMER_CHANGES[change], name=es_ar.first_name(customer.name),
                        number=job.number, when=when)
    return queue_replies(session, conversation, [Text(body)], key=key)


def technician_conversation(session: Session, technician: User, wa_id: str) -> Conversation:
    """The staff member's conversation, started by us as a technician's if they never wrote."""
    conversation = _conversation_with(session, wa_id)
    if conversation is None:
        try:
            with session.begin_nested():
                conversation = Conversation(wa_id=wa_id, phone=technician.phone,
                                            role=ConversationRole.TECHNICIAN, user_id=technician.id,
                                            slots={})
                session.add(conversation)
                session.flush()
        except IntegrityError:
            # They wrote (or another notice started it) a moment ago: use that one.
            conversation = _conversation_with(session, wa_id)
            if conversation is None:
                raise
    if conversation.role == ConversationRole.CUSTOMER:
        # The number wrote before it was a staff member's; the bot must not treat them as a customer.
        log.info("conversation %s becomes a technician's", conversation.id)
        conversation.role = ConversationRole.TECHNICIAN
    if conversation.user_id is None:
        conversation.user_id = technician.id
    return conversation


def _conversation_with(session: Session, wa_id: str) -> Conversation | None:
    return session.scalar(select(Conversation).where(Conversation.wa_id == wa_id))


# ---- the pieces of the text --------------------------------------------------------------------

def _address(session: Session, job: Job) -> str:
    address = session.get(CustomerAddress, job.address_id) if job.address_id else None
    text = address.one_line if address else job.address_text
    return " ".join((text or "").split())


def _map(session: Session, job: Job) -> str | None:
    address = session.get(CustomerAddress, job.address_id) if job.address_id else None
    org = session.get(Organization, job.org_id)
    return links.map_link(address.street if address else None, address.number if address else None,
                          address.locality if address else None, address_text=job.address_text,
                          business_address=org.address if org else None,
                          time_zone=org.time_zone if org else None)


def _when(job: Job, zone: ZoneInfo, now: datetime) -> str:
    """The visit; for an emergency due now (or with no time), "ahora" — go as soon as possible."""
    start = job.scheduled_start
    if job.urgency == Urgency.EMERGENCY and (
            start is None or es_ar.aware(start) <= now + EMERGENCY_NOW):
        return GO_NOW
    return visit_text(start, job.scheduled_end, zone, now)


def visit_text(start: datetime | None, end: datetime | None, zone: ZoneInfo, now: datetime) -> str:
    """"hoy de 14 a 16", "mañana a las 9", "jueves 26/11 de 9 a 11:30", or "sin fecha todavía"."""
    if start is None:
        return NO_DATE
    return es_ar.visit_phrase(start.astimezone(zone), end.astimezone(zone) if end else None,
                              now.astimezone(zone).date(), article=False)
