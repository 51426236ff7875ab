"""The conversations inbox: who wrote, who needs a person, and staff taking a chat over."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from uuid import uuid4

from flask import Blueprint, abort, redirect, render_template, request
from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session, aliased

from backoffice import attention
from backoffice.display import date_time, local_phone, zone
from backoffice.extensions import db, dispatcher
from backoffice.forms import FormError, reply_text
from backoffice.paging import Page, paginate, url_with
from backoffice.people import BOT, sender_label, staff_senders
from backoffice.security import STAFF, actor, current_user, requires
from core import audit
from core.errors import NotFound
from core.messaging import conversations
from core.messaging.outbox import queue_replies
from core.messaging.replies import Text
from core.models import (
    Conversation,
    ConversationRole,
    Customer,
    DeliveryStatus,
    Direction,
    Message,
    Organization,
    Role,
    User,
    utcnow,
)

bp = Blueprint("conversations", __name__, url_prefix="/conversations")
log = logging.getLogger("campotech.backoffice.conversations")

THREAD_PAGE = 100  # messages of one conversation shown at a time, the newest first
SERVICE_WINDOW = timedelta(hours=24)  # WhatsApp's: free text only within it
DELIVERY = {
    DeliveryStatus.QUEUED: "en cola",
    DeliveryStatus.SENT: "enviado",
    DeliveryStatus.DELIVERED: "entregado",
    DeliveryStatus.READ: "leído",
    DeliveryStatus.PLAYED: "escuchado",
    DeliveryStatus.FAILED: "no se pudo enviar",
}
WHO = {ConversationRole.CUSTOMER: "cliente", ConversationRole.TECHNICIAN: "técnico/a",
       ConversationRole.OWNER: "dueño/a"}


@dataclass(frozen=True)
class InboxRow:
    id: int
    name: str
    who: str
    last_at: datetime | None
    preview: str
    unread: bool
    needs_person: bool
    human_takeover: bool
    emergency: bool = False  # the customer has an open emergency (or this chat started one)

    @property
    def waiting(self) -> bool:
        """Waiting for a person: they asked for one, or wrote since staff took the chat over."""
        return self.needs_person or (self.human_takeover and self.unread)


@dataclass(frozen=True)
class MessageView:
    inbound: bool
    at: str
    text: str
    status: str
    sender: str = ""  # outbound: "Bot", or the person who typed it ("Roberto (persona)")
    revision: str = ""  # the customer changed it in WhatsApp: "editado" or "eliminado"

    @property
    def by_person(self) -> bool:
        return not self.inbound and self.sender != BOT


def message_text(message: Message) -> str:
    """What a person reads for one message: its text, a voice note's transcript, or its kind."""
    if message.type == "audio":
        if message.transcript:
            return f"🎤 {message.transcript}"
        return "🎤 Nota de voz (sin transcripción)"
    if message.body:
        return message.body
    return {"location": "📍 Ubicación", "image": "🖼️ Imagen", "document": "📄 Documento",
            "video": "🎬 Video", "sticker": "Sticker"}.get(message.type, f"[{message.type}]")


def _display_name(conversation: Conversation, customer_name: str | None, user_name: str | None) -> str:
    return (customer_name or user_name or conversation.profile_name
            or local_phone(conversation.phone or conversation.wa_id))


SHOW = {  # ?show=… : which chats the inbox lists
    "waiting": "Esperan a una persona",
    "emergency": "Urgencias",
    "unanswered": "Sin responder",
}


@dataclass(frozen=True)
class InboxFilters:
    show: str | None = None  # a key of SHOW, or None for every chat
    technician: int | None = None  # chats about this technician's open jobs, and their own

    @classmethod
    def from_args(cls, args, technicians: list[tuple[int, str]]) -> InboxFilters:
        """Anything unknown (a stale link, a typed URL) is simply no filter."""
        show = args.get("show")
        raw = args.get("technician", "")
        technician = int(raw) if raw.isdigit() and int(raw) in {i for i, _ in technicians} else None
        return cls(show if show in SHOW else None, technician)

    @property
    def active(self) -> bool:
        return self.show is not None or self.technician is not None


def _stats():
    return (
        select(
            Message.conversation_id,
            func.max(case((Message.direction == Direction.INBOUND, Message.id))).label("last_in"),
            func.max(case((Message.direction == Direction.OUTBOUND, Message.id))).label("last_out"),
            func.max(Message.id).label("last_id"),
        )
        .group_by(Message.conversation_id)
        .subquery("stats")
    )


def _filtered(stmt, stats, filters: InboxFilters):
    if filters.show == "waiting":
        stmt = stmt.where(attention.waiting_for_person(stats.c.last_in, stats.c.last_out))
    elif filters.show == "emergency":
        stmt = stmt.where(attention.about_emergency())
    elif filters.show == "unanswered":
        stmt = stmt.where(attention.unanswered(stats.c.last_in, stats.c.last_out))
    if filters.technician is not None:
        stmt = stmt.where(attention.about_technician(filters.technician))
    return stmt


def inbox(session: Session, filters: InboxFilters = InboxFilters(), *, limit: int | None = None) -> Page:
    """The requested page of conversations (or the first `limit`): first those about an open
    emergency, then those a person must answer (asked for one, or taken over), then the rest; in
    each, the one with the newest message first (ties, and chats without messages, by id, which
    ends the order so pages never overlap)."""
    emergency = attention.about_emergency()
    order = case(
        (emergency, 0),
        (or_(Conversation.needs_person.is_(True), Conversation.human_takeover.is_(True)), 1),
        else_=2,
    )
    stats = _stats()
    last = aliased(Message, name="last_message")
    stmt = _filtered(
        select(Conversation, Customer.name, User.name, stats.c.last_in, stats.c.last_out, last,
               order.label("attention"))
        .outerjoin(stats, stats.c.conversation_id == Conversation.id)
        .outerjoin(last, last.id == stats.c.last_id)
        .outerjoin(Customer, Customer.id == Conversation.customer_id)
        .outerjoin(User, User.id == Conversation.user_id),
        stats, filters,
    ).order_by(order, last.created_at.desc().nulls_last(), Conversation.id.desc())
    if limit is not None:
        page = Page(session.execute(stmt.limit(limit)).all(), 1, limit, False)
    else:
        page = paginate(session, stmt, rows=lambda s, q: s.execute(q).all())
    return replace(page, items=[
        InboxRow(
            id=c.id, name=_display_name(c, customer_name, user_name), who=WHO.get(c.role, ""),
            last_at=message.created_at if message else None,
            preview=message_text(message)[:120] if message else "",
            unread=last_in is not None and (last_out is None or last_in > last_out),
            needs_person=c.needs_person, human_takeover=c.human_takeover, emergency=rank == 0,
        )
        for c, customer_name, user_name, last_in, last_out, message, rank in page.items
    ])


def filter_counts(session: Session, technician: int | None) -> dict[str, int]:
    """How many chats each ?show= filter holds (within the chosen technician's, if any)."""
    stats = _stats()
    counts = {}
    for key in SHOW:
        stmt = select(func.count(Conversation.id)).outerjoin(stats, stats.c.conversation_id == Conversation.id)
        counts[key] = session.scalar(_filtered(stmt, stats, InboxFilters(key, technician))) or 0
    return counts


def technicians(session: Session) -> list[tuple[int, str]]:
    """Active technicians, by name: the inbox's "by technician" choices."""
    return [(row.id, row.name) for row in session.execute(
        select(User.id, User.name).where(User.role == Role.TECHNICIAN, User.active.is_(True))
        .order_by(User.name, User.id))]


@bp.get("")
@requires(STAFF)
def index():
    user = current_user()
    with db().org_session(user.org_id) as s:
        choices = technicians(s)
        filters = InboxFilters.from_args(request.args, choices)
        page = inbox(s, filters)
        counts = filter_counts(s, filters.technician)
        rejected = attention.count_rejected(s)
        tz = zone(s.get(Organization, user.org_id).time_zone)
    return render_template("backoffice/conversations.html", page=page, tz=tz, filters=filters,
                           shows=SHOW, show_counts=counts, technicians=choices, rejected=rejected,
                           url_with=url_with)


def _render_thread(conversation_id: int, *, error: str | None = None, draft: str = "",
                   notice: str | None = None):
    user = current_user()
    with db().org_session(user.org_id) as s:
        conversation = s.get(Conversation, conversation_id)
        if conversation is None:
            abort(404)
        customer = s.get(Customer, conversation.customer_id) if conversation.customer_id else None
        staff = s.get(User, conversation.user_id) if conversation.user_id else None
        tz = zone(s.get(Organization, user.org_id).time_zone)
        # Page 1 holds the newest messages, page 2 the ones before them…; each shown oldest first.
        # An edit or deletion shows as a mark on its message, not as a message of its own.
        thread = paginate(s, select(Message).where(Message.conversation_id == conversation.id,
                                                   Message.revises.is_(None))
                          .order_by(Message.id.desc()), per_page=THREAD_PAGE)
        staff_typed = staff_senders(s, thread.items)
    messages = [
        MessageView(
            inbound=m.direction == Direction.INBOUND,
            at=date_time(m.created_at, tz),
            text=message_text(m),
            status="" if m.direction == Direction.INBOUND else DELIVERY.get(m.status, str(m.status)),
            sender="" if m.direction == Direction.INBOUND else
            "Desde el celular (persona)" if m.sent_from == "business_app" else sender_label(m, staff_typed),
            revision="eliminado" if m.deleted_at else "editado" if m.edited_at else "",
        )
        for m in reversed(thread.items)
    ]
    window_closed = (conversation.last_inbound_at is None
                     or utcnow() - conversation.last_inbound_at > SERVICE_WINDOW)
    name = _display_name(conversation, customer.name if customer else None,
                         staff.name if staff else None)
    return render_template("backoffice/conversation.html", conversation=conversation, name=name,
                           who=WHO.get(conversation.role, ""), messages=messages, error=error,
                           draft=draft, notice=notice, window_closed=window_closed, thread=thread)


@bp.get("/<int:conversation_id>")
@requires(STAFF)
def show(conversation_id: int):
    return _render_thread(conversation_id)


@bp.post("/<int:conversation_id>/take-over")
@requires(STAFF)
def take_over(conversation_id: int):
    with db().org_session(current_user().org_id) as s:
        try:
            conversations.take_over(s, conversation_id, actor())
        except NotFound:
            abort(404)
    return redirect(f"/app/conversations/{conversation_id}")


@bp.post("/<int:conversation_id>/hand-back")
@requires(STAFF)
def hand_back(conversation_id: int):
    org_id = current_user().org_id
    with db().org_session(org_id) as s:
        try:
            conversations.hand_back(s, conversation_id, actor())
        except NotFound:
            abort(404)
        reopened = conversations.reopen_unanswered(s, conversation_id)
    if reopened:  # after the commit: the bot answers what the person left unanswered
        dispatcher().process_burst(org_id, conversation_id, uuid4().hex)
    return redirect(f"/app/conversations/{conversation_id}")


@bp.post("/<int:conversation_id>/reply")
@requires(STAFF)
def reply(conversation_id: int):
    user = current_user()
    draft = request.form.get("body") or ""
    try:
        body = reply_text(draft)
        with db().org_session(user.org_id) as s:
            conversation = s.get(Conversation, conversation_id)
            if conversation is None:
                abort(404)
            if not conversation.human_takeover:
                raise FormError("body", "Para escribirle, primero tomá la conversación: "
                                        "así el bot no contesta al mismo tiempo que vos.")
            if conversation.reply_address is None:
                raise FormError("body", "Esta persona todavía no compartió su número, "
                                        "así que WhatsApp no nos deja escribirle.")
            ids = queue_replies(s, conversation, [Text(body)],
                                key=f"staff:{conversation.id}:{uuid4().hex}")
            audit.record(s, actor=actor(), action="conversation.reply", entity_type="conversation",
                         entity_id=conversation.id, data={"message_ids": ids, "chars": len(body)})
    except FormError as exc:
        return _render_thread(conversation_id, error=exc.message, draft=draft)
    # After the commit, so the worker finds the row.
    for message_id in ids:
        dispatcher().send(user.org_id, message_id)
    log.info("staff reply queued", extra={"conversation_id": conversation_id, "message_ids": ids})
    return redirect(f"/app/conversations/{conversation_id}")
