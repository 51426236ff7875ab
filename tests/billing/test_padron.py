"""A customer gives their CUIT in the chat; AFIP's padrón fills in who they are, and their next
invoice is a Factura A with their CUIT."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from core import customers
from core.billing import invoicing
from core.billing.invoicing import DraftLine
from core.models import Customer, DocType, IvaCondition, Job
from tests.billing.conftest import CUSTOMER_PHONE
from tests.bot.conftest import Harness
from web import create_app
from workers import tasks

CUSTOMER = CUSTOMER_PHONE.lstrip("+")


@pytest.fixture
def chat(billing, fake_graph):
    app = create_app(billing.settings)
    harness = Harness(billing.settings, billing.db, app, fake_graph, billing.org_id)
    yield harness
    app.extensions["campotech.db"].dispose()


def _customer(billing) -> Customer:
    with billing.db.org_session(billing.org_id) as s:
        customer = s.scalar(select(Customer).where(Customer.phone == CUSTOMER_PHONE))
        s.expunge(customer)
        return customer


def test_cuit_in_the_chat_is_saved_and_the_padron_fills_name_and_iva(billing, chat, fake_afip):
    fake_afip.add_persona("30712345671", "CONSTRUCTORA SUR SA", "responsable_inscripto",
                          "AV CORRIENTES 1234, CABA")
    with billing.db.org_session(billing.org_id) as s:
        customers.update_customer(s, billing.customer_id, {"name": "Marta"})
    chat.say("necesito la factura A, mi CUIT es 30-71234567-1", wa_id=CUSTOMER)
    chat.work(settle=0.3)
    (reply,) = [m["payload"]["text"]["body"] for m in chat.replies(CUSTOMER)]
    assert "30-71234567-1" in reply
    customer = _customer(billing)
    assert (customer.doc_type, customer.doc_number) == (DocType.CUIT, "30712345671")
    assert customer.iva_condition is IvaCondition.RESPONSABLE_INSCRIPTO  # from the padrón
    assert customer.name == "CONSTRUCTORA SUR SA"
    # Their next invoice is an A to that CUIT.
    job_id = billing.job()
    with billing.db.org_session(billing.org_id) as s:
        invoice = invoicing.create_for_job(s, s.get(Job, job_id),
                                           [DraftLine("Servicio", Decimal(1), Decimal(12100))],
                                           settings=billing.settings)
        assert (invoice.letter, invoice.receiver_doc_tipo, invoice.receiver_doc_nro) == (
            "A", 80, 30712345671)


def test_an_invalid_cuit_is_not_taken(billing, chat):
    chat.say("necesito la factura, mi CUIT es 30-71234567-2", wa_id=CUSTOMER)
    chat.work(settle=0.3)
    assert _customer(billing).doc_type is DocType.DNI  # unchanged


def test_padron_unknown_cuit_changes_nothing(billing, fake_afip):
    with billing.db.org_session(billing.org_id) as s:
        customers.update_customer(s, billing.customer_id,
                                  {"doc_type": "cuit", "doc_number": "30712345671"})
    assert tasks.lookup_cuit(billing.org_id, billing.customer_id) == {"status": "unknown"}
    assert _customer(billing).iva_condition is IvaCondition.CONSUMIDOR_FINAL


def test_padron_keeps_a_full_name_we_already_have(billing, fake_afip):
    fake_afip.add_persona("20111111112", "GARCIA MARTA", "monotributo", None)
    with billing.db.org_session(billing.org_id) as s:
        customers.update_customer(s, billing.customer_id,
                                  {"doc_type": "cuit", "doc_number": "20111111112"})
    outcome = tasks.lookup_cuit(billing.org_id, billing.customer_id)
    assert outcome == {"status": "filled", "changed": ["iva_condition"]}
    customer = _customer(billing)
    assert customer.name == "Marta García" and customer.iva_condition is IvaCondition.MONOTRIBUTO


def test_asking_for_a_factura_a_without_a_cuit_gets_asked_for_it(billing, chat):
    """#18 item 7: an A needs the CUIT; the bot asks for it instead of promising one."""
    chat.say("necesito factura A", wa_id=CUSTOMER)
    chat.work(settle=0.3)
    (reply,) = [m["payload"]["text"]["body"] for m in chat.replies(CUSTOMER)]
    assert "CUIT" in reply and "factura A, mi CUIT es" in reply
    assert _customer(billing).doc_type is DocType.DNI  # nothing recorded yet


def test_the_cuit_given_in_the_chat_sends_the_factura_a_that_waited(billing, chat, fake_afip):
    fake_afip.add_persona("30712345671", "CONSTRUCTORA SUR SA", "monotributo", None)
    job_id = billing.job()
    with billing.db.org_session(billing.org_id) as s:
        customers.update_customer(s, billing.customer_id,
                                  {"iva_condition": "monotributo", "doc_type": None,
                                   "doc_number": None})
        waiting = invoicing.create_for_job(s, s.get(Job, job_id),
                                           [DraftLine("Servicio", Decimal(1), Decimal(12100))],
                                           settings=billing.settings)
        assert invoicing.waiting_for_cuit(waiting)
        waiting_id = waiting.id
    chat.say("quiero la factura", wa_id=CUSTOMER)
    chat.work(settle=0.3)
    assert "CUIT" in chat.replies(CUSTOMER)[-1]["payload"]["text"]["body"]
    chat.say("factura A, mi CUIT es 30-71234567-1", wa_id=CUSTOMER)  # as the bot suggested
    chat.work(settle=0.3)
    invoice = billing.invoice(waiting_id)
    assert (invoice.letter, invoice.receiver_doc_tipo, invoice.receiver_iva_id) == ("A", 80, 6)
    assert invoice.status.value in ("pending", "authorized")
