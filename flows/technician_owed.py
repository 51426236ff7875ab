"""A technician asking what is still owed on his visits: "¿quién me debe todavía?", "¿qué me
falta cobrar?", "¿lo de García ya pagó?".

The contract has no intent for it (a technician's are notices of his own visits), so it was passed
to the owner as a question the bot could not answer, though the bot keeps every invoice. He gets
his own visits whose invoice is still owed, oldest first, with what is left of each: nothing of
anyone else's visits, nor the business's totals."""

from __future__ import annotations

import re

from core import es_ar
from core.billing.reports import owed_for_technician
from core.messaging import texts
from core.messaging.replies import Reply, Text
from core.models import ConversationRole
from flows.turn import Turn

SHOWN = 8
# "¿quién me debe?", "¿qué me deben?", "¿quién no me pagó?", "¿qué me falta cobrar?", "¿quiénes
# deben todavía?"
_OWED_ASKED = re.compile(
    r"\b(?:quien|quienes|que|cuanto|cuantos)\s+(?:me\s+|nos\s+)?(?:debe|deben|adeuda\w*)\b"
    r"|\bquien(?:es)?\s+no\s+(?:me\s+|nos\s+)?(?:pago|pagaron|pagaron\s+todavia)\b"
    r"|\b(?:que|cuanto)\s+(?:me\s+|nos\s+)?(?:falta|queda)\s+(?:por\s+)?cobrar\b"
    r"|\b(?:deudores|pendientes\s+de\s+cobro)\b")


def handle(turn: Turn) -> list[Reply] | None:
    """His visits still owed; None when the words ask something else."""
    if turn.role is not ConversationRole.TECHNICIAN or turn.tap is not None or turn.user is None \
            or not _OWED_ASKED.search(es_ar.folded(turn.text or "")):
        return None
    owed = owed_for_technician(turn.session, turn.user.id, limit=SHOWN + 1)
    lines = [{"customer": o.customer or "un cliente", "number": o.job_number,
              "amount": es_ar.pesos(o.outstanding)} for o in owed[:SHOWN]]
    return [Text(texts.render("tech_owed", lines=lines, more=len(owed) > SHOWN))]
