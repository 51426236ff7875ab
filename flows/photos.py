"""Photos and files sent without words: a technician's are kept with the job at hand (the job's
timeline shows them); a customer's join the booking under way, or the bot asks what they are
about; contact cards are offered to the booking; what we cannot read is said so."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import es_ar
from core.identity.users import find_by_phone
from core.links import conversation_link
from core.messaging import texts
from core.messaging.replies import Reply, Text
from core.models import Conversation, ConversationRole, Job, JobEvent, JobStatus
from flows.burst import Burst, BurstItem
from flows.customer_rating import FLOW_RATING
from flows.turn import Turn, flow_active

AT_WORK = (JobStatus.ON_SITE, JobStatus.EN_ROUTE)
MEDIA = ("image", "video", "document")
# "¡Gracias por la foto!": what each kind is called, one and several.
NAMES = {"image": ("la foto", "las fotos"), "video": ("el video", "los videos"),
         "document": ("el archivo", "los archivos")}
# Slots a customer's wordless burst leaves for the booking that follows it.
PENDING = ("media", "contact")
# How long after "ya te transferí" a photo or file is taken for the payment's proof
PROOF_WAIT = timedelta(hours=2)


def attach(session: Session, conversation: Conversation, burst: Burst) -> Job | None:
    """Attach the burst's photos to the technician's job at hand (on site, else en route), when
    exactly one such job exists; returns it, or None (nothing attached: never a guess)."""
    items = [i for i in burst.items if i.type in MEDIA and not i.media_error]
    if not items:
        return None
    tech_id = conversation.user_id
    if tech_id is None and conversation.phone:
        user = find_by_phone(session, conversation.phone)
        tech_id = user.id if user else None
    if tech_id is None:
        return None
    for status in AT_WORK:
        jobs = list(session.scalars(select(Job).where(Job.technician_id == tech_id, Job.status == status)))
        if len(jobs) == 1:
            job = jobs[0]
            for item in items:
                session.add(JobEvent(
                    job_id=job.id, kind="photo", actor=f"whatsapp:{conversation.wa_id}",
                    note=item.text or None, data={"message_id": item.message_id, "type": item.type},
                ))
            return job
        if jobs:
            return None
    return None


def media_of(items: tuple[BurstItem, ...] | list[BurstItem]) -> list[BurstItem]:
    """The burst's photos, videos and files we could fetch."""
    return [i for i in items if i.type in MEDIA and not i.media_error]


def named(items: list[BurstItem]) -> str:
    """"la foto", "las fotos", "el video y la foto": how the reply calls what was sent."""
    kinds = list(dict.fromkeys(i.type for i in items))
    words = [NAMES[k][1 if sum(i.type == k for i in items) > 1 else 0] for k in kinds]
    return " y ".join(words)


def attach_to_job(session: Session, job: Job, actor: str, media_ids: list[int]) -> None:
    """The photos and files the customer sent while booking, on the job's timeline."""
    for message_id in media_ids:
        session.add(JobEvent(job_id=job.id, kind="photo", actor=actor, note=None,
                             data={"message_id": message_id, "from": "customer"}))


def without_words(turn: Turn) -> list[Reply] | None:
    """The answer to a burst without words, or None to let the engine go on as usual.

    What we cannot read (an unsupported kind, a catalog order, a message Meta flags) is said so,
    to anyone. A customer's photo, video or file during a booking joins it and the booking goes
    on; outside a flow the bot asks what it is about (and keeps it for the booking that follows).
    A contact card is offered to the booking the same way. None of it counts as a miss."""
    from flows import booking  # booking imports this module

    items = turn.burst.items
    replies: list[Reply] = []
    unread = [i for i in items if i.unreadable]
    if unread:
        replies.append(Text(texts.render("cannot_read", kind=unread[-1].type)))
    media = media_of(items)
    cards = [card for i in items for card in i.contacts]
    if turn.role is not ConversationRole.CUSTOMER or not (media or cards):
        return replies or None
    if flow_active(turn.conversation, turn.now, booking.FLOW):
        return replies + booking.on_attachments(turn)
    if media and (proof := _payment_proof(turn, media)) is not None:
        return replies + proof
    flow = turn.conversation.flow
    if flow and flow != FLOW_RATING and turn.in_flow(flow):
        return replies or None  # another flow under way: not ours to interrupt
    turn.clear()  # (the stars asked after a visit wait for no photo: asked about it instead)
    turn.save(media=[i.message_id for i in media])
    if cards:
        name, phone = cards[-1]
        turn.save(contact={"name": name, "phone": phone})
    if media:
        replies.append(Text(texts.render("media_what_about", what=named(media))))
    else:
        replies.append(Text(texts.render("contact_what_about", name=cards[-1][0], phone=cards[-1][1])))
    return replies


def expect_payment_proof(turn: Turn, job: Job | None) -> None:
    """After "ya te transferí" the customer is asked for the proof: a photo or file that follows
    soon is taken for it, not asked about."""
    turn.save(paid_claim={"at": turn.now.isoformat(), "job_id": job.id if job else None})


def _payment_proof(turn: Turn, media: list[BurstItem]) -> list[Reply] | None:
    """The proof of a payment the customer said they made: kept with the job, passed to the
    staff who answer the inbox, thanked; None when no payment was said to be made lately."""
    claim = turn.slots.get("paid_claim")
    try:
        said_at = datetime.fromisoformat(claim["at"]) if isinstance(claim, dict) else None
    except (KeyError, TypeError, ValueError):
        said_at = None
    if said_at is None or turn.now - es_ar.aware(said_at) > PROOF_WAIT:
        return None
    job = turn.session.get(Job, claim["job_id"]) if isinstance(claim.get("job_id"), int) else None
    if job is not None:
        for item in media:
            turn.session.add(JobEvent(job_id=job.id, kind="photo", actor=turn.actor,
                                      note="Comprobante de pago",
                                      data={"message_id": item.message_id, "type": item.type}))
    turn.conversation.slots = {k: v for k, v in turn.slots.items() if k != "paid_claim"}
    who, phone = turn.writer
    turn.tell_staff(texts.render(
        "staff_payment_proof", who=who, phone=phone, number=job.number if job else None,
        link=conversation_link(turn.settings, turn.conversation.id)))
    return [Text(texts.render("cust_payment_proof", name=turn.first_name))]
