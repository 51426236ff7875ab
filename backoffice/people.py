"""Who did something, by name: the actors the job events and the audit trail record ("user:3",
"whatsapp:5491155550101", "system"…) resolved to staff and customers in a few queries."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from backoffice.display import local_phone, person
from core.es_ar import first_name
from core.models import AuditEntry, Conversation, Customer, Message, User

# Who else writes besides people: the kind before the colon.
ACTOR_KINDS = {
    "system": "CampoTech (automático)",
    "whatsapp": "Por WhatsApp",
    "customer": "Un cliente",
    "afip": "AFIP",
    "mercadopago": "Mercado Pago",
    "cli": "Soporte de CampoTech (consola)",
    "seed": "Datos de ejemplo",
}


def _parts(actor: str) -> tuple[str, str]:
    kind, _, rest = (actor or "").partition(":")
    return kind, rest


def user_names(session: Session, ids: Iterable[int]) -> dict[int, str]:
    ids = {i for i in ids if isinstance(i, int) and not isinstance(i, bool)}
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())


def _whatsapp_names(session: Session, wa_ids: set[str]) -> dict[str, str]:
    """wa_id → the name of whoever writes from it: the staff member or customer its
    conversation belongs to, else a staff member or customer with that number, else the
    WhatsApp profile name."""
    if not wa_ids:
        return {}
    phones = {f"+{w}" for w in wa_ids}
    found: dict[str, str] = {}
    profiles: dict[str, str] = {}
    chats = session.execute(
        select(Conversation.wa_id, Conversation.profile_name, Customer.name, User.name)
        .outerjoin(Customer, Customer.id == Conversation.customer_id)
        .outerjoin(User, User.id == Conversation.user_id)
        .where(Conversation.wa_id.in_(wa_ids))).all()
    for wa_id, profile, customer, user in chats:
        if user or customer:
            found[wa_id] = user or customer
        elif profile:
            profiles[wa_id] = profile
    for phone, name in session.execute(select(User.phone, User.name).where(User.phone.in_(phones))).all():
        found.setdefault(phone.lstrip("+"), name)
    customers = session.execute(
        select(Customer.wa_id, Customer.phone, Customer.name)
        .where(Customer.name.is_not(None), or_(Customer.wa_id.in_(wa_ids), Customer.phone.in_(phones)))).all()
    for wa_id, phone, name in customers:
        found.setdefault(wa_id if wa_id in wa_ids else (phone or "").lstrip("+"), name)
    return {w: found.get(w) or profiles.get(w) for w in wa_ids if found.get(w) or profiles.get(w)}


def actor_names(session: Session, actors: Iterable[str]) -> dict[str, str]:
    """actor → name, for the actors that are people we know."""
    actors = set(actors)
    user_ids = {int(rest) for kind, rest in map(_parts, actors) if kind == "user" and rest.isdigit()}
    wa_ids = {rest for kind, rest in map(_parts, actors) if kind == "whatsapp" and rest}
    customer_ids = {int(rest) for kind, rest in map(_parts, actors) if kind == "customer" and rest.isdigit()}
    names = {f"user:{i}": name for i, name in user_names(session, user_ids).items()}
    names |= {f"whatsapp:{w}": name for w, name in _whatsapp_names(session, wa_ids).items()}
    if customer_ids:
        rows = session.execute(select(Customer.id, Customer.name, Customer.phone)
                               .where(Customer.id.in_(customer_ids))).all()
        names |= {f"customer:{i}": person(name, phone) for i, name, phone in rows}
    return names


def actor_label(actor: str, names: dict[str, str]) -> str:
    """The actor as staff read it: a name, else a local number, else what kind of actor it is."""
    if actor in names:
        return names[actor]
    kind, rest = _parts(actor)
    if kind == "user" and rest.isdigit():
        return f"Usuario {rest} (ya no está)"
    if kind == "whatsapp" and rest:
        return local_phone(rest)
    if kind == "customer" and rest:
        return f"Cliente {rest}"
    return ACTOR_KINDS.get(kind, actor)


STAFF_KEY = "staff:"  # how backoffice.conversations keys the replies a person typed
BOT = "Bot"


def staff_senders(session: Session, messages: Iterable[Message]) -> dict[int, str]:
    """message id → the name of the staff member who typed it, for the outbound messages a person
    sent from the back-office (the audit trail's "conversation.reply" entries name them); the
    bot's own messages are not in it."""
    typed = [m for m in messages if (m.idempotency_key or "").startswith(STAFF_KEY)]
    if not typed:
        return {}
    chats = {str(m.conversation_id) for m in typed}
    entries = session.execute(
        select(AuditEntry.actor, AuditEntry.data)
        .where(AuditEntry.action == "conversation.reply", AuditEntry.entity_type == "conversation",
               AuditEntry.entity_id.in_(chats))).all()
    by_message = {i: actor for actor, data in entries for i in (data or {}).get("message_ids") or []}
    names = actor_names(session, set(by_message.values()))
    return {m.id: actor_label(by_message[m.id], names) if m.id in by_message else "" for m in typed}


def sender_label(message: Message, staff: dict[int, str]) -> str:
    """"Roberto (persona)" for what staff typed, "Bot" for the rest we sent."""
    if message.id not in staff:
        return BOT
    return f"{first_name(staff[message.id]) or 'Alguien del equipo'} (persona)"
