"""Which owner words hold a customer's bookings (flows/owner_hold.py): an order not to book or
serve them, never a word about something else said to them."""

from __future__ import annotations

import pytest

from core.es_ar import folded
from flows.owner_hold import _HOLD, _LIFT, _UNTIL_PAID


@pytest.mark.parametrize(("text", "hold", "until_paid"), [
    ("a Quiroga no le tomes más trabajos hasta que no pague lo que debe", True, True),
    ("no le agendes nada a Pérez", True, False),
    ("no lo atiendas más a Paz, ya nos hizo quilombo dos veces", True, False),
    ("a la de Ramírez no le demos más turnos hasta que salde la deuda", True, True),
    # other things said not to do to a customer are no hold
    ("no le des bola a Marta, ya lo hablé yo", False, False),
    ("no le mandes la factura todavía a Quiroga", False, False),
    ("no le cobres la visita a Paz", False, False),
])
def test_a_hold_is_an_order_not_to_book(text, hold, until_paid):
    said = folded(text)
    assert bool(_HOLD.search(said)) is hold
    assert bool(hold and _UNTIL_PAID.search(said)) is until_paid


@pytest.mark.parametrize("text", [
    "ya le podés tomar trabajos a Quiroga",
    "sacale el bloqueo a Paz",
    "volvé a agendarle a Pérez",
])
def test_a_hold_lifted(text):
    assert _LIFT.search(folded(text))
