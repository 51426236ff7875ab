"""Typed inbound updates, frozen: what a webhook delivery holds once parsed (messages, statuses),
the bounds of every stored field, and the small rules read off them."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.payload_fields import PayloadError, _float, _optional_list, _str

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

# Rank of each delivery status; "failed" is handled apart because it is terminal, not a rank.
STATUS_ORDER: dict[str, int] = {"queued": 0, "sent": 1, "delivered": 2, "read": 3, "played": 4}
FAILED = "failed"


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
