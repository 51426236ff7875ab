"""The owner's word that a transfer came in, read apart from the flow that records it."""

from __future__ import annotations

import pytest

from core.es_ar import folded
from flows.owner_payment import _CAME_IN


@pytest.mark.parametrize(("text", "came_in"), [
    ("sí, entró la de Raúl", True), ("ya cayó la plata de Marta", True),
    ("recibí la transferencia de García", True), ("se acreditó lo de Gómez", True),
    ("ya llegaron los materiales, cargá lo de Marta", False), ("ya llegó lo de Marta", False),
    ("entró un pedido nuevo", False),
    ("me entraron 10 lucas x transferencia", True), ("ahora me entraron los otros 2", True),
    ("me entraron 3 pedidos", False),
])
def test_money_said_to_have_come_in(text, came_in):
    assert bool(_CAME_IN.search(folded(text))) is came_in
