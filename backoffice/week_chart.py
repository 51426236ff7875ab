"""The home page's week at a glance, laid out for inline SVG: jobs per day stacked by status, and
billed vs collected per day. Drawn on the server (no script, nothing to load: it works under the
Content-Security-Policy and on any phone); the template writes the shapes computed here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from core.billing.reports import WeekNumbers
from core.es_ar import pesos
from core.models import JobStatus as S

WEEKDAY_SHORT = ("lun", "mar", "mié", "jue", "vie", "sáb", "dom")


@dataclass(frozen=True)
class JobGroup:
    key: str
    label: str  # plural, for the legend
    one: str  # one job of the group: "1 terminado"
    fill: str  # Okabe–Ito colours: told apart with the common kinds of colour blindness
    ink: str  # the count written on the segment
    statuses: frozenset[S]

    def count_text(self, n: int) -> str:
        """"1 terminado", "3 terminados"."""
        return f"{n} {self.one if n == 1 else self.label.lower()}"


JOB_GROUPS = (
    JobGroup("todo", "Por hacer", "por hacer", "#56b4e9", "#10242f", frozenset({S.PENDING, S.SCHEDULED, S.NEEDS_FOLLOWUP})),
    JobGroup("under_way", "En curso", "en curso", "#e69f00", "#2b1d00", frozenset({S.EN_ROUTE, S.ON_SITE})),
    JobGroup("done", "Terminados", "terminado", "#009e73", "#ffffff", frozenset({S.COMPLETED, S.INVOICED})),
    JobGroup("paid", "Cobrados", "cobrado", "#0072b2", "#ffffff", frozenset({S.PAID})),
    JobGroup("cancelled", "Cancelados", "cancelado", "#b8c2c8", "#1d2a33", frozenset({S.CANCELLED})),
)
BILLED = ("billed", "Facturado", "#0072b2")
COLLECTED = ("collected", "Cobrado", "#009e73")

# The drawing's own units: 340 wide is about a phone's card at 1:1, so 11–12 units stay legible.
WIDTH = 340
JOBS_TOP, JOBS_BOTTOM = 24, 172  # plot area (totals above it, day labels below)
JOBS_HEIGHT = 208
BAR = 30
INSIDE_LABEL_MIN = 13  # a segment shorter than this carries no number (the table has it)
MONEY_LABELS, MONEY_TEXT = 76, 76  # left column for the day, room after a bar for its amount
MONEY_BAR, MONEY_GAP, MONEY_ROW = 12, 2, 36


@dataclass(frozen=True)
class Segment:
    group: JobGroup
    count: int
    y: float
    height: float

    @property
    def label_y(self) -> float:
        return round(self.y + self.height / 2 + 4, 1)

    @property
    def labelled(self) -> bool:
        return self.height >= INSIDE_LABEL_MIN


@dataclass(frozen=True)
class JobColumn:
    day: date
    weekday: str  # "lun"
    date_text: str  # "01/12"
    x: float  # left of the bar
    center: float
    total: int
    counts: dict[str, int]  # by group key, every group present
    segments: list[Segment]  # bottom to top, empty groups left out
    today: bool

    @property
    def top(self) -> float:
        return self.segments[-1].y if self.segments else JOBS_BOTTOM

    @property
    def summary(self) -> str:
        """"lun 01/12: 3 (2 terminados, 1 por hacer)"."""
        parts = [g.count_text(self.counts[g.key]) for g in JOB_GROUPS if self.counts[g.key]]
        detail = f" ({', '.join(parts)})" if parts else ""
        return f"{self.weekday} {self.date_text}: {self.total}{detail}"


@dataclass(frozen=True)
class MoneyBar:
    key: str
    label: str
    fill: str
    amount: Decimal
    amount_text: str
    y: float
    width: float

    @property
    def text_x(self) -> float:
        return round(MONEY_LABELS + self.width + 4, 1)

    @property
    def text_y(self) -> float:
        return round(self.y + MONEY_BAR - 2, 1)


@dataclass(frozen=True)
class MoneyRow:
    day: date
    weekday: str
    date_text: str
    y: float  # top of the row
    bars: tuple[MoneyBar, MoneyBar]  # billed, collected
    today: bool

    @property
    def label_y(self) -> float:
        return round(self.y + MONEY_BAR + MONEY_GAP / 2 + 4, 1)


@dataclass(frozen=True)
class WeekChart:
    start: date
    end: date
    columns: list[JobColumn]
    rows: list[MoneyRow]
    job_total: int
    billed: Decimal
    collected: Decimal
    width: int = WIDTH
    jobs_height: int = JOBS_HEIGHT
    jobs_bottom: int = JOBS_BOTTOM
    bar: int = BAR
    money_labels: int = MONEY_LABELS
    money_bar: int = MONEY_BAR

    @property
    def money_height(self) -> int:
        return MONEY_ROW * len(self.rows)

    @property
    def groups(self) -> tuple[JobGroup, ...]:
        return JOB_GROUPS

    @property
    def series(self) -> tuple[tuple[str, str, str], ...]:
        return (BILLED, COLLECTED)

    @property
    def title(self) -> str:
        return f"Semana del {_dm(self.start)} al {_dm(self.end)}"

    @property
    def jobs_description(self) -> str:
        return "Trabajos por día: " + "; ".join(c.summary for c in self.columns) + "."

    @property
    def money_description(self) -> str:
        return "Facturado y cobrado por día: " + "; ".join(
            f"{r.weekday} {r.date_text}: facturado {r.bars[0].amount_text}, cobrado {r.bars[1].amount_text}"
            for r in self.rows) + "."


def _dm(day: date) -> str:
    return f"{day.day:02d}/{day.month:02d}"


def _group_counts(jobs: dict[S, int]) -> dict[str, int]:
    return {g.key: sum(n for status, n in jobs.items() if status in g.statuses) for g in JOB_GROUPS}


def layout(week: WeekNumbers, today: date) -> WeekChart:
    """Where every bar, number and label of the week's two charts goes."""
    slot = (WIDTH - 16) / 7
    peak_jobs = max((d.job_total for d in week.days), default=0) or 1
    unit = (JOBS_BOTTOM - JOBS_TOP) / peak_jobs
    columns = []
    for n, numbers in enumerate(week.days):
        counts = _group_counts(numbers.jobs)
        x = 8 + slot * n + (slot - BAR) / 2
        base, segments = float(JOBS_BOTTOM), []
        for group in JOB_GROUPS:
            if counts[group.key]:
                height = counts[group.key] * unit
                base -= height
                segments.append(Segment(group, counts[group.key], round(base, 1), round(height, 1)))
        columns.append(JobColumn(
            day=numbers.day, weekday=WEEKDAY_SHORT[numbers.day.weekday()], date_text=_dm(numbers.day),
            x=round(x, 1), center=round(x + BAR / 2, 1), total=numbers.job_total, counts=counts,
            segments=segments, today=numbers.day == today,
        ))

    peak_money = max((max(d.billed, d.collected) for d in week.days), default=Decimal(0)) or Decimal(1)
    room = WIDTH - MONEY_LABELS - MONEY_TEXT
    rows = []
    for n, numbers in enumerate(week.days):
        top = MONEY_ROW * n + 4
        bars = tuple(
            MoneyBar(key, label, fill, amount, pesos(amount), y=round(top + i * (MONEY_BAR + MONEY_GAP), 1),
                     width=round(float(amount / peak_money) * room, 1) if amount > 0 else 0.0)
            for i, ((key, label, fill), amount) in enumerate(((BILLED, numbers.billed),
                                                              (COLLECTED, numbers.collected)))
        )
        rows.append(MoneyRow(day=numbers.day, weekday=WEEKDAY_SHORT[numbers.day.weekday()],
                             date_text=_dm(numbers.day), y=top, bars=bars, today=numbers.day == today))
    return WeekChart(
        start=week.start, end=week.end, columns=columns, rows=rows,
        job_total=sum(d.job_total for d in week.days),
        billed=sum((d.billed for d in week.days), Decimal(0)),
        collected=sum((d.collected for d in week.days), Decimal(0)),
    )
