"""A burst as the flows see it: one sender's messages in order, with transcripts and pins."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Pin:
    latitude: float
    longitude: float
    name: str | None = None
    address: str | None = None


@dataclass(frozen=True)
class BurstItem:
    message_id: int
    type: str  # text, audio, image, location, interactive, button, ...
    at: datetime | None
    text: str | None = None  # typed text, caption, button title or the voice note's transcript
    reply_id: str | None = None  # id of the tapped button or list row
    pin: Pin | None = None
    media_path: str | None = None
    # Voice notes: done, or why not: too_long, silent, corrupt, not_found, rejected, failed.
    transcript_status: str | None = None
    media_error: str | None = None
    # A shared contact card: (name, phone) per card; its text is not read as the person's words.
    contacts: tuple[tuple[str | None, str | None], ...] = ()
    # A message we cannot read (unsupported, a catalog order, one Meta flags with an error).
    unreadable: bool = False


@dataclass(frozen=True)
class Burst:
    org_id: int
    conversation_id: int
    burst_id: str
    items: tuple[BurstItem, ...] = field(default_factory=tuple)

    @property
    def text(self) -> str:
        """Everything said, one part per line, in order: what the extractor reads."""
        return "\n".join(i.text for i in self.items if i.text)

    @property
    def pins(self) -> list[Pin]:
        return [i.pin for i in self.items if i.pin]
