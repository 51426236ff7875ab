"""The organization's Mercado Pago, as the services see it: built from the vault's token.

core/billing/payments.py holds the rules (balances, idempotent recording) and takes a client; this
glue builds that client from the organization's sealed access token, since core may not
import integrations/. It also turns notifications into payment fetches — every notification is
only a hint, the payment is always read back from the API — and reconciles open links.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from redis import Redis
from rq import Queue, Retry
from sqlalchemy.orm import Session

from core.billing import mp_payments, reconciliation
from core.db import Database
from core.logging import org_id_var
from core.models import Invoice, utcnow
from core.settings import Settings
from core.vault import Vault
from integrations.mercadopago import MercadoPago, MercadoPagoError
from services.queues import DEFAULT
from services.ratelimit import SlidingWindow

log = logging.getLogger("campotech.workers.payments")

FETCH_TASK = "workers.payment_tasks.handle_payment_notification"
# Mercado Pago down or slow: try again for about half an hour, then the job lands in failed.
FETCH_RETRY = Retry(max=5, interval=[10, 30, 60, 300, 900])
# Hints per payment fetched at once in a window; past that, one fetch when the window ends.
# Mercado Pago itself sends a handful per event (webhook and IPN, created and updated, retries).
FETCHES_PER_WINDOW = 5
FETCH_WINDOW_SECONDS = 60
# Hints per organization in that window: past it (a flood of made-up ids), hints are dropped
# with a log line, so Mercado Pago's rate limit is left for real work; reconciliation still
# finds any real payment among them.
ORG_FETCHES_PER_WINDOW = 600


def client_for(session: Session, settings: Settings) -> MercadoPago | None:
    """The current organization's Mercado Pago client, or None without a token."""
    token = Vault(settings.encryption_keys).load(session, "mercadopago_token")
    if not token:
        return None
    return MercadoPago(token, base_url=settings.mercadopago_url_for(token),
                       timeout=settings.mercadopago_timeout_seconds)


def link_maker(settings: Settings):
    """(session, invoice) -> a checkout link for its balance, or None without a token."""

    def make(session: Session, invoice: Invoice) -> str | None:
        client = client_for(session, settings)
        if client is None:
            return None
        return mp_payments.create_payment_link(session, invoice, client, settings=settings,
                                            now=utcnow())

    return make


def queue_payment_fetch(redis: Redis, org_id: int, payment_id: str) -> str:
    """Queue a re-fetch of one payment, rate-limited per payment id.

    Answers "queued" (fetched now), "deferred" (over the window's budget: one fetch queued for
    the window's end, so the last hint is still followed by a fetch), "coalesced" (that
    deferred fetch already exists and will read the latest state) or "dropped" (the
    organization's budget is spent). Raises RedisError.
    """
    per_payment = SlidingWindow(redis, "fetches", FETCHES_PER_WINDOW, FETCH_WINDOW_SECONDS,
                                secret="", prefix="mp")
    per_org = SlidingWindow(redis, "org-fetches", ORG_FETCHES_PER_WINDOW, FETCH_WINDOW_SECONDS,
                            secret="", prefix="mp")
    pipe = redis.pipeline()
    per_payment.queue_add(pipe, f"{org_id}:{payment_id}")
    per_org.queue_add(pipe, str(org_id))
    counts = pipe.execute()
    count, org_count = counts[2], counts[6]
    if org_count > ORG_FETCHES_PER_WINDOW:
        log.warning("mercadopago hint for payment %s dropped: organization %s is over %s a window",
                    payment_id, org_id, ORG_FETCHES_PER_WINDOW)
        return "dropped"
    queue = Queue(DEFAULT, connection=redis)
    args = {"retry": FETCH_RETRY, "job_timeout": 60, "failure_ttl": 7 * 86400}
    if count <= FETCHES_PER_WINDOW:
        queue.enqueue(FETCH_TASK, org_id, payment_id, **args)
        return "queued"
    wait = per_payment.retry_in(f"{org_id}:{payment_id}") or FETCH_WINDOW_SECONDS
    if redis.set(f"mp:deferred:{org_id}:{payment_id}", 1, nx=True, ex=wait):
        queue.enqueue_in(timedelta(seconds=wait), FETCH_TASK, org_id, payment_id, **args)
        return "deferred"
    return "coalesced"


def reconcile_payments(db: Database, redis: Redis, settings: Settings) -> dict:
    """Ask Mercado Pago for the payments of every invoice with an open link, so a notification
    that never arrived is found; a payment we lack or hold stale gets a fetch."""
    now = datetime.now(UTC)
    with db.system_session() as session:
        org_ids = reconciliation.orgs_to_reconcile(session, now)
    searched = fetches = failed = 0
    for org_id in org_ids:
        token = org_id_var.set(org_id)
        try:
            with db.org_session(org_id) as session:
                mp = client_for(session, settings)
                references = [mp_payments.external_reference(invoice)
                              for invoice in reconciliation.invoices_to_reconcile(session, now)]
            if mp is None:
                continue
            for reference in references:
                try:
                    found = mp.search_payments(reference)
                except MercadoPagoError as exc:
                    # The next run (minutes away) tries again; one bad invoice never stops the rest.
                    log.warning("payments of %s not searched: %s", reference, exc)
                    failed += 1
                    continue
                searched += 1
                with db.org_session(org_id) as session:
                    stale = reconciliation.payments_out_of_date(session, found)
                for payment_id in stale:
                    log.info("reconciliation found payment %s of %s out of date", payment_id,
                             reference)
                    queue_payment_fetch(redis, org_id, payment_id)
                    fetches += 1
        finally:
            org_id_var.reset(token)
    summary = {"organizations": len(org_ids), "searched": searched, "fetches": fetches,
               "failed": failed}
    log.info("mercadopago payments reconciled", extra={"summary": summary})
    return summary
