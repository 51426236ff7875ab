"""Typed parsing of the webhook's other changes: calls, user preferences, account and templates.

`bot.payloads` keeps every change that is not a message or a status in `other_changes`; this
module turns the kinds we act on into frozen events, once, at the edge (the rest is logged by
the caller). Shapes from Meta's webhook reference: `calls`, `user_preferences`,
`account_update`, `message_template_status_update`, `message_template_quality_update`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.payload_fields import _optional_list, _storable, _str
from bot.updates import PROFILE_NAME_MAX, WA_ID_MAX

log = logging.getLogger("campotech.bot.changes")

# Account events the owner must hear about: the number cannot send, is banned, or was flagged.
ACCOUNT_ALERTS = frozenset({
    "ACCOUNT_RESTRICTION", "ACCOUNT_VIOLATION", "DISABLED_UPDATE", "ACCOUNT_DELETED",
    "ACCOUNT_OFFBOARDED", "PARTNER_REMOVED",
})
# Template news the owner must hear about: a template we send stops working or may soon.
TEMPLATE_ALERTS = frozenset({"PAUSED", "DISABLED", "REJECTED", "FLAGGED", "PENDING_DELETION",
                             "DELETED", "REINSTATED"})
QUALITY_ALERTS = frozenset({"YELLOW", "RED"})


@dataclass(frozen=True)
class CallEvent:
    """A WhatsApp call to or from the business number (`calls`)."""

    phone_number_id: str
    call_id: str
    wa_id: str | None  # the customer's number
    profile_name: str | None
    event: str  # connect, terminate
    direction: str  # USER_INITIATED, BUSINESS_INITIATED
    status: str | None  # on terminate: COMPLETED, FAILED, ...
    duration: int | None

    @property
    def missed(self) -> bool:
        """A customer called and nobody talked: the business never answers WhatsApp calls
        through us, so every call a customer ends without a conversation is a missed one."""
        return (self.direction == "USER_INITIATED" and self.event == "terminate"
                and not (self.status == "COMPLETED" and (self.duration or 0) > 0))


@dataclass(frozen=True)
class PreferenceChange:
    """A customer stopped or resumed marketing messages (`user_preferences`)."""

    phone_number_id: str
    wa_id: str
    category: str
    value: str  # stop, resume
    at: datetime


@dataclass(frozen=True)
class AccountEvent:
    """News about the WhatsApp Business Account (`account_update`)."""

    phone_number: str | None  # the number concerned, when Meta names one
    event: str
    details: dict[str, Any] = field(repr=False)

    @property
    def alerts_owner(self) -> bool:
        return self.event in ACCOUNT_ALERTS


@dataclass(frozen=True)
class TemplateEvent:
    """A message template's review status or quality changed."""

    name: str
    language: str | None
    event: str  # the new status (PAUSED, DISABLED, ...) or quality (GREEN, YELLOW, RED)
    kind: str  # status, quality
    reason: str | None

    @property
    def alerts_owner(self) -> bool:
        return self.event in (TEMPLATE_ALERTS if self.kind == "status" else QUALITY_ALERTS)


Event = CallEvent | PreferenceChange | AccountEvent | TemplateEvent


def parse_events(changes: tuple[dict[str, Any], ...] | list[dict[str, Any]]) -> list[Event]:
    """The events of the changes we act on; any other change, or one we cannot read, is logged
    (with its field and event name only: never the customer's data) and left out."""
    events: list[Event] = []
    for change in changes:
        kind = change.get("field")
        value = change.get("value") if isinstance(change.get("value"), dict) else {}
        found: list[Event] = []
        if kind == "calls":
            found = _calls(value)
        elif kind == "user_preferences":
            found = _preferences(value)
        elif kind == "account_update":
            found = _account(value)
        elif kind in ("message_template_status_update", "message_template_quality_update"):
            found = _template(value, kind)
        if not found:
            log.warning("webhook change %s (%s) not acted on", _short(kind), _short(_str(value, "event")),
                        extra={"field": kind})
        events += found
    return events


def _phone_number_id(value: dict[str, Any]) -> str | None:
    metadata = value.get("metadata")
    return _str(metadata, "phone_number_id") if isinstance(metadata, dict) else None


def _calls(value: dict[str, Any]) -> list[Event]:
    number = _phone_number_id(value)
    if not number:
        return []
    names = {_str(c, "wa_id"): _str(c.get("profile"), "name", PROFILE_NAME_MAX)
             for c in _optional_list(value.get("contacts")) if isinstance(c, dict)}
    calls: list[Event] = []
    for call in _optional_list(value.get("calls")):
        call_id, event = _str(call, "id", 128), _str(call, "event", 24)
        if not call_id or not event:
            continue
        direction = _str(call, "direction", 24) or ""
        customer = _str(call, "from" if direction == "USER_INITIATED" else "to", WA_ID_MAX)
        duration = call.get("duration")
        calls.append(CallEvent(
            phone_number_id=number, call_id=call_id, wa_id=customer,
            profile_name=names.get(customer), event=event, direction=direction,
            status=_str(call, "status", 24),
            duration=duration if isinstance(duration, int) and not isinstance(duration, bool) else None,
        ))
    return calls


def _preferences(value: dict[str, Any]) -> list[Event]:
    number = _phone_number_id(value)
    if not number:
        return []
    contacts = [c for c in _optional_list(value.get("contacts")) if isinstance(c, dict)]
    found: list[Event] = []
    for pref in _optional_list(value.get("user_preferences")):
        # Older payloads name the customer only in `contacts`.
        wa_id = _str(pref, "wa_id", WA_ID_MAX) or (
            _str(contacts[0], "wa_id", WA_ID_MAX) if len(contacts) == 1 else None)
        category, choice = _str(pref, "category", 40), _str(pref, "value", 24)
        if not wa_id or not category or choice not in ("stop", "resume"):
            continue
        stamp = pref.get("timestamp")
        try:
            at = datetime.fromtimestamp(float(stamp), tz=UTC)
        except (TypeError, ValueError, OverflowError, OSError):
            at = datetime.now(UTC)
        found.append(PreferenceChange(number, wa_id, category, choice, at))
    return found


def _account(value: dict[str, Any]) -> list[Event]:
    event = _str(value, "event", 80)
    if not event:
        return []
    details = {k: _storable(v) for k, v in value.items()
               if k in ("restriction_info", "ban_info", "violation_info", "disconnection_info")}
    return [AccountEvent(_str(value, "phone_number", WA_ID_MAX), event, details)]


def _template(value: dict[str, Any], kind: str) -> list[Event]:
    name = _str(value, "message_template_name", 512)
    if kind == "message_template_status_update":
        event, what, reason = _str(value, "event", 40), "status", _str(value, "reason", 200)
    else:
        event, what, reason = _str(value, "new_quality_score", 40), "quality", None
    if not name or not event:
        return []
    return [TemplateEvent(name, _str(value, "message_template_language", 20), event,
                          what, reason if reason and reason.upper() != "NONE" else None)]


def _short(value: object) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text[:60]
