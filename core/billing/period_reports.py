"""The owner's numbers over a stretch of days: "¿cuánto facturamos este mes?", "¿cómo nos fue la
semana pasada?", "resumen de octubre", "¿cómo venimos este año?".

The same rules as the daily summary (`reports.daily_summary`) over the local days [first, last]:
jobs that came in and finished, invoices billed (by issue date), payments received, emergencies; what is
owed is today's, whatever the period.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from core import es_ar
from core.billing.reports import org_zone, stretch_numbers, unpaid_total, week_start
from core.models import Organization


@dataclass(frozen=True)
class Period:
    first: date
    last: date
    label: str  # "esta semana", "noviembre", "diciembre hasta hoy", "2025"


@dataclass(frozen=True)
class PeriodSummary:
    period: Period
    completed: int
    billed: Decimal
    collected: Decimal
    emergencies: int
    unpaid_total: Decimal
    debtors: int
    opened: int = 0  # jobs that came in

    @property
    def quiet(self) -> bool:
        return not (self.completed or self.billed or self.collected or self.emergencies
                    or self.opened)


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in text if not unicodedata.combining(c))


_MONTH = "|".join(es_ar.MONTHS)
_PAST = r"(?:pasad[oa]|anterior|ultim[oa])"
_LAST_WEEK = re.compile(rf"\bsemana\s+{_PAST}|\b{_PAST}\s+semana\b")
_THIS_WEEK = re.compile(r"\b(?:esta|la|en\s+la|de\s+la)\s+semana\b|\bsemanal\b")
_LAST_MONTH = re.compile(rf"\bmes\s+{_PAST}|\b{_PAST}\s+mes\b")
_THIS_MONTH = re.compile(r"\b(?:este|el|en\s+el|del)\s+mes\b|\bmensual\b")
_NAMED_MONTH = re.compile(rf"\b(?:en|de|del\s+mes\s+de|por)\s+({_MONTH})\b")
_LAST_YEAR = re.compile(rf"\bano\s+{_PAST}|\b{_PAST}\s+ano\b")
_THIS_YEAR = re.compile(r"\b(?:este|el|en\s+el|del)\s+ano\b|\banual\b")
_FUTURE = re.compile(r"\bque\s+viene\b|\bproxim[oa]\b|\bsiguiente\b")


def asked_period(text: str, today: date) -> Period | None:
    """The stretch of days an owner's question names; None for a single day (or none named)."""
    folded = _fold(text or "")
    if _FUTURE.search(folded):
        return None  # nothing happened yet: the day's summary answers
    if _LAST_WEEK.search(folded):
        first = week_start(today) - timedelta(days=7)
        return Period(first, first + timedelta(days=6), "la semana pasada")
    if _LAST_MONTH.search(folded):
        last = today.replace(day=1) - timedelta(days=1)
        return Period(last.replace(day=1), last, _month_label(last, today))
    if _LAST_YEAR.search(folded):
        year = today.year - 1
        return Period(date(year, 1, 1), date(year, 12, 31), str(year))
    if match := _NAMED_MONTH.search(folded):
        month = es_ar.MONTHS.index(match.group(1)) + 1
        year = today.year if month <= today.month else today.year - 1
        first = date(year, month, 1)
        last = min(_month_end(first), today)
        label = _month_label(first, today) + (" hasta hoy" if last == today else "")
        return Period(first, last, label)
    if _THIS_WEEK.search(folded):
        return Period(week_start(today), today, "esta semana")
    if _THIS_MONTH.search(folded):
        return Period(today.replace(day=1), today, f"{es_ar.MONTHS[today.month - 1]} hasta hoy")
    if _THIS_YEAR.search(folded):
        return Period(date(today.year, 1, 1), today, f"{today.year} hasta hoy")
    return None


_NEXT_WEEK = re.compile(r"\bsemana\s+(?:que\s+viene|proxima|siguiente)\b"
                        r"|\b(?:proxima|siguiente)\s+semana\b")
_REST_OF_WEEK = re.compile(r"\b(?:lo\s+que\s+queda\s+de\s+la|el\s+resto\s+de\s+la)\s+semana\b")


def asked_ahead(text: str, today: date) -> Period | None:
    """The stretch of coming days an owner asks about ("¿qué tenemos la semana que viene?", "lo
    que queda de la semana"): its visits answer, not its figures. None for anything else."""
    folded = _fold(text or "")
    if _NEXT_WEEK.search(folded):
        first = week_start(today) + timedelta(days=7)
        return Period(first, first + timedelta(days=6), "la semana que viene")
    if _REST_OF_WEEK.search(folded):
        return Period(today, week_start(today) + timedelta(days=6), "lo que queda de la semana")
    return None


def week_ahead(today: date) -> Period:
    """What is left of this week, for its visits ("¿qué tenemos esta semana?"); on a Sunday,
    when only that day is left of it, the week that starts is the one meant."""
    if today.weekday() == 6:
        first = today + timedelta(days=1)
        return Period(first, first + timedelta(days=6), "la semana que arranca")
    return Period(today, week_start(today) + timedelta(days=6), "esta semana")


def _month_end(first: date) -> date:
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def _month_label(day: date, today: date) -> str:
    name = es_ar.MONTHS[day.month - 1]
    return name if day.year == today.year else f"{name} de {day.year}"


def period_summary(session: Session, org: Organization | int, period: Period) -> PeriodSummary:
    """What got done, billed and collected in the organization's local days of `period`."""
    numbers = stretch_numbers(session, org_zone(session, org), period.first, period.last)
    owed = unpaid_total(session)
    return PeriodSummary(period, numbers.completed, numbers.billed, numbers.collected,
                         numbers.emergencies, owed.total, owed.debtors, numbers.opened)
