"""Issuing an invoice: authorizing a pending invoice with AFIP exactly once, whatever happened
before (see the flowchart in `core/billing/invoicing.py`).

One Redis lock per (organization, punto de venta, comprobante type) serializes numbering across
workers; a circuit breaker shared by all workers stops calling AFIP while it is down.
"""


from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from redis import Redis
from sqlalchemy import func, select

from core import audit
from core.billing.afip import (
    Authorization,
    AuthorizationRefused,
    AuthorizationRequest,
    AuthorizationTimeout,
    AuthorizationUnavailable,
    Authorizer,
    CredentialsRejected,
    authorization_request,
    qr_payload,
)
from core.billing.invoicing import local_today
from core.db import Database
from core.models import (
    Invoice,
    InvoiceStatus,
    Organization,
    utcnow,
)
from core.settings import Settings

log = logging.getLogger("campotech.invoicing")

NUMBERING_ERROR = 10016
BATCH_LIMIT = 50  # comprobantes per FECAESolicitar (AFIP accepts up to 250)
DRAIN_ROUNDS = 20  # batches one worker sends for a series before leaving it to the others  # "el número no es el próximo a autorizar"


@dataclass(frozen=True)
class IssueOutcome:
    """What one `issue` run did: authorized, internal, rejected, pending (will retry), unchanged
    (already final), waiting (not due yet, or AFIP's breaker is open)."""

    kind: str
    invoice_id: int
    reason: str | None = None
    first_failure: bool = False  # the first failed attempt: the owner is told once
    messages: list[str] = field(default_factory=list)  # staff-facing, in Spanish
    others: list[IssueOutcome] = field(default_factory=list)  # the rest of its AFIP batch


class Breaker:
    """A circuit breaker around AFIP shared by every worker (per AFIP environment)."""

    def __init__(self, redis: Redis, settings: Settings):
        self.redis = redis
        self.threshold = settings.afip_breaker_failures
        self.cooldown = settings.afip_breaker_cooldown_seconds
        prefix = f"campotech:afip:breaker:{settings.afip_environment}"
        self.fails_key, self.open_key = f"{prefix}:fails", f"{prefix}:open_until"

    def open_until(self, now: datetime) -> datetime | None:
        value = self.redis.get(self.open_key)
        if value is None:
            return None
        until = datetime.fromtimestamp(float(value), tz=now.tzinfo)
        return until if until > now else None

    def failure(self, now: datetime) -> None:
        fails = self.redis.incr(self.fails_key)
        self.redis.expire(self.fails_key, int(self.cooldown * 10))
        if fails >= self.threshold:
            until = now.timestamp() + self.cooldown
            self.redis.set(self.open_key, str(until), ex=int(self.cooldown) + 1)
            self.redis.delete(self.fails_key)
            log.warning("AFIP circuit breaker open for %.0f s", self.cooldown)

    def success(self) -> None:
        self.redis.delete(self.fails_key, self.open_key)


def backoff(settings: Settings, attempts: int) -> timedelta:
    seconds = settings.invoice_retry_first_seconds * 2 ** max(0, attempts - 1)
    return timedelta(seconds=min(seconds, settings.invoice_retry_max_seconds))


def issue(
    db: Database, redis: Redis, settings: Settings, org_id: int, invoice_id: int,
    authorizer: Authorizer | Callable[[], Authorizer], *, now: datetime | None = None,
    force: bool = False, explain: Callable[[int, str], str] | None = None,
) -> IssueOutcome:
    """Authorize one pending invoice with AFIP, exactly once, whatever happened before.

    `authorizer` may be a factory, called only when AFIP is really needed. `force` ignores the
    backoff (staff pressed "reintentar"). `explain` turns AFIP codes into Spanish for staff.
    """
    now = now or utcnow()
    with db.org_session(org_id) as session:
        invoice = session.get(Invoice, invoice_id)
        if invoice is None:
            return IssueOutcome("unchanged", invoice_id, "not_found")
        if invoice.status is not InvoiceStatus.PENDING:
            return IssueOutcome("unchanged", invoice_id, invoice.status.value)
        if not force and invoice.next_attempt_at is not None and invoice.next_attempt_at > now:
            return IssueOutcome("waiting", invoice_id, "backoff")
        pdv, tipo = invoice.punto_de_venta, invoice.cbte_tipo
    breaker = Breaker(redis, settings)
    until = breaker.open_until(now)
    if until is not None:
        _postpone(db, org_id, invoice_id, until, "AFIP no responde (esperando para reintentar).")
        return IssueOutcome("waiting", invoice_id, "breaker_open")
    explain = explain or _plain_explain
    clients: list[Authorizer] = []

    def attempt(one: int) -> IssueOutcome:
        try:
            if not clients:
                clients.append(authorizer() if callable(authorizer)
                               and not hasattr(authorizer, "request_cae_batch") else authorizer)
            return _issue_locked(db, settings, breaker, org_id, one, clients[0], now, explain)
        except CredentialsRejected as exc:
            return _pending(db, settings, org_id, one, now, "credentials",
                            f"AFIP rechazó el certificado o el acceso: {exc}")
        except AuthorizationTimeout:
            breaker.failure(now)
            return _pending(db, settings, org_id, one, now, "timeout",
                            "AFIP no contestó a tiempo; lo consulto antes de reintentar.")
        except AuthorizationUnavailable as exc:
            breaker.failure(now)
            return _pending(db, settings, org_id, one, now, "unavailable",
                            f"AFIP no está disponible ({exc}).")

    # One worker at a time numbers a series. Whoever finds it busy raises `again` and leaves:
    # the holder looks at `again` after releasing and goes around, so no invoice is stranded
    # and no worker sits blocked on the lock while AFIP answers someone else.
    series = f"campotech:afip:seq:{org_id}:{pdv}:{tipo}"
    again = f"{series}:again"
    outcome: IssueOutcome | None = None
    others: list[IssueOutcome] = []
    for _ in range(DRAIN_ROUNDS):
        redis.set(again, 1, ex=600)
        lock = redis.lock(series, timeout=settings.afip_timeout_seconds * 6 + 30)
        if not lock.acquire(blocking=False):
            break
        try:
            redis.delete(again)
            if outcome is None:
                outcome = attempt(invoice_id)
            for _ in range(DRAIN_ROUNDS):  # the series' other due invoices nobody sent yet
                if outcome.kind in ("pending", "waiting") or breaker.open_until(now):
                    break  # AFIP is in trouble: the retries will come back for them
                following = _next_unsent(db, org_id, pdv, tipo, now)
                if following is None:
                    break
                drained = attempt(following)
                others += [drained, *drained.others]
                if drained.kind in ("pending", "waiting"):
                    break
        finally:
            try:
                lock.release()
            except Exception:  # noqa: BLE001 - expired: the committed requested_at protects us
                log.warning("AFIP numbering lock for invoice %s expired before release", invoice_id)
        if not redis.exists(again):
            break
    if outcome is None:
        return IssueOutcome("waiting", invoice_id, "busy")
    return replace(outcome, others=[*outcome.others, *others])


def _next_unsent(db: Database, org_id: int, pdv: int, tipo: int, now: datetime) -> int | None:
    with db.org_session(org_id) as session:
        return session.scalar(
            select(Invoice.id).where(
                Invoice.status == InvoiceStatus.PENDING, Invoice.punto_de_venta == pdv,
                Invoice.cbte_tipo == tipo, Invoice.requested_at.is_(None),
                (Invoice.next_attempt_at.is_(None)) | (Invoice.next_attempt_at <= now),
            ).order_by(Invoice.id).limit(1)
        )


def _plain_explain(code: int, message: str) -> str:
    return f"AFIP dijo: {message} (código {code})"


def _issue_locked(
    db: Database, settings: Settings, breaker: Breaker, org_id: int, invoice_id: int,
    afip: Authorizer, now: datetime, explain: Callable[[int, str], str],
) -> IssueOutcome:
    with db.org_session(org_id) as session:
        invoice = session.get(Invoice, invoice_id)
        if invoice is None or invoice.status is not InvoiceStatus.PENDING:
            return IssueOutcome("unchanged", invoice_id, "raced")
        pdv, tipo, number = invoice.punto_de_venta, invoice.cbte_tipo, invoice.number
        sent_before = invoice.requested_at is not None and number is not None

    if sent_before:
        # A previous attempt sent FECAESolicitar and never heard back: ask before resending.
        found = afip.query(pdv, tipo, number)
        if found is not None and found.result == "A" and found.cae:
            breaker.success()
            return _authorized(db, org_id, invoice_id, found, explain, reconciled=True)
    ask_afip = sent_before  # after an unknown outcome, AFIP's word on the last number
    solo = False
    for _ in range(3):  # again only when AFIP says the numbering is off, or the batch failed
        last = None if ask_afip else _last_known(db, org_id, pdv, tipo)
        if last is None:
            last = afip.last_authorized(pdv, tipo)
        ask_afip = True
        batch, requests = _number_batch(db, org_id, invoice_id, pdv, tipo, last, now, solo=solo)
        # Committed: from here on a crash or timeout is reconciled by FECompConsultar.
        try:
            answers = afip.request_cae_batch(requests)
        except AuthorizationRefused as exc:
            breaker.success()
            _release(db, org_id, batch)  # nothing of it was authorized
            if any(code == NUMBERING_ERROR for code, _ in exc.errors):
                continue
            if len(batch) > 1:
                solo = True  # one bad comprobante must not sink the others: alone, then
                continue
            return _rejected(db, org_id, invoice_id, exc.errors, explain)
        except AuthorizationUnavailable as exc:
            breaker.failure(now)
            timed_out = isinstance(exc, AuthorizationTimeout)
            reason, message = (("timeout", "AFIP no contestó a tiempo; lo consulto antes de reintentar.")
                               if timed_out else ("unavailable", f"AFIP no está disponible ({exc})."))
            outcomes = [_pending(db, settings, org_id, one, now, reason, message) for one in batch]
            return replace(outcomes[0], others=outcomes[1:])
        breaker.success()
        by_number = {answer.number: answer for answer in answers}
        outcomes: dict[int, IssueOutcome] = {}
        renumber = False
        for one, request in zip(batch, requests, strict=True):
            answer = by_number.get(request.number)
            if answer is not None and answer.result == "A" and answer.cae:
                outcomes[one] = _authorized(db, org_id, one, answer, explain, reconciled=False)
            elif answer is None or _numbering(answer):
                # Not processed, or its number stopped being the next one after a rejection
                # earlier in the batch: back to pending, numbered again on its next turn.
                _release(db, org_id, [one])
                renumber |= one == invoice_id
            else:
                outcomes[one] = _rejected(db, org_id, one, answer.errors or answer.observations,
                                          explain, observations=answer.observations)
        others = [outcome for one, outcome in outcomes.items() if one != invoice_id]
        if renumber:
            if others:  # the others are settled; ours goes around again
                log.info("invoice %s renumbered after a rejection earlier in its batch", invoice_id)
            continue
        return replace(outcomes[invoice_id], others=others)
    return _pending(db, settings, org_id, invoice_id, now, "numbering",
                    "AFIP no aceptó la numeración dos veces seguidas; reintento más tarde.")


def _numbering(answer: Authorization) -> bool:
    return any(code == NUMBERING_ERROR for code, _ in [*answer.errors, *answer.observations])


def _number_batch(db: Database, org_id: int, invoice_id: int, pdv: int, tipo: int, last: int,
                  now: datetime, *, solo: bool) -> tuple[list[int], list[AuthorizationRequest]]:
    """Number this invoice, and the series' other pending ones that are due, consecutively from
    `last`, and commit that they are being requested: one FECAESolicitar carries them all, so
    ten technicians finishing at once wait for one AFIP round trip, not ten."""
    with db.org_session(org_id) as session:
        ids = [invoice_id]
        if not solo:
            ids += list(session.scalars(
                select(Invoice.id).where(
                    Invoice.status == InvoiceStatus.PENDING, Invoice.id != invoice_id,
                    Invoice.punto_de_venta == pdv, Invoice.cbte_tipo == tipo,
                    Invoice.requested_at.is_(None),
                    (Invoice.next_attempt_at.is_(None)) | (Invoice.next_attempt_at <= now),
                ).order_by(Invoice.id).limit(BATCH_LIMIT - 1).with_for_update(skip_locked=True)
            ))
        today = local_today(session.get(Organization, org_id), now)
        requests = []
        for n, one in enumerate(ids):
            invoice = session.get(Invoice, one)
            invoice.number = last + 1 + n
            invoice.requested_at = now
            invoice.attempts = (invoice.attempts or 0) + 1
            # A retry days later is dated the day it is authorized; payment is due after it.
            invoice.issue_date = max(invoice.issue_date or today, today)
            if invoice.payment_due is not None and invoice.payment_due < invoice.issue_date:
                invoice.payment_due = invoice.issue_date
            requests.append(authorization_request(invoice))
    return ids, requests


def _release(db: Database, org_id: int, ids: list[int]) -> None:
    """AFIP did not take these: no number, nothing to reconcile, due again now."""
    with db.org_session(org_id) as session:
        for one in ids:
            invoice = session.get(Invoice, one)
            if invoice is not None and invoice.status is InvoiceStatus.PENDING:
                invoice.number, invoice.requested_at, invoice.next_attempt_at = None, None, None


def _last_known(db: Database, org_id: int, pdv: int, tipo: int) -> int | None:
    """The highest number we hold as authorized for this series, or None when we hold none.
    Saves FECompUltimoAutorizado's round trip; if someone else numbered in between (AFIP's web
    form on the same punto de venta), AFIP answers 10016 and we ask it on the second pass."""
    with db.org_session(org_id) as session:
        return session.scalar(
            select(func.max(Invoice.number)).where(
                Invoice.punto_de_venta == pdv, Invoice.cbte_tipo == tipo,
                Invoice.status == InvoiceStatus.AUTHORIZED)
        )


def _authorized(db: Database, org_id: int, invoice_id: int, answer: Authorization,
                explain: Callable[[int, str], str], *, reconciled: bool) -> IssueOutcome:
    with db.org_session(org_id) as session:
        invoice = session.get(Invoice, invoice_id)
        org = session.get(Organization, org_id)
        invoice.status = InvoiceStatus.AUTHORIZED
        invoice.number = answer.number or invoice.number
        invoice.cae, invoice.cae_due_date = answer.cae, answer.cae_due
        invoice.qr_data = json.dumps(qr_payload(invoice, org), separators=(",", ":"))
        notes = [explain(code, msg) for code, msg in answer.observations]
        invoice.afip_messages = {"observations": [list(o) for o in answer.observations],
                                 "explained": notes, "reconciled": reconciled}
        invoice.last_error = None
        invoice.next_attempt_at = None
        invoice.updated_at = utcnow()
        audit.record(session, actor="afip", action="invoice.authorize", entity_type="invoice",
                     entity_id=str(invoice_id),
                     data={"cae": answer.cae, "number": invoice.number, "reconciled": reconciled})
    log.info("invoice %s authorized (CAE %s%s)", invoice_id, answer.cae,
             ", reconciled after a timeout" if reconciled else "")
    return IssueOutcome("authorized", invoice_id, "reconciled" if reconciled else None,
                        messages=notes)


def _rejected(db: Database, org_id: int, invoice_id: int, errors: list[tuple[int, str]],
              explain: Callable[[int, str], str], *, observations=()) -> IssueOutcome:
    explained = [explain(code, msg) for code, msg in errors]
    with db.org_session(org_id) as session:
        invoice = session.get(Invoice, invoice_id)
        invoice.status = InvoiceStatus.REJECTED
        # A rejected comprobante does not use up its number.
        invoice.number, invoice.requested_at, invoice.next_attempt_at = None, None, None
        invoice.afip_messages = {"errors": [list(e) for e in errors],
                                 "observations": [list(o) for o in observations],
                                 "explained": explained}
        invoice.last_error = " ".join(explained) or "AFIP rechazó la factura."
        invoice.updated_at = utcnow()
        audit.record(session, actor="afip", action="invoice.reject", entity_type="invoice",
                     entity_id=str(invoice_id), data={"errors": [list(e) for e in errors]})
    log.warning("invoice %s rejected by AFIP: %s", invoice_id, errors)
    return IssueOutcome("rejected", invoice_id, messages=explained)


def _pending(db: Database, settings: Settings, org_id: int, invoice_id: int, now: datetime,
             reason: str, message: str) -> IssueOutcome:
    with db.org_session(org_id) as session:
        invoice = session.get(Invoice, invoice_id)
        if invoice is None or invoice.status is not InvoiceStatus.PENDING:
            return IssueOutcome("unchanged", invoice_id, reason)
        attempts = max(invoice.attempts or 0, 1)
        invoice.attempts = attempts
        invoice.next_attempt_at = now + backoff(settings, attempts)
        first = invoice.last_error is None
        invoice.last_error = message
        invoice.updated_at = utcnow()
    log.warning("invoice %s stays pending (%s): %s", invoice_id, reason, message)
    return IssueOutcome("pending", invoice_id, reason, first_failure=first, messages=[message])


def _postpone(db: Database, org_id: int, invoice_id: int, until: datetime, message: str) -> None:
    with db.org_session(org_id) as session:
        invoice = session.get(Invoice, invoice_id)
        if invoice is not None and invoice.status is InvoiceStatus.PENDING:
            invoice.next_attempt_at = until
            invoice.last_error = invoice.last_error or message


