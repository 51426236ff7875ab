"""Background tasks: RQ entry points that take plain ids, call one use-case and report what it did."""

from __future__ import annotations

import functools
import logging
import os
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from redis import Redis
from redis.exceptions import RedisError

from core.db import Database
from core.logging import configure_logging, org_id_var
from core.settings import get_settings
from services import (
    afip_gateway,
    answer_burst,
    audit_chains,
    connection_checks,
    invoice_delivery,
    media,
    send_reply,
    whatsapp_gateway,
)
from services.dispatch import Dispatcher
from services.periodic import send_daily_summaries, send_reminders
from services.queues import redis_connection

log = logging.getLogger("campotech.worker")

_databases: dict[tuple[int, str], Database] = {}
_redis_clients: dict[tuple[int, str], Redis] = {}
_making = threading.RLock()  # send jobs run on threads: one pool each, not one per thread
Task = TypeVar("Task", bound=Callable)


def _database() -> Database:
    """One Database (and connection pool) per process: jobs in our worker share it; a forked
    work horse (plain `rq worker`) makes its own, since pooled connections must not cross a fork."""
    settings = get_settings()
    key = (os.getpid(), settings.database_url)
    if key not in _databases:
        with _making:
            if key not in _databases:
                configure_logging(settings.log_level, settings.log_json)
                _databases[key] = Database(
                    settings,
                    after_commit=lambda org_id, tasks: Dispatcher(_redis()).after_commit(org_id, tasks))
    return _databases[key]


def _redis() -> Redis:
    settings = get_settings()
    key = (os.getpid(), settings.redis_url)
    if key not in _redis_clients:
        with _making:
            if key not in _redis_clients:
                _redis_clients[key] = redis_connection(settings)
    return _redis_clients[key]


def _parts():
    return _database(), _redis(), get_settings()


def org_task(task: Task) -> Task:
    """An entry point whose first argument is the organization: its log lines name it."""
    @functools.wraps(task)
    def run(org_id: int, *args, **kwargs):
        token = org_id_var.set(org_id)
        try:
            return task(org_id, *args, **kwargs)
        finally:
            org_id_var.reset(token)
    return run  # type: ignore[return-value]


def verify_audit_chains() -> dict:
    """Walk every organization's audit chain; log an ERROR naming each broken one."""
    db, redis, _settings = _parts()
    return audit_chains.verify_all(db, redis)


# -- WhatsApp replies --------------------------------------------------------------------------

@org_task
def process_burst(org_id: int, conversation_id: int, burst_id: str) -> dict:
    """Answer one closed burst and send its replies (from this process, or as send jobs)."""
    outcome = answer_burst.answer_and_send(*_parts(), org_id, conversation_id, burst_id)
    return {"status": outcome.status, "replies": outcome.reply_ids, "messages": outcome.message_ids}


@org_task
def send_message(org_id: int, message_id: int, mark_read: int | None = None) -> dict:
    """Send one stored reply (and the blue ticks of `mark_read`, the inbound message it
    answers); raises to let RQ retry with backoff when Meta asks us to wait."""
    return _sent(send_reply.send_reply(*_parts(), org_id, message_id, mark_read=mark_read))


def _sent(result: send_reply.SendResult) -> dict:
    return {"outcome": result.outcome, "wa_message_id": result.wa_message_id, "error": result.error_code}


@org_task
def send_messages(org_id: int, message_ids: list[int], mark_read: int | None = None) -> list[dict]:
    """Send a burst's replies one after the other, in order (the blue ticks of `mark_read` with
    the first). A reply Meta asks us to wait for raises before the next one goes: on the retry
    the ones already sent are skipped, so the chat never shows the second before the first."""
    parts = _parts()
    return [_sent(send_reply.send_reply(*parts, org_id, message_id,
                                        mark_read=mark_read if n == 0 else None))
            for n, message_id in enumerate(message_ids)]


@org_task
def send_here(org_id: int, message_ids: list[int], mark_read: int | None = None,
              ready: list[send_reply.Ready] | None = None) -> None:
    """A burst's replies sent on one of this process's send threads, without a job
    (`services.dispatch.set_local_sender`), in order; `ready`: what the burst's transaction
    knew of the first ones, so they are not read back. The first that cannot go now (Meta asks
    us to wait, an error, an outage) hands itself and the ones after it to a send job, whose
    retries back off as any send's; a reply already sent is skipped there."""
    db, redis, settings = _parts()
    ready = ready or []
    for n, message_id in enumerate(message_ids):
        read = mark_read if n == 0 else None
        try:
            send_reply.send_reply(db, redis, settings, org_id, message_id, mark_read=read,
                                  ready=ready[n] if n < len(ready) else None)
        except Exception as exc:  # noqa: BLE001 - whatever it was, the job's retries take over
            try:
                Dispatcher(redis).send_in_order(org_id, message_ids[n:], mark_read=read)
            except RedisError:  # no job either: they stay queued in the database for the sweeper
                log.warning("replies %s left to the sweeper: Redis unavailable", message_ids[n:])
                return
            log.info("reply %s not sent from the burst's process (%s): to a send job",
                     message_id, type(exc).__name__)
            return


@org_task
def fetch_media(org_id: int, message_id: int) -> dict:
    """Download a message's media; transcribe voice notes so their burst can be answered."""
    db, _redis, settings = _parts()
    return media.fetch_and_transcribe(db, settings, org_id, message_id)


def mark_read(org_id: int, message_id: int) -> bool:
    """Blue ticks for the last message of an answered burst (best effort, never retried)."""
    db, _redis, settings = _parts()
    return whatsapp_gateway.mark_read(db, settings, org_id, message_id)


# -- periodic messages (hourly; each acts only for organizations at the right local hour) ------

def daily_summaries() -> dict:
    """The owners' daily summary, for organizations whose `summary_hour` it is now."""
    db, redis, settings = _parts()
    ids = send_daily_summaries(db, redis, settings, datetime.now(UTC))
    return {"messages": len(ids)}


def reminders() -> dict:
    """Tomorrow's visit reminders, for organizations where it is 18:00 now."""
    db, redis, settings = _parts()
    return {"reminders": send_reminders(db, redis, settings, datetime.now(UTC))}


# -- invoicing ------------------------------------------------------------------------------

@org_task
def issue_invoice(org_id: int, invoice_id: int, force: bool = False) -> dict:
    """Authorize one invoice with AFIP (or take the internal receipt as is), then put it in the
    customer's chat with the payment link; owners hear about rejections and AFIP outages."""
    return invoice_delivery.issue_and_deliver(*_parts(), org_id, invoice_id, force=force)


@org_task
def lookup_cuit(org_id: int, customer_id: int) -> dict:
    """Fill a customer's name and IVA condition from AFIP's padrón (their CUIT is on file)."""
    return afip_gateway.fill_from_padron(*_parts(), org_id, customer_id)


def retry_invoices() -> dict:
    """Every minute: pending invoices whose retry is due, and issued ones never delivered
    (a worker that died between authorizing and sending)."""
    db, redis, _settings = _parts()
    return {"queued": invoice_delivery.requeue_due(db, redis, datetime.now(UTC))}


# -- one-time codes (sign-up, login) ---------------------------------------------------------

def send_code(wa_to: str, sealed_code: str, purpose: str) -> dict:
    """A sign-up or login code in the authentication template, from the platform's own number."""
    return whatsapp_gateway.send_code(get_settings(), wa_to, sealed_code, purpose)


# -- "Probar conexión" on the settings page ---------------------------------------------------

@org_task
def check_connection(org_id: int, service: str) -> dict:
    """Try one of the organization's connections (whatsapp, afip, mercadopago); the result is
    kept for the settings page."""
    result = connection_checks.check_and_save(*_parts(), org_id, service)
    return {"service": service, "state": result.state}


def noop() -> None:
    """An empty job: the baseline of bench/burst_latency.py."""
