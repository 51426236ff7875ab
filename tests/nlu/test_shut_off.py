"""What a customer in an emergency already shut off, so the safety advice does not ask it again."""

import pytest

from core.es_ar import folded
from nlu.extract.message_kinds import already_shut_off


@pytest.mark.parametrize(("text", "shut"), [
    ("hay mucho olor a gas en la cocina, ya cerré la llave", {"valve"}),
    ("se rompió un caño y sale agua a lo loco, cerramos la llave de paso", {"valve"}),
    ("el agua ya la cerré pero sigue goteando el techo", {"valve"}),
    ("salió humo del enchufe, ya bajé la térmica", {"power"}),
    ("olor a quemado en el tablero, cortamos la luz", {"power"}),
    ("hay olor a gas", set()),
    ("no encuentro la llave del gas y hay mucho olor", set()),
    ("no pude cerrar el agua, se inunda todo", set()),
    ("salta la térmica cada vez que prendo el horno", set()),
    # it went off by itself: nothing was shut off by the customer
    ("HOLA NECESITO UN ELECTRICISTA SE CORTO LA LUZ EN TODA LA CASA", set()),
    ("se nos cortó el agua y no sabemos por qué", set()),
    ("se cortó el gas de golpe", set()),
])
def test_what_was_already_shut_off(text, shut):
    assert already_shut_off(folded(text)) == shut
