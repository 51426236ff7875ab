"""Padrón A5: looking a CUIT up, and the CUIT check digit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from integrations.afip.errors import AfipAuthError
from integrations.afip.padron import Padron, Persona, valid_cuit
from integrations.afip.wsaa import (
    PADRON_SERVICE,
    Ticket,
)
from tests.fakes.afip_server import TEST_CUIT


@pytest.fixture
def padron(fake_afip, ticket_for) -> Padron:
    return Padron(f"{fake_afip.url}/padron", cuit_representada=TEST_CUIT,
                  ticket_provider=ticket_for(PADRON_SERVICE), timeout=0.5)


def test_company_responsable_inscripto(padron, fake_afip):
    fake_afip.add_persona("30712345671", "Gasista Hnos SRL", "responsable_inscripto",
                          "Av. Corrientes 1234, CIUDAD DE BUENOS AIRES, CAPITAL FEDERAL")
    assert padron.get_persona("30712345671") == Persona(
        cuit="30712345671", name="Gasista Hnos SRL", iva_condition="responsable_inscripto",
        address="Av. Corrientes 1234, CIUDAD DE BUENOS AIRES, CAPITAL FEDERAL", active=True)
    operation, data = fake_afip.calls[-1]
    assert operation == "getPersona_v2"
    assert data["cuitRepresentada"] == TEST_CUIT and data["idPersona"] == "30712345671"


@pytest.mark.parametrize("condition", ["monotributo", "exento", "consumidor_final"])
def test_person_iva_conditions(padron, fake_afip, condition):
    fake_afip.add_persona("20111111112", "Juan Carlos García", condition, None)
    persona = padron.get_persona("20111111112")
    assert persona.iva_condition == condition
    assert persona.name == "Juan Carlos García" and persona.address is None


def test_inactive_cuit(padron, fake_afip):
    fake_afip.add_persona("27234567891", "Ana López", "monotributo", "Mitre 50, Rosario, SANTA FE",
                          active=False)
    persona = padron.get_persona("27234567891")
    assert not persona.active and persona.address == "Mitre 50, Rosario, SANTA FE"


def test_unknown_cuit_is_none(padron, fake_afip):
    assert padron.get_persona("20111111112") is None
    assert fake_afip.calls[-1][0] == "getPersona_v2"


def test_invalid_cuit_is_not_sent(padron, fake_afip):
    assert padron.get_persona("20123456787") is None
    assert fake_afip.calls == []


def test_refused_ticket(fake_afip, afip_credentials):
    now = datetime.now(UTC)
    forged = Ticket("nope", "nope", now + timedelta(hours=1), now)
    padron = Padron(f"{fake_afip.url}/padron", cuit_representada=TEST_CUIT,
                    ticket_provider=lambda: forged, timeout=0.5)
    fake_afip.add_persona("30712345671", "Gasista Hnos SRL", "responsable_inscripto", None)
    with pytest.raises(AfipAuthError):
        padron.get_persona("30712345671")


@pytest.mark.parametrize(("cuit", "ok"), [
    ("20111111112", True),
    ("30712345671", True),
    ("27234567891", True),
    ("20123456787", False),
    ("2012345678", False),
    ("20-12345678-6", False),
    ("", False),
    ("20000000019", False),  # the digit would be 10: never issued (AFIP uses 23- instead)
])
def test_valid_cuit(cuit, ok):
    assert valid_cuit(cuit) is ok


@pytest.mark.parametrize(("condition", "detail"), [("iva_no_alcanzado", "iva_no_alcanzado"),
                                                   ("responsable_no_inscripto",
                                                    "responsable_no_inscripto")])
def test_iva_outside_is_not_consumidor_final(padron, fake_afip, condition, detail):
    """Impuestos 33 and 34: registered with AFIP outside IVA, not a consumidor final (#18 item 8)."""
    fake_afip.add_persona("20111111112", "Juan Carlos García", condition, None)
    persona = padron.get_persona("20111111112")
    assert persona.iva_condition == "no_categorizado" and persona.iva_detail == detail
