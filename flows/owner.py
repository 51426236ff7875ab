"""The owner's "resumen" (of a day, a week, a month or a year) and "quién me debe", on demand."""

from __future__ import annotations

from datetime import date

from core.billing.period_reports import Period, asked_ahead, asked_period, period_summary
from core.billing.report_texts import (
    render_agenda_ahead,
    render_period_summary,
    render_summary,
    render_unpaid,
)
from core.billing.reports import agenda, daily_summary, unpaid, unpaid_total
from core.messaging.replies import Reply, Text
from core.models import ConversationRole
from flows.engine import FlowSpec
from flows.turn import Turn


def handle(turn: Turn) -> list[Reply]:
    if turn.intent == "owner_summary":
        ahead = asked_ahead(turn.text, turn.today) or _asked_day_ahead(turn)
        if ahead is not None:  # "¿qué tenemos la semana que viene?", "¿y el lunes?": visits
            visits = agenda(turn.session, ahead.first, turn.org.time_zone, last=ahead.last)
            return [Text(render_agenda_ahead(ahead, visits, turn.today))]
        period = asked_period(turn.text, turn.today)
        if period is not None:  # "este mes", "la semana pasada", "en octubre", "este año"
            return [Text(render_period_summary(period_summary(turn.session, turn.org.id, period)))]
        day = _asked_day(turn)
        summary = daily_summary(turn.session, turn.org.id, day)
        return [Text(render_summary(summary, today=turn.today))]
    debtors = unpaid(turn.session)
    total = unpaid_total(turn.session)
    return [Text(render_unpaid(debtors, total.total, total.debtors))]


SPEC = FlowSpec(name="owner", roles=frozenset({ConversationRole.OWNER}), handle=handle,
                intents=frozenset({"owner_summary", "owner_unpaid"}))


def _named_day(turn: Turn) -> date | None:
    """The day the owner's message names, if any ("el lunes", "ayer", "mañana")."""
    try:
        return date.fromisoformat(turn.result.date) if turn.result.date else None
    except ValueError:
        return None


def _asked_day_ahead(turn: Turn) -> Period | None:
    """A day still to come that the owner names ("¿qué tenemos mañana?", "¿y el lunes?")."""
    day = _named_day(turn)
    return Period(day, day, day.isoformat()) if day is not None and day > turn.today else None


def _asked_day(turn: Turn) -> date:
    """The day the owner asks about ("¿cómo nos fue el lunes?", "resumen de ayer"): a day that has
    already begun; today when none is named (a future one is `_asked_day_ahead`'s)."""
    day = _named_day(turn)
    return day if day is not None and day <= turn.today else turn.today
