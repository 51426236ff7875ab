"""A customer asking how to get ready for the visit, apart from asking when it is."""

from __future__ import annotations

import pytest

from core.es_ar import folded
from nlu.extract.message_kinds import asks_to_get_ready


@pytest.mark.parametrize("text", [
    "gracias! una pregunta, necesito comprar algo antes o el tecnico lleva todo?",
    "tengo que mover los muebles?",
    "hace falta que corte la luz antes?",
    "el técnico trae escalera? tengo techos altos",
    "¿compro el disyuntor antes o lo lleva él?",
    "hay que vaciar el placard para que lleguen al caño?",
    "el plomero lleva caños o los compro yo?",
])
def test_getting_ready_for_the_visit(text):
    assert asks_to_get_ready(folded(text))


@pytest.mark.parametrize("text", [
    "cuándo vienen?",
    "sigue en pie lo del viernes?",
    "a qué hora llega?",
    "necesito cambiar el día",
    "ya salió el técnico?",
])
def test_when_the_visit_is_is_no_getting_ready(text):
    assert not asks_to_get_ready(folded(text))
