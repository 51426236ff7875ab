"""AFIP's rules that need no server: which letter, the receiver's document, the IVA split."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from core.billing.afip import (
    DOC_CUIT,
    DOC_DNI,
    DOC_NONE,
    AuthorizationRequest,
    authorization_request,
    choose_letter,
    receiver_document,
    split_gross,
)
from core.models import Customer, DocType, Invoice, InvoiceLine, IvaCondition

RI, MONO, EXENTO, CF = (IvaCondition.RESPONSABLE_INSCRIPTO, IvaCondition.MONOTRIBUTO,
                        IvaCondition.EXENTO, IvaCondition.CONSUMIDOR_FINAL)


@pytest.mark.parametrize(("issuer", "receiver", "has_cuit", "letter"), [
    (RI, RI, True, "A"),
    (RI, MONO, True, "A"),  # RG 5003: monotributistas receive A
    (RI, RI, False, "A"),  # an A is due; without the CUIT it waits (a B with 1 is a 10243)
    (RI, MONO, False, "A"),
    (RI, CF, False, "B"),
    (RI, EXENTO, True, "B"),
    (MONO, RI, True, "C"),
    (MONO, CF, False, "C"),
    (EXENTO, RI, True, "C"),
])
def test_letter_follows_both_iva_conditions(issuer, receiver, has_cuit, letter):
    assert choose_letter(issuer, receiver, receiver_has_cuit=has_cuit) == letter


def test_receiver_document():
    assert receiver_document(None) == (DOC_NONE, 0)
    assert receiver_document(Customer(doc_type=DocType.CUIT, doc_number="30712345671")) == (
        DOC_CUIT, 30712345671)
    assert receiver_document(Customer(doc_type=DocType.DNI, doc_number="28123456")) == (DOC_DNI, 28123456)
    assert receiver_document(Customer(doc_type=DocType.CUIT, doc_number="123")) == (DOC_NONE, 0)


@pytest.mark.parametrize(("gross", "rate", "net", "iva"), [
    ("15000.00", "21", "12396.69", "2603.31"),
    ("100.00", "10.5", "90.50", "9.50"),
    ("0.01", "21", "0.01", "0.00"),
    ("1000.00", "0", "1000.00", "0.00"),
])
def test_iva_split_adds_back_to_the_cent(gross, rate, net, iva):
    got_net, got_iva = split_gross(Decimal(gross), Decimal(rate))
    assert (got_net, got_iva) == (Decimal(net), Decimal(iva))
    assert got_net + got_iva == Decimal(gross)


def _invoice(letter, lines, *, net, iva, total):
    invoice = Invoice(letter=letter, cbte_tipo={"A": 1, "B": 6, "C": 11}[letter], punto_de_venta=3,
                      number=8, concepto=2, receiver_doc_tipo=DOC_DNI, receiver_doc_nro=28123456,
                      receiver_iva_id=5, issue_date=date(2026, 11, 25),
                      service_from=date(2026, 11, 24), service_to=date(2026, 11, 25),
                      payment_due=date(2026, 12, 2), net=Decimal(net), iva=Decimal(iva),
                      total=Decimal(total))
    for description, subtotal, rate in lines:
        invoice.lines.append(InvoiceLine(description=description, quantity=Decimal(1),
                                         unit_price=Decimal(subtotal), subtotal=Decimal(subtotal),
                                         iva_rate=Decimal(rate)))
    return invoice


def test_factura_b_request_breaks_down_iva_from_final_prices():
    invoice = _invoice("B", [("Flexible", "12000.00", "21"), ("Mano de obra", "3000.00", "21")],
                       net="12396.69", iva="2603.31", total="15000.00")
    req = authorization_request(invoice)
    assert isinstance(req, AuthorizationRequest)
    assert (req.pto_vta, req.cbte_tipo, req.number, req.concepto) == (3, 6, 8, 2)
    assert req.imp_total == req.imp_neto + req.imp_iva == Decimal("15000.00")
    assert len(req.iva) == 1 and req.iva[0].afip_id == 5
    assert req.iva[0].base == req.imp_neto and req.iva[0].amount == req.imp_iva
    assert (req.serv_desde, req.serv_hasta, req.vto_pago) == (
        date(2026, 11, 24), date(2026, 11, 25), date(2026, 12, 2))
    assert req.condicion_iva_receptor_id == 5


def test_factura_a_request_with_two_rates():
    invoice = _invoice("A", [("Caño", "1000.00", "21"), ("Gas", "500.00", "10.5")],
                       net="1500.00", iva="262.50", total="1762.50")
    req = authorization_request(invoice)
    by_id = {share.afip_id: share for share in req.iva}
    assert by_id[5].base == Decimal("1000.00") and by_id[4].base == Decimal("500.00")
    assert by_id[4].amount + by_id[5].amount == Decimal("262.50")
    assert req.imp_total == req.imp_neto + req.imp_iva


def test_factura_c_has_no_iva_block():
    invoice = _invoice("C", [("Destapación", "15000.00", "0")], net="15000.00", iva="0",
                       total="15000.00")
    req = authorization_request(invoice)
    assert req.iva == () and req.imp_iva == 0 and req.imp_neto == req.imp_total
