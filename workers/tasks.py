"""Background tasks: each loads what it needs, calls one service and reports what it did."""

from __future__ import annotations

import logging
import os
import time
from datetime import UTC, datetime

from redis import Redis

from bot import invoice_delivery, media
from bot.alerts import panic_changed, sent
from bot.metrics import Metrics
from bot.outbound import SendDeferred, Sender, client_for
from bot.panic import PanicSwitch
from bot.periodic import send_daily_summaries, send_reminders
from bot.processing import process_burst as run_burst
from core import audit, customers, invoicing
from core.db import Database
from core.logging import configure_logging, org_id_var
from core.models import Customer, DocType, Message, Organization
from core.organizations import all_organization_ids
from core.settings import get_settings
from flows.context import org_context
from integrations.whatsapp import WhatsAppClient, WhatsAppError, code_template_components
from nlu.transcribe import transcribe
from services import otp
from services.dispatch import Dispatcher
from services.queues import redis_connection
from workers import afip_gateway, connection_checks, payment_gateway

log = logging.getLogger("campotech.workers")


_databases: dict[tuple[int, str], Database] = {}
_redis_clients: dict[tuple[int, str], Redis] = {}


def _database() -> Database:
    """One Database (and connection pool) per process: jobs in our worker share it; a forked
    work horse (plain `rq worker`) makes its own, since pooled connections must not cross a fork."""
    settings = get_settings()
    key = (os.getpid(), settings.database_url)
    if key not in _databases:
        configure_logging(settings.log_level, settings.log_json)
        _databases[key] = Database(
            settings, after_commit=lambda org_id, tasks: Dispatcher(_redis()).after_commit(org_id, tasks))
    return _databases[key]


def _redis() -> Redis:
    settings = get_settings()
    key = (os.getpid(), settings.redis_url)
    if key not in _redis_clients:
        _redis_clients[key] = redis_connection(settings)
    return _redis_clients[key]


def verify_audit_chains() -> dict:
    """Walk every organization's audit chain; log an ERROR naming each broken one."""
    db = _database()
    with db.system_session() as session:
        org_ids = all_organization_ids(session)
    broken = []
    checkpoints = audit.ChainCheckpoints(_parts()[1])
    for org_id in org_ids:
        token = org_id_var.set(org_id)
        try:
            with db.org_session(org_id) as session:
                report = audit.verify(session)
            # The audit page re-hashes only what comes after this point until the next night.
            checkpoints.advance(org_id, report, full=True, now=time.time())
            if not report.ok:
                checkpoints.forget(org_id)
                log.error("audit chain broken: %s", report.describe())
                broken.append({"org_id": org_id, "entry": report.broken_seq, "reason": report.reason})
        finally:
            org_id_var.reset(token)
    summary = {"organizations": len(org_ids), "intact": len(org_ids) - len(broken), "broken": broken}
    log.info("audit chains verified", extra={"summary": summary})
    return summary


# -- WhatsApp transport ----------------------------------------------------------------------

def _parts():
    return _database(), _redis(), get_settings()


def process_burst(org_id: int, conversation_id: int, burst_id: str) -> dict:
    """Answer one closed burst and enqueue its replies' sends."""
    db, redis, settings = _parts()
    token = org_id_var.set(org_id)
    try:
        outcome = run_burst(db, redis, settings, org_id, conversation_id, burst_id)
        # What the flows deferred (invoices wait on AFIP) was enqueued when the burst committed.
        dispatch = Dispatcher(redis)
        for message_id in outcome.reply_ids:
            dispatch.send(org_id, message_id)
        if outcome.mark_read_id and outcome.status == "answered":
            dispatch.mark_read(org_id, outcome.mark_read_id)
        if outcome.status not in ("waiting", "busy"):
            Metrics(redis).inc("campotech_bursts_total", outcome.status)
        return {"status": outcome.status, "replies": outcome.reply_ids, "messages": outcome.message_ids}
    finally:
        org_id_var.reset(token)


def send_message(org_id: int, message_id: int) -> dict:
    """Send one stored reply; raises to let RQ retry with backoff when Meta asks us to wait."""
    db, redis, settings = _parts()
    token = org_id_var.set(org_id)
    panic = PanicSwitch(redis, settings)
    try:
        try:
            result = Sender(db, redis, settings).deliver(org_id, message_id)
        except SendDeferred:
            panic_changed(db, redis, settings, org_id, panic.record(org_id, ok=False))
            raise
        ok = result.outcome in ("sent", "already_sent")
        if result.outcome != "already_sent":
            panic_changed(db, redis, settings, org_id, panic.record(org_id, ok=ok))
        if result.outcome == "sent":
            sent(db, redis, org_id, message_id)
        return {"outcome": result.outcome, "wa_message_id": result.wa_message_id, "error": result.error_code}
    finally:
        org_id_var.reset(token)


def fetch_media(org_id: int, message_id: int) -> dict:
    """Download a message's media; transcribe voice notes so their burst can be answered."""
    db, _redis, settings = _parts()
    token = org_id_var.set(org_id)
    try:
        fetched = media.fetch(db, settings, org_id, message_id)
        if fetched.is_audio and fetched.path is not None:
            with db.org_session(org_id) as session:
                vocabulary = org_context(session, org_id).vocabulary()
            result = transcribe(fetched.path, vocabulary=vocabulary, settings=settings)
            # A failure is stored by its reason (too_long, silent, corrupt) so the reply can fit it.
            status = result.status if result.status != "failed" else (result.reason or "failed")[:16]
            media.record_transcript(db, org_id, message_id, result.text, status)
            return {"path": str(fetched.path), "transcript": result.status}
        return {"path": str(fetched.path) if fetched.path else None, "rejected": fetched.rejected}
    finally:
        org_id_var.reset(token)


def mark_read(org_id: int, message_id: int) -> bool:
    """Blue ticks for the last message of an answered burst (best effort, never retried)."""
    db, _redis, settings = _parts()
    with db.org_session(org_id) as session:
        message = session.get(Message, message_id)
        client = client_for(session, session.get(Organization, org_id), settings)
        wamid = message.wa_message_id if message else None
    if not wamid:
        return False
    try:
        client.mark_as_read(wamid)
    except WhatsAppError as exc:
        log.info("mark-as-read of %s failed: %s", wamid, exc)
        return False
    return True


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

def issue_invoice(org_id: int, invoice_id: int, force: bool = False) -> dict:
    """Authorize one invoice with AFIP (or take the internal receipt as is), then put it in the
    customer's chat with the payment link; owners hear about rejections and AFIP outages."""
    db, redis, settings = _parts()
    token = org_id_var.set(org_id)
    try:
        outcome = invoicing.issue(
            db, redis, settings, org_id, invoice_id,
            lambda: afip_gateway.authorizer_for(db, redis, settings, org_id),
            force=force, explain=afip_gateway.explain,
        )
        link_maker = payment_gateway.link_maker(settings)
        delivered = {}
        # Its AFIP batch came back with it: deliver those too rather than wait for their jobs.
        for one in (outcome, *outcome.others):
            invoice_delivery.tell_owner(db, redis, org_id, one)
            delivered[one.invoice_id] = invoice_delivery.deliver(
                db, redis, settings, org_id, one.invoice_id, link_maker=link_maker).status
        return {"outcome": outcome.kind, "reason": outcome.reason,
                "delivery": delivered[invoice_id], "batch": len(outcome.others) + 1}
    finally:
        org_id_var.reset(token)


def lookup_cuit(org_id: int, customer_id: int) -> dict:
    """Fill a customer's name and IVA condition from AFIP's padrón (their CUIT is on file)."""
    db, redis, settings = _parts()
    token = org_id_var.set(org_id)
    try:
        with db.org_session(org_id) as session:
            customer = session.get(Customer, customer_id)
            cuit = customer.doc_number if customer and customer.doc_type is DocType.CUIT else None
        if not cuit:
            return {"status": "no_cuit"}
        if afip_gateway.credentials(db, settings, org_id) is None:
            return {"status": "no_afip"}
        try:
            persona = afip_gateway.lookup_cuit(db, redis, settings, org_id, cuit)
        except invoicing.CredentialsRejected as exc:
            log.warning("padrón lookup for customer %s refused: %s", customer_id, exc)
            return {"status": "refused"}
        if persona is None:
            return {"status": "unknown"}
        with db.org_session(org_id) as session:
            changed = customers.apply_padron(session, customer_id, name=persona.name,
                                             iva_condition=persona.iva_condition,
                                             address=persona.address, actor="afip")
        return {"status": "filled", "changed": changed}
    finally:
        org_id_var.reset(token)


def retry_invoices() -> dict:
    """Every minute: pending invoices whose retry is due, and issued ones never delivered
    (a worker that died between authorizing and sending)."""
    db, redis, _settings = _parts()
    now = datetime.now(UTC)
    dispatch = Dispatcher(redis)
    queued = 0
    with db.system_session() as session:
        org_ids = all_organization_ids(session)
    for org_id in org_ids:
        with db.org_session(org_id) as session:
            due = invoicing.due_for_retry(session, now) + invoicing.undelivered(session, now)
        for invoice_id in due:
            dispatch.issue_invoice(org_id, invoice_id)
            queued += 1
    return {"queued": queued}


# -- one-time codes (sign-up, login) ---------------------------------------------------------

def send_code(wa_to: str, sealed_code: str, purpose: str) -> dict:
    """A sign-up or login code in the authentication template, from the platform's own number."""
    settings = get_settings()
    code = otp.open_code(settings, wa_to, sealed_code)
    client = WhatsAppClient.from_settings(settings)
    try:
        wamid = client.send_template(wa_to, settings.whatsapp_code_template,
                                     settings.whatsapp_code_template_lang,
                                     code_template_components(code))
    except WhatsAppError as exc:
        if exc.retryable:
            raise
        log.warning("%s code not sent: %s", purpose, exc)
        return {"status": "failed", "error": exc.code}
    log.info("%s code sent", purpose, extra={"wamid": wamid})
    return {"status": "sent", "wamid": wamid}


# -- "Probar conexión" on the settings page ---------------------------------------------------

def check_connection(org_id: int, service: str) -> dict:
    """Try one of the organization's connections (whatsapp, afip, mercadopago); the result is
    kept for the settings page."""
    db, redis, settings = _parts()
    token = org_id_var.set(org_id)
    try:
        result = connection_checks.check_and_save(db, redis, settings, org_id, service)
        return {"service": service, "state": result.state}
    finally:
        org_id_var.reset(token)


def noop() -> None:
    """An empty job: the baseline of bench/burst_latency.py."""
