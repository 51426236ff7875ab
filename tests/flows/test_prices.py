"""Which messages ask for a price (`flows.prices.asks_price`); the answers themselves are walked
in the booking stories (tests/stories/booking.yaml) with a price book."""

from __future__ import annotations

import pytest

from flows.prices import asks_price


@pytest.mark.parametrize("text", [
    "cuánto sale cambiar un flexible?",
    "Hola, ¿cuánto cuesta destapar una cañería?",
    "cuanto me cobrarias x instalar un termotanque",
    "qué precio tiene la visita?",
    "me pasás el precio de la destapación?",
    "pasame presupuesto para cambiar el tablero porfa",
    "cuánto está la visita?",
    "qué costo tiene la instalación?",
    "el precio por cambiar el cuerito?",
    "Buenas tardes, quisiera saber el costo de la instalación de un split.",
    "precio?",
    "y cuánto me saldría más o menos",
    "cuánto me va a salir todo?",
])
def test_a_price_question(text):
    assert asks_price(text)


@pytest.mark.parametrize("text", [
    "gracias, el precio estuvo bien",
    "ya te transferí lo que costó",
    "cuánto tarda en llegar el técnico?",
    "cuántos años tiene el calefón? ni idea",
    "el técnico me pasó el presupuesto ayer, lo estoy viendo",
    "se me tapó la pileta de la cocina",
    "",
])
def test_not_a_price_question(text):
    assert not asks_price(text)
