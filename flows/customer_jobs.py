"""A customer's requests about a job they already have: reschedule, cancel, invoice, payment,
and the rating after a finished visit. Every change waits for an explicit confirmation.

The engine calls `reply` with the NLU intent of a new request, or with `intent=None` when the
conversation is in one of `FLOWS` and the customer goes on (then `conversation.flow/state`
and `tapped` say where they are). `ask_rating` is for the technician flow, after completion.
Everything happens in the caller's session, uncommitted; [] means "not mine, route it on".

Reply ids:
    resched:slot:<technician id>:<iso start>   resched:yes   resched:no
    cancel:yes   cancel:no
    rate:<job id>:<1-5>    (self-contained: works even after the flow's state is gone)

```mermaid
flowchart TD
    msg([customer burst]) --> intent{intent}
    intent -- reschedule --> open1{open job?}
    open1 -- no --> none1[no job to move]
    open1 -- en route / on site --> person[a person calls]
    open1 -- yes --> offer[2-3 slots as buttons] -- tap --> confirm1[Confirmar cambio / Dejarlo]
    confirm1 -- yes --> moved[job rescheduled]
    intent -- cancel --> open2{open job?} -- yes --> confirm2[Sí, cancelar / No]
    confirm2 -- yes --> cancelled[job cancelled]
    intent -- invoice_request --> invoice[latest invoice, its PDF when there is one]
    intent -- payment --> pay[payment options, or how to pay until they are set]
    done([job completed]) --> stars[list of 1-5 stars] -- tap --> comment[optional comment] --> thanks
```

Reschedule and cancel are declared as data (`RESCHEDULE`, `CANCEL_FLOW`: `flows.steps.Flow`s
whose steps say when they are needed, how they ask and how they read an answer); the rating
is two taps and a comment, handled directly. State kept in the conversation (JSON-safe):
    flow "reschedule", state "slot": slots offered (slots: job_id, job_number, date, window)
    flow "reschedule", state "confirm": slot chosen (+ slot, slot_label); then decision yes/no
    flow "cancel_job", state "confirm": (slots: job_id, job_number); then decision yes/no
    flow "rating", state "stars": list sent (slots: job_id)
    flow "rating", state "comment": stars stored, an optional comment awaited (job_id, stars)
Misses in a row are `conversation.misses`: two, and a person takes over.

Job events written: "rating" (data {"stars": n}) and "rating_comment" (note = the text).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import customers, invoicing, jobs, texts
from core.customers import find_by_phone
from core.errors import DomainError
from core.invoice_links import pdf_filename, pdf_link
from core.models import (
    Conversation,
    ConversationRole,
    Customer,
    Invoice,
    InvoiceStatus,
    Job,
    JobEvent,
    JobStatus,
    Organization,
    utcnow,
)
from core.organizations import cuit_is_valid
from core.payments import payment_options
from core.replies import (
    Button,
    Buttons,
    Document,
    ListMessage,
    Reply,
    Row,
    Section,
    Text,
)
from core.reports import format_pesos
from core.scheduling import free_slots, is_slot_free, parse_slot_id
from flows.status import open_job
from flows.steps import Flow, Step
from nlu.schema import Extraction

FLOW_RESCHEDULE, FLOW_CANCEL, FLOW_RATING = "reschedule", "cancel_job", "rating"
FLOWS = (FLOW_RESCHEDULE, FLOW_CANCEL, FLOW_RATING)
# The NLU intents that start something here ("cancel_job" is accepted as a synonym).
INTENTS = frozenset({"reschedule", "cancel", "cancel_job", "invoice_request", "payment"})
# Said in the middle of a flow, these are a new request, not an answer: the engine routes them.
NEW_REQUESTS = frozenset({"new_job", "job_status", "reschedule", "cancel", "invoice_request",
                          "payment", "human"})

IDLE = timedelta(hours=24)
COMMENT_IDLE = timedelta(hours=6)
MISSES_BEFORE_PERSON = 2
OFFER_COUNT = 3
DEFAULT_TIME_ZONE = "America/Argentina/Buenos_Aires"
FINISHED = (JobStatus.COMPLETED, JobStatus.INVOICED, JobStatus.PAID)
MOVING = (JobStatus.EN_ROUTE, JobStatus.ON_SITE)
ISSUED = (InvoiceStatus.AUTHORIZED, InvoiceStatus.INTERNAL, InvoiceStatus.PENDING)

# Reply ids.
RESCHED, CANCEL, RATE = "resched", "cancel", "rate"
RESCHED_YES, RESCHED_NO = "resched:yes", "resched:no"
CANCEL_YES, CANCEL_NO = "cancel:yes", "cancel:no"
_RATE_ID = re.compile(r"^rate:(\d{1,10}):([1-5])$")

# User-facing words (Rioplatense Spanish).
RESCHED_YES_TITLE, RESCHED_NO_TITLE = "Confirmar cambio", "Dejarlo como estaba"
CANCEL_YES_TITLE, CANCEL_NO_TITLE = "Sí, cancelar", "No"
RATING_BUTTON, RATING_SECTION = "Calificar", "Tu calificación"
STAR_WORDS = {1: "Muy mal", 2: "Mal", 3: "Más o menos", 4: "Bien", 5: "¡Excelente!"}
MOVING_WORDS = {JobStatus.EN_ROUTE: "en camino", JobStatus.ON_SITE: "en tu casa"}
WHAT_FOR = {FLOW_RESCHEDULE: "ver el cambio de día", FLOW_CANCEL: "ver la cancelación"}
WEEKDAYS = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")
YES_WORDS = frozenset({"si", "sii", "dale", "confirmo", "confirmar", "confirmalo", "ok", "okey",
                       "de una", "si dale", "si confirmo", "cancelalo", "si cancelalo",
                       "si cancelar", "confirmar cambio", "si cambialo", "cambialo"})
NO_WORDS = frozenset({"no", "nop", "no gracias", "dejalo", "dejalo como estaba",
                      "dejarlo como estaba", "no cancelar", "no lo cancelen", "mejor no"})


def reply(session: Session, conversation: Conversation, intent: str | None,
          result: Extraction | None, now: datetime, tapped: str | None, *,
          text: str = "") -> list[Reply]:
    """The replies to a customer's turn about an existing job; [] when it is not for here.

    `intent` is the NLU intent of a new request, None to continue a flow of `FLOWS`;
    `tapped` the id of a tapped button or list row; `text` the burst's text (the comment
    after a rating is read from it).
    """
    if conversation.role is not ConversationRole.CUSTOMER:
        return []
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    result = result or Extraction()
    org = session.get(Organization, conversation.org_id)
    now = now.astimezone(_zone(org))
    tapped = tapped or ""
    if (not tapped and conversation.state == "confirm" and active(conversation, now)
            and _folded(text) in YES_WORDS | NO_WORDS):
        intent = None  # "sí, cancelalo" answers the question, whatever the NLU made of it
    if _RATE_ID.match(tapped):
        return _rate(session, conversation, tapped, now)
    turn = JobTurn(session, conversation, org, result, now, text, tapped)
    if tapped.startswith(f"{RESCHED}:"):
        return _walk(turn, RESCHEDULE)
    if tapped in (CANCEL_YES, CANCEL_NO):
        return _walk(turn, CANCEL_FLOW)
    if intent == "reschedule":
        return _start_reschedule(session, conversation, org, result, now)
    if intent in ("cancel", "cancel_job"):
        return _start_cancel(session, conversation, now)
    cuit = _cuit_in(text) if intent == "invoice_request" or "cuit" in _folded(text) else None
    if cuit:
        return _save_cuit(session, conversation, cuit, text)
    if intent == "invoice_request":
        return _invoice(session, conversation)
    if intent == "payment":
        return _payment(session, conversation)
    if (intent is None or intent == "other") and active(conversation, now):
        return _continue(session, conversation, org, result, now, text)
    return []


def active(conversation: Conversation, now: datetime) -> bool:
    """Whether the conversation is in one of this module's flows, not expired."""
    return conversation.flow in FLOWS and (
        conversation.expires_at is None or conversation.expires_at > now)


def ask_rating(conversation: Conversation, job: Job, now: datetime | None = None) -> list[Reply]:
    """The 1-to-5 stars list for a finished job, to send to its customer's conversation.

    The row ids carry the job, so a tap is understood even when the conversation has moved on;
    the flow state is only set when the customer is not in the middle of something else.
    """
    now = now or utcnow()
    if _free_for_rating(conversation, now):
        _set(conversation, FLOW_RATING, "stars", {"job_id": job.id}, now + IDLE)
    tech = _first_name(job.technician.name if job.technician else None)
    rows = tuple(Row(f"{RATE}:{job.id}:{n}", "⭐" * n, STAR_WORDS[n]) for n in range(1, 6))
    return [ListMessage(body=texts.render("cust_rating_ask", number=job.number, tech=tech),
                        button=RATING_BUTTON, sections=(Section(RATING_SECTION, rows),))]


# ---- continuing a flow ---------------------------------------------------------------------

def _continue(session: Session, conversation: Conversation, org: Organization | None,
              result: Extraction, now: datetime, text: str) -> list[Reply]:
    flow, state = conversation.flow, conversation.state
    said = _folded(text)
    if flow == FLOW_RATING:
        if state == "comment" and text.strip() and result.intent not in NEW_REQUESTS:
            return _comment(session, conversation, text)
        if state == "stars" and said in {"1", "2", "3", "4", "5"}:
            job_id = (conversation.slots or {}).get("job_id")
            return _rate(session, conversation, f"{RATE}:{job_id}:{said}", now)
        _clear(conversation)  # they moved on: no nagging for stars
        return []
    if result.intent in NEW_REQUESTS - {"reschedule"} and not (
            state == "confirm" and (said in YES_WORDS or said in NO_WORDS)):
        return []
    turn = JobTurn(session, conversation, org, result, now, text, None)
    if flow == FLOW_CANCEL:
        return _walk(turn, CANCEL_FLOW)
    if flow == FLOW_RESCHEDULE:
        return _walk(turn, RESCHEDULE)
    _clear(conversation)
    return []


@dataclass
class JobTurn:
    """One customer turn inside a job flow (what `flows.steps` walks)."""

    session: Session
    conversation: Conversation
    org: Organization | None
    result: Extraction
    now: datetime
    text: str
    tapped: str | None

    @property
    def slots(self) -> dict:
        return self.conversation.slots or {}

    def save(self, **values) -> None:
        self.conversation.slots = {**self.slots, **values}  # a new dict: JSON notices it

    @property
    def said(self) -> str:
        return "" if self.tapped else _folded(self.text)

    @property
    def job(self) -> Job | None:
        return _flow_job(self.session, self.conversation)


def _walk(turn: JobTurn, flow: Flow) -> list[Reply]:
    """A turn of a job flow, once the job is known to still be there and still movable."""
    if turn.conversation.flow != flow.name or turn.org is None:
        return [Text(texts.render("cust_stale"))]
    job = turn.job
    if job is None:
        _clear(turn.conversation)
        return [Text(texts.render("cust_stale"))]
    if job.status in MOVING and not (flow is CANCEL_FLOW and _decision(turn) == "no"):
        return _in_progress(turn.conversation, job, flow.name)
    return flow.walk(turn)


def _decision(turn: JobTurn) -> str | None:
    """"yes" or "no" from the confirm buttons or the words ("dale", "mejor no")."""
    if turn.tapped in (RESCHED_YES, CANCEL_YES) or turn.said in YES_WORDS:
        return "yes"
    if turn.tapped in (RESCHED_NO, CANCEL_NO) or turn.said in NO_WORDS:
        return "no"
    return None


def _read_decision(turn: JobTurn) -> bool:
    decision = _decision(turn)
    if decision:
        turn.save(decision=decision)
    return decision is not None


# ---- reschedule ----------------------------------------------------------------------------

def _start_reschedule(session: Session, conversation: Conversation, org: Organization | None,
                      result: Extraction, now: datetime) -> list[Reply]:
    job = open_job(session, conversation)
    if job is None or org is None:
        return [Text(texts.render("cust_reschedule_none"))]
    if job.status in MOVING:
        return _in_progress(conversation, job, FLOW_RESCHEDULE)
    turn = JobTurn(session, conversation, org, result, now, "", None)
    return RESCHEDULE.start(turn, job_id=job.id, job_number=job.number,
                            date=result.date, window=result.window)


def _offer(turn: JobTurn, *, retry: bool = False) -> list[Reply]:
    """2-3 free slots as buttons, other than the visit's current one (the "slot" step)."""
    job, now, s = turn.job, turn.now, turn.slots
    if job is None or turn.org is None:
        return _hand_over(turn.conversation)
    found = free_slots(turn.session, turn.org, now=now, count=OFFER_COUNT + 1,
                       preferred_date=_parse_date(s.get("date")), preferred_window=s.get("window"))
    current = _current_start(job, now)
    offered = [x for x in found if x.start != current][:OFFER_COUNT]
    if not offered:
        turn.conversation.needs_person = True
        _clear(turn.conversation)
        return [Text(texts.render("cust_reschedule_no_slots"))]
    taken = bool(s.get("taken"))
    turn.save(taken=None, date=None, window=None)
    body = texts.render("cust_reschedule_offer", number=job.number, taken=taken, retry=retry,
                        current=_visit(job, now))
    return [Buttons(body=body, buttons=tuple(
        Button(f"{RESCHED}:{x.id}", x.label_on(now.date())) for x in offered))]


def _read_slot(turn: JobTurn) -> bool:
    """A tapped slot (still free: chosen; taken meanwhile: a fresh offer), or "mejor el jueves
    a la tarde" (a fresh offer for then). A slot tap is read at the confirm step too."""
    tapped = turn.tapped or ""
    if tapped.startswith(f"{RESCHED}:") and tapped not in (RESCHED_YES, RESCHED_NO):
        slot = parse_slot_id(tapped.removeprefix(f"{RESCHED}:"), time_zone=turn.org.time_zone)
        if slot is None:
            return False
        if not is_slot_free(turn.session, turn.org, slot, now=turn.now):
            turn.save(slot=None, slot_label=None, decision=None, taken=True)
            return True
        turn.save(slot=slot.id, slot_label=_when(slot.start, slot.end, turn.now.date()),
                  decision=None)
        return True
    if not tapped and (turn.result.date or turn.result.window):
        turn.save(slot=None, slot_label=None, decision=None, date=turn.result.date,
                  window=turn.result.window)
        return True
    return False


def _read_reschedule_confirm(turn: JobTurn) -> bool:
    return _read_slot(turn) or _read_decision(turn)


def _reschedule_ask(turn: JobTurn, *, retry: bool = False) -> list[Reply]:
    return [_reschedule_question(turn.conversation, retry=retry)]


def _reschedule_question(conversation: Conversation, *, retry: bool = False) -> Buttons:
    slots = conversation.slots or {}
    body = texts.render("cust_reschedule_confirm", number=slots.get("job_number"),
                        when=slots.get("slot_label") or "", retry=retry)
    return Buttons(body=body, buttons=(Button(RESCHED_YES, RESCHED_YES_TITLE),
                                       Button(RESCHED_NO, RESCHED_NO_TITLE)))


def _reschedule_done(turn: JobTurn) -> list[Reply]:
    job = turn.job
    if turn.slots.get("decision") == "no":
        _clear(turn.conversation)
        return [Text(texts.render("cust_reschedule_kept", current=_visit(job, turn.now)))]
    return _reschedule(turn.session, turn.conversation, turn.org, job, turn.now, turn)


def _reschedule(session: Session, conversation: Conversation, org: Organization, job: Job,
                now: datetime, turn: JobTurn) -> list[Reply]:
    chosen = (conversation.slots or {}).get("slot")
    slot = parse_slot_id(chosen, time_zone=org.time_zone) if chosen else None
    if slot is None or not is_slot_free(session, org, slot, now=now):  # taken meanwhile
        turn.save(slot=None, slot_label=None, decision=None, taken=slot is not None)
        return RESCHEDULE.next(turn)
    actor = _actor(conversation)
    try:
        with session.begin_nested():  # a refusal half-way leaves nothing behind
            if slot.technician_id != job.technician_id:
                jobs.assign_technician(session, job.id, slot.technician_id, actor)
            jobs.schedule(session, job.id, slot.start, slot.end, actor)
    except DomainError:
        return _hand_over(conversation, "cust_job_error")
    _clear(conversation)
    return [Text(texts.render("cust_rescheduled", number=job.number,
                              when=_when(slot.start, slot.end, now.date())))]


RESCHEDULE = Flow(
    name=FLOW_RESCHEDULE,
    steps=(
        Step("slot", ask=_offer, read=_read_slot,
             needed=lambda turn: not turn.slots.get("slot"),
             reask=lambda turn: _offer(turn, retry=True)),
        Step("confirm", ask=_reschedule_ask, read=_read_reschedule_confirm,
             needed=lambda turn: not turn.slots.get("decision"),
             reask=lambda turn: _reschedule_ask(turn, retry=True)),
    ),
    finish=_reschedule_done,
    hand_over=lambda turn: _hand_over(turn.conversation),
    idle=IDLE,
    misses_before_person=MISSES_BEFORE_PERSON,
)


# ---- cancel --------------------------------------------------------------------------------

def _start_cancel(session: Session, conversation: Conversation, now: datetime) -> list[Reply]:
    job = open_job(session, conversation)
    if job is None:
        return [Text(texts.render("cust_cancel_none"))]
    if job.status in MOVING:
        return _in_progress(conversation, job, FLOW_CANCEL)
    org = session.get(Organization, conversation.org_id)
    turn = JobTurn(session, conversation, org, Extraction(), now, "", None)
    return CANCEL_FLOW.start(turn, job_id=job.id, job_number=job.number)


def _cancel_question(job: Job, now: datetime, *, retry: bool = False) -> Buttons:
    body = texts.render("cust_cancel_confirm", number=job.number, current=_visit(job, now),
                        retry=retry)
    return Buttons(body=body, buttons=(Button(CANCEL_YES, CANCEL_YES_TITLE),
                                       Button(CANCEL_NO, CANCEL_NO_TITLE)))


def _cancel_done(turn: JobTurn) -> list[Reply]:
    job, conversation = turn.job, turn.conversation
    if turn.slots.get("decision") == "no":
        _clear(conversation)
        return [Text(texts.render("cust_cancel_kept", number=job.number,
                                  current=_visit(job, turn.now)))]
    try:
        with turn.session.begin_nested():
            jobs.transition(turn.session, job.id, JobStatus.CANCELLED, _actor(conversation),
                            note="cancelado por el cliente por WhatsApp")
    except DomainError:
        return _hand_over(conversation, "cust_job_error")
    _clear(conversation)
    return [Text(texts.render("cust_cancelled", number=job.number))]


CANCEL_FLOW = Flow(
    name=FLOW_CANCEL,
    steps=(Step("confirm", ask=lambda turn: [_cancel_question(turn.job, turn.now)],
                read=_read_decision, needed=lambda turn: not turn.slots.get("decision"),
                reask=lambda turn: [_cancel_question(turn.job, turn.now, retry=True)]),),
    finish=_cancel_done,
    hand_over=lambda turn: _hand_over(turn.conversation),
    idle=IDLE,
    misses_before_person=MISSES_BEFORE_PERSON,
)


def _in_progress(conversation: Conversation, job: Job, flow: str) -> list[Reply]:
    """En route or on site: the bot does not move it; a person calls."""
    conversation.needs_person = True
    _clear(conversation)
    return [Text(texts.render("cust_job_in_progress", state=MOVING_WORDS[job.status],
                              what=WHAT_FOR[flow]))]


# ---- invoice and payment -------------------------------------------------------------------

def _invoice(session: Session, conversation: Conversation) -> list[Reply]:
    customer = _customer(session, conversation)
    invoice = None
    if customer is not None:
        invoice = session.scalar(
            select(Invoice).where(Invoice.customer_id == customer.id, Invoice.status.in_(ISSUED))
            .order_by(Invoice.id.desc()).limit(1)
        )
    if invoice is None:
        return [Text(texts.render("cust_invoice_none"))]
    job = session.get(Job, invoice.job_id) if invoice.job_id else None
    label = invoicing.label(invoice)
    context = {"label": label, "article": "la" if label.startswith("factura") else "el",
               "total": format_pesos(invoice.total or 0),
               "job_number": job.number if job else None}
    if invoice.status is not InvoiceStatus.PENDING:
        return [Document(filename=pdf_filename(invoice), link=pdf_link(invoice),
                         caption=texts.render("cust_invoice_document", **context))]
    return [Text(texts.render("cust_invoice", pending=True, **context))]


_CUIT = re.compile(r"(?<!\d)(\d{2})[-\s.]?(\d{8})[-\s.]?(\d)(?!\d)")


def _cuit_in(text: str) -> str | None:
    """A valid CUIT written in the text ("30-71234567-1", "30712345671"), if any."""
    for match in _CUIT.finditer(text or ""):
        digits = "".join(match.groups())
        if cuit_is_valid(digits):
            return digits
    return None


def _save_cuit(session: Session, conversation: Conversation, cuit: str, text: str) -> list[Reply]:
    """"Necesito factura A, mi CUIT es 30-71234567-1": on file for the next invoices, and AFIP's
    padrón fills in the name and IVA condition (which decide the letter)."""
    customer = _customer(session, conversation)
    if customer is None:
        return [Text(texts.render("cust_invoice_none"))]
    customers.set_cuit(session, customer.id, cuit, actor=f"whatsapp:{conversation.wa_id}")
    shown = f"{cuit[:2]}-{cuit[2:10]}-{cuit[10]}"
    return [Text(texts.render("cust_cuit_saved", cuit=shown))]


def _payment(session: Session, conversation: Conversation) -> list[Reply]:
    customer = _customer(session, conversation)
    options = payment_options(session, customer) if customer is not None else None
    if options is None or not options.any:
        return [Text(texts.render("cust_payment_later"))]
    owed = options.amount
    amount = format_pesos(owed) if isinstance(owed, Decimal | int) and owed > 0 else None
    body = texts.render("cust_payment_options", amount=amount, link=options.link,
                        alias=options.alias, cbu=options.cbu, holder=options.holder)
    return [Text(body, preview_url=bool(options.link))]


# ---- rating --------------------------------------------------------------------------------

def _rate(session: Session, conversation: Conversation, tapped: str, now: datetime
          ) -> list[Reply]:
    match = _RATE_ID.match(tapped)
    job = session.get(Job, int(match.group(1))) if match else None
    customer = _customer(session, conversation)
    if (job is None or customer is None or job.customer_id != customer.id
            or job.status not in FINISHED):
        if conversation.flow == FLOW_RATING:
            _clear(conversation)
        return [Text(texts.render("cust_rating_unknown"))]
    stars = int(match.group(2))
    earlier = session.scalar(
        select(JobEvent).where(JobEvent.job_id == job.id, JobEvent.kind == "rating")
        .order_by(JobEvent.id.desc()).limit(1)
    )
    if earlier is not None:  # changed their mind: one rating per job, the last one counts
        earlier.data = {**(earlier.data or {}), "stars": stars}
    else:
        session.add(JobEvent(job_id=job.id, kind="rating", actor=_actor(conversation),
                             data={"stars": stars}))
    session.flush()
    ask = _free_for_rating(conversation, now)
    if ask:
        _set(conversation, FLOW_RATING, "comment", {"job_id": job.id, "stars": stars},
             now + COMMENT_IDLE)
    return [Text(texts.render("cust_rating_thanks", stars=stars, ask=ask))]


def _free_for_rating(conversation: Conversation, now: datetime) -> bool:
    """Whether the rating may take the conversation's state (never over a booking, say)."""
    return (not conversation.flow or conversation.flow == FLOW_RATING
            or (conversation.expires_at is not None and conversation.expires_at <= now))


def _comment(session: Session, conversation: Conversation, text: str) -> list[Reply]:
    slots = conversation.slots or {}
    job = session.get(Job, slots["job_id"]) if isinstance(slots.get("job_id"), int) else None
    _clear(conversation)
    if job is None:
        return []
    session.add(JobEvent(job_id=job.id, kind="rating_comment", actor=_actor(conversation),
                         note=" ".join(text.split())[:2000], data={"stars": slots.get("stars")}))
    session.flush()
    return [Text(texts.render("cust_rating_comment"))]


# ---- helpers -------------------------------------------------------------------------------

def _customer(session: Session, conversation: Conversation) -> Customer | None:
    if conversation.customer_id:
        return session.get(Customer, conversation.customer_id)
    return find_by_phone(session, conversation.phone) if conversation.phone else None


def _flow_job(session: Session, conversation: Conversation) -> Job | None:
    """The job the flow is about, if still open and still this customer's."""
    job_id = (conversation.slots or {}).get("job_id")
    job = session.get(Job, job_id) if isinstance(job_id, int) else None
    customer = _customer(session, conversation)
    if job is None or customer is None or job.customer_id != customer.id:
        return None
    return job if job.status in jobs.OPEN_STATUSES else None


def _set(conversation: Conversation, flow: str, state: str, slots: dict,
         expires_at: datetime) -> None:
    conversation.flow, conversation.state = flow, state
    conversation.slots = dict(slots)  # a new dict: the JSON column only notices replacements
    conversation.expires_at = expires_at


def _clear(conversation: Conversation) -> None:
    conversation.flow = conversation.state = None
    conversation.slots = {}
    conversation.expires_at = None


def _hand_over(conversation: Conversation, template: str = "human_handoff") -> list[Reply]:
    conversation.needs_person = True
    _clear(conversation)
    return [Text(texts.render(template))]


def _actor(conversation: Conversation) -> str:
    return f"whatsapp:{conversation.wa_id}"


def _zone(org: Organization | None) -> ZoneInfo:
    try:
        return ZoneInfo((org.time_zone if org else None) or DEFAULT_TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIME_ZONE)


def _parse_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _first_name(name: str | None) -> str | None:
    parts = (name or "").split()
    return parts[0] if parts else None


def _folded(text: str) -> str:
    """"¡Sí, dale!" → "si dale": lower case, no accents or punctuation."""
    plain = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^a-z0-9 ]+", " ", plain.lower()).split())


def _current_start(job: Job, now: datetime) -> datetime | None:
    return job.scheduled_start.astimezone(now.tzinfo) if job.scheduled_start else None


def _visit(job: Job, now: datetime) -> str | None:
    """The job's current visit, "mañana de 9 a 11", or None when it has no day yet."""
    start = _current_start(job, now)
    if start is None:
        return None
    end = job.scheduled_end.astimezone(now.tzinfo) if job.scheduled_end else None
    return _when(start, end, now.date())


def _when(start: datetime, end: datetime | None, today: date) -> str:
    """"hoy de 14 a 16", "mañana de 9 a 11", "el jueves 26/11 de 9 a 11"."""
    day = start.date()
    if day == today:
        phrase = "hoy"
    elif day == today + timedelta(days=1):
        phrase = "mañana"
    else:
        phrase = f"el {WEEKDAYS[day.weekday()]} {day.day}/{day.month}"
    if end is None:
        article = "la" if start.hour == 1 else "las"
        return f"{phrase} a {article} {_clock(start)}"
    return f"{phrase} de {_clock(start)} a {_clock(end)}"


def _clock(moment: datetime) -> str:
    return str(moment.hour) if moment.minute == 0 else f"{moment.hour}:{moment.minute:02d}"


