"""The one-line summary of what the NLU understood, in the customer's Spanish."""

from __future__ import annotations

from flows.understood import understood
from nlu.schema import Address, Extraction


def test_a_booking_reads_naturally():
    result = Extraction(intent="new_job", service="gas", urgency="emergency",
                        address=Address(street="Gorriti", number="3400", locality="Palermo"),
                        date="2026-12-01", window="afternoon")
    assert understood(result) == (
        "un pedido de servicio; gas; es una emergencia; Gorriti 3400, Palermo; el martes 1/12 a la tarde")


def test_a_technician_update_and_money():
    assert understood(Extraction(intent="tech_job_done", amount=15000)) == "que terminaste el trabajo; $15.000"
    assert understood(Extraction(intent="tech_on_the_way", eta_minutes=20)) == "que vas en camino; llegás en 20 min"
    assert understood(Extraction(amount=1500000)) == "$1.500.000"
    assert understood(Extraction(amount=1234.5)) == "$1.234,50"


def test_nothing_understood_is_none():
    assert understood(Extraction()) is None
