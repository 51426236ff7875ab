"""The owner's numbers as WhatsApp text: the day's summary, "¿quién me debe?", and a week's,
month's or year's numbers (`reports`, `period_reports` count them)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from core import es_ar
from core.billing.period_reports import Period, PeriodSummary
from core.billing.reports import (
    AGENDA_LINES,
    SERVICE_LABELS,
    AgendaItem,
    DailySummary,
    Debtor,
    StretchNumbers,
)
from core.messaging.texts import render


def render_summary(summary: DailySummary, *, today: date | None = None, money: bool = False) -> str:
    """The summary as WhatsApp text; a day before `today` is told in the past, without the
    next day's visits. `money`: the owner asked about money, so what was collected is said
    even when it is nothing."""
    shown = summary.tomorrow[:AGENDA_LINES]
    return render(
        "owner_summary",
        past=today is not None and summary.day < today,
        weekday=es_ar.weekday(summary.day),
        day=f"{summary.day.day:02d}/{summary.day.month:02d}",
        quiet=summary.quiet,
        completed=summary.completed,
        billed=es_ar.pesos(summary.billed) if summary.billed else None,
        collected=es_ar.pesos(summary.collected) if summary.collected else None,
        unpaid=es_ar.pesos(summary.unpaid_total) if summary.unpaid_total > 0 else None,
        debtors=summary.debtors,
        emergencies=summary.emergencies,
        opened=summary.opened,
        money=money,
        tomorrow=[
            {"time": item.time_text, "customer": item.customer,
             "service": SERVICE_LABELS.get(item.service, "trabajo"),
             "technician": item.technician}
            for item in shown
        ],
        more=len(summary.tomorrow) - len(shown),
    )


def render_unpaid(debtors: list[Debtor], total: Decimal, debtor_count: int | None = None) -> str:
    """"¿Quién me debe?": `debtor_count` (all of them) adds "y N más" when the list was cut."""
    count = len(debtors) if debtor_count is None else max(debtor_count, len(debtors))
    return render(
        "owner_unpaid",
        total=es_ar.pesos(total),
        count=count,
        debtors=[
            {"name": d.name or d.phone or f"Cliente {d.customer_id}",
             "balance": es_ar.pesos(d.balance),
             "since": f"{d.oldest_invoice.day:02d}/{d.oldest_invoice.month:02d}"}
            for d in debtors
        ],
        more=count - len(debtors),
    )


AHEAD_LINES = 10  # visits listed when the owner asks about the coming days; the rest "y N más"


def render_agenda_ahead(period: Period, visits: list[AgendaItem], today: date,
                        who: str | None = None) -> str:
    """"¿Qué tenemos la semana que viene?", "¿y el lunes?": the visits of those days, day by
    day; `who` (a technician's first name) when they are one technician's visits only."""
    shown = visits[:AHEAD_LINES]
    single = period.first == period.last
    phrase = es_ar.day_phrase(period.first, today, article=False) if single else None
    return render(
        "owner_agenda_ahead",
        day=_ahead_day(phrase, for_someone=who is not None) if single else None,
        label=period.label,
        who=who,
        days=es_ar.day_span(period.first, period.last),
        visits=[
            {"day": es_ar.weekday_date(item.start.date()).capitalize(), "time": item.time_text,
             "customer": item.customer, "service": SERVICE_LABELS.get(item.service, "trabajo"),
             "technician": item.technician, "number": item.job_number}
            for item in shown
        ],
        more=len(visits) - len(shown),
    )


def _ahead_day(phrase: str, *, for_someone: bool) -> str:
    """"de mañana", "del lunes 14/12"; "para mañana", "para el lunes 14/12" after a name."""
    if phrase in ("hoy", "mañana"):
        return f"para {phrase}" if for_someone else f"de {phrase}"
    return f"para el {phrase}" if for_someone else f"del {phrase}"


def render_technicians_figures(period: Period, figures: list[tuple[str, StretchNumbers]]) -> str:
    """"¿Cuántos trabajos hizo Carlos este mes?": what each technician named (first name, their
    numbers) finished, billed and collected in `period`."""
    return render(
        "owner_technician_period",
        technicians=[{"name": name, "completed": n.completed,
                      "billed": es_ar.pesos(n.billed) if n.billed else None,
                      "collected": es_ar.pesos(n.collected) if n.collected else None}
                     for name, n in figures],
        label=period.label, single=period.first == period.last,
        days=es_ar.day_span(period.first, period.last),
    )


def render_period_summary(summary: PeriodSummary, *, money: bool = False) -> str:
    """A week's, month's or year's figures; `money` as in `render_summary`."""
    p = summary.period
    return render(
        "owner_period_summary",
        label=p.label,
        days=es_ar.day_span(p.first, p.last),
        quiet=summary.quiet,
        completed=summary.completed,
        billed=es_ar.pesos(summary.billed) if summary.billed else None,
        collected=es_ar.pesos(summary.collected) if summary.collected else None,
        emergencies=summary.emergencies,
        unpaid=es_ar.pesos(summary.unpaid_total) if summary.unpaid_total > 0 else None,
        debtors=summary.debtors,
        opened=summary.opened,
        money=money,
    )
