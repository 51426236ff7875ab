"""A second job of another trade in the same request ("…y además quería presupuesto para pintar
el living"), told apart from more about the same one."""

import pytest

from nlu.extract.services import classify_service, second_request
from nlu.extract.text import expand, fold_aligned


def _second(text: str) -> str | None:
    folded = fold_aligned(text)
    found = second_request(folded, classify_service(expand(folded)))
    return None if found is None else text[found[0]:found[1]]


@pytest.mark.parametrize(("text", "second"), [
    ("hola buenas, se me tapó el inodoro y además quería que me pasen presupuesto para pintar el living",
     "quería que me pasen presupuesto para pintar el living"),
    ("no anda el aire, y de paso quería ver si me cambian un enchufe que está quemado",
     "quería ver si me cambian un enchufe que está quemado"),
    ("se rompió la cerradura de la puerta. También necesito un presupuesto para pintar la reja",
     "necesito un presupuesto para pintar la reja"),
    ("se tapó la pileta y también revisen el calefón que no prende", "revisen el calefón que no prende"),
    # the one added is the emergency, booked: the other is the request before it
    ("hola buenas noches\nse me rompió el termotanque y además hay un enchufe que hace chispas",
     "se me rompió el termotanque"),
    ("quería presupuesto para pintar el living. Aparte tengo una pérdida de gas en la cocina",
     "quería presupuesto para pintar el living"),
])
def test_a_second_job_of_another_trade(text, second):
    assert _second(text) == second


@pytest.mark.parametrize("text", [
    "se me tapó la pileta y además pierde la canilla del baño",     # one visit covers both
    "se me rompió el termotanque, también pierde agua por abajo",   # the heater's own leak
    "se me quemó la térmica, también se cortó la luz en la cocina",
    "pierde el flexible del lavatorio, aparte de eso nada más",
    "el aire no enfría y además gotea agua de la unidad de adentro",
])
def test_more_about_the_same_job(text):
    assert _second(text) is None
