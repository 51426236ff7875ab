"""The owner loading a customer from WhatsApp, with no visit yet: "agregá un cliente nuevo:
Lucía Romero, cel 11 5555-0203, Av. San Martín 2450, Villa Devoto".

The contract has no intent for it (an owner's is a summary or who owes), so it met "no te
entendí" and the customer, writing later, was asked everything again. The name, the phone and
the address are read as a booking by the owner reads them; the customer is created (a phone that
is someone else's is said so, with whose it is), and from then on the customer is greeted by
name and offered the address on file."""

from __future__ import annotations

import re

from core import customers, es_ar
from core.errors import DomainError
from core.messaging import texts
from core.messaging.replies import Reply, Text
from core.models import ConversationRole
from flows import owner
from flows.booking_job import summary_address
from flows.owner_booking import customer_name, mobile_e164, phone_in
from flows.turn import Turn

# "agregá un cliente nuevo", "cargá una clienta", "dá de alta al cliente", "anotá este cliente"
_ADD = re.compile(
    r"\b(?:agrega|carga|suma|anota|registra|guarda|crea|da\s+de\s+alta(?:\s+a)?)(?:me)?\s+"
    r"(?:(?:un|una|este|esta|al|a\s+la|el|la)\s+)?(?:cliente|clienta)s?\b"
    r"|\b(?:cliente|clienta)\s+nuev[oa]\b")


# the name right after the order: "cliente nuevo: Lucía Romero, …", "agregá a la clienta Ana Paz"
_NAME_AFTER = re.compile(
    r"\b(?:cliente|clienta)s?(?:\s+nuev[oa])?\s*[:,-]?\s*(?:a\s+)?(?:la\s+|el\s+|se[ñn]ora\s+|sra\.?\s+|sr\.?\s+)?"
    r"(?P<name>[A-ZÁÉÍÓÚÑ][a-záéíóúñü]+(?:\s+(?:de\s+)?[A-ZÁÉÍÓÚÑ][a-záéíóúñü]+){0,3})")


def _named_first(text: str) -> str | None:
    """The name written right after "cliente nuevo", capitalized as a name is."""
    found = _NAME_AFTER.search(text)
    return found.group("name") if found else None


def handle(turn: Turn) -> list[Reply] | None:
    """The customer created from the owner's words; None when the words add no customer."""
    if turn.role is not ConversationRole.OWNER or turn.tap is not None or not turn.text:
        return None
    said = es_ar.folded(turn.text)
    if not _ADD.search(said) or turn.result.date or turn.result.time:
        return None  # with a day or an hour it is a booking: the owner's booking flow's
    raw_phone = phone_in(turn.text)
    staff = {es_ar.folded(es_ar.first_name(t.name) or "") for t in owner.active_technicians(turn)}
    name = _named_first(turn.text) or customer_name(turn.text, staff - {""})
    if not name:
        return [Text(texts.render("owner_customer_new_missing", name=None, phone=raw_phone, bad_phone=None))]
    try:
        phone = mobile_e164(raw_phone) if raw_phone else None
    except DomainError:
        phone = None
    if raw_phone and phone is None:
        return [Text(texts.render("owner_customer_new_missing", name=name, phone=None, bad_phone=raw_phone))]
    address = turn.result.address
    addresses = [{"street": address.street, "number": address.number, "unit": address.unit,
                  "locality": address.locality}] if address and address.street and address.number else []
    try:
        with turn.session.begin_nested():
            customer = customers.create_customer(
                turn.session, {"name": name, "phone": phone, "addresses": addresses}, turn.actor)
    except DomainError as exc:
        return [Text(texts.render("tech_error", reason=str(exc).rstrip(".")))]
    return [Text(texts.render("owner_customer_new_done", name=customer.name,
                              phone=es_ar.readable_phone(customer.phone) if customer.phone else None,
                              address=summary_address(addresses[0]) if addresses else None))]
