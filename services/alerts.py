"""Telling the owner when the bot is in trouble, and counting what went out."""

from __future__ import annotations

import logging
import time

from redis import Redis
from sqlalchemy import select

from core.db import Database
from core.messaging import texts
from core.messaging.outbox import queue_replies
from core.messaging.replies import Text
from core.models import Conversation, ConversationRole, Organization, Role, User
from core.phones import wa_id_for
from core.settings import Settings
from services.dispatch import Dispatcher

log = logging.getLogger("campotech.bot.alerts")


def notify_owners(db: Database, redis: Redis, org_id: int, text: str, *, key: str) -> list[int]:
    """Queue `text` to every active owner with a phone, once per `key`."""
    with db.org_session(org_id) as session:
        owners = list(session.scalars(
            select(User).where(User.role == Role.OWNER, User.active.is_(True), User.phone.is_not(None))
        ))
        ids: list[int] = []
        for owner in owners:
            wa_id = wa_id_for(owner.phone)
            conversation = session.scalar(select(Conversation).where(Conversation.wa_id == wa_id))
            if conversation is None:
                conversation = Conversation(
                    wa_id=wa_id, phone=owner.phone, role=ConversationRole.OWNER, user_id=owner.id, slots={}
                )
                session.add(conversation)
                session.flush()
            ids += queue_replies(session, conversation, [Text(text)], key=f"{key}:{owner.id}")
    dispatch = Dispatcher(redis)
    for message_id in ids:
        dispatch.send(org_id, message_id)
    return ids


def panic_changed(db: Database, redis: Redis, settings: Settings, org_id: int, change: str | None) -> None:
    if change is None:
        return
    with db.org_session(org_id) as session:
        org_name = session.get(Organization, org_id).name
    stamp = int(time.time())
    if change == "on":
        log.error("panic mode ON for organization %s", org_id)
        reason = "fallan los envíos o el procesamiento de mensajes"
        notify_owners(db, redis, org_id, texts.render("panic_owner_alert", org_name=org_name, reason=reason),
                      key=f"panic-on:{stamp}")
    else:
        log.warning("panic mode OFF for organization %s", org_id)
        notify_owners(db, redis, org_id, texts.render("panic_owner_clear", org_name=org_name),
                      key=f"panic-off:{stamp}")
