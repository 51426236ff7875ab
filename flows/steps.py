"""A small engine for flows declared as data: steps that fill slots, walked in order.

A `Flow` is a tuple of `Step`s plus what to do when none is missing. Each step names the slot
state it asks for (`conversation.state` while waiting for the answer), says whether the flow
still `needs` it, how to `ask` (a template, with buttons or a list), and how to `read` an
answer into the slots (its validator: False means "not understood"). Every turn the engine:

1. reads the answer to the step that was asked, if any;
2. lets the flow `merge` whatever else the message brought (a later burst may add the address);
3. on a miss, says so and asks again; after `misses_before_person` misses in a row, hands
   the conversation to a person;
4. asks the first step still needed, or `finish`es when none is.

State (flow name, step, slots, misses, expiry) lives in the conversation row, so a restart or
another worker continues where the person is. Handlers receive the engine's `flows.turn.Turn`
(the conversation, `now`, the extraction, the typed tap, and `save(**slots)`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from core.es_ar import folded
from core.messaging import texts
from core.messaging.replies import Buttons, ListMessage, Reply, Text
from nlu.extract.message_kinds import acknowledgement, puts_off

Handler = Callable[[Any], list[Reply]]
Predicate = Callable[[Any], bool]

# an apology among courtesies ("perdón las molestias"): answered "¡No pasa nada!"
_SORRY = re.compile(r"\b(?:perdon\w*|disculp\w*|molesti\w*)\b")


def _always(turn: Any) -> bool:
    return True


def _nothing(turn: Any) -> None:
    return None


@dataclass(frozen=True)
class Step:
    name: str
    ask: Handler
    read: Predicate
    needed: Predicate = _always
    reask: Handler | None = None  # after a miss; default: the flow's retry text, then `ask`


@dataclass(frozen=True)
class Flow:
    name: str
    steps: tuple[Step, ...]
    finish: Handler
    hand_over: Handler  # after too many misses: a person takes it from here
    merge: Callable[[Any], None] = _nothing
    retry_template: str = "booking_retry"
    # Slots an answer to another step may fill (a day given when the address was asked): such
    # an answer is acknowledged and the question asked again, never taken for a miss.
    useful_slots: tuple[str, ...] = ()
    noted_template: str = "flow_noted"
    # A question the flow can answer without leaving ("¿hacen factura A?" while the address is
    # asked): its answer, then the same question again, and no miss. None when it is no such.
    side_answer: Callable[[Any], list[Reply] | None] = lambda turn: None
    idle: timedelta = timedelta(hours=24)
    misses_before_person: int = 2
    # "lo pienso y te aviso": the words that leave the flow waiting, no pressure and no miss
    # (what was said is kept for when they come back); None, or no words: not a flow one puts
    # off (an emergency under way)
    let_go: Handler | None = None

    def __post_init__(self) -> None:
        _FLOWS[self.name] = self

    def step_named(self, name: str | None) -> Step | None:
        return next((step for step in self.steps if step.name == name), None)

    def start(self, turn: Any, **slots: Any) -> list[Reply]:
        """A fresh walk from `slots`, plus whatever the first message already says."""
        self.enter(turn.conversation, turn.now, None, **slots)
        self.merge(turn)
        return self.next(turn)

    def enter(self, conversation: Any, now: datetime, state: str | None, **slots: Any) -> None:
        """`conversation` in this flow at `state` from `slots`, its idle time starting `now`:
        for a question the bot put to someone else (the owner closing a day asks the customers
        booked on it for another one), whose answer this flow reads."""
        conversation.flow, conversation.state, conversation.slots = self.name, state, dict(slots)
        conversation.misses = 0
        conversation.expires_at = now + self.idle

    def walk(self, turn: Any) -> list[Reply]:
        """One turn inside the flow: read the answer, then ask for what is still missing."""
        c = turn.conversation
        c.expires_at = turn.now + self.idle
        asked = self.step_named(c.state)
        before = {key: turn.slots.get(key) for key in self.useful_slots}
        answered = asked.read(turn) if asked is not None else True
        self.merge(turn)
        if not answered and asked is not None:
            if any(turn.slots.get(key) != value for key, value in before.items()):
                # Not what was asked, but something the flow keeps: say so and go on (usually
                # the same question again; an emergency may have made it unneeded). Progress:
                # the misses before it no longer count toward handing over.
                c.misses = 0
                noted, question = texts.render(self.noted_template), self.next(turn)
                if question and isinstance(question[0], Text | Buttons | ListMessage) \
                        and len(noted) + len(_body(question[0])) < MERGED_MAX:
                    return [prefixed(question[0], noted), *question[1:]]  # one answer per burst
                return [Text(noted), *question]
            if aside := self.side_answer(turn):
                question = asked.ask(turn)
                if len(aside) == 1 and isinstance(aside[0], Text) and question \
                        and len(aside[0].body) + len(_body(question[0])) < MERGED_MAX:
                    # one answer per burst: the side answer heads the question asked again
                    return [prefixed(question[0], aside[0].body), *question[1:]]
                return [*aside, *question]
            if turn.intent == "greeting":
                return self.welcome_back(turn)
            if self.let_go is not None and turn.tap is None and puts_off(folded(turn.text)) \
                    and (words := self.let_go(turn)):
                c.misses = 0  # kept as it stands: "bueno dale, el miércoles" later goes on
                return words
            if turn.tap is None and (said := acknowledgement(turn.text)) is not None:
                # "perdón las molestias", "gracias!": a courtesy, no answer to miss; a word
                # back and the same question
                c.misses = 0
                sorry = bool(_SORRY.search(folded(turn.text)))
                word = texts.render("flow_courtesy", thanks=said == "thanks", sorry=sorry,
                                    name=turn.first_name)
                question = asked.ask(turn)
                return [prefixed(question[0], word), *question[1:]] if word and question \
                    else question
            c.misses = (c.misses or 0) + 1
            if c.misses >= self.misses_before_person:
                return self.hand_over(turn)
            if asked.reask is not None:
                return asked.reask(turn)
            return [Text(texts.render(self.retry_template)), *asked.ask(turn)]
        c.misses = 0
        return self.next(turn)

    def welcome_back(self, turn: Any) -> list[Reply]:
        """A greeting in the middle of the flow ("hola?", "Buen día"): the person is back, not
        starting over. A hello and the question under way again, in one message; no miss, and
        the flow's idle time starts over."""
        c = turn.conversation
        c.expires_at = turn.now + self.idle
        asked = self.step_named(c.state)
        question = asked.ask(turn) if asked is not None else self.next(turn)
        if not question:
            return question
        hello = texts.render("flow_greeting", name=turn.first_name).strip()
        return [prefixed(question[0], hello), *question[1:]]

    def next(self, turn: Any) -> list[Reply]:
        """Ask the first step still needed (it may end the flow itself), or finish."""
        step = next((step for step in self.steps if step.needed(turn)), None)
        if step is None:
            return self.finish(turn)
        turn.conversation.state = step.name
        return step.ask(turn)

    def end(self, turn: Any) -> None:
        c = turn.conversation
        c.flow = c.state = None
        c.slots = {}
        c.expires_at = None
        c.misses = 0


_FLOWS: dict[str, Flow] = {}  # every declared Flow by name (`conversation.flow`)


def running(turn: Any) -> Flow | None:
    """The step flow the conversation is in, if it has not expired."""
    flow = _FLOWS.get(turn.conversation.flow or "")
    return flow if flow is not None and turn.in_flow(flow.name) else None


MERGED_MAX = 900  # an interactive message's body holds 1024 characters


def _body(reply: Reply) -> str:
    return getattr(reply, "body", "") or ""


def prefixed(reply: Reply, notice: str) -> Reply:
    """`reply` with `notice` as its first paragraph (one message, not two)."""
    if isinstance(reply, Text):
        return Text(f"{notice}\n\n{reply.body}")
    if isinstance(reply, Buttons | ListMessage):
        return replace(reply, body=f"{notice}\n\n{reply.body}")
    return reply


def unprefixed(replies: list[Reply], notice: str) -> list[Reply]:
    """`replies` without `notice`, sent alone or as the first paragraph (`prefixed`) of the first."""
    if not replies:
        return replies
    first, lead = replies[0], f"{notice}\n\n"
    if first == Text(notice):
        return replies[1:]
    if isinstance(first, Text | Buttons | ListMessage) and first.body.startswith(lead):
        body = first.body[len(lead):]
        return [Text(body) if isinstance(first, Text) else replace(first, body=body), *replies[1:]]
    return replies
