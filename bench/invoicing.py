"""Invoicing throughput and the "terminé" → invoice-in-the-chat latency, with two workers (JSON).

Runs the real processes — gunicorn in sandbox mode, two RQ workers and the burst clock — on
PostgreSQL and Redis, against the fake AFIP (every answer held `--afip-ms`, 200 ms by default)
and the fake Mercado Pago, both on 127.0.0.1 in this process.

1. Latency: `--technicians` technicians, each with one job on site, write "terminé, cambié el
   flexible, cobrale 15 lucas" and tap "Confirmar" at the same time. Measured per job: from
   the tap's webhook POST (and from its quiet window closing) to the moment the customer's
   invoice document and payment-link text are recorded by the Graph stand-in.
2. Throughput: `--invoices` pending invoices spread over `--orgs` organizations (AFIP numbers
   each organization's series one at a time, so organizations are what two workers can run in
   parallel) are enqueued at once; invoices authorized per second until all are.

The baseline, in the same run, is an empty RQ job's enqueue-to-finish time.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._http import signed_webhook, wait_healthy
from bench._infra import free_port, percentile, stack
from bench._jobs import job_times, noop_round_trips
from bot import simulator
from tests.fakes.afip_server import FakeAfip, make_credentials
from tests.fakes.mercadopago_server import FakeMercadoPago

PHONE_NUMBER_ID = "100000000000890"
SECRET = "bench-app-secret"
CUIT = "20111111112"
MP_TOKEN = "APP_USR-bench-token"
DONE_SAID = "terminé, cambié el flexible, cobrale 15 lucas"


def _conn(port: int) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", port, timeout=15)


def _post(conn, payload: dict) -> float:
    body, headers = signed_webhook(payload, SECRET)
    t = time.time()
    conn.request("POST", "/webhooks/whatsapp", body=body, headers=headers)
    response = conn.getresponse()
    response.read()
    if response.status != 200:
        raise RuntimeError(f"webhook answered {response.status}")
    return t


def _messages(conn, wa_id: str) -> list[dict]:
    conn.request("GET", f"/sandbox/messages?wa_id={quote(wa_id)}")
    response = conn.getresponse()
    return json.loads(response.read())["messages"]


def _setup_org(settings, n: int, *, technicians: int, creds) -> tuple[int, list[tuple[str, str]]]:
    """An RI organization with AFIP and Mercado Pago, and `technicians` jobs on site:
    [(technician wa_id, customer wa_id)]."""
    from core import customers, jobs
    from core.billing import price_book
    from core.db import Database
    from core.identity.users import create_user
    from core.organizations import create_organization
    from core.vault import Vault

    db = Database(settings)
    vault = Vault(settings.encryption_keys)
    pairs = []
    try:
        with db.system_session() as s:
            org_id = create_organization(s, {
                "name": f"Bench {n}", "slug": f"bench-invoicing-{n}", "cuit": CUIT,
                "iva_condition": "responsable_inscripto", "punto_de_venta": n + 1,
                "wa_phone_number_id": PHONE_NUMBER_ID if n == 0 else None}).id
        with db.org_session(org_id) as s:
            vault.store(s, "afip_certificate", creds[0].decode())
            vault.store(s, "afip_key", creds[1].decode())
            vault.store(s, "mercadopago_token", MP_TOKEN)
            price_book.create_item(s, {"name": "Cambio de flexible", "price": "12000",
                                       "service": "plumbing"})
            start = datetime.now(UTC) - timedelta(hours=1)
            for t in range(technicians):
                tech_wa, customer_wa = f"54911560{t:05d}", f"54911570{t:05d}"
                tech = create_user(s, {"name": f"Técnico {t + 1}", "role": "technician",
                                       "phone": "+" + tech_wa, "working_hours": None})
                customer = customers.create_customer(s, {
                    "name": f"Cliente {t + 1}", "phone": "+" + customer_wa,
                    "doc_type": "dni", "doc_number": f"{28000000 + t}"})
                job = jobs.create_job(s, {
                    "customer_id": customer.id, "service": "plumbing", "technician_id": tech.id,
                    "description": "pierde el flexible", "scheduled_start": start,
                    "scheduled_end": start + timedelta(hours=2)})
                jobs.transition(s, job.id, "on_site", "bench")
                pairs.append((tech_wa, customer_wa))
    finally:
        db.dispose()
    return org_id, pairs


def _pending_invoices(settings, org_ids: list[int], per_org: int) -> list[tuple[int, int]]:
    """`per_org` completed jobs with a pending invoice in each organization."""
    from core import customers, jobs
    from core.billing import invoicing
    from core.billing.invoicing import DraftLine
    from core.db import Database
    from core.identity.users import create_user
    from core.models import Job

    db = Database(settings)
    out = []
    try:
        for org_id in org_ids:
            with db.org_session(org_id) as s:
                customer = customers.create_customer(s, {"name": "Cliente Lote",
                                                         "doc_type": "dni", "doc_number": "30111222"})
                tech = create_user(s, {"name": "Técnico Lote", "role": "technician",
                                       "phone": f"+54911580{org_id:05d}", "working_hours": None})
                for _ in range(per_org):
                    job = jobs.create_job(s, {"customer_id": customer.id, "service": "plumbing",
                                              "technician_id": tech.id})
                    for status in ("scheduled", "on_site", "completed"):
                        if status == "scheduled":
                            start = datetime.now(UTC) - timedelta(hours=1)
                            jobs.schedule(s, job.id, start, start + timedelta(hours=1), "bench")
                        else:
                            jobs.transition(s, job.id, status, "bench")
                    invoice = invoicing.create_for_job(
                        s, s.get(Job, job.id), [DraftLine("Servicio", Decimal(1), Decimal(15000))],
                        settings=settings)
                    out.append((org_id, invoice.id))
    finally:
        db.dispose()
    return out


def _authorized_count(settings, org_ids: list[int]) -> int:
    from sqlalchemy import func, select

    from core.db import Database
    from core.models import Invoice, InvoiceStatus

    db = Database(settings)
    try:
        total = 0
        for org_id in org_ids:
            with db.org_session(org_id) as s:
                total += s.scalar(select(func.count(Invoice.id)).where(
                    Invoice.status == InvoiceStatus.AUTHORIZED))
        return total
    finally:
        db.dispose()


class Technician:
    def __init__(self, port: int, tech_wa: str, customer_wa: str, quiet: float, timeout: float):
        self.port, self.tech_wa, self.customer_wa = port, tech_wa, customer_wa
        self.quiet, self.timeout = quiet, timeout
        self.from_tap: float | None = None
        self.from_quiet: float | None = None
        self.error: str | None = None

    def _wait(self, conn, wa_id: str, done, deadline: float) -> list[dict]:
        while time.monotonic() < deadline:
            messages = _messages(conn, wa_id)
            if done(messages):
                return messages
            # Arrival times are the Graph stand-in's records, not the poll's: polling slowly
            # only keeps the pollers from eating the two cores the workers need.
            time.sleep(0.5)
        raise TimeoutError(f"no answer for {wa_id}")

    def run(self, ready: threading.Barrier) -> None:
        conn = _conn(self.port)
        deadline = time.monotonic() + self.timeout
        try:
            # The customer wrote today (the 24-hour window is open for the document).
            _post(conn, simulator.text(PHONE_NUMBER_ID, self.customer_wa, "hola, ¿ya terminan?"))
            self._wait(conn, self.customer_wa, bool, deadline)
            before = len(_messages(conn, self.customer_wa))
            _post(conn, simulator.text(PHONE_NUMBER_ID, self.tech_wa, DONE_SAID))
            summary = self._wait(conn, self.tech_wa, bool, deadline)[-1]["payload"]
            buttons = summary["interactive"]["action"]["buttons"]
            confirm = next(b["reply"] for b in buttons if b["reply"]["title"] == "Confirmar")
            ready.wait(60)  # every technician taps at once
            tapped = _post(conn, simulator.button_reply(PHONE_NUMBER_ID, self.tech_wa,
                                                        confirm["id"], confirm["title"]))

            def delivered(messages):
                new = messages[before:]
                return (any(m["payload"].get("type") == "document" for m in new)
                        and any("mercadopago" in json.dumps(m["payload"]) for m in new
                                if m["payload"].get("type") == "text"))

            messages = self._wait(conn, self.customer_wa, delivered, deadline)
            arrived = max(m["at"] for m in messages[before:])
            self.from_tap = arrived - tapped
            self.from_quiet = arrived - (tapped + self.quiet)
        except Exception as exc:  # noqa: BLE001 - counted, the run goes on
            self.error = f"{type(exc).__name__}: {exc}"[:120]
            try:
                ready.abort()
            except threading.BrokenBarrierError:
                pass
        finally:
            conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--technicians", type=int, default=5,
                        help="a crew finishing at the same moment (20 on two cores is CPU-bound)")
    parser.add_argument("--invoices", type=int, default=80)
    parser.add_argument("--orgs", type=int, default=4)
    parser.add_argument("--afip-ms", type=float, default=200.0)
    parser.add_argument("--quiet", type=float, default=0.5)
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args()

    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the fakes' request lines
    afip = FakeAfip().start()
    afip.delay(args.afip_ms / 1000)
    mp = FakeMercadoPago(access_token=MP_TOKEN).start()
    creds = make_credentials(CUIT)
    port = free_port()
    try:
        with stack(whatsapp_app_secret=SECRET, whatsapp_access_token=None,
                   whatsapp_phone_number_id=PHONE_NUMBER_ID, burst_quiet_seconds=args.quiet,
                   public_base_url=f"http://127.0.0.1:{port}", afip_base_url=afip.url,
                   mercadopago_base_url=mp.url) as settings:
            org_ids, pairs = [], []
            for n in range(args.orgs):
                org_id, org_pairs = _setup_org(settings, n, creds=creds,
                                               technicians=args.technicians if n == 0 else 0)
                org_ids.append(org_id)
                pairs += org_pairs
            env = os.environ.copy()
            quiet = {"cwd": ROOT, "env": env, "stdout": subprocess.DEVNULL,
                     "stderr": subprocess.DEVNULL}
            bindir = Path(sys.executable).parent
            procs = [
                subprocess.Popen([str(bindir / "gunicorn"), "wsgi:app", "--bind",
                                  f"127.0.0.1:{port}", "--workers", "4", "--threads", "8",
                                  "--worker-class", "gthread", "--no-control-socket",
                                  "--log-level", "warning"], **quiet),
                subprocess.Popen([sys.executable, "-m", "workers.worker"], **quiet),
                subprocess.Popen([sys.executable, "-m", "workers.worker"], **quiet),
                subprocess.Popen([sys.executable, "-m", "workers.clock"], **quiet),
            ]
            try:
                wait_healthy(port)
                baseline = noop_round_trips(settings.redis_url, 20)

                techs = [Technician(port, t, c, args.quiet, args.timeout) for t, c in pairs]
                ready = threading.Barrier(len(techs))
                with ThreadPoolExecutor(len(techs)) as pool:
                    list(pool.map(lambda t: t.run(ready), techs))

                worker_times = job_times(settings.redis_url)
                authorized_before = _authorized_count(settings, org_ids)
                batch = _pending_invoices(settings, org_ids, args.invoices // args.orgs)
                from redis import Redis

                from services.dispatch import Dispatcher

                dispatch = Dispatcher(Redis.from_url(settings.redis_url))
                t0 = time.time()
                for org_id, invoice_id in batch:
                    dispatch.issue_invoice(org_id, invoice_id)
                deadline = time.monotonic() + args.timeout
                done = 0
                while time.monotonic() < deadline:
                    done = _authorized_count(settings, org_ids) - authorized_before
                    if done >= len(batch):
                        break
                    time.sleep(0.1)
                wall = time.time() - t0
            finally:
                for p in procs:
                    p.terminate()
                for p in procs:
                    try:
                        p.wait(10)
                    except subprocess.TimeoutExpired:
                        p.kill()
            duplicates = len(afip.authorized) - len({(c["Cuit"], c["PtoVta"], c["CbteTipo"],
                                                      c["CbteDesde"]) for c in afip.authorized})
    finally:
        afip.stop()
        mp.stop()

    from_tap = [t.from_tap for t in techs if t.from_tap is not None]
    from_quiet = [t.from_quiet for t in techs if t.from_quiet is not None]
    errors = [t.error for t in techs if t.error]
    p95 = percentile(from_tap, 95)
    print(json.dumps({
        "benchmark": "invoicing",
        "workers": 2,
        "afip_answer_ms": args.afip_ms,
        "quiet_seconds": args.quiet,
        "chat": {
            "technicians": len(techs),
            "delivered": len(from_tap),
            "errors": errors[:5],
            "tap_to_invoice_and_link_ms": {
                "p50": round(percentile(from_tap, 50) * 1000, 1), "p95": round(p95 * 1000, 1),
                "max": round(max(from_tap) * 1000, 1) if from_tap else None},
            "quiet_close_to_invoice_and_link_ms": {
                "p50": round(percentile(from_quiet, 50) * 1000, 1),
                "p95": round(percentile(from_quiet, 95) * 1000, 1)},
            "target_p95_ms": 2000,
            "target_met": bool(from_tap) and p95 <= 2.0 and not errors,
        },
        "batch": {
            "organizations": args.orgs,
            "invoices": len(batch),
            "authorized": done,
            "wall_seconds": round(wall, 2),
            "invoices_per_second": round(done / wall, 2) if wall else None,
            "ceiling_per_second_one_series": round(1000 / args.afip_ms, 2),
        },
        "chat_worker_seconds_by_task": worker_times,
        "afip_duplicate_numbers": duplicates,
        "afip_wsaa_logins": afip.login_calls,
        "baseline_empty_rq_job_ms": {"p50": round(percentile(baseline, 50) * 1000, 1),
                                     "p95": round(percentile(baseline, 95) * 1000, 1)},
        "p95_ratio_to_baseline": round(p95 / max(percentile(baseline, 95), 1e-6), 2),
    }, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
