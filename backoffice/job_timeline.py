"""One job's timeline: its events and photos, the customer's chat and the audit trail, merged by time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backoffice.audit_trail import ACTION_LABELS, actor_label, detail_pairs
from backoffice.conversations import message_text
from backoffice.display import local_time
from backoffice.job_board import EVENT_LABELS, status_label, window_text
from core import audit
from core.models import (
    Conversation,
    Direction,
    Job,
    JobEvent,
    Message,
    User,
)

# Job events (photos among them), the customer's chat and the audit trail, each read on its own
# and then merged by time: `merge` is pure, so the order is easy to reason about and to test.

MESSAGE_LIMIT = 50  # the customer's newest messages kept in the timeline
AUDIT_LIMIT = 200
# Same instant: the job's own event first, then the chat, then the audit entry that recorded it.
KIND_ORDER = {"event": 0, "photo": 0, "message": 1, "audit": 2}
MEDIA_LABELS = {"image": "Foto", "video": "Video", "document": "Documento"}


@dataclass(frozen=True)
class Attachment:
    url: str
    kind: str  # "image" (a thumbnail), "video" or "document" (a link)
    label: str


@dataclass(frozen=True)
class TimelineEntry:
    moment: datetime  # aware UTC: what the merge orders by
    at: str  # local, for people
    kind: str  # "event", "photo", "message" or "audit"
    actor: str
    what: str
    note: str | None = None
    attachment: Attachment | None = None
    inbound: bool = False
    details: tuple[tuple[str, str], ...] = ()


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _stamp(value: datetime, tz: ZoneInfo) -> str:
    return local_time(_utc(value), tz, "%d/%m/%Y %H:%M")


def merge(*streams: list[TimelineEntry]) -> list[TimelineEntry]:
    """All the entries by time; at the same instant by kind, then in each stream's own order."""
    entries = [e for stream in streams for e in stream]
    return sorted(entries, key=lambda e: (e.moment, KIND_ORDER.get(e.kind, 9)))  # sorted() is stable


def _user_ids(events: list[JobEvent]) -> set[int]:
    ids = set()
    for event in events:
        if event.actor.startswith("user:") and event.actor[5:].isdigit():
            ids.add(int(event.actor[5:]))
        if event.kind == "assigned" and event.data:
            ids |= {v for v in (event.data.get("from"), event.data.get("to")) if isinstance(v, int)}
    return ids


def _actor(actor: str, names: dict[int, str]) -> str:
    kind, _, rest = actor.partition(":")
    if kind == "user" and rest.isdigit():
        return names.get(int(rest), f"usuario {rest}")
    if kind == "whatsapp":
        return f"WhatsApp +{rest}"
    if kind == "system":
        return "CampoTech"
    return actor


def _what(event: JobEvent, names: dict[int, str], tz: ZoneInfo) -> str:
    data = event.data or {}
    if event.kind == "created":
        return f"Se creó el trabajo ({status_label(event.to_status)})" if event.to_status else "Se creó el trabajo"
    if event.kind == "status" and event.to_status:
        before = status_label(event.from_status) if event.from_status else "—"
        return f"{before} → {status_label(event.to_status)}"
    if event.kind == "assigned":
        to = data.get("to")
        return f"Asignado a {names.get(to, f'usuario {to}')}" if to else "Quedó sin técnico"
    if event.kind in ("scheduled", "rescheduled") and data.get("start"):
        start = datetime.fromisoformat(data["start"])
        end = datetime.fromisoformat(data["end"]) if data.get("end") else None
        return f"{EVENT_LABELS[event.kind]} para el {window_text(start, end, tz)}"
    if event.kind == "photo":
        return MEDIA_LABELS.get(data.get("type"), "Foto")
    return EVENT_LABELS.get(event.kind, event.kind)


def _photo_message_id(event: JobEvent) -> int | None:
    value = (event.data or {}).get("message_id") if event.kind == "photo" else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def photo_url(job_id: int, message_id: int) -> str:
    return f"/app/jobs/{job_id}/photos/{message_id}"


def _attachment(job_id: int, message: Message | None) -> Attachment | None:
    """What a photo event links to; None when the media never arrived (nothing to open)."""
    if message is None or not message.media_path:
        return None
    mime = (message.media_mime or "").lower()
    kind = "image" if mime.startswith("image/") and mime != "image/svg+xml" else (
        "video" if mime.startswith("video/") else "document")
    return Attachment(photo_url(job_id, message.id), kind, MEDIA_LABELS[kind])


def job_events(session: Session, job: Job, tz: ZoneInfo) -> list[TimelineEntry]:
    """The job's own events in the order they were written; photos carry what opens them."""
    events = list(session.scalars(select(JobEvent).where(JobEvent.job_id == job.id).order_by(JobEvent.id)))
    ids = _user_ids(events)
    names = dict(session.execute(select(User.id, User.name).where(User.id.in_(ids))).all()) if ids else {}
    photo_ids = {i for i in map(_photo_message_id, events) if i is not None}
    photos = {m.id: m for m in session.scalars(select(Message).where(Message.id.in_(photo_ids)))} if photo_ids else {}
    return [TimelineEntry(moment=_utc(e.created_at), at=_stamp(e.created_at, tz),
                          kind="photo" if e.kind == "photo" else "event", actor=_actor(e.actor, names),
                          what=_what(e, names, tz), note=e.note,
                          attachment=_attachment(job.id, photos.get(_photo_message_id(e))))
            for e in events]


def photo_message(session: Session, job_id: int, message_id: int) -> Message | None:
    """The message behind one of the job's photo events (in the session's organization), or None
    when no photo event of this job points at it."""
    events = session.scalars(select(JobEvent).where(JobEvent.job_id == job_id, JobEvent.kind == "photo"))
    if message_id not in {_photo_message_id(e) for e in events}:
        return None
    return session.scalar(select(Message).where(Message.id == message_id))


def chat_messages(session: Session, job: Job, tz: ZoneInfo, *,
                  limit: int = MESSAGE_LIMIT) -> list[TimelineEntry]:
    """The customer's WhatsApp messages from the job's creation to its completion (or now):
    the newest `limit`, oldest first."""
    chats = select(Conversation.id).where(Conversation.customer_id == job.customer_id)
    query = select(Message).where(Message.conversation_id.in_(chats), Message.created_at >= job.created_at)
    if job.completed_at is not None:
        query = query.where(Message.created_at <= job.completed_at)
    newest = list(session.scalars(query.order_by(Message.created_at.desc(), Message.id.desc()).limit(limit)))
    return [TimelineEntry(moment=_utc(m.created_at), at=_stamp(m.created_at, tz), kind="message",
                          actor="Cliente" if m.direction == Direction.INBOUND else "Enviado al cliente",
                          what=message_text(m), inbound=m.direction == Direction.INBOUND)
            for m in reversed(newest)]


def audit_entries(session: Session, job: Job, tz: ZoneInfo, *,
                  limit: int = AUDIT_LIMIT) -> list[TimelineEntry]:
    """The audit trail's entries about this job (the newest `limit`), oldest first."""
    query = audit.trail_query(audit.TrailFilters(entity_type="job", entity_id=str(job.number)))
    entries = list(session.scalars(query.limit(limit)))
    ids = {int(e.actor[5:]) for e in entries if e.actor.startswith("user:") and e.actor[5:].isdigit()}
    names = dict(session.execute(select(User.id, User.name).where(User.id.in_(ids))).all()) if ids else {}
    return [TimelineEntry(moment=_utc(e.created_at), at=_stamp(e.created_at, tz), kind="audit",
                          actor=actor_label(e.actor, names), what=ACTION_LABELS.get(e.action, e.action),
                          details=tuple(detail_pairs(e.data)))
            for e in reversed(entries)]


def timeline(session: Session, job: Job, tz: ZoneInfo, *, chat: bool = False,
             audit_trail: bool = False) -> list[TimelineEntry]:
    """The job's events, plus the customer's chat and the audit entries when asked for, by time."""
    return merge(job_events(session, job, tz),
                 chat_messages(session, job, tz) if chat else [],
                 audit_entries(session, job, tz) if audit_trail else [])


def photo_count(session: Session, job_id: int) -> int:
    return session.scalar(select(func.count(JobEvent.id))
                          .where(JobEvent.job_id == job_id, JobEvent.kind == "photo")) or 0
