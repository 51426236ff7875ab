"""Entry point of the conversation layer: a burst in, the replies out.

Until the flow engine lands (booking, status, technicians' updates), this acknowledges what
was understood, so the transport can be exercised end to end.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from core import texts
from core.models import Conversation
from core.replies import Reply, Text
from flows.burst import Burst

PREVIEW = 120


def handle_burst(session: Session, conversation: Conversation, burst: Burst) -> list[Reply]:
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
        replies.insert(0, Text(texts.render("ack", name=first_name, parts=parts)))
    return replies


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= PREVIEW else text[: PREVIEW - 1] + "…"
