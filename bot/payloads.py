"""Typed parsing of Meta WhatsApp Cloud API webhook payloads into frozen inbound updates
(`bot/updates.py`)."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from typing import Any

from bot.payload_fields import (
    INTEGER_DIGITS_MAX,
    PayloadError,
    _dict,
    _identifier,
    _list,
    _optional_list,
    _required_str,
    _short,
    _storable,
    _str,
    _timestamp,
)
from bot.updates import (
    CAPTIONED_TYPES,
    ECHOES_FIELD,
    MEDIA_TYPES,
    MESSAGES_FIELD,
    NUMBER_CHANGES,
    OBJECT,
    PROFILE_NAME_MAX,
    REACTED_TO_MAX,
    REPLY_ID_MAX,
    REVISION_TYPES,
    TYPE_MAX,
    USER_ID_MAX,
    WA_ID_MAX,
    WAMID_MAX,
    GeoPoint,
    InboundMessage,
    Media,
    SharedContact,
    StatusError,
    StatusUpdate,
    WebhookBatch,
)

log = logging.getLogger("campotech.bot.payloads")


def decode_body(body: bytes) -> object:
    """The JSON of a webhook body, or a PayloadError for what Python's json cannot read safely:
    not JSON, not UTF-8, nested past the interpreter's recursion limit. An integer too long for
    Python to convert (over 4,300 digits) reads as a float, that is as infinity, like 1e999."""
    try:
        return json.loads(body, parse_int=_integer)
    except RecursionError:
        raise PayloadError("body: nested too deep") from None
    except UnicodeDecodeError as exc:
        raise PayloadError(f"body is not UTF-8 JSON: {exc.reason} at byte {exc.start}") from None
    except json.JSONDecodeError as exc:  # its text names the position, never the content
        raise PayloadError(f"body is not JSON: {exc}") from None


def _integer(text: str) -> int | float:
    return int(text) if len(text) <= INTEGER_DIGITS_MAX else float(text)


def parse_webhook(body: object, *, strict: bool = True) -> WebhookBatch:
    """Every message and status of every change of every entry, in the order Meta sent them.

    Strict, any part that does not have Meta's shape fails the whole body. Otherwise only the
    envelope (`object`, `entry`) must be right: a bad entry, change, message or status is set
    aside in `rejected` and everything else is returned, so one odd message cannot cost the
    delivery its good ones.
    """
    body = _dict(body, "body")
    if body.get("object") != OBJECT:
        raise PayloadError(f"object: expected {OBJECT!r}, got {_short(body.get('object'))}")
    messages: list[InboundMessage] = []
    statuses: list[StatusUpdate] = []
    other: list[dict[str, Any]] = []
    rejected: list[str] = []

    for e, entry in enumerate(_list(body, "entry", "")):
        entry_path = f"entry[{e}]"
        try:
            entry = _dict(entry, entry_path)
            changes = _list(entry, "changes", entry_path)
        except PayloadError as exc:
            if strict:
                raise
            rejected.append(str(exc))
            continue
        for c, change in enumerate(changes):
            path = f"{entry_path}.changes[{c}]"
            try:
                change = _dict(change, path)
                kind = change.get("field")
                if not isinstance(kind, str) or not kind:
                    raise PayloadError(f"{path}.field: expected a string")
                value = _dict(change.get("value"), f"{path}.value", missing="value" not in change)
                if kind not in (MESSAGES_FIELD, ECHOES_FIELD):
                    other.append(change)
                    continue
                found_messages, found_statuses = _parse_messages_value(
                    value, f"{path}.value", None if strict else rejected,
                    echoes=kind == ECHOES_FIELD)
            except PayloadError as exc:
                if strict:
                    raise
                rejected.append(str(exc))
                continue
            if not found_messages and not found_statuses:
                other.append(change)  # e.g. only value.errors: nothing to store, still worth a log
            messages.extend(found_messages)
            statuses.extend(found_statuses)
    return WebhookBatch(tuple(messages), tuple(statuses), tuple(other), tuple(rejected))


def _parse_messages_value(
    value: dict[str, Any], path: str, rejected: list[str] | None = None, *, echoes: bool = False,
) -> tuple[list[InboundMessage], list[StatusUpdate]]:
    """The change's messages and statuses (or, for `echoes`, the business app's echoes); with a
    `rejected` list, a bad one is noted there and skipped instead of failing the change."""
    raw_messages = _list(value, "message_echoes" if echoes else "messages", path, required=False)
    raw_statuses = _list(value, "statuses", path, required=False)
    if not raw_messages and not raw_statuses:
        return [], []
    metadata = _dict(value.get("metadata"), f"{path}.metadata", missing="metadata" not in value)
    phone_number_id = _str(metadata, "phone_number_id")
    if not phone_number_id:
        raise PayloadError(f"{path}.metadata.phone_number_id: expected a string")
    display = _str(metadata, "display_phone_number")
    contacts = []
    for i, contact in enumerate(_list(value, "contacts", path, required=False)):
        if isinstance(contact, dict):
            contacts.append(contact)
        elif rejected is None:
            _dict(contact, f"{path}.contacts[{i}]")
        # Not strict: a contact we cannot read only costs its sender the profile name.
    messages = []
    for i, m in enumerate(raw_messages):
        where = f"{path}.{'message_echoes' if echoes else 'messages'}[{i}]"
        read = _echo if echoes else _message
        try:
            messages.append(read(_dict(m, where), where, phone_number_id, display, contacts))
        except PayloadError as exc:
            _reject(exc, rejected)
    statuses = []
    for i, s in enumerate(raw_statuses):
        where = f"{path}.statuses[{i}]"
        try:
            statuses.append(_status(_dict(s, where), where, phone_number_id))
        except PayloadError as exc:
            _reject(exc, rejected)
    return messages, statuses


def _reject(exc: PayloadError, rejected: list[str] | None) -> None:
    """Note `exc` in `rejected`, or raise it when there is no list (strict parsing)."""
    if rejected is None:
        raise exc
    rejected.append(str(exc))


def _message(
    msg: dict[str, Any], path: str, phone_number_id: str, display: str | None,
    contacts: list[dict[str, Any]],
) -> InboundMessage:
    wamid = _identifier(_required_str(msg, "id", path), WAMID_MAX, f"{path}.id")
    kind = _required_str(msg, "type", path)
    content = msg.get(kind)
    content = content if isinstance(content, dict) else {}
    if len(kind) > TYPE_MAX:
        # Not a type we know anyway: kept as "unknown", cut to its column.
        log.warning("%s.type of %d characters cut to %d", path, len(kind), TYPE_MAX)
        kind = kind[:TYPE_MAX]
    sender = _str(msg, "from")
    user_id = _str(msg, "from_user_id")
    contact = _contact_for(contacts, sender, user_id)
    if contact is not None:
        sender = sender or _str(contact, "wa_id")
        user_id = user_id or _str(contact, "user_id")
    sender = _identifier(sender, WA_ID_MAX, f"{path}.from")
    user_id = _identifier(user_id, USER_ID_MAX, f"{path}.from_user_id")
    profile = contact.get("profile") if contact is not None else None
    text, reply_id = _text_and_reply(kind, content, msg)
    context = msg.get("context")
    reaction_target = _str(content, "message_id", REACTED_TO_MAX) if kind == "reaction" else None
    revises = (_identifier(_str(content, "original_message_id"), WAMID_MAX, f"{path}.{kind}")
               if kind in REVISION_TYPES else None)
    system_type = _str(content, "type", TYPE_MAX) if kind == "system" else None
    new_wa_id = None
    if system_type in NUMBER_CHANGES:
        # Older versions name the new number `new_wa_id` (and the old one `wa_id`); newer ones
        # only `wa_id`, the new number.
        new_wa_id = _identifier(_str(content, "new_wa_id") or _str(content, "wa_id"), WA_ID_MAX,
                                f"{path}.system.wa_id")
    return InboundMessage(
        phone_number_id=phone_number_id,
        display_phone_number=display,
        wa_message_id=wamid,
        wa_id=sender,
        user_id=user_id,
        profile_name=_str(profile, "name", PROFILE_NAME_MAX) if isinstance(profile, dict) else None,
        timestamp=_timestamp(msg, path),
        type=kind,
        text=text,
        reply_id=reply_id,
        media=Media.from_payload(content) if kind in MEDIA_TYPES else None,
        location=GeoPoint.from_payload(content) if kind == "location" else None,
        context_id=_str(context, "id") if isinstance(context, dict) else None,
        reacted_to=reaction_target,
        # Meta's notes on the message (e.g. why it is "unsupported"): informative, never a reason
        # to refuse the message itself.
        errors=tuple(_storable(err) for err in _optional_list(msg.get("errors"))
                     if isinstance(err, dict)),
        raw=_storable(msg),
        revises=revises,
        system_type=system_type,
        new_wa_id=new_wa_id,
        shared_contacts=SharedContact.all_from(msg.get("contacts")) if kind == "contacts" else (),
        referral=_storable(msg["referral"]) if isinstance(msg.get("referral"), dict) else None,
    )


def _echo(
    echo: dict[str, Any], path: str, phone_number_id: str, display: str | None,
    contacts: list[dict[str, Any]],
) -> InboundMessage:
    """A message a person sent from the business's WhatsApp Business app, keyed by the customer
    it went `to` (its `from` is the business's own number)."""
    as_sent = {**echo, "from": echo.get("to"), "from_user_id": echo.get("to_user_id")}
    return replace(_message(as_sent, path, phone_number_id, display, contacts),
                   echo=True, raw=_storable(echo))


def _contact_for(
    contacts: list[dict[str, Any]], wa_id: str | None, user_id: str | None
) -> dict[str, Any] | None:
    # Meta lists one contact per sender of the change; match on either identifier because
    # username-only senders have no wa_id and numbered ones may lack a user_id.
    for contact in contacts:
        if wa_id and contact.get("wa_id") == wa_id:
            return contact
        if user_id and contact.get("user_id") == user_id:
            return contact
    return None


def _text_and_reply(
    kind: str, content: dict[str, Any], msg: dict[str, Any]
) -> tuple[str | None, str | None]:
    """What the person said as text, and the id of the button or row they chose, if any."""
    if kind == "text":
        return _str(content, "body"), None
    if kind in CAPTIONED_TYPES:
        return _str(content, "caption"), None
    if kind == "interactive":
        reply_type = _str(content, "type")
        reply = content.get(reply_type) if reply_type else None
        if not isinstance(reply, dict):
            return None, None
        if reply_type == "nfm_reply":
            return _str(reply, "body") or _str(reply, "response_json"), None
        return _str(reply, "title"), _str(reply, "id", REPLY_ID_MAX)
    if kind == "button":
        return _str(content, "text"), _str(content, "payload", REPLY_ID_MAX)
    if kind == "reaction":
        return _str(content, "emoji") or None, None  # "" means the reaction was removed
    if kind == "contacts":
        return _contacts_text(msg.get("contacts")), None
    if kind == "system":
        return _str(content, "body"), None
    if kind == "edit":
        # The message as it reads now: Meta nests it whole (a text, or a media with its caption).
        edited = content.get("message")
        if not isinstance(edited, dict):
            return None, None
        inner = _str(edited, "type")
        inner_content = edited.get(inner) if inner else None
        if not isinstance(inner_content, dict) or inner in REVISION_TYPES:
            return None, None
        return _text_and_reply(inner, inner_content, edited)
    if kind == "order":
        return _str(content, "text"), None
    return None, None


def _contacts_text(cards: object) -> str | None:
    """Shared contact cards as "Name +phone" lines, the way a person would read them aloud."""
    if not isinstance(cards, list):
        return None
    lines = []
    for card in cards:
        if not isinstance(card, dict):
            continue
        name = card.get("name")
        label = _str(name, "formatted_name") if isinstance(name, dict) else None
        numbers = []
        for phone in card.get("phones") or []:
            wa_id = _str(phone, "wa_id")
            number = _str(phone, "phone") or (f"+{wa_id}" if wa_id else None)
            if number:
                numbers.append(number)
        line = " ".join(part for part in (label, ", ".join(numbers)) if part)
        if line:
            lines.append(line)
    return "\n".join(lines) or None


def _status(status: dict[str, Any], path: str, phone_number_id: str) -> StatusUpdate:
    conversation = status.get("conversation")
    pricing = status.get("pricing")
    return StatusUpdate(
        phone_number_id=phone_number_id,
        wa_message_id=_required_str(status, "id", path),
        status=_required_str(status, "status", path),
        recipient_id=_str(status, "recipient_id"),
        timestamp=_timestamp(status, path),
        errors=tuple(
            StatusError.from_payload(_dict(err, f"{path}.errors[{i}]"), f"{path}.errors[{i}]")
            for i, err in enumerate(_list(status, "errors", path, required=False))
        ),
        conversation_id=_str(conversation, "id") if isinstance(conversation, dict) else None,
        pricing_category=_str(pricing, "category") if isinstance(pricing, dict) else None,
        raw=status,
    )
