"""Send a reply: a stored outbound message goes out once through the adapter, within the number's
rate limit and WhatsApp's 24-hour window, and panic mode and the metrics hear how it went."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from redis import Redis
from sqlalchemy import ColumnElement, and_, func, select, update
from sqlalchemy.orm import Session, joinedload

from core.db import Database
from core.messaging.replies import (
    Buttons,
    Document,
    ListMessage,
    Location,
    Reply,
    Template,
    Text,
    reply_from_dict,
)
from core.models import Conversation, DeliveryStatus, Direction, Message, utcnow
from core.settings import Settings
from integrations.whatsapp import WhatsAppClient, body_parameters
from integrations.whatsapp_errors import WhatsAppError
from services.alerts import panic_changed
from services.dispatch import SEND_TIMEOUT
from services.metrics import Metrics
from services.panic import PanicSwitch
from services.ratelimit import TokenBucket
from services.whatsapp_gateway import cached_client_for

log = logging.getLogger("campotech.bot.outbound")  # the name these lines always had

_MESSAGES = Message.__table__
SERVICE_WINDOW = timedelta(hours=24)
MAX_ATTEMPTS = 6  # the first try plus SEND_RETRY's five
RATE_WAIT_LIMIT = 2.0  # longer than this and the job gives its worker back (raises to retry)
# A reply waits (on its send thread) while an earlier one of its conversation is still queued,
# so the chat reads in the order the bot wrote: at most this long, then it goes anyway (an
# earlier message held up by Meta must not hold the conversation back for good).
ORDER_WAIT_LIMIT = 3.0
ORDER_POLL = 0.05
ORDER_RECHECK = 10  # polls between looks at the database while the earlier reply shows no mark
ORDER_LOOKBACK = timedelta(minutes=2)  # older queued messages are a sweeper's business


class SendDeferred(Exception):
    """Not sent yet, worth retrying (Meta throttled us, timed out, or our own rate limit)."""


@dataclass(frozen=True)
class SendResult:
    message_id: int
    outcome: str  # sent, already_sent, failed, refused
    wa_message_id: str | None = None
    error_code: int | None = None


@dataclass(frozen=True)
class Ready:
    """A message cleared to go: the client for its number, where, and what. Built by the
    sender's own read of the row (`Sender._prepare`), or by the transaction that stored the
    message (`prepare_burst_replies`), which has all of it in hand."""

    client: WhatsAppClient
    to: str
    reply: Reply
    read_wamid: str | None = None  # an inbound message to mark read once this one is sent
    kind: str = ""  # the message's type and idempotency key, for the metrics
    key: str = ""
    conversation_id: int | None = None
    waits_on: int | None = None  # an earlier reply of the conversation, still queued


def send_reply(db: Database, redis: Redis, settings: Settings, org_id: int, message_id: int,
               *, mark_read: int | None = None, ready: Ready | None = None) -> SendResult:
    """Send one stored reply and count the outcome toward panic mode; raises SendDeferred (to
    retry with backoff) when Meta or our own rate limit asks us to wait. `mark_read`: the
    inbound message it answers, whose blue ticks go out once the reply is sent. `ready`: what
    the transaction that stored it already knew (`prepare_burst_replies`), so it is not read
    back."""
    panic = PanicSwitch(redis, settings)
    try:
        result = Sender(db, redis, settings).deliver(org_id, message_id, mark_read=mark_read,
                                                     ready=ready)
    except SendDeferred:
        panic_changed(db, redis, settings, org_id, panic.record(org_id, ok=False))
        raise
    ok = result.outcome in ("sent", "already_sent")
    if result.outcome != "already_sent":
        panic_changed(db, redis, settings, org_id, panic.record(org_id, ok=ok))
    return result


def send(client: WhatsAppClient, to: str, reply: Reply) -> str:
    """Put one reply on the wire through the adapter's call for its kind; returns the wamid."""
    if isinstance(reply, Text):
        return client.send_text(to, reply.body, preview_url=reply.preview_url)
    if isinstance(reply, Buttons):
        return client.send_buttons(to, reply.body, [(b.id, b.title) for b in reply.buttons],
                                   header=reply.header, footer=reply.footer)
    if isinstance(reply, ListMessage):
        sections = [(s.title, [(r.id, r.title, r.description) for r in s.rows]) for s in reply.sections]
        return client.send_list(to, reply.body, reply.button, sections,
                                header=reply.header, footer=reply.footer)
    if isinstance(reply, Document):
        return client.send_document(to, reply.filename, link=reply.link, media_id=reply.media_id,
                                    caption=reply.caption)
    if isinstance(reply, Location):
        return client.send_location(to, reply.latitude, reply.longitude, reply.name, reply.address)
    if isinstance(reply, Template):
        return client.send_template(to, reply.name, reply.language, body_parameters(reply.parameters))
    raise TypeError(f"cannot send {type(reply).__name__}")


def _mark_read(client: WhatsAppClient, wamid: str) -> None:
    """Blue ticks on the message just answered: best effort, never a reason to retry a send
    that went out."""
    try:
        client.mark_as_read(wamid)
    except WhatsAppError as exc:
        log.info("mark-as-read of %s failed: %s", wamid, exc)


def _sent_values(wamid: str) -> dict:
    """What a message Meta accepted looks like in its row."""
    return {"wa_message_id": wamid, "status": DeliveryStatus.SENT, "status_at": utcnow(),
            "error_code": None, "error_title": None}


def _first_of_burst(key: str) -> str | None:
    """The burst a reply answers, when it is that burst's first reply (`burst:{id}:0`)."""
    if key.startswith("burst:") and key.endswith(":0"):
        return key.split(":")[1]
    return None


def window_open(conversation: Conversation, now: datetime) -> bool:
    """Inside WhatsApp's 24-hour customer-service window, when free-form messages are allowed."""
    last = conversation.last_inbound_at
    return last is not None and now - last < SERVICE_WINDOW


def window_template(settings: Settings, reply: Reply) -> Template | None:
    """The approved template that stands in for `reply` outside the window, if one is configured."""
    if not settings.whatsapp_window_template:
        return None
    summary = " ".join(reply.preview().split())[:900]
    return Template(
        name=settings.whatsapp_window_template,
        language=settings.whatsapp_window_template_lang,
        parameters=(summary,),
    )


def still_queued(conversation_id: int) -> ColumnElement[bool]:
    """A reply of the conversation still waiting to go (recent ones only: older stuck messages
    are the sweeper's business)."""
    return and_(Message.conversation_id == conversation_id,
                Message.direction == Direction.OUTBOUND,
                Message.status == DeliveryStatus.QUEUED,
                Message.created_at > utcnow() - ORDER_LOOKBACK)


def _earlier_queued(session: Session, conversation_id: int, message_id: int) -> int | None:
    """The latest earlier reply of the conversation still waiting to go, if any."""
    return session.scalar(select(Message.id).where(
        still_queued(conversation_id), Message.id < message_id,
    ).order_by(Message.id.desc()).limit(1))


def prepare_burst_replies(
    session: Session, settings: Settings, org_id: int, conversation: Conversation,
    replies: Sequence[Reply], reply_ids: Sequence[int], *, key: str, read_wamid: str | None,
    earlier_queued: int | None,
) -> list[Ready] | None:
    """What a burst's own replies need to go out, from the transaction that stores them (it
    holds the conversation and the replies already): the send then skips reading them back
    (`Sender._prepare`'s transaction, about a sixth of a reply's CPU in a rush). None when they
    need the sender's own look: no address to answer to, or outside the 24-hour window (a
    template stands in, which `_prepare` writes to the row). The first waits on
    `earlier_queued`, the latest reply of the conversation still queued when the burst looked
    (what `_prepare` would find); each next one follows the one before on the same thread."""
    if not reply_ids or len(replies) != len(reply_ids):
        return None
    to = conversation.reply_address
    if to is None or not window_open(conversation, utcnow()):
        return None
    client = cached_client_for(session, org_id, settings)
    return [Ready(client, to, reply, read_wamid=read_wamid if n == 0 else None, kind=reply.kind,
                  key=f"{key}:{n}", conversation_id=conversation.id,
                  waits_on=earlier_queued if n == 0 else None)
            for n, reply in enumerate(replies)]


class Sender:
    """Sends one stored outbound message, at most once, within the number's rate limit."""

    def __init__(
        self, db: Database, redis: Redis, settings: Settings,
        clock: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep,
    ):
        self.db, self.redis, self.settings = db, redis, settings
        self.clock, self.sleep = clock, sleep

    def _sent_key(self, message_id: int) -> str:
        return f"campotech:sent:{message_id}"

    def deliver(self, org_id: int, message_id: int, *, mark_read: int | None = None,
                ready: Ready | None = None) -> SendResult:
        """Send it, or say why not; raises SendDeferred (after committing the attempt) to retry."""
        result = self._deliver(org_id, message_id, mark_read, ready)
        if isinstance(result, SendDeferred):
            raise result
        return result

    def _claim_key(self, message_id: int) -> str:
        return f"campotech:sending:{message_id}"

    def _deliver(self, org_id: int, message_id: int, mark_read: int | None = None,
                 prepared: Ready | None = None) -> SendResult | SendDeferred:
        # What to send is settled in one transaction (the sender's own, or the one that stored
        # the message), the call to Meta happens outside any, and its outcome is written in
        # another: no connection or row waits on the Graph API.
        ready: Ready | SendResult | SendDeferred
        if prepared is not None:
            ready = prepared
        else:
            with self.db.org_session(org_id) as session:
                ready = self._prepare(session, org_id, message_id)
                if isinstance(ready, Ready) and mark_read is not None:
                    inbound = session.get(Message, mark_read)
                    if inbound is not None and inbound.direction is Direction.INBOUND:
                        ready = replace(ready, read_wamid=inbound.wa_message_id)
        if not isinstance(ready, Ready):
            return ready
        if ready.waits_on is not None:
            self._wait_for_earlier(org_id, ready.conversation_id, message_id, ready.waits_on)
        # Two senders of one message (a retried job and a sweeper's, on two threads or two
        # workers) both find it queued: only the one holding the claim sends. The claim comes
        # before the look at the sent mark, so a sender that claims after another one released
        # sees that one's wamid; it lapses with the send job's timeout if its holder dies.
        claim = self._claim_key(message_id)
        pipe = self.redis.pipeline(transaction=False)
        pipe.set(claim, 1, nx=True, ex=SEND_TIMEOUT)
        pipe.get(self._sent_key(message_id))
        claimed, remembered = pipe.execute()
        if not claimed:
            return SendDeferred("another sender holds this message")
        released = False
        try:
            if remembered:
                # A crash after Meta accepted the message but before its outcome was written
                # left this mark: trust it and do not send again.
                with self.db.org_session(org_id) as session:
                    return self._record_sent(session.get(Message, message_id), remembered.decode())
            try:
                self._wait_for_rate(ready.client.phone_number_id)
            except SendDeferred as deferred:
                return deferred
            try:
                wamid = send(ready.client, ready.to, ready.reply)
            except WhatsAppError as err:
                with self.db.org_session(org_id) as session:
                    return self._after_error(session.get(Message, message_id), ready.reply, err)
            # The mark first, the claim released and the message counted with it (one round
            # trip): from here on a second sender finds the wamid, whether or not the outcome
            # below is written.
            pipe = self.redis.pipeline(transaction=False)
            pipe.set(self._sent_key(message_id), wamid, ex=7 * 86400)
            pipe.delete(claim)
            Metrics(self.redis).inc("campotech_messages_out_total", ready.kind, pipe=pipe)
            first = _first_of_burst(ready.key)
            if first:
                pipe.get(f"campotech:burst-closed:{first}")
            done = pipe.execute()
            closed = done[-1] if first else None
            released = True
            if closed:  # a burst's first reply: how long the customer waited for it
                Metrics(self.redis).observe_latency(max(0.0, time.time() - float(closed)))
            if ready.read_wamid:
                _mark_read(ready.client, ready.read_wamid)
            with self.db.org_session(org_id) as session:
                # One UPDATE, nothing loaded: the row was read before the send. On the table,
                # not the ORM entity (whose bulk update would look for the row among loaded
                # objects and cost twice the CPU), so the organization is said outright as the
                # tenancy hooks would (row-level security holds on PostgreSQL either way).
                session.connection().execute(update(_MESSAGES).where(
                    _MESSAGES.c.id == message_id, _MESSAGES.c.org_id == org_id).values(
                    attempts=func.coalesce(_MESSAGES.c.attempts, 0) + 1, **_sent_values(wamid)))
            return SendResult(message_id, "sent", wamid)
        finally:
            if not released:
                self.redis.delete(claim)

    def _prepare(self, session: Session, org_id: int, message_id: int
                 ) -> Ready | SendResult | SendDeferred:
        message = session.get(Message, message_id, options=[joinedload(Message.conversation)])
        if message is None or message.direction is not Direction.OUTBOUND:
            return SendResult(message_id, "failed")
        if message.status is not DeliveryStatus.QUEUED or message.wa_message_id:
            return SendResult(message_id, "already_sent", message.wa_message_id)
        conversation = message.conversation
        reply = reply_from_dict(message.payload or {})
        to = conversation.reply_address
        if to is None:
            return self._fail(message, None, "sin número para responder", final=True)
        if not isinstance(reply, Template) and not window_open(conversation, utcnow()):
            template = window_template(self.settings, reply)
            if template is None:
                return self._fail(
                    message, 131047, "fuera de la ventana de 24 horas", final=True,
                    outcome="refused",
                )
            reply = template
            message.payload = template.to_dict()
            message.type = template.kind
        return Ready(cached_client_for(session, org_id, self.settings), to, reply,
                      kind=message.type, key=message.idempotency_key or "",
                      conversation_id=message.conversation_id,
                      waits_on=_earlier_queued(session, message.conversation_id, message_id))

    def _wait_for_earlier(self, org_id: int, conversation_id: int, message_id: int,
                          earlier: int) -> None:
        """Hold this reply while an earlier reply of the same conversation is still queued
        ("En un ratito te mandamos la factura" from the technician's turn, then the invoice
        from its own job: on two send threads the invoice could arrive first). Only called when
        one was found (by `_prepare`, or by the burst's transaction for a prepared reply); the
        common send costs no look of its own.

        The wait watches the earlier reply's sent mark in Redis (set before its outcome is
        written, one GET a poll) and reads the database again only when the mark appears (for
        a reply queued before that one) or every ORDER_RECHECK polls (it failed for good, or
        went out before the mark existed)."""
        for n in range(1, round(ORDER_WAIT_LIMIT / ORDER_POLL) + 1):
            self.sleep(ORDER_POLL)
            if not self.redis.exists(self._sent_key(earlier)) and n % ORDER_RECHECK:
                continue
            with self.db.org_session(org_id) as session:
                found = _earlier_queued(session, conversation_id, message_id)
            if found is None:
                return
            earlier = found
        log.info("message %s sent before the earlier %s, still queued", message_id, earlier)

    def _after_error(self, message: Message, reply: Reply, err: WhatsAppError
                     ) -> SendResult | SendDeferred:
        message.attempts = (message.attempts or 0) + 1
        if err.outside_window and not isinstance(reply, Template):
            template = window_template(self.settings, reply)
            if template is not None:
                message.payload = template.to_dict()
                message.type = template.kind
                return SendDeferred("outside the 24-hour window: the template goes next")
        final = not err.retryable or message.attempts >= MAX_ATTEMPTS
        result = self._fail(message, err.code, err.title, final=final)
        return result if final else SendDeferred(f"{err.code}: {err.title}")

    def _wait_for_rate(self, phone_number_id: str) -> None:
        bucket = TokenBucket(self.redis, f"send:{phone_number_id}", self.settings.whatsapp_send_rate)
        waited = 0.0
        while (wait := bucket.take(self.clock())) > 0:
            if waited + wait > RATE_WAIT_LIMIT:
                raise SendDeferred("our own per-number rate limit")
            self.sleep(wait)
            waited += wait

    def _record_sent(self, message: Message, wamid: str) -> SendResult:
        for name, value in _sent_values(wamid).items():
            setattr(message, name, value)
        return SendResult(message.id, "sent", wamid)

    def _fail(
        self, message: Message, code: int | None, title: str, *,
        final: bool, outcome: str = "failed",
    ) -> SendResult:
        message.error_code = code
        message.error_title = (title or "")[:200]
        if final:
            message.status = DeliveryStatus.FAILED
            message.status_at = utcnow()
            log.warning("message %s failed for good: %s %s", message.id, code, title)
        return SendResult(message.id, outcome if final else "retrying", None, code)
