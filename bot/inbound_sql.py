"""The two statements that store an inbound message (`bot/inbound.py`): the conversation upserted
with its sender's role, and the message inserted once per wamid.
"""

from __future__ import annotations

import functools

from sqlalchemy import bindparam, case, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from core.models import (
    Conversation,
    ConversationRole,
    DeliveryStatus,
    Direction,
    Message,
    Role,
    User,
)


@functools.cache
def statements(dialect: str):
    """The two statements of `bot.inbound._store_message`, built once per dialect (building them
    costs more than running them).

    A new sender's role comes from the staff's phones in the same statement; an existing
    conversation gets its last-inbound time moved forward (never back) and the newest name.
    """
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    conversations, users, messages = Conversation.__table__, User.__table__, Message.__table__
    role = (
        select(case(
            (users.c.role.in_([Role.OWNER.value, Role.ADMIN.value]), ConversationRole.OWNER.value),
            else_=ConversationRole.TECHNICIAN.value,
        ))
        .where(users.c.org_id == bindparam("org_id"), users.c.phone == bindparam("phone"),
               users.c.active.is_(True))
        .limit(1)
        .scalar_subquery()
    )
    upsert = insert(conversations).values(
        org_id=bindparam("org_id"), wa_id=bindparam("wa_id"), wa_user_id=bindparam("wa_user_id"),
        phone=bindparam("phone"), profile_name=bindparam("profile_name"),
        role=func.coalesce(role, ConversationRole.CUSTOMER.value),
        slots=bindparam("slots", {}, type_=conversations.c.slots.type, literal_execute=False),
        misses=0, human_takeover=False, needs_person=False,
        last_inbound_at=bindparam("seen_at", type_=conversations.c.last_inbound_at.type),
        created_at=bindparam("now", type_=conversations.c.created_at.type),
    )
    excluded = upsert.excluded
    upsert = upsert.on_conflict_do_update(
        index_elements=["org_id", "wa_id"],
        set_={
            "last_inbound_at": case(
                (or_(conversations.c.last_inbound_at.is_(None),
                     conversations.c.last_inbound_at < excluded.last_inbound_at),
                 excluded.last_inbound_at),
                else_=conversations.c.last_inbound_at,
            ),
            "profile_name": func.coalesce(excluded.profile_name, conversations.c.profile_name),
            "wa_user_id": func.coalesce(conversations.c.wa_user_id, excluded.wa_user_id),
        },
    ).returning(conversations.c.id, conversations.c.wa_id)
    add = (
        insert(messages)
        .values(
            org_id=bindparam("org_id"), conversation_id=bindparam("conversation_id"),
            direction=Direction.INBOUND, type=bindparam("type"), body=bindparam("body"),
            media_id=bindparam("media_id"), media_mime=bindparam("media_mime"),
            wa_message_id=bindparam("wa_message_id"), status=DeliveryStatus.RECEIVED,
            wa_timestamp=bindparam("wa_timestamp", type_=messages.c.wa_timestamp.type),
            raw=bindparam("raw", type_=messages.c.raw.type),
            # Parsed once here (bot.payloads): nothing after the webhook reads `raw`.
            reply_id=bindparam("reply_id", type_=messages.c.reply_id.type),
            latitude=bindparam("latitude", type_=messages.c.latitude.type),
            longitude=bindparam("longitude", type_=messages.c.longitude.type),
            place_name=bindparam("place_name", type_=messages.c.place_name.type),
            place_address=bindparam("place_address", type_=messages.c.place_address.type),
            reacted_to=bindparam("reacted_to", type_=messages.c.reacted_to.type),
            revises=bindparam("revises", type_=messages.c.revises.type),
            transcript_status=bindparam("transcript_status"), attempts=0,
            processed_at=bindparam("processed_at", type_=messages.c.processed_at.type),
            burst_id=bindparam("burst_id"),
            created_at=bindparam("now", type_=messages.c.created_at.type),
        )
        .on_conflict_do_nothing(index_elements=["wa_message_id"])
        .returning(messages.c.id)
    )
    return upsert, add
