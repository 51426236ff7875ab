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

Reschedule and cancel are declared as data (`RESCHEDULE` in `flows/customer_reschedule.py`,
`CANCEL_FLOW` in `flows/customer_cancel.py`: `flows.steps.Flow`s whose steps say when they are
needed, how they ask and how they read an answer; what both share, in
`flows/customer_job_change.py`); the rating
is two taps and a comment, handled directly. State kept in the conversation (JSON-safe):
    flow "reschedule", state "slot": slots offered (slots: job_id, job_number, date, window)
    flow "reschedule", state "confirm": slot chosen (+ slot, slot_label); then decision yes/no
    flow "cancel_job", state "confirm": (slots: job_id, job_number); then decision yes/no
    flow "rating": see `flows/customer_rating.py`
Misses in a row are `conversation.misses`: two, and a person takes over.
"""

from __future__ import annotations

from datetime import datetime

from core.messaging import texts
from core.messaging.replies import Reply, Text
from core.models import Conversation, ConversationRole
from flows import status
from flows.buttons import CancelTap, RateTap, RescheduleTap
from flows.customer_billing import (
    ask_cuit_again,
    cuit_in,
    invoice_replies,
    mistyped_cuit_in,
    payment_replies,
    save_cuit,
)
from flows.customer_cancel import CANCEL_FLOW, start_cancel
from flows.customer_job_change import (
    FLOW_CANCEL,
    FLOW_RESCHEDULE,
    MOVING,
    clear,
    decision,
    flow_job,
    in_progress,
)
from flows.customer_rating import FLOW_RATING, rate, rate_in_words, take_comment
from flows.customer_reschedule import RESCHEDULE, start_reschedule
from flows.engine import BOOKING, FlowSpec
from flows.steps import Flow
from flows.turn import Turn, flow_active
from flows.visit_addition import take_note

FLOWS = (FLOW_RESCHEDULE, FLOW_CANCEL, FLOW_RATING)
# The NLU intents that start something here ("cancel_job" is accepted as a synonym).
INTENTS = frozenset({"reschedule", "cancel", "cancel_job", "invoice_request", "payment"})
# Said in the middle of a flow, these are a new request, not an answer: the engine routes them.
NEW_REQUESTS = frozenset({"new_job", "job_status", "reschedule", "cancel", "invoice_request",
                          "payment", "human"})


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
            and decision(turn):
        intent = None  # "sí, cancelalo" answers the question, whatever the NLU made of it
    if isinstance(tap, RateTap):
        return rate(turn, tap)
    if tap is None and conversation.flow == FLOW_RATING and conversation.state == "stars" \
            and active(conversation, turn.now) and isinstance((conversation.slots or {}).get("job_id"), int) \
            and (rated := rate_in_words(turn, conversation.slots["job_id"])) is not None:
        return rated  # "les pongo un 2, me dejó el piso lleno de agua", whatever it was read as
    if isinstance(tap, RescheduleTap):
        return _walk(turn, RESCHEDULE)
    if isinstance(tap, CancelTap):
        return _walk(turn, CANCEL_FLOW)
    if intent == "reschedule" and turn.open_job is None and turn.in_flow(BOOKING):
        return []  # "mejor el miércoles" while a booking is under way: its day, the booking's
    if intent == "invoice_request" and tap is None and turn.in_flow(BOOKING):
        return []  # "¿hacen factura A?" mid-booking: answered there, and its question asked again
    if intent == "reschedule" and turn.in_flow(FLOW_RESCHEDULE):
        # "y pasado?", "dale, el martes entonces" while times are offered: the same change,
        # with what was offered and asked kept (never started over)
        return _walk(turn, RESCHEDULE)
    if intent == "reschedule":
        return start_reschedule(turn)
    if intent in ("cancel", "cancel_job"):
        return start_cancel(turn)
    gives_cuit = intent == "invoice_request" or "cuit" in turn.said
    cuit = cuit_in(turn.text) if gives_cuit else None
    if cuit:
        return save_cuit(turn, cuit)
    if gives_cuit and (mistyped := mistyped_cuit_in(turn.text)):
        return ask_cuit_again(mistyped)
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
    conversation, result = turn.conversation, turn.result
    flow, state = conversation.flow, conversation.state
    if flow == FLOW_RATING:
        if state == "comment" and turn.text.strip() and result.intent not in NEW_REQUESTS:
            return take_comment(turn)
        if state == "stars":
            job_id = (conversation.slots or {}).get("job_id")
            if isinstance(job_id, int) and (rated := rate_in_words(turn, job_id)) is not None:
                return rated  # "3", "les pongo un 2, me dejó el piso lleno de agua"
        clear(conversation)  # they moved on: no nagging for stars
        return []
    if result.intent == "job_status" and flow in (FLOW_RESCHEDULE, FLOW_CANCEL) \
            and (pending := (RESCHEDULE if flow == FLOW_RESCHEDULE else CANCEL_FLOW).step_named(state)):
        # "¿sigue en pie lo del martes?" while the change waits for its OK: where the visit
        # stands now, and the question again (the change is not lost, nor taken as made)
        return [*status.handle(turn), *pending.ask(turn)]
    if flow in (FLOW_RESCHEDULE, FLOW_CANCEL) and decision(turn) is None \
            and (pending := (RESCHEDULE if flow == FLOW_RESCHEDULE else CANCEL_FLOW).step_named(state)) \
            and (noted := take_note(turn)) is not None:
        # "¿el técnico me puede llamar antes? el portero no anda" while the change waits for its
        # OK: the word goes to the technician, and the question is asked again (the change is
        # neither made nor dropped without a word)
        return [*noted, *pending.ask(turn)]
    if result.intent in NEW_REQUESTS - {"reschedule"} and not (
            state == "confirm" and decision(turn) is not None):
        return []
    if flow == FLOW_CANCEL:
        return _walk(turn, CANCEL_FLOW)
    if flow == FLOW_RESCHEDULE:
        return _walk(turn, RESCHEDULE)
    clear(conversation)
    return []


def _walk(turn: Turn, flow: Flow) -> list[Reply]:
    """A turn of a job flow, once the job is known to still be there and still movable."""
    if turn.conversation.flow != flow.name or turn.org is None:
        return [Text(texts.render("cust_stale"))]
    job = flow_job(turn)
    if job is None:
        clear(turn.conversation)
        return [Text(texts.render("cust_stale"))]
    if job.status in MOVING and not (flow is CANCEL_FLOW and decision(turn) == "no"):
        return in_progress(turn, job, flow.name)
    return flow.walk(turn)


SPEC = FlowSpec(
    name="customer_jobs", roles=frozenset({ConversationRole.CUSTOMER}), handle=handle,
    intents=INTENTS, taps=(RescheduleTap, CancelTap, RateTap), states=frozenset(FLOWS),
    leave_on=frozenset({"menu", "cancel_flow", "human"}),
)
