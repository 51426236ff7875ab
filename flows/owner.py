"""The owner's "resumen" and "quién me debe", on demand."""

from __future__ import annotations

from core.billing.reports import daily_summary, render_summary, render_unpaid, unpaid, unpaid_total
from core.messaging.replies import Reply, Text
from core.models import ConversationRole
from flows.engine import FlowSpec
from flows.turn import Turn


def handle(turn: Turn) -> list[Reply]:
    if turn.intent == "owner_summary":
        return [Text(render_summary(daily_summary(turn.session, turn.org.id, turn.today)))]
    debtors = unpaid(turn.session)
    total = unpaid_total(turn.session)
    return [Text(render_unpaid(debtors, total.total, total.debtors))]


SPEC = FlowSpec(name="owner", roles=frozenset({ConversationRole.OWNER}), handle=handle,
                intents=frozenset({"owner_summary", "owner_unpaid"}))
