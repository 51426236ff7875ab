"""Another price said to have been quoted ("me dijo que el cambio salía 12"), or paying refused
as it stands ("así no pago", "no pienso pagar otra visita"), is a charge disputed; how one will
pay, or when, is not."""

from __future__ import annotations

import pytest

from core.es_ar import folded
from nlu.extract.message_kinds import disputes_charge


@pytest.mark.parametrize("text", [
    "el de la oficina me dijo que todo el arreglo salía 15 y me llegó de 25",
    "me dijeron que salía 20 y ahora me cobran 35",
    "yo así no le pago eh",
    "no pienso pagar otra visita por lo mismo",
])
def test_disputed(text):
    assert disputes_charge(folded(text))


@pytest.mark.parametrize("text", [
    "no voy a pagar con tarjeta, ¿aceptan efectivo?",
    "no voy a pagar ahora, ¿puedo el lunes?",
    "me dijeron que el técnico llega a las 3",
    "ya pagué, gracias",
])
def test_not_disputed(text):
    assert not disputes_charge(folded(text))
