"""Public job tracking: an unguessable, expiring link and the little a customer may see.

The token binds (organization, job, expiry) with HMAC-SHA256 under a key derived from
`settings.secret_key` for this purpose only, plus a random nonce so every link is different.
Layout, then base64url without padding (50 characters):

    version (1) | org_id (4) | job_id (4) | expires, unix seconds (4) | nonce (8) | mac (16)

The page built from it shows the job number, its status, the visit window, the technician's
first name and the ETA — never an address, a phone, a price or the customer's name.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import es_ar
from core.models import Job, JobStatus
from core.organizations import zone_of
from core.settings import Settings
from core.signed_tokens import (  # the token errors are part of this module's interface
    SignedTokens,
    TokenExpired,  # noqa: F401
    TokenInvalid,  # noqa: F401
    aware_now,
)

DEFAULT_TTL = timedelta(days=7)

_TOKENS = SignedTokens(b"campotech.job-tracking.v1")


def tracking_token(
    settings: Settings,
    org_id: int,
    job_id: int,
    *,
    now: datetime | None = None,
    ttl: timedelta = DEFAULT_TTL,
) -> str:
    """A compact URL-safe token for one job of one organization, valid for `ttl` from `now`."""
    return _TOKENS.make(settings, org_id, job_id, ttl, now=now)


def read_token(settings: Settings, token: str, *, now: datetime | None = None) -> tuple[int, int]:
    """(org_id, job_id) from a token; TokenInvalid unless genuine, TokenExpired once past."""
    return _TOKENS.read(settings, token, now=now)


def tracking_url(settings: Settings, token: str) -> str:
    return settings.public_base_url.rstrip("/") + "/t/" + token


# --- what the page shows ---------------------------------------------------------------------

S = JobStatus
STATUS_LABELS: dict[JobStatus, str] = {
    S.PENDING: "Recibido",
    S.SCHEDULED: "Agendado",
    S.EN_ROUTE: "En camino",
    S.ON_SITE: "Trabajando en tu domicilio",
    S.COMPLETED: "Terminado",
    S.INVOICED: "Terminado",
    S.PAID: "Terminado",
    S.CANCELLED: "Cancelado",
    S.NEEDS_FOLLOWUP: "Pendiente de otra visita",
}
# The progress bar; a job that needs another visit goes back to waiting for a date.
STEPS: tuple[str, ...] = ("Recibido", "Agendado", "En camino", "En tu casa", "Terminado")
_STEP_OF: dict[JobStatus, int | None] = {
    S.PENDING: 0,
    S.SCHEDULED: 1,
    S.EN_ROUTE: 2,
    S.ON_SITE: 3,
    S.COMPLETED: 4,
    S.INVOICED: 4,
    S.PAID: 4,
    S.NEEDS_FOLLOWUP: 1,
    S.CANCELLED: None,
}
FINAL_STEP = len(STEPS) - 1
_WINDOW_STATUSES = frozenset({S.SCHEDULED, S.EN_ROUTE})


@dataclass(frozen=True)
class TrackingView:
    """Everything the public page may show, and nothing more."""

    number: int
    status_label: str
    step: int | None  # index into STEPS; None when cancelled (no progress bar)
    window: str | None = None  # "martes 1/12, de 9 a 11", in the organization's time zone
    technician_first_name: str | None = None
    eta_minutes: int | None = None  # en route with an ETA; never negative
    eta_label: str | None = None  # "en 15 minutos", "llegando"

    @property
    def live(self) -> bool:
        """Still moving: worth refreshing the page."""
        return self.step is not None and self.step < FINAL_STEP


def format_window(start: datetime, end: datetime | None, zone: ZoneInfo) -> str:
    """A visit window such as `martes 1/12, de 9 a 11` (`a las 9` without an end)."""
    local = start.astimezone(zone)
    day = es_ar.weekday_date(local.date())
    if end is None:
        # Always "a las", even at 1 (es_ar.at_hour says "a la 1"): the page has always read so.
        return f"{day}, a las {es_ar.clock(local)}"
    return f"{day}, de {es_ar.clock(local)} a {es_ar.clock(end.astimezone(zone))}"


def _eta(eta_at: datetime, now: datetime) -> tuple[int, str]:
    minutes = math.ceil((eta_at - now).total_seconds() / 60)
    if minutes <= 0:
        return 0, "llegando"
    if minutes < 60:
        return minutes, "en 1 minuto" if minutes == 1 else f"en {minutes} minutos"
    hours, rest = divmod(minutes, 60)
    return minutes, f"en {hours} h {rest} min" if rest else f"en {hours} h"


def job_view(session: Session, job: Job, *, now: datetime | None = None) -> TrackingView:
    """The public view of `job`, read in its organization's session."""
    now = aware_now(now)
    status = JobStatus(job.status)
    window = None
    if status in _WINDOW_STATUSES and job.scheduled_start is not None:
        zone = zone_of(session, job.org_id)
        window = format_window(job.scheduled_start, job.scheduled_end, zone)
    first_name = None
    if status != S.CANCELLED and job.technician is not None:
        first_name = es_ar.first_name(job.technician.name)
    eta_minutes = eta_label = None
    if status == S.EN_ROUTE and job.eta_at is not None:
        eta_minutes, eta_label = _eta(job.eta_at, now)
    return TrackingView(
        number=job.number,
        status_label=STATUS_LABELS[status],
        step=_STEP_OF[status],
        window=window,
        technician_first_name=first_name,
        eta_minutes=eta_minutes,
        eta_label=eta_label,
    )


def load_view(session: Session, job_id: int, *, now: datetime | None = None) -> TrackingView | None:
    """The view of job `job_id` in the session's organization, or None if it has no such job."""
    job = session.scalar(select(Job).where(Job.id == job_id))
    return None if job is None else job_view(session, job, now=now)
