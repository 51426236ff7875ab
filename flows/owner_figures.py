"""An owner saying the bot's figures are wrong: "el resumen de ayer está mal, dice 8 y fueron 10",
"ese total está inflado, contaste dos veces lo de Gómez". The contract has no intent for it (the
extraction reads it as `other`, never as another request for the same summary); without this
flow it met "no te entendí". The bot cannot know which figure is wrong, so it says sorry, says
where the figures come from and where to correct them, and logs the complaint for the team."""

from __future__ import annotations

import logging

from core import es_ar
from core.links import jobs_link
from core.messaging import texts
from core.messaging.replies import Reply, Text
from core.models import ConversationRole
from flows.engine import FlowSpec
from flows.turn import Turn
from nlu.extract.message_kinds import disputes_figures

log = logging.getLogger("campotech.flows.owner")


def handle(turn: Turn) -> list[Reply]:
    if not disputes_figures(es_ar.folded(turn.text)):
        return []
    log.warning("owner says a figure is wrong (org %s): review the summary's sources", turn.org.id)
    turn.conversation.misses = 0
    return [Text(texts.render("owner_figures_wrong", link=jobs_link(turn.settings)))]


SPEC = FlowSpec(name="owner_figures", roles=frozenset({ConversationRole.OWNER}), handle=handle,
                intents=frozenset({"other"}))
