"""The conversations inbox: who wrote, who needs a person, and staff taking a chat over."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from uuid import uuid4

from flask import Blueprint, abort, redirect, render_template, request
from sqlalchemy import ColumnElement, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from backoffice.display import date_time, local_phone, zone
from backoffice.extensions import db, dispatcher
from backoffice.forms import FormError, reply_text
from backoffice.job_board import open_emergency
from backoffice.paging import Page, paginate
from backoffice.people import BOT, sender_label, staff_senders
from backoffice.security import STAFF, actor, current_user, requires
from core import audit, conversations
from core.errors import NotFound
from core.models import (
    Conversation,
    ConversationRole,
    Customer,
    DeliveryStatus,
    Direction,
    Job,
    Message,
    Organization,
    User,
    utcnow,
)
from core.outbox import queue_replies
from core.replies import Text

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


def _emergency() -> ColumnElement[bool]:
    """The conversation is about an open emergency: its customer's, or the chat that started it."""
    customers = select(Job.customer_id).where(open_emergency())
    chats = select(Job.source_conversation_id).where(open_emergency(),
                                                     Job.source_conversation_id.is_not(None))
    return or_(Conversation.customer_id.in_(customers), Conversation.id.in_(chats))


def inbox(session: Session) -> Page:
    """The requested page of conversations: first those about an open emergency, then those a
    person must answer (asked for one, or taken over), then the rest; in each, the one with the
    newest message first (ties, and chats without messages, by id, which ends the order so
    pages never overlap)."""
    emergency = _emergency()
    attention = case(
        (emergency, 0),
        (or_(Conversation.needs_person.is_(True), Conversation.human_takeover.is_(True)), 1),
        else_=2,
    )
    stats = (
        select(
            Message.conversation_id,
            func.max(case((Message.direction == Direction.INBOUND, Message.id))).label("last_in"),
            func.max(case((Message.direction == Direction.OUTBOUND, Message.id))).label("last_out"),
            func.max(Message.id).label("last_id"),
        )
        .group_by(Message.conversation_id)
        .subquery("stats")
    )
    last = aliased(Message, name="last_message")
    page = paginate(
        session,
        select(Conversation, Customer.name, User.name, stats.c.last_in, stats.c.last_out, last,
               attention.label("attention"))
        .outerjoin(stats, stats.c.conversation_id == Conversation.id)
        .outerjoin(last, last.id == stats.c.last_id)
        .outerjoin(Customer, Customer.id == Conversation.customer_id)
        .outerjoin(User, User.id == Conversation.user_id)
        .order_by(attention, last.created_at.desc().nulls_last(), Conversation.id.desc()),
        rows=lambda s, stmt: s.execute(stmt).all(),
    )
    return replace(page, items=[
        InboxRow(
            id=c.id, name=_display_name(c, customer_name, user_name), who=WHO.get(c.role, ""),
            last_at=message.created_at if message else None,
            preview=message_text(message)[:120] if message else "",
            unread=last_in is not None and (last_out is None or last_in > last_out),
            needs_person=c.needs_person, human_takeover=c.human_takeover, emergency=attention == 0,
        )
        for c, customer_name, user_name, last_in, last_out, message, attention in page.items
    ])


@bp.get("")
@requires(STAFF)
def index():
    user = current_user()
    with db().org_session(user.org_id) as s:
        page = inbox(s)
        tz = zone(s.get(Organization, user.org_id).time_zone)
    return render_template("backoffice/conversations.html", page=page, tz=tz)


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
        thread = paginate(s, select(Message).where(Message.conversation_id == conversation.id)
                          .order_by(Message.id.desc()), per_page=THREAD_PAGE)
        staff_typed = staff_senders(s, thread.items)
    messages = [
        MessageView(
            inbound=m.direction == Direction.INBOUND,
            at=date_time(m.created_at, tz),
            text=message_text(m),
            status="" if m.direction == Direction.INBOUND else DELIVERY.get(m.status, str(m.status)),
            sender="" if m.direction == Direction.INBOUND else sender_label(m, staff_typed),
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
