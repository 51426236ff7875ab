"""Typed button and list-row ids: encoded and decoded here, nowhere else.

Every button the bot offers carries an id that comes back when the person taps it. Each kind of
id is a small frozen dataclass with a `prefix` (like pywa's `CallbackData`): `encode()` writes
it, `decode()` reads any id into the right kind (or None for an id we never made). The flows
build buttons with `ServiceTap("gas").encode()` and match taps with `isinstance`, so a typo in
an id is an error in one place, not a silent miss in three.

Wire formats (kept stable: ids already sent to customers must still work when tapped):

    menu:<choice>                         MenuTap         new_job, status, human
    service:<service>                     ServiceTap      an NLU service
    address:<choice>                      AddressTap      same, second, other
    slot:<technician id>:<iso start>      SlotTap         a visit offered while booking
    booking:<choice>                      BookingTap      confirm, change
    resched:slot:<technician id>:<iso>    RescheduleTap   a new visit for a booked job
    resched:<yes|no>                      RescheduleTap   (decision)
    cancel:<yes|no>                       CancelTap
    rate:<job id>:<1-5>                   RateTap
    job:<job id>:<action>[:<eta>]         JobActionTap    on_the_way, arrived, done, cannot
    done:<confirm|cancel>:<job id>        DoneTap
    ask:<intent>                          ClarifyTap      what they meant, when the bot asked
    closed:<YYYY-MM-DD>[:<YYYY-MM-DD>]    ClosedDayTap    tell the customers booked on closed days
    move:<job id>[:<iso start>]           MoveTap         the owner moving a visit onto another
"""

from __future__ import annotations

import re
from dataclasses import astuple, dataclass, fields
from typing import ClassVar

MAX_ID = 256  # WhatsApp's limit for a reply id


@dataclass(frozen=True)
class CallbackData:
    """Base of every typed id: `prefix` names the kind, `pattern` reads it back.

    The default wire format is the prefix and the fields, in order, joined by ":" (a field
    that is None is left out); `pattern` has one group per field. Fields typed `int` are read
    back as ints.
    """

    prefix: ClassVar[str]
    pattern: ClassVar[re.Pattern[str]]

    def encode(self) -> str:
        return ":".join([self.prefix, *(str(v) for v in astuple(self) if v is not None)])

    @classmethod
    def parse(cls, raw: str) -> CallbackData | None:
        m = cls.pattern.match(raw)
        if m is None:
            return None
        values = [None if g is None else int(g) if f.type in ("int", "int | None") else g
                  for f, g in zip(fields(cls), m.groups(), strict=True)]
        # every number in an id we made is a database id: one past the column is not ours
        if any(isinstance(v, int) and v > MAX_DB_INT for v in values):
            return None
        return cls(*values)


MAX_DB_INT = 2**31 - 1  # PostgreSQL's integer


def _choices(prefix: str, *choices: str) -> re.Pattern[str]:
    return re.compile(rf"^{prefix}:({'|'.join(choices)})$")


@dataclass(frozen=True)
class MenuTap(CallbackData):
    choice: str  # new_job, status, human
    prefix = "menu"
    pattern = _choices(prefix, "new_job", "status", "human")


@dataclass(frozen=True)
class AddressTap(CallbackData):
    choice: str  # same (the first address on file), second (the second one), other
    prefix = "address"
    pattern = _choices(prefix, "same", "second", "other")


@dataclass(frozen=True)
class BookingTap(CallbackData):
    choice: str  # confirm, change
    prefix = "booking"
    pattern = _choices(prefix, "confirm", "change")


@dataclass(frozen=True)
class CancelTap(CallbackData):
    choice: str  # yes, no
    prefix = "cancel"
    pattern = _choices(prefix, "yes", "no")


@dataclass(frozen=True)
class ServiceTap(CallbackData):
    service: str  # an NLU service
    prefix = "service"
    pattern = re.compile(r"^service:([a-z_]{1,40})$")


_SLOT = r"slot:\d{1,10}:\d{4}-\d{2}-\d{2}T[0-9:.+\-]{5,40}"


@dataclass(frozen=True)
class SlotTap(CallbackData):
    """A visit offered while booking; `slot_id` is `core.jobs.scheduling.Slot.id` as offered."""

    slot_id: str
    prefix = "slot"
    pattern = re.compile(rf"^({_SLOT})$")

    def encode(self) -> str:
        return self.slot_id  # already "slot:<technician id>:<iso start>"


@dataclass(frozen=True)
class RescheduleTap(CallbackData):
    """Either a new visit (`slot_id`) or the decision on the change (`choice` yes/no)."""

    slot_id: str | None = None
    choice: str | None = None
    prefix = "resched"
    pattern = re.compile(rf"^resched:(?:({_SLOT})|(yes|no))$")


@dataclass(frozen=True)
class RateTap(CallbackData):
    job_id: int
    stars: int
    prefix = "rate"
    pattern = re.compile(r"^rate:(\d{1,10}):([1-5])$")


@dataclass(frozen=True)
class JobActionTap(CallbackData):
    """A technician picking which job a message was about ("¿a cuál?")."""

    job_id: int
    action: str  # on_the_way, arrived, done, cannot
    eta: int | None = None
    prefix = "job"
    pattern = re.compile(r"^job:(\d{1,10}):(on_the_way|arrived|done|cannot)(?::(\d{1,4}))?$")


@dataclass(frozen=True)
class DoneTap(CallbackData):
    """The technician confirming (or not) the priced summary of a finished job."""

    choice: str  # confirm, cancel
    job_id: int
    prefix = "done"
    pattern = re.compile(r"^done:(confirm|cancel):(\d{1,10})$")


@dataclass(frozen=True)
class ClarifyTap(CallbackData):
    """The answer to "¿qué necesitás?" when the bot was unsure: the intent the person meant."""

    intent: str
    prefix = "ask"
    pattern = re.compile(r"^ask:([a-z_]{2,40})$")


@dataclass(frozen=True)
class ClosedDayTap(CallbackData):
    """The owner asking that the customers booked on the days they closed be told (`day`, and
    `last` for a stretch, ISO dates)."""

    day: str
    last: str | None = None
    prefix = "closed"
    pattern = re.compile(r"^closed:(\d{4}-\d{2}-\d{2})(?::(\d{4}-\d{2}-\d{2}))?$")


@dataclass(frozen=True)
class MoveTap(CallbackData):
    """The owner's answer to "¿la paso igual?" when a visit moved would overlap another of the
    technician's: moved to `start` (ISO), or, without it, left as it was."""

    job_id: int
    start: str | None = None
    prefix = "move"
    pattern = re.compile(r"^move:(\d{1,10})(?::(\d{4}-\d{2}-\d{2}T[0-9:.+\-]{5,40}))?$")


@dataclass(frozen=True)
class PriceTap(CallbackData):
    """The owner's answer to "¿subo un 10% toda la lista?": `percent` (tenths of a percent, signed;
    0 leaves the prices as they are)."""

    percent: int
    prefix = "price"
    pattern = re.compile(r"^price:(-?\d{1,4})$")


@dataclass(frozen=True)
class AliasTap(CallbackData):
    """The owner's answer to "¿cambio el alias para transferencias a …?": `choice` yes or no, and
    the alias asked about (the id carries it: the question needs no conversation state)."""

    choice: str
    alias: str | None = None
    prefix = "alias"
    pattern = re.compile(r"^alias:(yes|no)(?::([A-Za-z0-9.-]{6,20}))?$")


@dataclass(frozen=True)
class CalledOffTap(CallbackData):
    """A technician's answer to "¿cancelo el #N?" after telling the customer called the visit
    off: `choice` yes or no, and the job (the id carries it: no conversation state)."""

    choice: str
    job_id: int
    prefix = "off"
    pattern = re.compile(r"^off:(yes|no):(\d{1,10})$")


KINDS: tuple[type[CallbackData], ...] = (
    MenuTap, ServiceTap, AddressTap, SlotTap, BookingTap, RescheduleTap, CancelTap, RateTap,
    JobActionTap, DoneTap, ClarifyTap, ClosedDayTap, MoveTap, PriceTap, AliasTap, CalledOffTap,
)
_BY_PREFIX = {kind.prefix: kind for kind in KINDS}


def decode(raw: str | None) -> CallbackData | None:
    """The typed tap for an id we made, or None (an id we never made, or garbage)."""
    if not raw or len(raw) > MAX_ID:
        return None
    kind = _BY_PREFIX.get(raw.split(":", 1)[0])
    return kind.parse(raw) if kind is not None else None
