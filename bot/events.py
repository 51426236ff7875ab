"""What Meta tells us besides messages, acted on: calls, marketing preferences, account and
template news."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime

from redis import Redis
from sqlalchemy import select

from bot.changes import AccountEvent, CallEvent, Event, PreferenceChange, TemplateEvent
from core.customers import find_by_phone
from core.db import Database
from core.es_ar import readable_phone
from core.messaging import texts
from core.messaging.conversations import conversation_with
from core.messaging.outbox import queue_replies
from core.messaging.replies import Text
from core.models import Organization
from services.alerts import notify_owners
from services.dispatch import Dispatcher

log = logging.getLogger("campotech.bot.alerts")


def on_events(
    db: Database, redis: Redis, events: list[Event], resolve: Callable[[set[str]], dict[str, int]],
) -> None:
    """Act on the webhook's other changes: a missed call reaches the owner and gets the customer
    a "te escribimos por acá"; a marketing stop or resume is kept on the customer; account
    restrictions and bans, and paused or disabled templates, alert the owner. Each at most once
    (keyed by Meta's ids), so a redelivery changes nothing."""
    numbers = {e.phone_number_id for e in events if isinstance(e, CallEvent | PreferenceChange)}
    orgs = resolve(numbers) if numbers else {}
    for event in events:
        if isinstance(event, CallEvent | PreferenceChange):
            org_id = orgs.get(event.phone_number_id)
            if org_id is None:
                log.warning("%s for unknown phone_number_id %s dropped", type(event).__name__,
                            event.phone_number_id)
            elif isinstance(event, CallEvent):
                _on_call(db, redis, org_id, event)
            else:
                _on_preference(db, org_id, event)
        elif isinstance(event, AccountEvent | TemplateEvent):
            _on_account_news(db, redis, event)


def _on_call(db: Database, redis: Redis, org_id: int, call: CallEvent) -> None:
    if not call.missed:
        log.info("call %s %s (%s) noted", call.event, call.direction, call.status or "-")
        return
    if not call.wa_id:
        log.warning("missed call without the caller's number: nobody to write to")
        return
    log.info("missed call from a customer", extra={"call": call.call_id[:40]})
    ids: list[int] = []
    with db.org_session(org_id) as session:
        conversation = conversation_with(session, call.wa_id)
        if call.profile_name and not conversation.profile_name:
            conversation.profile_name = call.profile_name
        who = conversation.profile_name or readable_phone(conversation.phone) or call.wa_id
        phone = readable_phone(conversation.phone) or call.wa_id
        if not conversation.human_takeover:  # a person is on it: the bot does not speak
            ids = queue_replies(session, conversation, [Text(texts.render("missed_call"))],
                                key=f"call:{call.call_id}"[:90])
    for message_id in ids:
        Dispatcher(redis).send(org_id, message_id)
    notify_owners(db, redis, org_id, texts.render("owner_missed_call", who=who, phone=phone),
                  key=f"call-owner:{call.call_id}"[:80])


def _on_preference(db: Database, org_id: int, change: PreferenceChange) -> None:
    if change.category != "marketing_messages":
        log.info("user preference %s=%s not acted on", change.category, change.value)
        return
    with db.org_session(org_id) as session:
        customer = find_by_phone(session, change.wa_id)
        if customer is None:
            log.info("marketing %s from a number that is not a customer yet: not kept", change.value)
            return
        at = change.at
        if customer.marketing_opt_out_at is not None and _aware(customer.marketing_opt_out_at) > at:
            return  # an older change arriving late never undoes a newer one
        customer.marketing_opt_out = change.value == "stop"
        customer.marketing_opt_out_at = at
    log.info("customer marketing preference: %s", change.value, extra={"customer": customer.id})


def _on_account_news(db: Database, redis: Redis, event: AccountEvent | TemplateEvent) -> None:
    if not event.alerts_owner:
        log.info("WhatsApp %s %s noted", type(event).__name__, event.event)
        return
    org_ids = _account_orgs(db, event.phone_number if isinstance(event, AccountEvent) else None)
    if not org_ids:
        log.error("WhatsApp %s %s for an account no organization can be matched to",
                  type(event).__name__, event.event)
        return
    log.error("WhatsApp %s %s: alerting the owner", type(event).__name__, event.event)
    for org_id in org_ids:
        with db.org_session(org_id) as session:
            org_name = session.get(Organization, org_id).name
        if isinstance(event, AccountEvent):
            text = texts.render("owner_account_alert", org_name=org_name, event=event.event,
                                restrictions=_restrictions(event), ban=_ban_state(event),
                                violation=_violation(event))
            key = f"account:{event.event}:{_fingerprint(event.details)}"
        else:
            text = texts.render("owner_template_alert", name=event.name, event=event.event,
                                kind=event.kind, reason=event.reason)
            key = f"template:{event.name[:40]}:{event.kind}:{event.event}:{int(time.time() // 3600)}"
        notify_owners(db, redis, org_id, text, key=key[:80])


def _account_orgs(db: Database, phone_number: str | None) -> list[int]:
    """Which organization an account-level change is about: the one whose number Meta names;
    without a number (or one no organization wrote down), the only organization with WhatsApp
    connected (an account change of a
    platform serving many cannot be guessed: it is logged for the operators instead)."""
    with db.system_session() as session:
        rows = session.execute(
            select(Organization.id, Organization.wa_display_phone)
            .where(Organization.wa_phone_number_id.is_not(None))
        ).all()
    if phone_number:
        digits = re.sub(r"\D", "", phone_number)
        named = [org_id for org_id, display in rows
                 if display and re.sub(r"\D", "", display) == digits]
        if named:
            return named
    return [rows[0][0]] if len(rows) == 1 else []


RESTRICTIONS = {
    "RESTRICTED_BIZ_INITIATED_MESSAGING": "no podés iniciar conversaciones (recordatorios, avisos)",
    "RESTRICTED_CUSTOMER_INITIATED_MESSAGING": "no podés responder a los clientes",
    "RESTRICTED_ADD_PHONE_NUMBER_ACTION": "no podés agregar números",
}


def _restrictions(event: AccountEvent) -> list[str]:
    return [RESTRICTIONS.get(str(r.get("restriction_type")), str(r.get("restriction_type")))
            for r in event.details.get("restriction_info") or [] if isinstance(r, dict)]


def _ban_state(event: AccountEvent) -> str | None:
    ban = event.details.get("ban_info")
    return str(ban.get("waba_ban_state")) if isinstance(ban, dict) else None


def _violation(event: AccountEvent) -> str | None:
    info = event.details.get("violation_info")
    return str(info.get("violation_type")) if isinstance(info, dict) else None


def _fingerprint(details: dict) -> str:
    """The same news twice (a redelivery) alerts once; a new restriction alerts again."""
    return hashlib.sha256(json.dumps(details, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
