"""Typed button and list-row ids: encoded and decoded here, nowhere else.

Every button the bot offers carries an id that comes back when the person taps it. Each kind of
id is a small frozen dataclass with a `prefix` (like pywa's `CallbackData`): `encode()` writes
it, `decode()` reads any id into the right kind (or None for an id we never made). The flows
build buttons with `ServiceTap("gas").encode()` and match taps with `isinstance`, so a typo in
an id is an error in one place, not a silent miss in three.

Wire formats (kept stable: ids already sent to customers must still work when tapped):

    menu:<choice>                         MenuTap         new_job, status, human
    service:<service>                     ServiceTap      an NLU service
    address:<choice>                      AddressTap      same, other
    slot:<technician id>:<iso start>      SlotTap         a visit offered while booking
    booking:<choice>                      BookingTap      confirm, change
    resched:slot:<technician id>:<iso>    RescheduleTap   a new visit for a booked job
    resched:<yes|no>                      RescheduleTap   (decision)
    cancel:<yes|no>                       CancelTap
    rate:<job id>:<1-5>                   RateTap
    job:<job id>:<action>[:<eta>]         JobActionTap    on_the_way, arrived, done, cannot
    done:<confirm|cancel>:<job id>        DoneTap
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

MAX_ID = 256  # WhatsApp's limit for a reply id


class CallbackData:
    """Base of every typed id: `prefix` names the kind; subclasses define the fields."""

    prefix: ClassVar[str]
    pattern: ClassVar[re.Pattern[str]]

    def encode(self) -> str:
        raise NotImplementedError

    @classmethod
    def parse(cls, raw: str) -> CallbackData | None:
        raise NotImplementedError


def _choice(prefix: str, choices: tuple[str, ...]):
    """A kind whose only field is one of a few words."""

    pattern = re.compile(rf"^{prefix}:({'|'.join(choices)})$")

    def encode(self) -> str:
        return f"{prefix}:{self.choice}"

    @classmethod
    def parse(cls, raw: str):
        m = pattern.match(raw)
        return cls(m.group(1)) if m else None

    def post_init(self) -> None:
        if self.choice not in choices:
            raise ValueError(f"{prefix} choice must be one of {choices}, not {self.choice!r}")

    return pattern, encode, parse, post_init


@dataclass(frozen=True)
class MenuTap(CallbackData):
    choice: str
    prefix = "menu"
    CHOICES = ("new_job", "status", "human")
    pattern, encode, parse, __post_init__ = _choice(prefix, CHOICES)


@dataclass(frozen=True)
class AddressTap(CallbackData):
    choice: str
    prefix = "address"
    pattern, encode, parse, __post_init__ = _choice(prefix, ("same", "other"))


@dataclass(frozen=True)
class BookingTap(CallbackData):
    choice: str
    prefix = "booking"
    pattern, encode, parse, __post_init__ = _choice(prefix, ("confirm", "change"))


@dataclass(frozen=True)
class CancelTap(CallbackData):
    choice: str
    prefix = "cancel"
    pattern, encode, parse, __post_init__ = _choice(prefix, ("yes", "no"))


@dataclass(frozen=True)
class ServiceTap(CallbackData):
    service: str
    prefix = "service"
    pattern = re.compile(r"^service:([a-z_]{1,40})$")

    def encode(self) -> str:
        return f"service:{self.service}"

    @classmethod
    def parse(cls, raw: str) -> ServiceTap | None:
        m = cls.pattern.match(raw)
        return cls(m.group(1)) if m else None


_SLOT = r"(\d{1,10}):(\d{4}-\d{2}-\d{2}T[0-9:.+\-]{5,40})"


@dataclass(frozen=True)
class SlotTap(CallbackData):
    """A visit offered while booking; `slot_id` is `core.scheduling.Slot.id` as offered."""

    slot_id: str
    prefix = "slot"
    pattern = re.compile(rf"^slot:{_SLOT}$")

    def encode(self) -> str:
        return self.slot_id

    @classmethod
    def parse(cls, raw: str) -> SlotTap | None:
        return cls(raw) if cls.pattern.match(raw) else None


@dataclass(frozen=True)
class RescheduleTap(CallbackData):
    """Either a new visit (`slot_id`) or the decision on the change (`choice` yes/no)."""

    slot_id: str | None = None
    choice: str | None = None
    prefix = "resched"
    pattern = re.compile(rf"^resched:(?:(yes|no)|(slot:{_SLOT}))$")

    def encode(self) -> str:
        return f"resched:{self.choice or self.slot_id}"

    @classmethod
    def parse(cls, raw: str) -> RescheduleTap | None:
        m = cls.pattern.match(raw)
        if m is None:
            return None
        return cls(choice=m.group(1)) if m.group(1) else cls(slot_id=m.group(2))


@dataclass(frozen=True)
class RateTap(CallbackData):
    job_id: int
    stars: int
    prefix = "rate"
    pattern = re.compile(r"^rate:(\d{1,10}):([1-5])$")

    def encode(self) -> str:
        return f"rate:{self.job_id}:{self.stars}"

    @classmethod
    def parse(cls, raw: str) -> RateTap | None:
        m = cls.pattern.match(raw)
        return cls(int(m.group(1)), int(m.group(2))) if m else None


@dataclass(frozen=True)
class JobActionTap(CallbackData):
    """A technician picking which job a message was about ("¿a cuál?")."""

    job_id: int
    action: str  # on_the_way, arrived, done, cannot
    eta: int | None = None
    prefix = "job"
    pattern = re.compile(r"^job:(\d{1,10}):(on_the_way|arrived|done|cannot)(?::(\d{1,4}))?$")

    def encode(self) -> str:
        return f"job:{self.job_id}:{self.action}" + (f":{self.eta}" if self.eta is not None else "")

    @classmethod
    def parse(cls, raw: str) -> JobActionTap | None:
        m = cls.pattern.match(raw)
        if m is None:
            return None
        return cls(int(m.group(1)), m.group(2), int(m.group(3)) if m.group(3) else None)


@dataclass(frozen=True)
class DoneTap(CallbackData):
    """The technician confirming (or not) the priced summary of a finished job."""

    choice: str  # confirm, cancel
    job_id: int
    prefix = "done"
    pattern = re.compile(r"^done:(confirm|cancel):(\d{1,10})$")

    def encode(self) -> str:
        return f"done:{self.choice}:{self.job_id}"

    @classmethod
    def parse(cls, raw: str) -> DoneTap | None:
        m = cls.pattern.match(raw)
        return cls(m.group(1), int(m.group(2))) if m else None


KINDS: tuple[type[CallbackData], ...] = (
    MenuTap, ServiceTap, AddressTap, SlotTap, BookingTap, RescheduleTap, CancelTap, RateTap,
    JobActionTap, DoneTap,
)
_BY_PREFIX = {kind.prefix: kind for kind in KINDS}


def decode(raw: str | None) -> CallbackData | None:
    """The typed tap for an id we made, or None (an id we never made, or garbage)."""
    if not raw or len(raw) > MAX_ID:
        return None
    kind = _BY_PREFIX.get(raw.split(":", 1)[0])
    return kind.parse(raw) if kind is not None else None
