"""A yes or a no typed to the two buttons the bot just sent staff ("¿Paso igual el #1 para
mañana a las 16?" [Sí, pasarla igual] [No, dejarla] answered "si dale"): read as the tap.

Customers' questions live in flows that read a typed yes themselves; an owner's or a
technician's are often stateless buttons (the tap carries everything), so a typed answer met
"no te entendí". Only when the bot's last message in the chat is that question, sent lately,
with nothing written since, and its buttons read as a yes and a no."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from core import es_ar
from core.models import Direction, Message
from flows.buttons import CallbackData, decode
from flows.turn import Turn

FRESH_FOR = timedelta(minutes=30)
_YES_TITLE = re.compile(r"^(?:si|confirmar|confirmo|dale|listo|ok|aceptar|mandar|enviar)\b")
_NO_TITLE = re.compile(r"^(?:no|cancelar|dejar|dejarla|dejarlo|mejor\s+no)\b")


def typed_tap(turn: Turn, message_ids: list[int]) -> CallbackData | None:
    """The tap a typed yes or no stands for, or None."""
    if turn.tap is not None or not turn.text or turn.conversation.flow:
        return None
    answer = es_ar.yes_or_no(turn.text)
    if answer is None:
        return None
    last = turn.session.scalar(
        select(Message).where(Message.conversation_id == turn.conversation.id,
                              Message.id.not_in(message_ids))
        .order_by(Message.id.desc()).limit(1))
    if last is None or last.direction is not Direction.OUTBOUND or not last.payload \
            or last.payload.get("kind") != "buttons" or len(last.payload.get("buttons") or ()) != 2:
        return None
    sent = es_ar.aware(last.created_at)
    if turn.now - sent > FRESH_FOR:
        return None
    yes, no = last.payload["buttons"]
    if not (_YES_TITLE.search(es_ar.folded(yes["title"])) and _NO_TITLE.search(es_ar.folded(no["title"]))):
        return None
    return decode((yes if answer == "yes" else no)["id"])
