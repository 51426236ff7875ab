"""Which inbound messages the bot can read: the kinds it handles, and the rule for one it cannot."""

from __future__ import annotations

# Kinds the bot can read. Anything else (`unsupported`, `order`, a kind newer than this code)
# is stored, logged and answered with "no lo puedo leer" (see `unreadable`).
READABLE_TYPES = frozenset({
    "text", "audio", "image", "document", "video", "sticker", "location", "contacts",
    "interactive", "button", "reaction", "system", "edit", "revoke", "request_welcome",
})


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
