"""Handing a conversation to a person, and the bot's silence while it waits for them.

Once the bot says "te paso con una persona", it stays quiet in that conversation: the
conversation is marked `needs_person` (it stands first in the inbox) and holds the flow
`handover` until staff take it over and hand it back, or until `HANDOVER_WAIT_MINUTES` pass.
Whoever answers the inbox (owners, admins, dispatchers with a phone) is told on WhatsApp at that
moment, with the words, the open job and the conversation's link (`tell_staff`).
Then the bot says nobody could answer yet and goes back to answering. After a hand-back the
flow is `after_person` for a while: a plain "gracias" or "ok" to the person is acknowledged,
not met with "no te entendí".

```mermaid
stateDiagram-v2
    [*] --> bot
    bot --> handover: "te paso con una persona" (asked, two misses, no slot, visit under way)
    handover --> handover: customer writes (stored, no answer)
    handover --> bot: HANDOVER_WAIT_MINUTES pass (the bot apologises, helps again)
    handover --> staff: staff take it over
    staff --> after_person: staff hand it back (what was left unanswered is answered)
    after_person --> bot: next message ("gracias" → "¡De nada!")
```
"""

from __future__ import annotations

from datetime import datetime, timedelta

from core import es_ar
from core.links import conversation_link
from core.messaging import texts
from core.messaging.conversations import AFTER_PERSON as AFTER_PERSON_FLOW
from core.messaging.replies import Reply, Text
from core.models import Conversation, ConversationRole
from core.settings import Settings, get_settings
from flows.turn import Turn, flow_active

FLOW = "handover"
AFTER_PERSON = AFTER_PERSON_FLOW  # set by core.messaging.conversations.hand_back
QUOTE = 300


def hand_to_person(conversation: Conversation, now: datetime, settings: Settings | None = None,
                   template: str = "human_handoff", **context: object) -> list[Reply]:
    """Flag the conversation for staff, say so once (`template` rendered with `context`), and
    keep quiet until a person answers."""
    wait = timedelta(minutes=(settings or get_settings()).handover_wait_minutes)
    conversation.needs_person = True
    conversation.misses = 0
    conversation.flow, conversation.state = FLOW, "waiting"
    # The slots stay: what the customer already told the bot is context for the person.
    conversation.expires_at = now + wait
    return [Text(texts.render(template, **context))]


def handed_over(conversation: Conversation) -> bool:
    """The turn just promised a person (a waiting conversation never reaches the flows)."""
    return conversation.flow == FLOW


def tell_staff(turn: Turn) -> None:
    """The person promised must hear of it where they live, on WhatsApp: every active owner,
    admin and dispatcher with a phone (not the one asking) gets who is waiting, their words,
    their open job and the conversation's link. Without it the flag only shows in an inbox
    nobody has open, and the customer waits on a promise nobody knows about."""
    c = turn.conversation
    technician = c.role is ConversationRole.TECHNICIAN
    name, phone = turn.writer  # the name on file first: the owner knows "Marta García"
    job = turn.open_job
    # a finished job's work that did not hold, said this turn (read once: a later hand-over of
    # this conversation is about something else)
    callback = (c.slots or {}).get("callback_job")
    if callback:
        c.slots = {k: v for k, v in c.slots.items() if k != "callback_job"}
    wait = _minutes(turn.settings.handover_wait_minutes)
    turn.tell_staff(texts.render(
        "staff_person_wanted", who=name, phone=phone, technician=technician,
        number=callback or (job.number if job else None), callback=bool(callback),
        text=es_ar.shortened(turn.text, QUOTE), wait=wait,
        link=conversation_link(turn.settings, c.id)))


def _minutes(setting: float) -> str:
    minutes = max(1, round(setting))
    if minutes % 60 == 0:
        hours = minutes // 60
        return "1 hora" if hours == 1 else f"{hours} horas"
    return f"{minutes} minutos"


def waiting(conversation: Conversation, now: datetime) -> bool:
    """A person was promised and the wait is not over: the bot says nothing."""
    return flow_active(conversation, now, FLOW)


def stop_waiting(conversation: Conversation) -> None:
    """The bot answers again (the conversation stays flagged for a person in the inbox)."""
    conversation.flow = conversation.state = None
    conversation.expires_at = None


def timed_out(conversation: Conversation, now: datetime) -> bool:
    return conversation.flow == FLOW and not waiting(conversation, now)


def resume_after_wait(conversation: Conversation) -> Reply:
    """Nobody answered in time: say so, and the bot takes the conversation up again (it stays
    in the inbox as waiting for a person)."""
    conversation.flow = conversation.state = None
    conversation.slots = {}
    conversation.expires_at = None
    return Text(texts.render("handover_timeout"))


def just_handed_back(conversation: Conversation, now: datetime) -> bool:
    return flow_active(conversation, now, AFTER_PERSON)
