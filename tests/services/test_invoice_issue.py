"""The invoice state machine against the fake AFIP over real SOAP: A/B/C, rejections, AFIP
down and back, a timeout after authorization reconciled without a duplicate, ticket reuse."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from core.billing import invoicing
from core.billing.invoicing import DraftLine
from core.models import Invoice, InvoiceStatus, IvaCondition, Job, Organization
from services import afip_gateway, invoice_issue

FLEXIBLE = [DraftLine("Cambio de flexible", Decimal(1), Decimal("12000.00")),
            DraftLine("Mano de obra", Decimal(1), Decimal("3000.00"))]


def _create(billing, job_id: int, lines=FLEXIBLE) -> int:
    with billing.db.org_session(billing.org_id) as s:
        return invoicing.create_for_job(s, s.get(Job, job_id), lines, settings=billing.settings).id


def _issue(billing, invoice_id: int, **kw) -> invoice_issue.IssueOutcome:
    return invoice_issue.issue(
        billing.db, billing.redis, billing.settings, billing.org_id, invoice_id,
        lambda: afip_gateway.authorizer_for(billing.db, billing.redis, billing.settings,
                                            billing.org_id),
        explain=afip_gateway.explain, **kw,
    )


def _fecae_calls(fake_afip) -> list:
    return [call for call in fake_afip.calls if call[0] == "FECAESolicitar"]


def test_factura_b_to_a_consumer_with_dni_is_authorized_with_cae_and_qr(billing, fake_afip):
    invoice_id = _create(billing, billing.job())
    outcome = _issue(billing, invoice_id)
    assert outcome.kind == "authorized"
    invoice = billing.invoice(invoice_id)
    assert (invoice.status, invoice.letter, invoice.cbte_tipo, invoice.number) == (
        InvoiceStatus.AUTHORIZED, "B", 6, 1)
    assert len(invoice.cae) == 14 and invoice.cae_due_date > invoice.issue_date
    assert invoice.total == Decimal("15000.00") and invoice.net + invoice.iva == invoice.total
    qr = json.loads(invoice.qr_data)
    assert qr["tipoCmp"] == 6 and qr["nroCmp"] == 1 and qr["ptoVta"] == 3
    assert qr["codAut"] == int(invoice.cae) and qr["tipoDocRec"] == 96
    assert qr["nroDocRec"] == 28123456 and qr["importe"] == 15000.0
    (_, sent), = _fecae_calls(fake_afip)
    assert _find(sent, "CondicionIVAReceptorId") in (5, "5")  # RG 5616: consumidor final
    assert _find(sent, "DocTipo") in (96, "96") and _find(sent, "Concepto") in (2, "2")
    assert _find(sent, "FchServDesde") and _find(sent, "FchVtoPago")


def _find(tree, key):
    """The first value under `key` anywhere in a parsed SOAP request."""
    if isinstance(tree, dict):
        if key in tree:
            return tree[key]
        tree = list(tree.values())
    if isinstance(tree, list):
        for item in tree:
            found = _find(item, key)
            if found is not None:
                return found
    return None


def test_factura_a_to_a_responsable_inscripto_shows_net_and_iva(billing):
    customer = billing.customer("Constructora Sur SA", iva=IvaCondition.RESPONSABLE_INSCRIPTO,
                                doc_type="cuit", doc_number="30712345671")
    invoice_id = _create(billing, billing.job(customer_id=customer))
    assert _issue(billing, invoice_id).kind == "authorized"
    invoice = billing.invoice(invoice_id)
    assert (invoice.letter, invoice.cbte_tipo, invoice.receiver_doc_tipo) == ("A", 1, 80)
    assert invoice.receiver_iva_id == 1
    assert all(line.iva_rate == Decimal("21.00") for line in invoice.lines)
    assert sum(line.subtotal for line in invoice.lines) == invoice.net
    assert invoice.iva == (invoice.net * Decimal("0.21")).quantize(Decimal("0.01"))


def test_factura_c_from_a_monotributista(billing):
    with billing.db.org_session(billing.org_id) as s:
        s.get(Organization, billing.org_id).iva_condition = IvaCondition.MONOTRIBUTO
    invoice_id = _create(billing, billing.job())
    assert _issue(billing, invoice_id).kind == "authorized"
    invoice = billing.invoice(invoice_id)
    assert (invoice.letter, invoice.cbte_tipo, invoice.iva) == ("C", 11, Decimal("0.00"))
    assert invoice.net == invoice.total == Decimal("15000.00")


def test_pending_invoices_of_a_series_go_to_afip_in_one_request(billing, fake_afip):
    first, second, third = (_create(billing, billing.job()) for _ in range(3))
    outcome = _issue(billing, second)
    assert outcome.kind == "authorized"
    assert sorted((o.invoice_id, o.kind) for o in outcome.others) == [
        (first, "authorized"), (third, "authorized")]
    assert len(_fecae_calls(fake_afip)) == 1
    assert [billing.invoice(i).number for i in (second, first, third)] == [1, 2, 3]
    assert _issue(billing, first).kind == "unchanged"  # its own job finds it done


def test_a_rejected_comprobante_does_not_sink_its_batch(billing, fake_afip):
    first, second = _create(billing, billing.job()), _create(billing, billing.job())
    fake_afip.reject_next(10015, "El campo DocNro es invalido")  # hits the batch's first one
    outcome = _issue(billing, first)
    assert outcome.kind == "rejected"
    # The second was numbered after the rejected one: AFIP refused it as out of order, so it
    # went back to pending and, in the same run, got the number the rejection freed.
    assert [(o.invoice_id, o.kind) for o in outcome.others] == [(second, "authorized")]
    assert billing.invoice(second).number == 1
    assert len(_fecae_calls(fake_afip)) == 2


def test_a_worker_finding_the_series_busy_leaves_it_to_the_holder(billing, fake_afip):
    first, second = _create(billing, billing.job()), _create(billing, billing.job())
    series = f"campotech:afip:seq:{billing.org_id}:3:6"
    holder = billing.redis.lock(series, timeout=30)
    assert holder.acquire(blocking=False)
    assert _issue(billing, second).kind == "waiting"  # no blocking on the lock
    assert billing.redis.exists(series + ":again")  # the holder is asked to go around
    holder.release()
    outcome = _issue(billing, first)
    assert {outcome.invoice_id, *(o.invoice_id for o in outcome.others)} == {first, second}
    assert billing.invoice(second).status is InvoiceStatus.AUTHORIZED


def test_a_job_keeps_one_invoice(billing):
    job = billing.job()
    assert _create(billing, job) == _create(billing, job)


def test_afip_rejection_is_stored_in_spanish_and_frees_the_number(billing, fake_afip):
    fake_afip.reject_next(10015, "El campo DocNro es invalido")
    invoice_id = _create(billing, billing.job())
    outcome = _issue(billing, invoice_id)
    assert outcome.kind == "rejected" and outcome.messages
    invoice = billing.invoice(invoice_id)
    assert invoice.status is InvoiceStatus.REJECTED and invoice.number is None
    assert invoice.afip_messages["errors"][0][0] == 10015
    assert invoice.last_error and "10015" not in invoice.last_error.split()[0]
    # The next invoice takes number 1: the rejected one did not use it up.
    next_id = _create(billing, billing.job())
    assert _issue(billing, next_id).kind == "authorized"
    assert billing.invoice(next_id).number == 1


def test_an_observation_still_authorizes_and_is_kept_for_staff(billing, fake_afip):
    fake_afip.observe_next(10217, "El credito fiscal discriminado no coincide")
    invoice_id = _create(billing, billing.job())
    assert _issue(billing, invoice_id).kind == "authorized"
    assert billing.invoice(invoice_id).afip_messages["observations"][0][0] == 10217


def test_afip_down_keeps_it_pending_with_backoff_then_authorizes_when_back(billing, fake_afip):
    fake_afip.down(True)
    invoice_id = _create(billing, billing.job())
    first = _issue(billing, invoice_id)
    assert (first.kind, first.first_failure) == ("pending", True)
    invoice = billing.invoice(invoice_id)
    assert invoice.status is InvoiceStatus.PENDING and invoice.next_attempt_at > datetime.now(UTC)
    # Not due yet: nothing is attempted.
    assert _issue(billing, invoice_id).kind == "waiting"
    later = invoice.next_attempt_at + timedelta(seconds=1)
    second = _issue(billing, invoice_id, now=later)
    assert (second.kind, second.first_failure) == ("pending", False)
    with billing.db.org_session(billing.org_id) as s:
        assert invoicing.due_for_retry(s, later) == []
        assert invoicing.due_for_retry(s, later + timedelta(hours=2)) == [invoice_id]
    fake_afip.down(False)
    billing.redis.flushdb()  # the breaker's cool-down, as if it had passed
    assert _issue(billing, invoice_id, now=later + timedelta(hours=2)).kind == "authorized"
    assert len([c for c in _fecae_calls(fake_afip)]) == 1


def test_breaker_opens_after_repeated_failures_and_stops_calling_afip(billing, fake_afip):
    fake_afip.down(True)
    ids = [_create(billing, billing.job()) for _ in range(4)]
    outcomes = [_issue(billing, invoice_id) for invoice_id in ids]
    assert [o.kind for o in outcomes[:3]] == ["pending"] * 3
    calls_before = len(fake_afip.calls)
    assert outcomes[3].kind == "waiting" and outcomes[3].reason == "breaker_open"
    assert len(fake_afip.calls) == calls_before


def test_timeout_after_authorization_is_reconciled_without_a_second_invoice(billing, fake_afip):
    fake_afip.timeout_after_authorize(3.0)  # AFIP authorizes, then answers too late
    invoice_id = _create(billing, billing.job())
    first = _issue(billing, invoice_id)
    assert (first.kind, first.reason) == ("pending", "timeout")
    pending = billing.invoice(invoice_id)
    assert pending.requested_at is not None and pending.number == 1
    fake_afip.timeout_after_authorize(0)
    billing.redis.flushdb()
    outcome = _issue(billing, invoice_id, force=True)
    assert (outcome.kind, outcome.reason) == ("authorized", "reconciled")
    invoice = billing.invoice(invoice_id)
    assert invoice.number == 1 and invoice.cae == fake_afip.authorized[0]["CAE"]
    assert len(_fecae_calls(fake_afip)) == 1  # never resent
    assert len(fake_afip.authorized) == 1


def test_timeout_before_afip_saw_it_resends_the_same_number(billing, fake_afip):
    invoice_id = _create(billing, billing.job())
    fake_afip.down(True)
    assert _issue(billing, invoice_id).kind == "pending"
    fake_afip.down(False)
    billing.redis.flushdb()
    assert _issue(billing, invoice_id, force=True).kind == "authorized"
    assert billing.invoice(invoice_id).number == 1


def test_one_wsaa_login_serves_many_invoices_and_workers(billing, fake_afip):
    ids = [_create(billing, billing.job()) for _ in range(4)]
    threads = [threading.Thread(target=_issue, args=(billing, invoice_id)) for invoice_id in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert fake_afip.login_calls == 1
    numbers = sorted(billing.invoice(invoice_id).number for invoice_id in ids)
    assert numbers == [1, 2, 3, 4]  # serialized numbering, no 10016 surprises


def test_lost_redis_cache_recovers_the_ticket_from_the_vault(billing, fake_afip):
    assert _issue(billing, _create(billing, billing.job())).kind == "authorized"
    billing.redis.flushdb()  # Redis restarted empty; AFIP still holds our ticket
    assert _issue(billing, _create(billing, billing.job())).kind == "authorized"
    assert fake_afip.login_calls == 1


def test_without_a_certificate_the_job_gets_an_internal_receipt(billing):
    from core.vault import Vault

    with billing.db.org_session(billing.org_id) as s:
        Vault(billing.settings.encryption_keys).delete(s, "afip_key")
    first, second = _create(billing, billing.job()), _create(billing, billing.job())
    receipt = billing.invoice(first)
    assert (receipt.status, receipt.letter, receipt.cae) == (InvoiceStatus.INTERNAL, None, None)
    assert (receipt.number, billing.invoice(second).number) == (1, 2)
    assert _issue(billing, first).kind == "unchanged"


def test_big_b_without_document_waits_for_the_customers_id(billing):
    anonymous = billing.customer("Cliente de paso", iva=IvaCondition.CONSUMIDOR_FINAL)
    job = billing.job(customer_id=anonymous)
    invoice_id = _create(billing, job, [DraftLine("Instalación completa", Decimal(1),
                                                  Decimal("12000000.00"))])
    invoice = billing.invoice(invoice_id)
    assert invoice.status is InvoiceStatus.DRAFT and "DNI o CUIT" in invoice.last_error
    with billing.db.org_session(billing.org_id) as s:
        assert s.scalar(select(Invoice.id).where(Invoice.status == InvoiceStatus.PENDING)) is None


def test_the_sweeper_requeues_due_and_undelivered_invoices(billing, fake_afip):
    from rq import Queue

    from workers import tasks

    fake_afip.down(True)
    pending = _create(billing, billing.job())
    _issue(billing, pending)  # AFIP down: pending, retry in 30 s
    issued = _create(billing, billing.job())
    fake_afip.down(False)
    billing.redis.flushdb()
    assert _issue(billing, issued).kind == "authorized"  # authorized, never delivered
    with billing.db.org_session(billing.org_id) as s:
        invoice = s.get(Invoice, issued)
        invoice.created_at -= timedelta(minutes=5)  # the worker that had it died long ago
        s.get(Invoice, pending).next_attempt_at = datetime.now(UTC) - timedelta(seconds=1)
    assert tasks.retry_invoices() == {"queued": 2}
    queued = {job.args[1] for job in Queue("high", connection=billing.redis).jobs}
    assert queued == {pending, issued}


def test_numbering_skips_the_round_trip_and_recovers_when_someone_else_numbered(billing, fake_afip):
    from tests.fakes.afip_server import TEST_CUIT

    assert _issue(billing, _create(billing, billing.job())).kind == "authorized"
    asked = [op for op, _ in fake_afip.calls].count("FECompUltimoAutorizado")
    second = _create(billing, billing.job())
    assert _issue(billing, second).kind == "authorized"
    assert [op for op, _ in fake_afip.calls].count("FECompUltimoAutorizado") == asked
    assert billing.invoice(second).number == 2
    # Someone issued numbers 3-7 on the same punto de venta outside CampoTech.
    fake_afip.set_last_number(3, 6, 7, cuit=TEST_CUIT)
    third = _create(billing, billing.job())
    assert _issue(billing, third).kind == "authorized"
    assert billing.invoice(third).number == 8
