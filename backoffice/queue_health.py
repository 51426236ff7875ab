"""Queue health for managers: queue depths, workers, the scheduler, and their own failed jobs."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from flask import Blueprint, abort, redirect, render_template, request
from redis.exceptions import RedisError

from backoffice.display import local_time, zone
from backoffice.extensions import db, redis
from backoffice.security import MANAGERS, actor, current_user, requires
from core.errors import NotFound
from core.models import Organization
from services import queue_health

bp = Blueprint("queue_health", __name__, url_prefix="/queues")
log = logging.getLogger("campotech.backoffice.queue_health")

TASK_LABELS = {
    "process_burst": "Procesar mensajes",
    "send_message": "Enviar mensaje",
    "send_messages": "Enviar respuestas en orden",
    "fetch_media": "Descargar audio o foto",
    "mark_read": "Marcar como leído",
    "issue_invoice": "Emitir factura",
    "lookup_cuit": "Consultar CUIT en AFIP",
    "handle_payment_notification": "Registrar pago de Mercado Pago",
    "send_code": "Mandar código por WhatsApp",
    "check_connection": "Probar conexión",
    "daily_summaries": "Resumen diario",
    "reminders": "Recordatorios",
    "send_reminder": "Mandar recordatorio",
    "retry_invoices": "Reintentar facturas con AFIP",
}
QUEUE_LABELS = {"high": "Urgente", "default": "Normal", "low": "Baja", "voice": "Voz"}
WORKER_STATES = {"idle": "esperando trabajo", "busy": "trabajando", "suspended": "en pausa",
                 "started": "arrancando"}
# The scheduler beats at least once a minute; a few minutes of silence means it is not running.
SCHEDULER_STALE_SECONDS = 180
NOTICES = {
    "retried": "Listo: la tarea volvió a la cola. En un ratito la toma un proceso.",
    "discarded": "Listo: descartamos la tarea.",
}


MESSAGE_TYPES = {"text": "texto", "audio": "audio", "image": "foto", "video": "video",
                 "document": "documento", "location": "ubicación", "interactive": "botón o lista",
                 "button": "botón", "sticker": "sticker", "reaction": "reacción", "contacts": "contacto"}


def message_type_label(kind: str) -> str:
    return MESSAGE_TYPES.get(kind, "otro")


def task_label(func_name: str) -> str:
    short = func_name.rsplit(".", 1)[-1]
    return TASK_LABELS.get(short, short.replace("_", " ").capitalize() or "Tarea")


def _ago(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "nunca"
    seconds = max(0, int((now - when).total_seconds()))
    if seconds < 60:
        return f"hace {seconds} s"
    if seconds < 3600:
        return f"hace {seconds // 60} min"
    return f"hace {seconds // 3600} h"


def _render(*, error: str | None = None, notice: str | None = None, status: int = 200):
    user = current_user()
    with db().org_session(user.org_id) as s:
        tz = zone(s.get(Organization, user.org_id).time_zone)
        dead_total, dead = queue_health.dead_letters(s)
    now = datetime.now(UTC)
    # Set-aside messages live in the database: shown even when the queues cannot be read.
    common = {"error": error, "notice": notice, "dead_total": dead_total, "dead": dead, "tz": tz,
              "local_time": local_time, "type_label": message_type_label}
    try:
        connection = redis()
        stats = queue_health.queue_stats(connection, user.org_id)
        workers = queue_health.workers(connection)
        beat = queue_health.scheduler_heartbeat(connection)
        failed = queue_health.failed_jobs(connection, user.org_id)
    except RedisError as exc:
        log.error("queue health: redis unavailable (%s)", exc.__class__.__name__)
        return render_template("backoffice/queues.html", unavailable=True, **common), 503
    return render_template(
        "backoffice/queues.html", unavailable=False, **common, stats=stats,
        workers=workers, failed=failed, now=now, ago=_ago, task_label=task_label,
        queue_labels=QUEUE_LABELS, worker_states=WORKER_STATES, beat=beat,
        beat_stale=beat is None or (now - beat).total_seconds() > SCHEDULER_STALE_SECONDS,
    ), status


@bp.get("")
@requires(MANAGERS)
def index():
    return _render(notice=NOTICES.get(request.args.get("done", "")))


def _act(change, done: str, missing: str):
    job_id = (request.form.get("job") or "").strip()[:200]
    if not job_id:
        return _render(error=missing)
    try:
        with db().org_session(current_user().org_id) as s:
            job = change(s, redis(), job_id, actor())
    except NotFound:
        abort(404)
    log.info("failed job %s", done, extra={"job_id": job.id, "task": job.func_name})
    return redirect(f"/app/queues?done={done}")


@bp.post("/retry")
@requires(MANAGERS)
def retry():
    return _act(queue_health.retry, "retried", "Elegí qué tarea querés reintentar.")


@bp.post("/discard")
@requires(MANAGERS)
def discard():
    return _act(queue_health.discard, "discarded", "Elegí qué tarea querés descartar.")
