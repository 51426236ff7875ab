"""What the bot says, as data: flows build these, the outbound pipeline stores and sends them.

Each reply round-trips through a plain dict (`to_dict` / `reply_from_dict`) so it can sit in
the database and in an RQ job, and be sent later (`services/send_reply.py`, through the WhatsApp
adapter).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

# WhatsApp's own limits, checked here so a flow learns at once, not from a 400 later.
MAX_TEXT = 4096
MAX_BUTTONS = 3
MAX_BUTTON_TITLE = 20
MAX_LIST_ROWS = 10
MAX_ROW_TITLE = 24
MAX_ROW_DESCRIPTION = 72
MAX_INTERACTIVE_BODY = 1024


class ReplyError(ValueError):
    """A reply WhatsApp would refuse (too long, too many buttons, ...)."""


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise ReplyError(message)


@dataclass(frozen=True)
class Button:
    id: str
    title: str


@dataclass(frozen=True)
class Row:
    id: str
    title: str
    description: str = ""


@dataclass(frozen=True)
class Section:
    title: str
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class Reply:
    kind: ClassVar[str] = ""

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, **asdict(self)}

    def preview(self) -> str:
        """One line for logs, the inbox and the sandbox."""
        return ""


@dataclass(frozen=True)
class Text(Reply):
    kind: ClassVar[str] = "text"
    body: str
    preview_url: bool = False

    def __post_init__(self) -> None:
        _check(bool(self.body.strip()), "a text reply needs a body")
        _check(len(self.body) <= MAX_TEXT, f"text longer than {MAX_TEXT} characters")

    def preview(self) -> str:
        return self.body


@dataclass(frozen=True)
class Buttons(Reply):
    """Up to three reply buttons under a body."""

    kind: ClassVar[str] = "buttons"
    body: str
    buttons: tuple[Button, ...]
    header: str = ""
    footer: str = ""

    def __post_init__(self) -> None:
        _check(bool(self.body.strip()), "a buttons reply needs a body")
        _check(len(self.body) <= MAX_INTERACTIVE_BODY, "buttons body too long")
        _check(1 <= len(self.buttons) <= MAX_BUTTONS, f"1 to {MAX_BUTTONS} buttons")
        ids = [b.id for b in self.buttons]
        _check(len(set(ids)) == len(ids), "button ids must be unique")
        for b in self.buttons:
            _check(0 < len(b.title) <= MAX_BUTTON_TITLE, f"button title '{b.title}' too long")

    def preview(self) -> str:
        return f"{self.body} [{' | '.join(b.title for b in self.buttons)}]"


@dataclass(frozen=True)
class ListMessage(Reply):
    """A list: one button opens sections of rows (up to ten rows in all)."""

    kind: ClassVar[str] = "list"
    body: str
    button: str
    sections: tuple[Section, ...]
    header: str = ""
    footer: str = ""

    def __post_init__(self) -> None:
        _check(bool(self.body.strip()), "a list reply needs a body")
        _check(0 < len(self.button) <= MAX_BUTTON_TITLE, "list button title too long")
        rows = [r for s in self.sections for r in s.rows]
        _check(1 <= len(rows) <= MAX_LIST_ROWS, f"1 to {MAX_LIST_ROWS} rows")
        _check(len({r.id for r in rows}) == len(rows), "row ids must be unique")
        for r in rows:
            _check(0 < len(r.title) <= MAX_ROW_TITLE, f"row title '{r.title}' too long")
            _check(len(r.description) <= MAX_ROW_DESCRIPTION, "row description too long")

    def preview(self) -> str:
        rows = [r.title for s in self.sections for r in s.rows]
        return f"{self.body} [{self.button}: {', '.join(rows)}]"


@dataclass(frozen=True)
class Document(Reply):
    """A file (the invoice PDF) by public link or by an uploaded media id."""

    kind: ClassVar[str] = "document"
    filename: str
    link: str = ""
    media_id: str = ""
    caption: str = ""

    def __post_init__(self) -> None:
        _check(bool(self.link) != bool(self.media_id), "a document needs a link or a media id")

    def preview(self) -> str:
        return f"📄 {self.filename}" + (f" — {self.caption}" if self.caption else "")


@dataclass(frozen=True)
class Location(Reply):
    kind: ClassVar[str] = "location"
    latitude: float
    longitude: float
    name: str = ""
    address: str = ""

    def __post_init__(self) -> None:
        _check(-90 <= self.latitude <= 90 and -180 <= self.longitude <= 180, "bad coordinates")

    def preview(self) -> str:
        return f"📍 {self.name or ''} {self.address or ''} ({self.latitude}, {self.longitude})".strip()


@dataclass(frozen=True)
class Template(Reply):
    """A pre-approved template: the only thing allowed outside the 24-hour window."""

    kind: ClassVar[str] = "template"
    name: str
    language: str = "es_AR"
    # Body parameters in order ({{1}}, {{2}}, ...); enough for our templates.
    parameters: tuple[str, ...] = field(default_factory=tuple)

    def preview(self) -> str:
        return f"[plantilla {self.name}] " + " / ".join(self.parameters)


_KINDS: dict[str, type[Reply]] = {
    cls.kind: cls for cls in (Text, Buttons, ListMessage, Document, Location, Template)
}


def reply_from_dict(data: dict[str, Any]) -> Reply:
    """Inverse of `Reply.to_dict`; raises ReplyError on anything it does not know."""
    data = dict(data)
    kind = data.pop("kind", None)
    cls = _KINDS.get(kind or "")
    if cls is None:
        raise ReplyError(f"unknown reply kind {kind!r}")
    try:
        if cls is Buttons:
            data["buttons"] = tuple(Button(**b) for b in data["buttons"])
        elif cls is ListMessage:
            data["sections"] = tuple(
                Section(title=s["title"], rows=tuple(Row(**r) for r in s["rows"]))
                for s in data["sections"]
            )
        elif cls is Template:
            data["parameters"] = tuple(data.get("parameters", ()))
        return cls(**data)
    except (KeyError, TypeError) as exc:
        raise ReplyError(f"malformed {kind} reply: {exc}") from None
