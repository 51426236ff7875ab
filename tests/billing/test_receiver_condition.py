"""The receiver's IVA condition per letter (#18 item 7): a Responsable Inscripto never sends a B
with condition 1 or 6 (AFIP's 10243); an A due without the customer's CUIT waits for it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.billing import invoicing
from core.billing.afip import RECEIVER_CONDITIONS, receiver_terms
from core.billing.invoicing import DraftLine
from core.models import InvoiceStatus, IvaCondition, Job

RI, MONO, EXENTO, CF, NC = (IvaCondition.RESPONSABLE_INSCRIPTO, IvaCondition.MONOTRIBUTO,
                            IvaCondition.EXENTO, IvaCondition.CONSUMIDOR_FINAL,
                            IvaCondition.NO_CATEGORIZADO)
LINES = [DraftLine("Cambio de flexible", Decimal(1), Decimal("15000.00"))]


def test_the_table_is_afips():
    assert RECEIVER_CONDITIONS["A"] == {1, 6, 13, 16}
    assert RECEIVER_CONDITIONS["B"] == {4, 5, 7, 8, 9, 10, 15}
    assert RECEIVER_CONDITIONS["C"] == {1, 4, 5, 6, 7, 8, 9, 10, 13, 15, 16}


@pytest.mark.parametrize("issuer", [RI, MONO, EXENTO])
@pytest.mark.parametrize("receiver", [RI, MONO, EXENTO, CF, NC])
def test_every_choice_is_in_the_table(issuer, receiver):
    terms = receiver_terms(issuer, receiver)
    assert terms.condition_id in RECEIVER_CONDITIONS[terms.letter]


@pytest.mark.parametrize(("receiver", "condition"), [(RI, 1), (MONO, 6)])
def test_an_a_is_due_to_ri_and_monotributo_even_without_a_cuit(receiver, condition):
    terms = receiver_terms(RI, receiver)
    assert (terms.letter, terms.condition_id, terms.needs_cuit) == ("A", condition, True)


def _create(billing, customer_id):
    with billing.db.org_session(billing.org_id) as s:
        return invoicing.create_for_job(s, s.get(Job, billing.job(customer_id=customer_id)),
                                        LINES, settings=billing.settings).id


@pytest.mark.parametrize("receiver", [RI, MONO])
def test_a_due_without_cuit_waits_instead_of_a_b_afip_refuses(billing, fake_afip, receiver):
    customer = billing.customer("Taller Norte", iva=receiver)
    invoice = billing.invoice(_create(billing, customer))
    assert (invoice.status, invoice.letter) == (InvoiceStatus.DRAFT, "A")
    assert "CUIT" in invoice.last_error
    assert not [c for c in fake_afip.calls if c[0] == "FECAESolicitar"]


def test_the_cuit_given_later_sends_the_a(billing, fake_afip):
    customer = billing.customer("Taller Norte", iva=MONO)
    invoice_id = _create(billing, customer)
    with billing.db.org_session(billing.org_id) as s:
        resumed = invoicing.resume_waiting_for_cuit(s, customer, "20111111112")
    assert resumed == [invoice_id]
    invoice = billing.invoice(invoice_id)
    assert (invoice.status, invoice.receiver_doc_tipo, invoice.receiver_doc_nro) == (
        InvoiceStatus.PENDING, 80, 20111111112)
    assert invoice.last_error is None
