"""The end of a booking (`flows/booking.py`): the job created with its customer and address,
scheduled with the chosen technician, who is told; for an emergency, safety advice at once,
the owners alerted, and the on-call or nearest free technician sent now.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from core import customers, es_ar, jobs
from core.errors import DomainError
from core.es_ar import first_name, readable_phone
from core.jobs.emergencies import assign_emergency
from core.jobs.notices import technician_notice
from core.jobs.scheduling import parse_slot_id
from core.links import job_link
from core.messaging import texts
from core.messaging.replies import Reply, Text
from core.models import Customer, Role
from core.models.people import address_line
from flows import photos, prices
from flows.turn import Turn
from nlu.extract.message_kinds import already_shut_off, general_outage

log = logging.getLogger("campotech.flows.booking")

EMERGENCY_WINDOW = timedelta(hours=2)  # the visit an emergency is booked for: from now
# NLU services (the contract's) to the job's service.
JOB_SERVICE = {
    "plomeria": "plumbing", "destapaciones": "plumbing", "gas": "gas", "electricidad": "electrical",
    "aire_acondicionado": "hvac", "calefaccion": "hvac", "cerrajeria": "locksmith",
    "electrodomesticos": "other", "albanileria": "other", "pintura": "other",
}
SAFETY = {  # what to do right now, by service, for an emergency
    "gas": "safety_gas", "electricidad": "safety_power", "plomeria": "safety_water",
    "destapaciones": "safety_water",
}


# -- doing -----------------------------------------------------------------------------------

def create_booked_job(turn: Turn) -> list[Reply]:
    """The job, its customer and address, scheduled with the chosen technician."""
    session, c, s = turn.session, turn.conversation, turn.slots
    customer = turn.customer
    address = s.get("address") or {}
    if customer is None:  # looked up by the conversation's phone in this transaction
        customer = customers.create_customer(session, {
            "name": s.get("name") or c.profile_name, "phone": c.phone,
            "addresses": [address_in(address)] if address.get("street") else [],
        }, actor=f"whatsapp:{c.wa_id}", phone_checked=not c.customer_id)
    address_id = address_id_for(session, customer, address, actor=f"whatsapp:{c.wa_id}")
    c.customer_id = customer.id
    slot = parse_slot_id(s["slot"], time_zone=turn.org.time_zone) if s.get("slot") else None
    emergency = s.get("urgency") == "emergency"
    actor = f"whatsapp:{c.wa_id}"
    # Created in its final state (scheduled with the slot's technician and window): one insert,
    # one event and one audit entry, not an insert then two updates.
    job = jobs.create_job(session, {
        "customer_id": customer.id, "service": JOB_SERVICE.get(s.get("service") or "", "other"),
        "description": _description(s), "address_id": address_id,
        "urgency": "emergency" if emergency else ("urgent" if s.get("urgency") == "high" else "normal"),
        "technician_id": slot.technician_id if slot else None,
        "scheduled_start": slot.start if slot else None,
        "scheduled_end": slot.end if slot else None,
        "source_conversation_id": c.id,
    }, actor=actor)
    photos.attach_to_job(session, job, actor, s.get("media") or [])
    c.flow = c.state = None
    c.slots = {}
    c.expires_at = None
    if emergency:
        return _dispatch_emergency(turn, job, customer, address)
    _tell_technician(turn, job, "assigned")
    return [Text(texts.render("booked", number=job.number,
                              when=s.get("slot_when") or s.get("slot_label") or ""))]


def _description(s: dict) -> str:
    """The problem as the customer put it, then their word for the technician ("el timbre es el
    de abajo") and the contact card they shared, if any."""
    text = s.get("description") or s.get("said") or ""
    if s.get("note"):
        text = f"{text}\nNota del cliente: {s['note']}".strip()
    contact = s.get("contact") or {}
    who = " ".join(p for p in (contact.get("name"), contact.get("phone")) if p)
    return f"{text}\nContacto: {who}".strip() if who else text


def _dispatch_emergency(turn: Turn, job, customer: Customer, address: dict) -> list[Reply]:
    """Someone goes now: the on-call (or nearest free) technician is assigned and told with the
    address, the customer's phone and the problem; the owner gets the job with its link, and is
    asked to assign it when nobody could be."""
    session, c = turn.session, turn.conversation
    actor = f"whatsapp:{c.wa_id}"
    choice = assign_emergency(session, job, turn.now, actor)
    if choice.technician is not None:
        start = turn.now.replace(second=0, microsecond=0)
        jobs.schedule(session, job.id, start, start + EMERGENCY_WINDOW, actor)
        session.refresh(job)
        _tell_technician(turn, job, "assigned")
    tech = choice.technician.name if choice.technician is not None else None
    _alert_owners(turn, "staff_emergency_job", number=job.number,
                  address=summary_address(address), description=job.description[:200],
                  phone=readable_phone(customer.phone or c.phone), name=customer.name,
                  link=job_link(turn.settings, job.id), technician=tech)
    log.info("emergency job dispatched (%s)", choice.why)
    urgent = prices.urgent_visit(turn)
    return [Text(texts.render("booked_emergency", number=job.number, technician=first_name(tech),
                              visit=urgent[0] if urgent else None,
                              visit_price=urgent[1] if urgent else None))]


def _tell_technician(turn: Turn, job, change: str) -> None:
    notice = technician_notice(turn.session, job, change, now=turn.now)
    if notice is not None:
        turn.notify(*notice)


def address_id_for(session, customer: Customer, address: dict, *, actor: str) -> int | None:
    """The customer's address with the street and number said, added when new; None when no
    street is said."""
    found = None
    for known in customer.addresses:
        if (known.street, known.number) == (address.get("street"), address.get("number")):
            found = known.id
    if found is None and address.get("street"):
        found = customers.add_address(session, customer.id, address_in(address), actor=actor).id
    return found


def move_visit(turn: Turn, job, customer: Customer, address: dict) -> list[Reply] | None:
    """The visit moved to the customer's `address` (added to theirs when new): None when done,
    or the reply saying why not."""
    try:
        with turn.session.begin_nested():
            address_id = address_id_for(turn.session, customer, address, actor=turn.actor)
            jobs.move_to_address(turn.session, job.id, address_id, turn.actor)
    except DomainError as exc:
        return [Text(texts.render("tech_error", reason=str(exc).rstrip(".")))]
    turn.session.refresh(job)
    return None


def address_in(address: dict) -> dict:
    return {k: address.get(k) for k in ("street", "number", "unit", "locality") if address.get(k)}


def summary_address(address: dict) -> str:
    """"Av. Avellaneda 2100, 7° B, Flores": street and number, with the floor and door and the
    locality when known (the technician rings the right bell)."""
    if not (address.get("street") or address.get("number")):
        return "sin dirección"
    return address_line(address.get("street"), address.get("number"), address.get("unit"),
                        address.get("locality"))


def emergency_advice(turn: Turn, *, service: str | None = None, alert: bool = True) -> list[Reply]:
    """Safety advice at once; the owners hear of it now, before the address is even known
    (`alert`). `service`: the booking's, when its slots are gone (the job was just made)."""
    advice = SAFETY.get(service or turn.slots.get("service") or "")
    replies = [Text(texts.render(  # "ya cerré la llave": not asked again
        advice, shut=already_shut_off(es_ar.folded(turn.text or ""))))] if advice else []
    if alert and not turn.slots.get("address"):
        _alert_owners(turn, "staff_emergency", **_caller(turn))
        turn.save(alerted=True)
    return replies


def withdraw(turn: Turn) -> list[Reply]:
    """The customer says nobody needs to come before the booking was made ("falsa alarma, era la
    hornalla"): nothing is booked, and owners alerted of an emergency hear it is off, so nobody
    calls or drives there for nothing."""
    emergency = turn.slots.get("urgency") == "emergency"
    if turn.slots.get("alerted"):
        _alert_owners(turn, "staff_emergency_withdrawn", **_caller(turn))
    log.info("booking withdrawn by the customer (emergency: %s)", emergency)
    # "parece que es todo el barrio", "es Edesur": the utility's cut, whose claim goes to it
    outage = general_outage(es_ar.folded(turn.text or "")) and turn.slots.get("service")
    turn.clear()
    turn.conversation.misses = 0
    return [Text(texts.render("booking_withdrawn", emergency=emergency, outage=outage or None))]


def _caller(turn: Turn) -> dict:
    """Who wrote and what, for an owner's alert about a booking not made yet."""
    who, phone = turn.writer  # the name on file first ("Jorge Fernández"), else WhatsApp's
    customer = turn.customer
    known = customer.addresses[0] if customer is not None and customer.addresses else None
    return {"who": who, "phone": phone,
            # the address on file the customer is being asked to confirm
            "known": " ".join(p for p in (known.street, known.number) if p) if known else None,
            # the problem as told so far ("Hay un olor raro en la cocina · A gas"), not only
            # this turn's words (a tapped "🔥 A gas")
            "text": (turn.slots.get("description") or turn.text)[:300]}


def _alert_owners(turn: Turn, template: str, **ctx) -> None:
    """Every active owner with a phone, at once (the technician gets a notice of their own)."""
    turn.tell_staff(texts.render(template, **ctx), roles=(Role.OWNER,))
