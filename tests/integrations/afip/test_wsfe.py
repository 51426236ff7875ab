"""WSFEv1 against the fake: numbering, CAE for A/B/C, rejections, AFIP down, the lost answer."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from integrations.afip.errors import AfipAuthError, AfipRejected, AfipTimeout, AfipUnavailable
from integrations.afip.wsaa import WSAA, Ticket, TicketCache, authenticate
from integrations.afip.wsfe import (
    CBTE_TIPO,
    DOC_TIPO,
    IVA_ID,
    WSFE,
    CAERequest,
    IvaLine,
    error_text_es,
)
from tests.fakes.afip_server import TEST_CUIT

TODAY = date(2025, 6, 2)
BUYER_CUIT = 30712345671


@pytest.fixture
def wsfe(fake_afip, ticket_for) -> WSFE:
    return WSFE(f"{fake_afip.url}/wsfe", cuit=TEST_CUIT, ticket_provider=ticket_for("wsfe"), timeout=0.5)


def factura_b(number: int, **changes) -> CAERequest:
    fields = {
        "pto_vta": 3, "cbte_tipo": CBTE_TIPO["B"], "number": number, "concepto": 2,
        "doc_tipo": DOC_TIPO["consumidor_final"], "doc_nro": 0, "cbte_fecha": TODAY,
        "imp_total": Decimal(12100), "imp_neto": Decimal(10000), "imp_iva": Decimal(2100),
        "imp_tot_conc": Decimal(0), "imp_op_ex": Decimal(0), "imp_trib": Decimal(0),
        "serv_desde": TODAY, "serv_hasta": TODAY, "vto_pago": TODAY + timedelta(days=10),
        "condicion_iva_receptor_id": 5,  # consumidor final
        "iva": [IvaLine(IVA_ID[Decimal(21)], Decimal(10000), Decimal(2100))]}
    fields.update(changes)
    return CAERequest(**fields)


def sent_detail(fake_afip) -> dict:
    _operation, data = [c for c in fake_afip.calls if c[0] == "FECAESolicitar"][-1]
    return data["FeCAEReq"]["FeDetReq"]["FECAEDetRequest"][0]


def test_dummy(wsfe, fake_afip):
    assert wsfe.dummy() == {"AppServer": "OK", "DbServer": "OK", "AuthServer": "OK"}
    fake_afip.down(True)
    with pytest.raises(AfipUnavailable):
        wsfe.dummy()


def test_last_authorized_starts_at_zero_and_follows(wsfe, fake_afip):
    assert wsfe.last_authorized(3, 6) == 0
    fake_afip.set_last_number(3, 6, 41)
    assert wsfe.last_authorized(3, 6) == 41
    assert wsfe.last_authorized(3, 11) == 0
    assert fake_afip.login_calls == 1  # one ticket for every call


def test_factura_b_to_consumidor_final(wsfe, fake_afip):
    result = wsfe.request_cae(factura_b(1))
    assert result.result == "A" and result.approved
    assert len(result.cae) == 14 and result.cae.isdigit()
    assert result.cae_due == TODAY + timedelta(days=10)
    assert result.number == 1 and result.errors == [] and result.observations == []
    json.dumps(result.raw)  # storable as is
    assert result.raw["FeDetResp"]["FECAEDetResponse"][0]["CAE"] == result.cae
    detail = sent_detail(fake_afip)
    assert detail["CbteFch"] == "20250602" and detail["FchVtoPago"] == "20250612"
    assert detail["ImpTotal"] == "12100.00" and detail["CondicionIVAReceptorId"] == "5"
    assert detail["Iva"]["AlicIva"] == [{"Id": "5", "BaseImp": "10000.00", "Importe": "2100.00"}]
    assert wsfe.last_authorized(3, 6) == 1


def test_factura_a_to_responsable_inscripto(wsfe, fake_afip):
    request = factura_b(1, cbte_tipo=CBTE_TIPO["A"], doc_tipo=DOC_TIPO["cuit"],
                        doc_nro=BUYER_CUIT, concepto=1, serv_desde=None, serv_hasta=None,
                        vto_pago=None, imp_total=Decimal(1105), imp_neto=Decimal(1000),
                        imp_iva=Decimal(105),
                        condicion_iva_receptor_id=1,
                        iva=[IvaLine(IVA_ID[Decimal("10.5")], Decimal(1000), Decimal(105))])
    result = wsfe.request_cae(request)
    assert result.result == "A" and result.cae
    detail = sent_detail(fake_afip)
    assert detail["DocTipo"] == "80" and detail["DocNro"] == str(BUYER_CUIT)
    assert "FchServDesde" not in detail and detail["Iva"]["AlicIva"][0]["Id"] == "4"


def test_factura_c_has_no_iva(wsfe, fake_afip):
    request = factura_b(1, cbte_tipo=CBTE_TIPO["C"], imp_total=Decimal("15000.50"),
                        imp_neto=Decimal("15000.50"), imp_iva=Decimal(0), iva=[])
    result = wsfe.request_cae(request)
    assert result.result == "A"
    assert "Iva" not in sent_detail(fake_afip)
    assert wsfe.last_authorized(3, 11) == 1 and wsfe.last_authorized(3, 6) == 0


def test_rejection_is_returned_not_raised(wsfe, fake_afip):
    fake_afip.reject_next(10015, "El campo DocNro es invalido.")
    result = wsfe.request_cae(factura_b(1))
    assert result.result == "R" and result.cae is None and result.cae_due is None
    assert result.errors == [(10015, "El campo DocNro es invalido.")]
    assert wsfe.last_authorized(3, 6) == 0  # a rejected comprobante does not use its number


@pytest.mark.parametrize(("changes", "code"), [
    ({"condicion_iva_receptor_id": None}, 10242),
    ({"imp_total": Decimal(12000)}, 10048),
    ({"cbte_tipo": 1}, 10013),
    ({"serv_desde": None}, 10035),
    ({"vto_pago": None}, 10036),
])
def test_validation_observations(wsfe, changes, code):
    result = wsfe.request_cae(factura_b(1, **changes))
    assert result.result == "R" and result.cae is None
    assert code in [c for c, _ in result.observations]


def test_observation_on_approval(wsfe, fake_afip):
    fake_afip.observe_next(10217, "El credito fiscal discriminado no podra computarse")
    result = wsfe.request_cae(factura_b(1))
    assert result.result == "A" and result.cae
    assert result.observations == [(10217, "El credito fiscal discriminado no podra computarse")]


def test_number_not_next_raises(wsfe, fake_afip):
    fake_afip.set_last_number(3, 6, 7)
    with pytest.raises(AfipRejected) as caught:
        wsfe.request_cae(factura_b(7))
    assert [code for code, _ in caught.value.errors] == [10016]
    assert wsfe.request_cae(factura_b(8)).result == "A"


def test_afip_down_is_unavailable(wsfe, fake_afip):
    wsfe.last_authorized(3, 6)  # the ticket is in hand
    fake_afip.down(True)
    with pytest.raises(AfipUnavailable) as caught:
        wsfe.request_cae(factura_b(1))
    assert not isinstance(caught.value, AfipTimeout)
    assert caught.value.code == 503
    fake_afip.down(False)
    assert wsfe.request_cae(factura_b(1)).result == "A"


def test_slow_read_is_a_timeout(wsfe, fake_afip):
    wsfe.last_authorized(3, 6)
    fake_afip.delay(1.0)
    with pytest.raises(AfipTimeout):
        wsfe.last_authorized(3, 6)


def test_lost_answer_then_reconcile(wsfe, fake_afip):
    assert wsfe.last_authorized(3, 6) == 0
    fake_afip.timeout_after_authorize(1.5)
    with pytest.raises(AfipTimeout):
        wsfe.request_cae(factura_b(1))
    # AFIP did authorize it: the caller finds it before sending again.
    found = wsfe.query(3, 6, 1)
    assert found is not None and found.result == "A"
    assert found.cae == fake_afip.authorized[-1]["CAE"]
    assert found.cae_due == TODAY + timedelta(days=10) and found.number == 1
    json.dumps(found.raw)
    assert wsfe.last_authorized(3, 6) == 1
    assert wsfe.query(3, 6, 2) is None


def test_token_refused_is_an_auth_error(fake_afip, afip_credentials):
    now = datetime.now(UTC)
    forged = Ticket("bogus-token", "bogus-sign", now + timedelta(hours=12), now)
    wsfe = WSFE(f"{fake_afip.url}/wsfe", cuit=TEST_CUIT, ticket_provider=lambda: forged,
                timeout=0.5)
    for call in (lambda: wsfe.last_authorized(3, 6), lambda: wsfe.request_cae(factura_b(1)),
                 lambda: wsfe.query(3, 6, 1)):
        with pytest.raises(AfipAuthError) as caught:
            call()
        assert caught.value.code == 600


def test_expired_ticket_is_an_auth_error(wsfe, fake_afip):
    wsfe.last_authorized(3, 6)
    fake_afip.expire_tickets()
    with pytest.raises(AfipAuthError):
        wsfe.last_authorized(3, 6)


def test_other_cuit_in_the_request_is_601(fake_afip, redisdb, afip_credentials):
    cert, key = afip_credentials
    cache, wsaa = TicketCache(redisdb), WSAA(f"{fake_afip.url}/wsaa", timeout=3)
    wsfe = WSFE(f"{fake_afip.url}/wsfe", cuit="30712345671", timeout=0.5,
                ticket_provider=lambda: authenticate(
                    cache, wsaa, environment="homologation", cuit=TEST_CUIT, service="wsfe",
                    cert_pem=cert, key_pem=key))
    with pytest.raises(AfipAuthError) as caught:
        wsfe.last_authorized(3, 6)
    assert caught.value.code == 601


def test_error_text_es():
    assert "siguiente" in error_text_es(10016, "El numero ...")
    assert "CUIT" in error_text_es(10013, "x")
    assert "condición frente al IVA" in error_text_es(10242, "x")
    assert "condición frente al IVA" in error_text_es(10243, "x")
    assert "total" in error_text_es(10048, "x")
    assert "fechas del servicio" in error_text_es(10036, "x")
    assert "Factura C" in error_text_es(10071, "x")
    assert "certificado" in error_text_es(600, "x")
    assert error_text_es(99999, "Algo raro") == "AFIP dijo: Algo raro (código 99999)"


def test_answers_with_elements_no_wsdl_names_are_read(wsfe, fake_afip):
    """AFIP adds fields before it republishes its WSDLs (#18 item 8): an authorized CAE with an
    unknown element is still an authorized CAE, not "AFIP unavailable"."""
    fake_afip.extras(True)
    result = wsfe.request_cae(factura_b(1))
    assert result.approved and result.raw["FeDetResp"]["FECAEDetResponse"][0]["CAE"] == result.cae
    assert wsfe.last_authorized(3, 6) == 1
    found = wsfe.query(3, 6, 1)
    assert found.result == "A" and found.cae == result.cae


# AFIP's manual, "CondicionIvaReceptor": A admits 1, 6, 13, 16; B admits 4, 5, 7, 8, 9, 10, 15;
# C admits them all. Anything else on a class is 10243.
@pytest.mark.parametrize(("letter", "condition", "accepted"), [
    ("A", 1, True), ("A", 6, True), ("A", 13, True), ("A", 16, True),
    ("A", 5, False), ("A", 4, False), ("A", 15, False),
    ("B", 4, True), ("B", 5, True), ("B", 7, True), ("B", 15, True), ("B", 10, True),
    ("B", 1, False), ("B", 6, False), ("B", 13, False), ("B", 16, False),
    ("C", 1, True), ("C", 5, True), ("C", 6, True), ("C", 15, True), ("C", 16, True),
])
def test_receiver_condition_per_class(wsfe, fake_afip, letter, condition, accepted):
    changes = {"cbte_tipo": CBTE_TIPO[letter], "condicion_iva_receptor_id": condition}
    if letter == "A":
        changes.update(doc_tipo=DOC_TIPO["cuit"], doc_nro=BUYER_CUIT)
    if letter == "C":
        changes.update(imp_total=Decimal(12100), imp_neto=Decimal(12100), imp_iva=Decimal(0),
                       iva=[])
    result = wsfe.request_cae(factura_b(1, **changes))
    if accepted:
        assert result.approved
    else:
        assert result.result == "R" and [code for code, _ in result.observations] == [10243]
