"""Typed parsing of Meta WhatsApp Cloud API webhook payloads into frozen inbound updates."""

from __future__ import annotations

import json
import logging
import math
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "PLACE_ADDRESS_MAX", "PLACE_NAME_MAX", "REACTED_TO_MAX", "READABLE_TYPES", "REPLY_ID_MAX",
    "STATUS_ORDER", "GeoPoint", "InboundMessage", "Media", "PayloadError", "SharedContact",
    "StatusError", "StatusUpdate", "WebhookBatch", "decode_body", "parse_webhook",
    "status_advances", "unreadable",
]

log = logging.getLogger("campotech.bot.payloads")

OBJECT = "whatsapp_business_account"
MESSAGES_FIELD = "messages"
# What a person typed on the business's own WhatsApp Business app (coexistence): the same
# message shapes, under `message_echoes`, with `from` the business and `to` the customer.
ECHOES_FIELD = "smb_message_echoes"
# `edit` and `revoke` point at the message they change; `system` says the number changed.
REVISION_TYPES = frozenset({"edit", "revoke"})
NUMBER_CHANGES = frozenset({"customer_changed_number", "user_changed_number"})
MEDIA_TYPES = frozenset({"audio", "image", "document", "video", "sticker"})
# Kinds the bot can read. Anything else (`unsupported`, `order`, a kind newer than this code)
# is stored, logged and answered with "no lo puedo leer" (see `unreadable`).
READABLE_TYPES = frozenset({
    "text", "audio", "image", "document", "video", "sticker", "location", "contacts",
    "interactive", "button", "reaction", "system", "edit", "revoke", "request_welcome",
})
CAPTIONED_TYPES = frozenset({"image", "video", "document"})

# Longest value kept for each typed field: the size of its column in `messages` (and
# `conversations`). Free text is cut to fit; an identifier that does not fit is refused, because
# a cut one would name something else (two long wamids sharing a prefix would be one message).
REPLY_ID_MAX = 256
PLACE_NAME_MAX = 256
PLACE_ADDRESS_MAX = 512
REACTED_TO_MAX = 128
WAMID_MAX = 128
TYPE_MAX = 24
MEDIA_ID_MAX = 80
MIME_MAX = 80
PROFILE_NAME_MAX = 120
WA_ID_MAX = 64
USER_ID_MAX = 64 - len("user:")  # username-only senders are keyed "user:<id>" (64 characters)
# Python refuses to convert longer integers (sys.get_int_max_str_digits() is 4,300).
INTEGER_DIGITS_MAX = 4000
# `raw` keeps this many levels of nesting; Meta's own payloads use fewer than ten.
RAW_DEPTH_MAX = 32

# Half of a surrogate pair: valid in JSON (a lone \ud800 escape), unencodable by every driver.
_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")

# Rank of each delivery status; "failed" is handled apart because it is terminal, not a rank.
STATUS_ORDER: dict[str, int] = {"queued": 0, "sent": 1, "delivered": 2, "read": 3, "played": 4}
FAILED = "failed"


class PayloadError(ValueError):
    """The body does not have the shape Meta documents; the webhook answers 400 with this text."""


@dataclass(frozen=True)
class Media:
    id: str
    mime_type: str | None
    sha256: str | None
    filename: str | None
    caption: str | None
    voice: bool  # an audio recorded in the chat (push-to-talk), not a forwarded audio file

    @classmethod
    def from_payload(cls, content: dict[str, Any]) -> Media | None:
        # A media object without an id cannot be downloaded; the message still counts.
        media_id = _str(content, "id")
        if media_id is None:
            return None
        if len(media_id) > MEDIA_ID_MAX:
            log.warning("media id of %d characters dropped (at most %d): it cannot be downloaded",
                        len(media_id), MEDIA_ID_MAX)
            return None
        return cls(
            id=media_id,
            mime_type=_str(content, "mime_type", MIME_MAX),
            sha256=_str(content, "sha256") or None,  # the sandbox sends "" for "not computed"
            filename=_str(content, "filename"),
            caption=_str(content, "caption"),
            voice=content.get("voice") is True,
        )


@dataclass(frozen=True)
class GeoPoint:
    latitude: float
    longitude: float
    name: str | None
    address: str | None
    url: str | None

    @classmethod
    def from_payload(cls, content: dict[str, Any]) -> GeoPoint | None:
        # A pin off the globe is no pin: the message is kept, the flows just do not get a place.
        latitude, longitude = _float(content.get("latitude")), _float(content.get("longitude"))
        if latitude is None or longitude is None or abs(latitude) > 90 or abs(longitude) > 180:
            return None
        return cls(
            latitude=latitude,
            longitude=longitude,
            name=_str(content, "name", PLACE_NAME_MAX),
            address=_str(content, "address", PLACE_ADDRESS_MAX),
            url=_str(content, "url"),
        )


@dataclass(frozen=True)
class SharedContact:
    """One contact card a person shared: a name and the first phone on it."""

    name: str | None
    phone: str | None

    @classmethod
    def all_from(cls, cards: object) -> tuple[SharedContact, ...]:
        found = []
        for card in _optional_list(cards):
            if not isinstance(card, dict):
                continue
            name = card.get("name")
            label = _str(name, "formatted_name", PROFILE_NAME_MAX) if isinstance(name, dict) else None
            phone = None
            for entry in _optional_list(card.get("phones")):
                wa_id = _str(entry, "wa_id", WA_ID_MAX)
                phone = _str(entry, "phone", WA_ID_MAX) or (f"+{wa_id}" if wa_id else None)
                if phone:
                    break
            if label or phone:
                found.append(cls(label, phone))
        return tuple(found)


@dataclass(frozen=True)
class InboundMessage:
    phone_number_id: str
    display_phone_number: str | None
    wa_message_id: str
    wa_id: str | None  # None for senders known only by a WhatsApp username
    user_id: str | None
    profile_name: str | None
    timestamp: datetime
    type: str
    text: str | None
    reply_id: str | None  # the tapped button's or list row's id, or a template button's payload
    media: Media | None
    location: GeoPoint | None
    context_id: str | None
    reacted_to: str | None  # the wamid a reaction points at
    errors: tuple[dict[str, Any], ...]
    # The message as Meta sent it, made storable (see _storable): for audit and debugging only.
    raw: dict[str, Any] = field(repr=False)
    # An `edit` or `revoke`: the wamid of the message it edits or deletes.
    revises: str | None = None
    # An echo (ECHOES_FIELD): a person wrote this to `wa_id` from the business's own app.
    echo: bool = False
    # A `system` message: its kind ("customer_changed_number", ...) and, for a number change,
    # the customer's new WhatsApp id.
    system_type: str | None = None
    new_wa_id: str | None = None
    # A `contacts` message: the shared cards, typed (the text above reads them aloud for staff).
    shared_contacts: tuple[SharedContact, ...] = ()
    # The Click-to-WhatsApp ad (or post) the person tapped to write this message, storable.
    referral: dict[str, Any] | None = None


@dataclass(frozen=True)
class StatusError:
    code: int
    title: str
    message: str | None
    details: str | None

    @classmethod
    def from_payload(cls, error: dict[str, Any], path: str) -> StatusError:
        code = error.get("code")
        if isinstance(code, str) and code.strip().isdigit():
            code = int(code)
        if not isinstance(code, int) or isinstance(code, bool):
            raise PayloadError(f"{path}.code: expected an integer")
        error_data = error.get("error_data")
        details = _str(error_data, "details") if isinstance(error_data, dict) else None
        return cls(
            code=code,
            title=_str(error, "title") or "",
            message=_str(error, "message"),
            details=details,
        )


@dataclass(frozen=True)
class StatusUpdate:
    phone_number_id: str
    wa_message_id: str
    status: str
    recipient_id: str | None
    timestamp: datetime
    errors: tuple[StatusError, ...]
    conversation_id: str | None
    pricing_category: str | None
    raw: dict[str, Any] = field(repr=False)


@dataclass(frozen=True)
class WebhookBatch:
    messages: tuple[InboundMessage, ...]
    statuses: tuple[StatusUpdate, ...]
    # Changes we do not model (account updates, template reviews, value-level errors): kept so
    # a caller can log them, never a reason to refuse the whole delivery.
    other_changes: tuple[dict[str, Any], ...]
    # What `parse_webhook(..., strict=False)` set aside: one "path: reason" per refused entry,
    # change, message or status. The rest of the delivery is still good.
    rejected: tuple[str, ...] = ()


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


def unreadable(kind: str, *, text: str | None, reply_id: str | None, has_errors: bool) -> bool:
    """A message we cannot read: a kind we do not handle (unsupported, a catalog order, a kind
    newer than this code), one Meta flags with errors and no content, or an interactive reply
    that came without its content (Meta then puts the error on the change)."""
    if kind not in READABLE_TYPES:
        return True
    if kind == "interactive":
        return not text and not reply_id
    return has_errors and not text and kind not in ("reaction", "system", "edit", "revoke",
                                                    "request_welcome", "location", "audio")


def status_advances(current: str | None, new: str) -> bool:
    """Whether `new` should replace `current`: statuses arrive out of order and never go back."""
    if current == FAILED:
        return False
    current_rank = STATUS_ORDER.get(current, -1) if current is not None else -1
    if new == FAILED:
        # A failure after a delivery is Meta's noise about a message the person already has.
        return current_rank < STATUS_ORDER["delivered"]
    if new not in STATUS_ORDER:
        return False
    return STATUS_ORDER[new] > current_rank


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


def _timestamp(obj: dict[str, Any], path: str) -> datetime:
    # Meta sends Unix seconds as a string ("1700000000"); accept a number too.
    value = obj.get("timestamp")
    seconds: float | None = None
    if isinstance(value, str):
        try:
            seconds = float(value.strip())
        except ValueError:
            seconds = None
    elif isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    if seconds is None or not math.isfinite(seconds):
        raise PayloadError(f"{path}.timestamp: expected Unix seconds, got {_short(value)}")
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise PayloadError(f"{path}.timestamp: out of range") from exc


def _dict(value: object, path: str, *, missing: bool = False) -> dict[str, Any]:
    if missing:
        raise PayloadError(f"{path}: missing")
    if not isinstance(value, dict):
        raise PayloadError(f"{path}: expected an object, got {_kind(value)}")
    return value


def _list(obj: dict[str, Any], key: str, path: str, *, required: bool = True) -> list[Any]:
    where = f"{path}.{key}" if path else key
    if key not in obj:
        if required:
            raise PayloadError(f"{where}: missing")
        return []
    value = obj[key]
    if value is None and not required:
        return []
    if not isinstance(value, list):
        raise PayloadError(f"{where}: expected a list, got {_kind(value)}")
    return value


def _optional_list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _required_str(obj: dict[str, Any], key: str, path: str) -> str:
    value = obj.get(key)
    value = _clean(value) if isinstance(value, str) else value
    if not isinstance(value, str) or not value:
        reason = "missing" if key not in obj else f"expected a non-empty string, got {_short(value)}"
        raise PayloadError(f"{path}.{key}: {reason}")
    return value


def _identifier(value: str | None, limit: int, path: str) -> str | None:
    """An id as given, or a PayloadError when it is longer than its column: never cut."""
    if value is not None and len(value) > limit:
        raise PayloadError(f"{path}: longer than {limit} characters ({len(value)})")
    return value


def _str(obj: object, key: str, limit: int | None = None) -> str | None:
    # Optional text fields: anything that is not a string is treated as absent, not as an error,
    # because a 400 makes Meta redeliver (and us drop) every other message of the batch.
    value = obj.get(key) if isinstance(obj, dict) else None
    if not isinstance(value, str):
        return None
    value = _clean(value)
    return value[:limit] if limit is not None else value


def _clean(text: str) -> str:
    """Text every database takes: PostgreSQL refuses NUL, and no driver encodes a lone surrogate."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    if not text.isascii():
        text = _LONE_SURROGATE.sub("\ufffd", text)
    return text


def _storable(value: Any, depth: int = 0) -> Any:
    """A copy of a parsed JSON value that jsonb accepts: clean strings, numbers JSON cannot
    write (1e999 parses as inf) kept as their text, and nothing nested deeper than
    RAW_DEPTH_MAX (no recursion limit on the way to the database), so one odd field cannot
    refuse the batch."""
    if isinstance(value, str):
        return _clean(value)
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, dict | list) and depth >= RAW_DEPTH_MAX:
        return "(nested too deep)"
    if isinstance(value, dict):
        return {_clean(str(k)): _storable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_storable(v, depth + 1) for v in value]
    return value


def _float(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | str):
        try:
            number = float(value)
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def _kind(value: object) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
             int: "a number", float: "a number", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def _short(value: object) -> str:
    # Error texts go back to the sender and into logs: never echo a large value.
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
