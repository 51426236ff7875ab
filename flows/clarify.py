"""Asking instead of guessing: when the intent is unsure, one short question with buttons.

When the learned model's confidence is below `ASK_BELOW` (calibrated on the corpus's held-out
families, `nlu/intent/evaluate.py`) and the person is not answering one of the bot's questions,
the bot offers the two or three likeliest meanings as buttons ("¿Cambiar el día de tu visita o
pedir un servicio nuevo?"). The message is kept in the conversation; a tap answers it with the
chosen intent, as if it had been understood that way. The unsure message is logged (digits
masked, no phone numbers) so it can be reviewed and added to the corpus.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta

from core import es_ar
from core.messaging import texts
from core.messaging.replies import Button, Buttons, Reply
from core.models import ConversationRole
from flows.buttons import ClarifyTap
from flows.prices import asks_price
from flows.staff_questions import is_question
from flows.turn import Turn
from nlu.extract.message_kinds import LOAD_ASKED, asks_to_get_ready
from nlu.intent.evaluate import ASK_BELOW

log = logging.getLogger("campotech.flows.clarify")

FLOW = "clarify"
IDLE = timedelta(hours=2)
MAX_OPTIONS = 3
# Button titles (20 characters at most) for each meaning the bot can offer.
TITLES = {
    "new_job": "Pedir un servicio", "job_status": "Ver mi visita", "reschedule": "Cambiar el día",
    "cancel": "Cancelar la visita", "invoice_request": "Pedir la factura", "payment": "Pagar",
    "human": "Hablar con alguien", "tech_on_the_way": "Voy en camino", "tech_arrived": "Llegué",
    "tech_job_done": "Terminé el trabajo", "tech_cannot_complete": "No pude terminar",
    "tech_agenda": "Ver mi agenda", "owner_summary": "Ver el resumen",
    "owner_unpaid": "Quién me debe", "other": "Otra consulta",
}
OTHER = "other"  # offered to a customer's question only: none of the meanings, ask the office
NOT_OFFERED = frozenset({"greeting", "other"})  # never worth a button
ABOUT_A_VISIT = frozenset({"job_status", "reschedule", "cancel"})  # offered with a visit open only
FREE = (None, "after_person")  # the conversation's flows in which a new request can start


def unsure(turn: Turn) -> bool:
    """Whether to ask: an unsure reading of a new request (not a tap, a command or an answer
    to one of the bot's own questions), with at least two meanings worth offering."""
    confidence = turn.result.confidence
    if turn.tap is not None or turn.command is not None or confidence is None:
        return False
    if confidence >= ASK_BELOW or turn.conversation.flow not in FREE:
        return False
    # Unsure between "nothing" and something: the not-understood path answers (help, then a
    # person after two misses); asking "¿cuál de estas?" about gibberish helps nobody.
    if turn.result.intent in NOT_OFFERED:
        return False
    if turn.conversation.role is ConversationRole.CUSTOMER and asks_price(turn.text):
        return False  # "¿cuánto está la visita?": the price is the answer, whatever else it is
    if turn.conversation.role is ConversationRole.CUSTOMER \
            and asks_to_get_ready(es_ar.folded(turn.text)):
        return False  # "¿compro algo antes?": the office answers it, whatever else it is
    if turn.conversation.role is ConversationRole.OWNER:
        from flows.owner_assign import gives_order  # it reaches the engine too
        from flows.owner_booking import (  # registers with the engine, which imports us
            asks_how,
            asks_to_book,
        )

        said = es_ar.folded(turn.text)
        if asks_how(said) or asks_to_book(said) or gives_order(said) or LOAD_ASKED.search(said) \
                or _asks_agenda_of(turn, said):
            # "¿cómo cargo un trabajo?", "cargame un laburo para el martes", "pasale lo de Vega a
            # Juan", "la de Ojeda ponela a las 8": the owner's how-to, booking or order is the
            # answer, whatever the model doubts
            return False
    return len(_options(turn)) >= 2


# "¿qué tiene Darío pasado mañana?", "¿qué le queda a Carlos hoy?": a technician's agenda
_AGENDA_OF = re.compile(r"\b(?:que|q)\s+(?:tiene|hace|le\s+queda|tenia)\b|\bagenda\s+de\b")


def _asks_agenda_of(turn: Turn, said: str) -> bool:
    from flows import owner  # it registers with the engine, which imports us

    return bool(_AGENDA_OF.search(said)) and bool(owner.named_in(said, owner.active_technicians(turn)))


def ask(turn: Turn) -> list[Reply]:
    options = _options(turn)
    c = turn.conversation
    c.flow, c.state = FLOW, "meaning"
    c.slots = {"text": turn.text[:2000], "options": options}
    c.expires_at = turn.now + IDLE
    log.info("unsure intent: asked", extra={
        "intent": turn.result.intent, "confidence": round(turn.result.confidence or 0, 3),
        "options": options, "role": c.role.value, "text": _masked(turn.text)})
    return [Buttons(body=texts.render("clarify", options=[TITLES[o] for o in options]),
                    buttons=tuple(Button(ClarifyTap(o).encode(), TITLES[o]) for o in options))]


def meant(turn: Turn) -> tuple[str, str] | None:
    """(the kept message, the intent chosen) for a tap on one of the offered meanings; the
    question is cleared. None for any other turn."""
    tap = turn.tap
    if not isinstance(tap, ClarifyTap) or tap.intent not in TITLES:
        return None
    kept = (turn.slots.get("text") if turn.in_flow(FLOW) else None) or turn.text
    turn.clear()
    return kept, tap.intent


def _options(turn: Turn) -> list[str]:
    ranked = turn.result.alternatives or []
    # "Cancelar la visita" to someone with no visit is a button that leads nowhere
    moot = ABOUT_A_VISIT if turn.conversation.role is ConversationRole.CUSTOMER \
        and not turn.open_jobs else frozenset()
    options = [intent for intent in ranked
               if intent in TITLES and intent not in NOT_OFFERED and intent not in moot][:MAX_OPTIONS]
    if turn.conversation.role is ConversationRole.CUSTOMER and is_question(turn.text) \
            and len(options) >= 2:
        # "¿el técnico tiene matrícula?": a question may be none of the likeliest meanings; the
        # last button passes it to the office (`staff_questions`), never a dead end
        options = [*options[:MAX_OPTIONS - 1], OTHER]
    return options


def _masked(text: str) -> str:
    """No phone numbers, CUITs or addresses' numbers in the logs: digits become #."""
    return re.sub(r"\d", "#", " ".join(text.split()))[:300]
