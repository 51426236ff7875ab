"""Entry point of the conversation layer: a burst in, the replies out.

Answered here: global commands ("menú", "cancelar", "humano"), a person after two
misunderstandings, the customer's "¿cuándo vienen?" with a tracking link, and the owner's
"resumen" / "quién me debe". Requests that need a multi-step flow (booking, technicians'
updates) are acknowledged with what was understood until those flows land.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from core import texts
from core.models import Conversation, ConversationRole, Organization
from core.replies import Button, Buttons, Reply, Text
from core.settings import Settings
from flows import booking, customer_jobs, owner, photos, status, technician
from flows.burst import Burst
from flows.context import org_context
from flows.understood import understood
from nlu.extract import extract

PREVIEW = 120


Notify = Callable[[str, Reply], None]  # (someone else's wa_id, a reply for them)


def handle_burst(
    session: Session, conversation: Conversation, burst: Burst, settings: Settings | None = None,
    notify: Notify | None = None,
) -> list[Reply]:
    """The replies to one burst. Global commands and the intents that need no multi-step flow
    are answered here; the rest is acknowledged with what was understood until its flow lands."""
    parts, replies = _parts_and_media_replies(burst)
    if conversation.role is ConversationRole.TECHNICIAN and (job := photos.attach(session, conversation, burst)):
        replies.append(Text(texts.render("tech_photo_saved", number=job.number)))
        if not burst.text.strip() or all(p in PHOTO_PARTS for p in parts):
            return replies
    if not parts:
        return replies
    context = org_context(session, burst.org_id)
    now = datetime.now(ZoneInfo(context.time_zone))
    tapped = next((i.reply_id for i in reversed(burst.items) if i.reply_id), None)
    command = _command(burst.text, tapped)
    result = extract(burst.text, conversation.role.value, now, context, settings)
    intent = command or result.intent
    expired = bool(conversation.flow and conversation.expires_at and conversation.expires_at <= now)
    if expired:
        conversation.flow = conversation.state = None
        conversation.slots = {}
        replies.insert(0, Text(texts.render("flow_expired")))
    is_customer = conversation.role is ConversationRole.CUSTOMER
    if conversation.role is ConversationRole.TECHNICIAN and intent not in INTERRUPTIONS and (
        intent in TECH_INTENTS or (tapped or "").startswith(("job:", "done:"))
        or (conversation.flow or "").startswith("tech_")
    ):
        answer = technician.reply(session, conversation, burst.text, result, now, settings,
                                  notify or (lambda wa_id, reply: None), tapped=tapped)
        if answer:
            conversation.misses = 0
            return replies + answer
    if is_customer and (
        (tapped or "").startswith(("resched:", "cancel:", "rate:")) or intent in CUSTOMER_JOB_INTENTS
        or (conversation.flow in customer_jobs.FLOWS and intent not in ("menu", "cancel_flow", "human"))
    ):
        in_flow = conversation.flow in customer_jobs.FLOWS and intent not in CUSTOMER_JOB_INTENTS
        answer = customer_jobs.reply(session, conversation, None if in_flow else intent, result, now,
                                     tapped, text=burst.text)
        if answer:
            conversation.misses = 0
            return replies + answer
    if is_customer and booking.active(conversation, now) and intent not in INTERRUPTIONS:
        return replies + booking.step(_turn(session, conversation, burst, result, tapped, now, notify))
    if is_customer and intent == "new_job":
        return replies + booking.start(_turn(session, conversation, burst, result, tapped, now, notify))

    if intent == "menu" or intent == "greeting":
        conversation.misses = 0
        return replies + [_menu(conversation)]
    if intent == "cancel_flow":
        conversation.misses = 0
        conversation.flow = conversation.state = None
        conversation.slots = {}
        return replies + [Text(texts.render("flow_cancelled"))]
    if intent in ("human", "menu:human"):
        return replies + _hand_to_person(conversation)
    if intent == "menu:new_job":
        conversation.misses = 0
        return replies + [Text(texts.render("ask_problem"))]
    if intent in ("job_status", "menu:status") and conversation.role is ConversationRole.CUSTOMER:
        conversation.misses = 0
        return replies + status.reply(session, conversation, settings, now)
    if intent in ("owner_summary", "owner_unpaid") and conversation.role is ConversationRole.OWNER:
        conversation.misses = 0
        return replies + owner.reply(session, burst.org_id, intent, now)
    if intent == "other":
        conversation.misses = (conversation.misses or 0) + 1
        if conversation.misses >= MISSES_BEFORE_PERSON:
            return replies + _hand_to_person(conversation)
        return replies + [_menu(conversation, texts.render("not_understood"))]

    conversation.misses = 0
    first_name = (conversation.profile_name or "").split(" ")[0] or None
    summary = understood(result)
    return [Text(texts.render("ack", name=first_name, parts=parts, understood=summary)), *replies]


MISSES_BEFORE_PERSON = 2
CUSTOMER_JOB_INTENTS = frozenset({"reschedule", "cancel", "invoice_request", "payment"})
PHOTO_PARTS = frozenset({"una foto", "un video", "un archivo"})
TECH_INTENTS = frozenset({"tech_on_the_way", "tech_arrived", "tech_job_done", "tech_cannot_complete",
                          "tech_agenda"})
# What a customer can say in the middle of a booking without it being read as an answer.
INTERRUPTIONS = frozenset({"menu", "cancel_flow", "human", "menu:human", "menu:status", "job_status",
                           "cancel", "greeting"})


def _turn(session: Session, conversation: Conversation, burst: Burst, result, tapped: str | None,
          now: datetime, notify: Notify | None) -> booking.Turn:
    pin = next((p for p in reversed(burst.pins)), None)
    where = (pin.address or pin.name or f"Ubicación {pin.latitude:.5f},{pin.longitude:.5f}") if pin else None
    return booking.Turn(
        session=session, conversation=conversation, org=session.get(Organization, burst.org_id),
        text=burst.text, result=result, tapped=tapped, pin=where, now=now,
        notify=notify or (lambda wa_id, reply: None),
    )
COMMANDS = {
    "menu": "menu", "menú": "menu", "inicio": "menu", "opciones": "menu",
    "cancelar": "cancel_flow", "cancela": "cancel_flow", "salir": "cancel_flow",
    "humano": "human", "persona": "human", "operador": "human", "hablar con una persona": "human",
    "hablar con alguien": "human",
}


def _command(text: str, tapped: str | None) -> str | None:
    """A global command typed on its own ("menú", "cancelar", "humano") or a menu button."""
    if tapped and tapped.startswith("menu:"):
        return tapped
    folded = " ".join(re.sub(r"[^\wáéíóúüñ ]+", " ", text.lower()).split())
    return COMMANDS.get(folded)


def _menu(conversation: Conversation, body: str | None = None) -> Reply:
    role = conversation.role
    if role is ConversationRole.CUSTOMER:
        return Buttons(
            body=body or texts.render("menu_customer"),
            buttons=(Button("menu:new_job", "Pedir un servicio"), Button("menu:status", "¿Cuándo vienen?"),
                     Button("menu:human", "Hablar con alguien")),
        )
    return Text((body + "\n\n" if body else "") + texts.render(f"menu_{role.value}"))


def _hand_to_person(conversation: Conversation) -> list[Reply]:
    """Flag the conversation for staff (the inbox shows it) and say so."""
    conversation.needs_person = True
    conversation.misses = 0
    return [Text(texts.render("human_handoff"))]


def _parts_and_media_replies(burst: Burst) -> tuple[list[str], list[Reply]]:
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
    return parts, replies


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= PREVIEW else text[: PREVIEW - 1] + "…"
