"""Inbound media: fetched from Meta right after it arrives, kept under the organization's folder."""

from __future__ import annotations

import logging
import mimetypes
from dataclasses import dataclass
from pathlib import Path

from core.db import Database
from core.models import Message, Organization, utcnow
from core.settings import Settings
from flows.context import org_context
from integrations.whatsapp_errors import MediaRejected, WhatsAppError
from nlu.transcribe import transcribe, warm
from services.whatsapp_gateway import client_for

log = logging.getLogger("campotech.bot.media")

ALLOWED_MIME = frozenset({
    "audio/ogg", "audio/opus", "audio/mpeg", "audio/mp4", "audio/aac", "audio/amr", "audio/wav",
    "audio/x-wav", "audio/webm",
    "image/jpeg", "image/png", "image/webp",
    "video/mp4", "video/3gpp",
    "application/pdf",
})
EXTENSIONS = {"audio/ogg": ".ogg", "audio/opus": ".opus", "audio/mpeg": ".mp3", "audio/mp4": ".m4a",
              "image/jpeg": ".jpg", "image/webp": ".webp", "application/pdf": ".pdf"}


@dataclass(frozen=True)
class FetchedMedia:
    message_id: int
    path: Path | None
    mime: str | None
    is_audio: bool
    rejected: str | None = None  # a reason in plain Spanish, shown to the sender


def fetch(db: Database, settings: Settings, org_id: int, message_id: int) -> FetchedMedia:
    """Download the message's media (URL fetched just now: it lives ~5 minutes) and store it.

    Raises WhatsAppError when Meta failed in a way worth retrying; refuses (not raises) media
    that is too big or of a type we do not take.
    """
    with db.org_session(org_id) as session:
        message = session.get(Message, message_id)
        if message is None or not message.media_id:
            return FetchedMedia(message_id, None, None, False, "no media")
        is_audio = message.type == "audio"
        if message.media_path and Path(message.media_path).is_file():
            return FetchedMedia(message_id, Path(message.media_path), message.media_mime, is_audio)
        org = session.get(Organization, org_id)
        client = client_for(session, org, settings)
        media_id = message.media_id
    try:
        content, mime = client.download_media(
            media_id, max_bytes=settings.media_max_bytes, allowed_mime=ALLOWED_MIME
        )
    except MediaRejected as exc:
        reason = _reason_es(exc)
        with db.org_session(org_id) as session:
            message = session.get(Message, message_id)
            message.error_title = reason
            if is_audio:
                message.transcript_status = "rejected"
        log.warning("media %s of message %s refused: %s", media_id, message_id, exc)
        return FetchedMedia(message_id, None, None, is_audio, reason)
    except WhatsAppError as exc:
        if exc.retryable:
            raise
        with db.org_session(org_id) as session:
            message = session.get(Message, message_id)
            message.error_title = "no pude descargarlo"
            if is_audio:
                message.transcript_status = "failed"
        return FetchedMedia(message_id, None, None, is_audio, "no pude descargarlo")

    base = mime.split(";")[0].strip().lower()
    ext = EXTENSIONS.get(base) or mimetypes.guess_extension(base) or ".bin"
    now = utcnow()
    folder = Path(settings.media_dir) / str(org_id) / f"{now:%Y}" / f"{now:%m}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{message_id}{ext}"
    tmp = path.with_suffix(path.suffix + ".part")
    tmp.write_bytes(content)
    tmp.replace(path)
    with db.org_session(org_id) as session:
        message = session.get(Message, message_id)
        message.media_path = str(path)
        message.media_mime = base
    return FetchedMedia(message_id, path, base, is_audio)


def record_transcript(db: Database, org_id: int, message_id: int, text: str | None, status: str) -> None:
    with db.org_session(org_id) as session:
        message = session.get(Message, message_id)
        if message is None:
            return
        message.transcript = text
        message.transcript_status = status


def _reason_es(exc: MediaRejected) -> str:
    text = str(exc).lower()
    if "size" in text or "big" in text or "large" in text or "byte" in text:
        return "es demasiado grande"
    if "mime" in text or "type" in text:
        return "no es un tipo de archivo que pueda abrir"
    return "no lo pude abrir"


def warm_transcription(settings: Settings) -> float:
    """Load the Whisper model and run it once (the transcription worker, at start); seconds."""
    return warm(settings)


def fetch_and_transcribe(db: Database, settings: Settings, org_id: int, message_id: int) -> dict:
    """Download a message's media; transcribe a voice note (with the organization's words) so
    its burst can be answered."""
    fetched = fetch(db, settings, org_id, message_id)
    if fetched.is_audio and fetched.path is not None:
        with db.org_session(org_id) as session:
            vocabulary = org_context(session, org_id).vocabulary()
        result = transcribe(fetched.path, vocabulary=vocabulary, settings=settings)
        # A failure is stored by its reason (too_long, silent, corrupt) so the reply can fit it.
        status = result.status if result.status != "failed" else (result.reason or "failed")[:16]
        record_transcript(db, org_id, message_id, result.text, status)
        return {"path": str(fetched.path), "transcript": result.status}
    return {"path": str(fetched.path) if fetched.path else None, "rejected": fetched.rejected}
