"""Entry point of the conversation layer: a burst in, the replies out.

Until the flow engine lands (booking, status, technicians' updates), this acknowledges what
was understood, so the transport can be exercised end to end.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from core import texts
from core.models import Conversation
from core.replies import Reply, Text
from core.settings import Settings
from flows.burst import Burst
from flows.context import org_context
from flows.understood import understood
from nlu.extract import extract

PREVIEW = 120


def handle_burst(
    session: Session, conversation: Conversation, burst: Burst, settings: Settings | None = None
) -> list[Reply]:
    parts: list[str] = []
    replies: list[Reply] = []
    for item in burst.items:
        if item.type == "audio":
            if item.transcript_status == "done" and item.text:
                parts.append(f"🎤 {_short(item.text)}")
            elif item.transcript_status == "too_long":
                replies.append(Text(texts.render("audio_too_long")))
            else:
                replies.append(Text(texts.render("audio_unheard")))
        elif item.media_error:
            replies.append(Text(texts.render("media_rejected", reason=item.media_error)))
        elif item.pin:
            parts.append(f"📍 {item.pin.address or item.pin.name or 'tu ubicación'}")
        elif item.text:
            parts.append(_short(item.text))
        elif item.type in ("image", "document", "video", "sticker"):
            parts.append({"image": "una foto", "document": "un archivo", "video": "un video",
                          "sticker": "un sticker"}[item.type])
    if parts:
        first_name = (conversation.profile_name or "").split(" ")[0] or None
        summary = _understood(session, conversation, burst, settings)
        replies.insert(0, Text(texts.render("ack", name=first_name, parts=parts, understood=summary)))
    return replies


def _understood(session: Session, conversation: Conversation, burst: Burst,
                settings: Settings | None) -> str | None:
    """What the NLU made of the burst's text and transcripts, as one line (None if nothing)."""
    if not burst.text.strip():
        return None
    context = org_context(session, burst.org_id)
    now = datetime.now(ZoneInfo(context.time_zone))
    return understood(extract(burst.text, conversation.role.value, now, context, settings))


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= PREVIEW else text[: PREVIEW - 1] + "…"
