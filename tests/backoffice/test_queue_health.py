"""The queues page on a real Redis: depths, workers, the scheduler, and only our own failed jobs."""

from __future__ import annotations

import re
from datetime import timedelta

from rq import Queue, SimpleWorker
from rq.cron import CronScheduler
from rq.job import Job
from rq.registry import FailedJobRegistry
from rq.worker import WorkerStatus
from sqlalchemy import select

from backoffice.queue_health import task_label
from core.models import AuditEntry, Role
from services import queue_health
from tests.backoffice.conftest import post
from tests.factories import create_org

QUEUES = ("high", "default", "low")


def broken_heater(org_id: int, what: str) -> None:
    """A task of the usual shape (organization first) that always fails."""
    raise RuntimeError(f"no anda {what}")


def _fail(redis, org_id: int, job_id: str, *, queue: str = "high", what: str = "el termotanque") -> None:
    Queue(queue, connection=redis).enqueue(broken_heater, org_id, what, job_id=job_id)
    SimpleWorker([Queue(name, connection=redis) for name in QUEUES], connection=redis).work(burst=True)
    assert job_id in FailedJobRegistry(queue, connection=redis)


def _count(html: str, queue: str, kind: str) -> int:
    found = re.search(rf'data-queue="{queue}" data-count="{kind}">(\d+)<', html)
    return int(found.group(1))


def _failed_ids(html: str) -> list[str]:
    return re.findall(r'<li class="card failed-job" data-job="([^"]+)">', html)


def test_our_failed_job_is_listed_in_spanish_with_its_error_escaped(signed_in, shop, redisdb):
    _fail(redisdb, shop.org_id, "heater-1", what="<b>el termotanque</b>")

    html = signed_in(Role.OWNER).get("/app/queues").get_data(as_text=True)

    assert _failed_ids(html) == ["heater-1"]
    card = html.split('data-job="heater-1"', 1)[1].split("</li>", 1)[0]
    assert "Broken heater" in card  # not one of ours: the function's name, readable
    assert "RuntimeError: no anda &lt;b&gt;el termotanque&lt;/b&gt;" in card
    assert "<b>el termotanque</b>" not in html
    assert "Reintentar" in card and "Descartar" in card
    assert _count(html, "high", "failed") == 1


def test_task_names_people_understand():
    assert task_label("workers.tasks.send_message") == "Enviar mensaje"
    assert task_label("workers.tasks.issue_invoice") == "Emitir factura"
    assert task_label("workers.tasks.process_burst") == "Procesar mensajes"
    assert task_label("workers.payment_tasks.handle_payment_notification") == "Registrar pago de Mercado Pago"


def test_retry_puts_the_job_back_in_its_queue_and_audits_it(signed_in, shop, pg_db, redisdb):
    _fail(redisdb, shop.org_id, "heater-2")
    client = signed_in(Role.ADMIN)
    before = client.get("/app/queues").get_data(as_text=True)
    assert _count(before, "high", "queued") == 0

    response = post(client, "/app/queues/retry", job="heater-2")

    assert response.status_code == 302 and response.headers["Location"] == "/app/queues?done=retried"
    assert "heater-2" in Queue("high", connection=redisdb).job_ids
    assert "heater-2" not in FailedJobRegistry("high", connection=redisdb)
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Listo: la tarea volvió a la cola." in html
    assert _count(html, "high", "queued") == 1 and _count(html, "high", "failed") == 0
    assert _failed_ids(html) == [] and "No tenés tareas fallidas." in html
    with pg_db.org_session(shop.org_id) as s:
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "queue_job.requeued"))
    assert entry.actor == f"user:{shop.users[Role.ADMIN]}"
    assert entry.data["job"] == "heater-2" and entry.data["error"] == "RuntimeError: no anda el termotanque"
    # A second click on the same (no longer failed) job finds nothing to retry.
    assert post(client, "/app/queues/retry", job="heater-2").status_code == 404


def test_discard_deletes_the_job(signed_in, shop, pg_db, redisdb):
    _fail(redisdb, shop.org_id, "heater-3", queue="low")
    client = signed_in(Role.OWNER)

    response = post(client, "/app/queues/discard", job="heater-3")

    assert response.status_code == 302
    assert not Job.exists("heater-3", connection=redisdb)
    assert "heater-3" not in FailedJobRegistry("low", connection=redisdb)
    assert "Listo: descartamos la tarea." in client.get("/app/queues?done=discarded").get_data(as_text=True)
    with pg_db.org_session(shop.org_id) as s:
        assert s.scalar(select(AuditEntry.action).where(AuditEntry.entity_type == "queue_job")) \
            == "queue_job.discarded"


def test_another_organizations_failed_job_is_invisible_and_untouchable(signed_in, shop, pg_db, redisdb):
    other = create_org(pg_db, "Gasista Ferreyra", "gasista-ferreyra")
    _fail(redisdb, other, "theirs-1", what="la caldera de Ferreyra")
    _fail(redisdb, shop.org_id, "ours-1")
    # Jobs without an organization (the scheduler's sweeps) are nobody's to see either.
    Queue("low", connection=redisdb).enqueue(broken_heater, "todas", "el barrido", job_id="sweep-1")
    SimpleWorker([Queue("low", connection=redisdb)], connection=redisdb).work(burst=True)
    client = signed_in(Role.OWNER)

    html = client.get("/app/queues").get_data(as_text=True)

    assert _failed_ids(html) == ["ours-1"]
    assert "Ferreyra" not in html and "theirs-1" not in html and "barrido" not in html
    assert _count(html, "high", "failed") == 1 and _count(html, "low", "failed") == 0
    for path in ("/app/queues/retry", "/app/queues/discard"):
        for job_id in ("theirs-1", "sweep-1", "no-such-job"):
            assert post(client, path, job=job_id).status_code == 404, (path, job_id)
    assert "theirs-1" in FailedJobRegistry("high", connection=redisdb)
    assert Job.exists("theirs-1", connection=redisdb)
    with pg_db.org_session(shop.org_id) as s:
        assert s.scalar(select(AuditEntry).where(AuditEntry.entity_type == "queue_job")) is None


def test_an_empty_form_gets_a_spanish_error(signed_in, shop, redisdb):
    response = post(signed_in(Role.OWNER), "/app/queues/retry")
    assert response.status_code == 200
    assert "Elegí qué tarea querés reintentar." in response.get_data(as_text=True)


def test_depths_workers_and_the_scheduler(signed_in, shop, redisdb):
    low = Queue("low", connection=redisdb)
    for n in range(3):
        low.enqueue(broken_heater, shop.org_id, f"pendiente {n}")
    Queue("default", connection=redisdb).enqueue_in(timedelta(hours=1), broken_heater, shop.org_id, "más tarde")
    first = Queue("high", connection=redisdb).enqueue(broken_heater, shop.org_id, "primero")
    Queue("high", connection=redisdb).enqueue(broken_heater, shop.org_id, "después", depends_on=first)
    client = signed_in(Role.OWNER)

    html = client.get("/app/queues").get_data(as_text=True)
    assert [_count(html, q, "queued") for q in QUEUES] == [1, 0, 3]
    assert [_count(html, q, "scheduled") for q in QUEUES] == [0, 1, 0]
    assert [_count(html, q, "deferred") for q in QUEUES] == [1, 0, 0]
    assert "No hay ningún proceso tomando tareas" in html
    assert "No encontramos el programador de tareas" in html

    worker = SimpleWorker([Queue(q, connection=redisdb) for q in QUEUES], connection=redisdb)
    worker.register_birth()
    worker.set_state(WorkerStatus.IDLE)
    scheduler = CronScheduler(connection=redisdb, name="campotech-test")
    scheduler.register_birth()
    scheduler.heartbeat()
    try:
        html = client.get("/app/queues").get_data(as_text=True)
    finally:
        worker.register_death()
        scheduler.register_death()
    assert "Proceso 1 · esperando trabajo" in html
    assert "Urgente, Normal, Baja" in html
    assert re.search(r"último latido hace \d+ s", html)
    assert "Parece que está detenido" not in html


def test_the_core_reader_skips_other_organizations(shop, pg_db, redisdb):
    other = create_org(pg_db, "Gasista Ferreyra", "gasista-ferreyra")
    _fail(redisdb, other, "theirs-2")
    _fail(redisdb, shop.org_id, "ours-2", queue="default")
    assert [j.id for j in queue_health.failed_jobs(redisdb, shop.org_id)] == ["ours-2"]
    assert [j.id for j in queue_health.failed_jobs(redisdb, other)] == ["theirs-2"]
    assert queue_health.failed_jobs(redisdb, other)[0].failed_at is not None
