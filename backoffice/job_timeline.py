"""One job's timeline: its events and photos, the customer's chat and the audit trail, merged by time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backoffice import audit_text
from backoffice.audit_trail import ACTION_LABELS
from backoffice.conversations import message_text
from backoffice.display import date_time, person, weekday_time
from backoffice.job_board import EVENT_LABELS, status_label
from backoffice.people import actor_label, actor_names, sender_label, staff_senders, user_names
from core import audit
from core.models import (
    Conversation,
    Customer,
    Direction,
    Job,
    JobEvent,
    Message,
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
    return date_time(_utc(value), tz)


def merge(*streams: list[TimelineEntry]) -> list[TimelineEntry]:
    """All the entries by time; at the same instant by kind, then in each stream's own order."""
    entries = [e for stream in streams for e in stream]
    return sorted(entries, key=lambda e: (e.moment, KIND_ORDER.get(e.kind, 9)))  # sorted() is stable


def _user_ids(events: list[JobEvent]) -> set[int]:
    """The technicians the assignment events name."""
    ids = set()
    for event in events:
        if event.kind == "assigned" and event.data:
            ids |= {v for v in (event.data.get("from"), event.data.get("to")) if isinstance(v, int)}
    return ids


def _moment(text: object) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        return None


def _what(event: JobEvent, names: dict[int, str], tz: ZoneInfo, before: datetime | None) -> str:
    """The event in plain Spanish; `before` is the visit's start until this event (for a move)."""
    data = event.data or {}
    if event.kind == "created":
        return f"Se creó el trabajo ({status_label(event.to_status)})" if event.to_status else "Se creó el trabajo"
    if event.kind == "status" and event.to_status:
        text = f"Pasó a «{status_label(event.to_status)}»"
        minutes = data.get("eta_minutes")
        return text + (f" (llega en {minutes} min)" if isinstance(minutes, int) and minutes > 0 else "")
    if event.kind == "assigned":
        def who(user_id):
            return names.get(user_id, "alguien que ya no está")
        to, previous = data.get("to"), data.get("from")
        if to and previous and previous != to:
            return f"Reasignado de {who(previous)} a {who(to)}"
        if to:
            return f"Asignado a {who(to)}"
        return f"Quedó sin técnico (lo tenía {who(previous)})" if previous else "Quedó sin técnico"
    start = _moment(data.get("start"))
    if event.kind in ("scheduled", "rescheduled") and start is not None:
        if event.kind == "rescheduled" and before is not None:
            return f"Reprogramado del {weekday_time(before, tz)} al {weekday_time(start, tz)}"
        end = _moment(data.get("end"))
        window = audit_text.window_phrase([data["start"], data["end"]] if end else [data["start"]], tz)
        return f"{EVENT_LABELS[event.kind]} para el {window}"
    if event.kind == "photo":
        return MEDIA_LABELS.get(data.get("type"), "Foto")
    if event.kind in ("rating", "rating_comment") and isinstance(data.get("stars"), int):
        stars = data["stars"]
        verb = "Calificó la visita" if event.kind == "rating" else "Comentó su calificación"
        return f"{verb}: {'★' * stars}{'☆' * max(0, 5 - stars)} ({stars} de 5)"
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
    names = user_names(session, _user_ids(events))
    actors = actor_names(session, {e.actor for e in events})
    photo_ids = {i for i in map(_photo_message_id, events) if i is not None}
    photos = {m.id: m for m in session.scalars(select(Message).where(Message.id.in_(photo_ids)))} if photo_ids else {}
    entries, start = [], None
    for e in events:
        entries.append(TimelineEntry(
            moment=_utc(e.created_at), at=_stamp(e.created_at, tz),
            kind="photo" if e.kind == "photo" else "event", actor=actor_label(e.actor, actors),
            what=_what(e, names, tz, start), note=e.note,
            attachment=_attachment(job.id, photos.get(_photo_message_id(e)))))
        if e.kind in ("scheduled", "rescheduled"):
            start = _moment((e.data or {}).get("start")) or start
    return entries


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
    customer = session.get(Customer, job.customer_id)
    them = person(customer.name, customer.phone) if customer else "Cliente"
    staff = staff_senders(session, newest)
    return [TimelineEntry(moment=_utc(m.created_at), at=_stamp(m.created_at, tz), kind="message",
                          actor=them if m.direction == Direction.INBOUND else sender_label(m, staff),
                          what=message_text(m), inbound=m.direction == Direction.INBOUND)
            for m in reversed(newest)]


def audit_entries(session: Session, job: Job, tz: ZoneInfo, *,
                  limit: int = AUDIT_LIMIT) -> list[TimelineEntry]:
    """The audit trail's entries about this job (the newest `limit`), oldest first."""
    query = audit.trail_query(audit.TrailFilters(entity_type="job", entity_id=str(job.number)))
    entries = list(session.scalars(query.limit(limit)))
    actors = actor_names(session, {e.actor for e in entries})
    found = audit_text.lookups(session, entries, tz)
    return [TimelineEntry(moment=_utc(e.created_at), at=_stamp(e.created_at, tz), kind="audit",
                          actor=actor_label(e.actor, actors), what=ACTION_LABELS.get(e.action, e.action),
                          details=tuple(audit_text.detail_pairs(e.action, e.data, found)))
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
