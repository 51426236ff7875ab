"""Staff taking a WhatsApp conversation over from the bot, and handing it back.

While `human_takeover` is set, every inbound message is stored and shown to staff but the bot
says nothing (services/answer_burst.py holds the burst). Handing back clears it with the flow the
person was in, so the bot starts fresh on their next message instead of resuming a question
asked before the person stepped in. Both moves are audited; the back-office calls these.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from core import audit
from core.customers import find_by_phone as find_customer
from core.errors import NotFound, ValidationFailed
from core.identity.users import find_by_phone
from core.models import (
    Conversation,
    ConversationRole,
    Customer,
    DeliveryStatus,
    Direction,
    Message,
    Role,
    User,
    utcnow,
)
from core.phones import normalize_phone

log = logging.getLogger("campotech.core.conversations")

# The burst id of an inbound message stored too old to answer (bot.inbound_store): never answered.
STALE_BURST = "stale"

STAFF_ROLES = {Role.OWNER: ConversationRole.OWNER, Role.ADMIN: ConversationRole.OWNER,
               Role.TECHNICIAN: ConversationRole.TECHNICIAN}


def _get(session: Session, conversation_id: int) -> Conversation:
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        raise NotFound(f"No existe la conversación {conversation_id}.")
    return conversation


def take_over(session: Session, conversation_id: int, actor: str) -> Conversation:
    """A person answers from now on; the bot stays silent in this conversation."""
    conversation = _get(session, conversation_id)
    if not conversation.human_takeover:
        conversation.human_takeover = True
        conversation.needs_person = False  # someone has it
        conversation.updated_at = utcnow()
        audit.record(session, actor=actor, action="conversation.take_over",
                     entity_type="conversation", entity_id=conversation.id)
    return conversation


BUSINESS_APP_ACTOR = "whatsapp:business_app"  # a person on the business's WhatsApp Business app


def taken_over_from_app(session: Session, conversation: Conversation) -> Conversation:
    """A person answered from the business's own WhatsApp Business app (an echo): that is a
    take-over, so the bot does not talk over them, until staff hand the conversation back."""
    if not conversation.human_takeover:
        return take_over(session, conversation.id, BUSINESS_APP_ACTOR)
    return conversation


AFTER_PERSON = "after_person"  # flows/handover.py reads it: a "gracias" is not a miss
AFTER_PERSON_FOR = timedelta(hours=6)


def hand_back(session: Session, conversation_id: int, actor: str) -> Conversation:
    """The bot answers again, from a clean slate (but a "gracias" to the person who answered
    is acknowledged, not met with "no te entendí")."""
    conversation = _get(session, conversation_id)
    if conversation.human_takeover or conversation.needs_person:
        now = utcnow()
        conversation.human_takeover = False
        conversation.needs_person = False
        conversation.flow, conversation.state = AFTER_PERSON, None
        conversation.slots = {}
        conversation.misses = 0
        conversation.expires_at = now + AFTER_PERSON_FOR
        conversation.updated_at = now
        audit.record(session, actor=actor, action="conversation.hand_back",
                     entity_type="conversation", entity_id=conversation.id)
    return conversation


def reopen_unanswered(session: Session, conversation_id: int) -> int:
    """After a hand-back, what the customer wrote after the person's last reply is answered by
    the bot: those messages go back to unprocessed (the caller schedules a burst). How many."""
    last_out = session.scalar(select(func.max(Message.id)).where(
        Message.conversation_id == conversation_id, Message.direction == Direction.OUTBOUND))
    return session.execute(
        update(Message).where(
            Message.conversation_id == conversation_id, Message.direction == Direction.INBOUND,
            Message.id > (last_out or 0), Message.processed_at.is_not(None),
            # never what was set aside: too old to answer, or a dead letter
            Message.burst_id.is_distinct_from(STALE_BURST), Message.status != DeliveryStatus.FAILED,
        ).values(processed_at=None, burst_id=None)
    ).rowcount


# ---- who is writing --------------------------------------------------------------------------

def staff_for_phone(session: Session, phone: str | None) -> User | None:
    """The active staff member (owner, admin or technician) with this number, if any."""
    if not phone:
        return None
    try:
        user = find_by_phone(session, phone)
    except ValidationFailed:
        return None
    return user if user is not None and user.role in STAFF_ROLES else None


def role_for_phone(session: Session, phone: str | None) -> tuple[ConversationRole, User | None]:
    """Who a number belongs to, decided from the team's phones: staff first, else a customer."""
    user = staff_for_phone(session, phone)
    if user is None:
        return ConversationRole.CUSTOMER, None
    return STAFF_ROLES[user.role], user


def refresh_role(session: Session, conversation: Conversation) -> ConversationRole:
    """Decide the sender's role from their phone, on every burst.

    A conversation may have been opened by us (an emergency alert to the owner, a reminder, a
    notice to a technician) or before the person joined the team: whatever it was, an owner
    stays an owner and a technician a technician, and someone who left the team is a customer
    again. A change of role drops the flow in progress: it belonged to the other side.
    """
    role, user = role_for_phone(session, conversation.phone or conversation.wa_id)
    if conversation.role is not role:
        conversation.role = role
        conversation.flow = conversation.state = None
        conversation.slots = {}
        conversation.expires_at = None
        conversation.misses = 0
    conversation.user_id = user.id if user is not None else None
    return role


def conversation_with(session: Session, wa_id: str) -> Conversation:
    """The conversation with this WhatsApp id, started by us (with the right role) if they
    never wrote."""
    conversation = session.scalar(select(Conversation).where(Conversation.wa_id == wa_id))
    if conversation is None:
        try:
            phone = normalize_phone(wa_id)
        except ValidationFailed:
            phone = None
        role, user = role_for_phone(session, phone)
        conversation = Conversation(wa_id=wa_id, phone=phone, role=role,
                                    user_id=user.id if user else None, slots={})
        session.add(conversation)
        session.flush()
    return conversation


def move_to_number(session: Session, conversation: Conversation, new_wa_id: str) -> Conversation:
    """The customer changed their WhatsApp number: the conversation (its messages merged into
    the new number's own, when they already wrote from it) and their customer record follow.
    The conversation that now holds them."""
    try:
        new_phone = normalize_phone(new_wa_id)
    except ValidationFailed:
        new_phone = None
    customer = (session.get(Customer, conversation.customer_id) if conversation.customer_id
                else find_customer(session, conversation.phone) if conversation.phone else None)
    kept = session.scalar(select(Conversation).where(
        Conversation.wa_id == new_wa_id, Conversation.id != conversation.id))
    if kept is None:
        conversation.wa_id, conversation.phone = new_wa_id, new_phone
        kept = conversation
    else:
        session.execute(update(Message).where(Message.conversation_id == conversation.id)
                        .values(conversation_id=kept.id))
        kept.customer_id = kept.customer_id or conversation.customer_id
        # The old number's conversation stays (staff cannot delete, nor can the app's role),
        # empty and unlinked: whoever writes from that number next is someone else.
        session.expire(conversation, ["messages"])
        conversation.customer_id = None
        conversation.flow = conversation.state = None
        conversation.slots = {}
    kept.updated_at = utcnow()
    if customer is not None and new_phone is not None:
        taken = session.scalar(select(Customer.id).where(
            Customer.phone == new_phone, Customer.id != customer.id))
        if taken is None:
            customer.phone, customer.wa_id = new_phone, new_wa_id
            kept.customer_id = kept.customer_id or customer.id
        else:
            log.warning("customer %s changed number to one customer %s has: not moved",
                        customer.id, taken)
    session.flush()
    return kept
