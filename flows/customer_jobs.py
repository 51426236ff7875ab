"""A customer's requests about a job they already have: reschedule, cancel, invoice, payment,
and the rating after a finished visit. Every change waits for an explicit confirmation.

The engine calls `handle(turn)` (see `SPEC` at the bottom) for a new request about a job, a
tap on one of this module's buttons (`RescheduleTap`, `CancelTap`, `RateTap` in
`flows/buttons.py`; a rating tap carries its job, so it works after the flow is gone), or the
next answer inside one of `FLOWS`. The rating lives in `flows/customer_rating.py` (its
`ask_rating` is for the technician's side, after the invoice went out), the invoice and payment
answers in `flows/customer_billing.py`. Everything happens in the caller's session,
uncommitted; [] means "not mine, route it on".

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
    flow "rating": see `flows/customer_rating.py`
Misses in a row are `conversation.misses`: two, and a person takes over.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from core import jobs
from core.errors import DomainError
from core.es_ar import visit_phrase, yes_or_no
from core.jobs.notices import technician_notice
from core.jobs.scheduling import free_slots, is_slot_free, parse_slot_id
from core.messaging import texts
from core.messaging.replies import Button, Buttons, Reply, Text
from core.models import (
    Conversation,
    ConversationRole,
    Job,
    JobStatus,
)
from flows import handover
from flows.buttons import CancelTap, RateTap, RescheduleTap
from flows.customer_billing import cuit_in, invoice_replies, payment_replies, save_cuit
from flows.customer_rating import FLOW_RATING, rate, take_comment
from flows.engine import FlowSpec
from flows.steps import Flow, Step
from flows.turn import Turn, flow_active

FLOW_RESCHEDULE, FLOW_CANCEL = "reschedule", "cancel_job"
FLOWS = (FLOW_RESCHEDULE, FLOW_CANCEL, FLOW_RATING)
# The NLU intents that start something here ("cancel_job" is accepted as a synonym).
INTENTS = frozenset({"reschedule", "cancel", "cancel_job", "invoice_request", "payment"})
# Said in the middle of a flow, these are a new request, not an answer: the engine routes them.
NEW_REQUESTS = frozenset({"new_job", "job_status", "reschedule", "cancel", "invoice_request",
                          "payment", "human"})

IDLE = timedelta(hours=24)
MISSES_BEFORE_PERSON = 2
OFFER_COUNT = 3
MOVING = (JobStatus.EN_ROUTE, JobStatus.ON_SITE)

# User-facing words (Rioplatense Spanish).
RESCHED_YES_TITLE, RESCHED_NO_TITLE = "Confirmar cambio", "Dejarlo como estaba"
CANCEL_YES_TITLE, CANCEL_NO_TITLE = "Sí, cancelar", "No"
MOVING_WORDS = {JobStatus.EN_ROUTE: "en camino", JobStatus.ON_SITE: "en tu casa"}
WHAT_FOR = {FLOW_RESCHEDULE: "ver el cambio de día", FLOW_CANCEL: "ver la cancelación"}
# Said to the confirm question, these answer it (besides the bare yes/no words).
YES_EXTRA = frozenset({"cancelalo", "si cancelalo", "si cancelar", "confirmar cambio",
                       "si cambialo", "cambialo"})
NO_EXTRA = frozenset({"dejalo como estaba", "dejarlo como estaba", "no cancelar",
                      "no lo cancelen"})


def handle(turn: Turn) -> list[Reply]:
    """The engine's entry: a new request about a job, or the next step of a flow of `FLOWS`."""
    in_flow = turn.conversation.flow in FLOWS and turn.intent not in INTENTS
    return reply(turn, None if in_flow else turn.intent)


def reply(turn: Turn, intent: str | None) -> list[Reply]:
    """The replies to a customer's turn about an existing job; [] when it is not for here.

    `intent` is the NLU intent of a new request, None to continue a flow of `FLOWS`.
    """
    conversation, tap = turn.conversation, turn.tap
    if conversation.role is not ConversationRole.CUSTOMER:
        return []
    if tap is None and conversation.state == "confirm" and active(conversation, turn.now) \
            and _decision(turn):
        intent = None  # "sí, cancelalo" answers the question, whatever the NLU made of it
    if isinstance(tap, RateTap):
        return rate(turn, tap)
    if isinstance(tap, RescheduleTap):
        return _walk(turn, RESCHEDULE)
    if isinstance(tap, CancelTap):
        return _walk(turn, CANCEL_FLOW)
    if intent == "reschedule":
        return _start_reschedule(turn)
    if intent in ("cancel", "cancel_job"):
        return _start_cancel(turn)
    cuit = cuit_in(turn.text) if intent == "invoice_request" or "cuit" in turn.said else None
    if cuit:
        return save_cuit(turn, cuit)
    if intent == "invoice_request":
        return invoice_replies(turn)
    if intent == "payment":
        return payment_replies(turn)
    if (intent is None or intent == "other") and active(conversation, turn.now):
        return _continue(turn)
    return []


def active(conversation: Conversation, now: datetime) -> bool:
    """Whether the conversation is in one of this module's flows, not expired."""
    return flow_active(conversation, now, *FLOWS)


# ---- continuing a flow ---------------------------------------------------------------------

def _continue(turn: Turn) -> list[Reply]:
    conversation, result, said = turn.conversation, turn.result, turn.said
    flow, state = conversation.flow, conversation.state
    if flow == FLOW_RATING:
        if state == "comment" and turn.text.strip() and result.intent not in NEW_REQUESTS:
            return take_comment(turn)
        if state == "stars" and said in {"1", "2", "3", "4", "5"}:
            job_id = (conversation.slots or {}).get("job_id")
            if isinstance(job_id, int):
                return rate(turn, RateTap(job_id, int(said)))
        _clear(conversation)  # they moved on: no nagging for stars
        return []
    if result.intent in NEW_REQUESTS - {"reschedule"} and not (
            state == "confirm" and _decision(turn) is not None):
        return []
    if flow == FLOW_CANCEL:
        return _walk(turn, CANCEL_FLOW)
    if flow == FLOW_RESCHEDULE:
        return _walk(turn, RESCHEDULE)
    _clear(conversation)
    return []


def _job(turn: Turn) -> Job | None:
    """The job the flow is about, if still open and still this customer's."""
    job_id = turn.slots.get("job_id")
    job = turn.session.get(Job, job_id) if isinstance(job_id, int) else None
    customer = turn.customer
    if job is None or customer is None or job.customer_id != customer.id:
        return None
    return job if job.status in jobs.OPEN_STATUSES else None


def _walk(turn: Turn, flow: Flow) -> list[Reply]:
    """A turn of a job flow, once the job is known to still be there and still movable."""
    if turn.conversation.flow != flow.name or turn.org is None:
        return [Text(texts.render("cust_stale"))]
    job = _job(turn)
    if job is None:
        _clear(turn.conversation)
        return [Text(texts.render("cust_stale"))]
    if job.status in MOVING and not (flow is CANCEL_FLOW and _decision(turn) == "no"):
        return _in_progress(turn, job, flow.name)
    return flow.walk(turn)


def _decision(turn: Turn) -> str | None:
    """"yes" or "no" from the confirm buttons or the words ("dale", "mejor no")."""
    tap = turn.tap
    choice = tap.choice if isinstance(tap, RescheduleTap | CancelTap) else None
    said = turn.said  # empty for a tap
    if choice == "yes" or said in YES_EXTRA or yes_or_no(said) == "yes":
        return "yes"
    if choice == "no" or said in NO_EXTRA or yes_or_no(said) == "no":
        return "no"
    return None


def _read_decision(turn: Turn) -> bool:
    decision = _decision(turn)
    if decision:
        turn.save(decision=decision)
    return decision is not None


# ---- reschedule ----------------------------------------------------------------------------

def _start_reschedule(turn: Turn) -> list[Reply]:
    job = turn.open_job
    if job is None or turn.org is None:
        return [Text(texts.render("cust_reschedule_none"))]
    if job.status in MOVING:
        return _in_progress(turn, job, FLOW_RESCHEDULE)
    return RESCHEDULE.start(turn, job_id=job.id, job_number=job.number,
                            date=turn.result.date, window=turn.result.window)


def _offer(turn: Turn, *, retry: bool = False) -> list[Reply]:
    """2-3 free slots as buttons, other than the visit's current one (the "slot" step)."""
    job, now, s = _job(turn), turn.now, turn.slots
    if job is None or turn.org is None:
        return _hand_over(turn)
    found = free_slots(turn.session, turn.org, now=now, count=OFFER_COUNT + 1,
                       preferred_date=_parse_date(s.get("date")), preferred_window=s.get("window"))
    current = _current_start(job, now)
    offered = [x for x in found if x.start != current][:OFFER_COUNT]
    if not offered:
        return handover.hand_to_person(turn.conversation, now, turn.settings,
                                       "cust_reschedule_no_slots")
    taken = bool(s.get("taken"))
    turn.save(taken=None, date=None, window=None)
    body = texts.render("cust_reschedule_offer", number=job.number, taken=taken, retry=retry,
                        current=_visit(job, now))
    return [Buttons(body=body, buttons=tuple(
        Button(RescheduleTap(slot_id=x.id).encode(), x.label_on(now.date())) for x in offered))]


def _read_slot(turn: Turn) -> bool:
    """A tapped slot (still free: chosen; taken meanwhile: a fresh offer), or "mejor el jueves
    a la tarde" (a fresh offer for then). A slot tap is read at the confirm step too."""
    tap = turn.tap
    if isinstance(tap, RescheduleTap) and tap.slot_id:
        slot = parse_slot_id(tap.slot_id, time_zone=turn.org.time_zone)
        if slot is None:
            return False
        if not is_slot_free(turn.session, turn.org, slot, now=turn.now):
            turn.save(slot=None, slot_label=None, decision=None, taken=True)
            return True
        turn.save(slot=slot.id, slot_label=visit_phrase(slot.start, slot.end, turn.now.date()),
                  decision=None)
        return True
    if tap is None and (turn.result.date or turn.result.window):
        turn.save(slot=None, slot_label=None, decision=None, date=turn.result.date,
                  window=turn.result.window)
        return True
    return False


def _read_reschedule_confirm(turn: Turn) -> bool:
    return _read_slot(turn) or _read_decision(turn)


def _reschedule_ask(turn: Turn, *, retry: bool = False) -> list[Reply]:
    slots = turn.slots
    body = texts.render("cust_reschedule_confirm", number=slots.get("job_number"),
                        when=slots.get("slot_label") or "", retry=retry)
    return [Buttons(body=body, buttons=(
        Button(RescheduleTap(choice="yes").encode(), RESCHED_YES_TITLE),
        Button(RescheduleTap(choice="no").encode(), RESCHED_NO_TITLE)))]


def _reschedule_done(turn: Turn) -> list[Reply]:
    job = _job(turn)
    if turn.slots.get("decision") == "no":
        _clear(turn.conversation)
        return [Text(texts.render("cust_reschedule_kept", current=_visit(job, turn.now)))]
    chosen = turn.slots.get("slot")
    slot = parse_slot_id(chosen, time_zone=turn.org.time_zone) if chosen else None
    if slot is None or not is_slot_free(turn.session, turn.org, slot, now=turn.now):
        turn.save(slot=None, slot_label=None, decision=None, taken=slot is not None)
        return RESCHEDULE.next(turn)  # taken meanwhile: offer again
    previous = job.technician
    try:
        with turn.session.begin_nested():  # a refusal half-way leaves nothing behind
            if slot.technician_id != job.technician_id:
                jobs.assign_technician(turn.session, job.id, slot.technician_id, turn.actor)
            jobs.schedule(turn.session, job.id, slot.start, slot.end, turn.actor)
    except DomainError:
        return _hand_over(turn, "cust_job_error")
    turn.session.refresh(job)
    if previous is not None and previous.id != job.technician_id:
        _tell_technician(turn, job, "unassigned", previous)
        _tell_technician(turn, job, "assigned")
    else:
        _tell_technician(turn, job, "rescheduled")
    _clear(turn.conversation)
    return [Text(texts.render("cust_rescheduled", number=job.number,
                              when=visit_phrase(slot.start, slot.end, turn.now.date())))]


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
    hand_over=lambda turn: _hand_over(turn),
    idle=IDLE,
    misses_before_person=MISSES_BEFORE_PERSON,
)


# ---- cancel --------------------------------------------------------------------------------

def _start_cancel(turn: Turn) -> list[Reply]:
    job = turn.open_job
    if job is None:
        return [Text(texts.render("cust_cancel_none"))]
    if job.status in MOVING:
        return _in_progress(turn, job, FLOW_CANCEL)
    return CANCEL_FLOW.start(turn, job_id=job.id, job_number=job.number)


def _cancel_question(turn: Turn, *, retry: bool = False) -> list[Reply]:
    job = _job(turn)
    body = texts.render("cust_cancel_confirm", number=job.number, current=_visit(job, turn.now),
                        retry=retry)
    return [Buttons(body=body, buttons=(Button(CancelTap("yes").encode(), CANCEL_YES_TITLE),
                                        Button(CancelTap("no").encode(), CANCEL_NO_TITLE)))]


def _cancel_done(turn: Turn) -> list[Reply]:
    job, conversation = _job(turn), turn.conversation
    if turn.slots.get("decision") == "no":
        _clear(conversation)
        return [Text(texts.render("cust_cancel_kept", number=job.number,
                                  current=_visit(job, turn.now)))]
    try:
        with turn.session.begin_nested():
            jobs.transition(turn.session, job.id, JobStatus.CANCELLED, turn.actor,
                            note="cancelado por el cliente por WhatsApp")
    except DomainError:
        return _hand_over(turn, "cust_job_error")
    _tell_technician(turn, job, "cancelled")
    _clear(conversation)
    return [Text(texts.render("cust_cancelled", number=job.number))]


CANCEL_FLOW = Flow(
    name=FLOW_CANCEL,
    steps=(Step("confirm", ask=_cancel_question, read=_read_decision,
                needed=lambda turn: not turn.slots.get("decision"),
                reask=lambda turn: _cancel_question(turn, retry=True)),),
    finish=_cancel_done,
    hand_over=lambda turn: _hand_over(turn),
    idle=IDLE,
    misses_before_person=MISSES_BEFORE_PERSON,
)


def _in_progress(turn: Turn, job: Job, flow: str) -> list[Reply]:
    """En route or on site: the bot does not move it; a person calls."""
    handover.hand_to_person(turn.conversation, turn.now, turn.settings)
    return [Text(texts.render("cust_job_in_progress", state=MOVING_WORDS[job.status],
                              what=WHAT_FOR[flow]))]


def _tell_technician(turn: Turn, job: Job, change: str, technician=None) -> None:
    """The technician hears of the change on WhatsApp (the new one and the one taken off)."""
    notice = technician_notice(turn.session, job, change, technician=technician, now=turn.now)
    if notice is not None:
        turn.notify(*notice)


# ---- helpers -------------------------------------------------------------------------------

def _clear(conversation: Conversation) -> None:
    conversation.flow = conversation.state = None
    conversation.slots = {}
    conversation.expires_at = None


def _hand_over(turn: Turn, template: str = "human_handoff") -> list[Reply]:
    return handover.hand_to_person(turn.conversation, turn.now, turn.settings, template)


def _parse_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _current_start(job: Job, now: datetime) -> datetime | None:
    return job.scheduled_start.astimezone(now.tzinfo) if job.scheduled_start else None


def _visit(job: Job | None, now: datetime) -> str | None:
    """The job's current visit, "mañana de 9 a 11", or None when it has no day yet."""
    start = _current_start(job, now) if job is not None else None
    if start is None:
        return None
    end = job.scheduled_end.astimezone(now.tzinfo) if job.scheduled_end else None
    return visit_phrase(start, end, now.date())


SPEC = FlowSpec(
    name="customer_jobs", roles=frozenset({ConversationRole.CUSTOMER}), handle=handle,
    intents=INTENTS, taps=(RescheduleTap, CancelTap, RateTap), states=frozenset(FLOWS),
    leave_on=frozenset({"menu", "cancel_flow", "human"}),
)
