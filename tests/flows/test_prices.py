"""Which messages ask for a price (`flows.prices.asks_price`); the answers themselves are walked
in the booking stories (tests/stories/booking.yaml) with a price book."""

from __future__ import annotations

import pytest

from flows.prices import asks_price, without_question


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
    # whether the quote or the visit costs anything at all
    "Hola, hacen presupuestos sin cargo?", "el presupuesto es gratis?", "cobran la visita?",
    "la visita tiene costo?", "cobran por ir a ver?", "la visita del presupuesto se cobra? o es gratis",
    "la visita de diagnostico es gratis?",
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
    "vienen a hacer la visita mañana?", "el presupuesto me lo mandan por acá?",
    "",
])
def test_not_a_price_question(text):
    assert not asks_price(text)


@pytest.mark.parametrize("text, description", [
    ("Cuánto sale cambiar un flexible", "Cambiar un flexible"),
    ("hola, cuánto cobran por destapar una pileta?", "Destapar una pileta"),
    ("buenas noches cuánto sale destapar una pileta", "Destapar una pileta"),
    ("tengo una duda, cuánto sale cambiar un flexible", "Cambiar un flexible"),
    # the problem first, then the question: the problem
    ("se me rompió el calefón, cuánto sale el arreglo?", "Se me rompió el calefón"),
    ("Tengo una pérdida en el baño. ¿Cuánto cobran la visita?", "Tengo una pérdida en el baño"),
    ("Hola buenas tardes! Se me quemó la térmica, ¿cuánto cobran?", "Se me quemó la térmica"),
    # a question inside the sentence is part of what was asked: nothing is cut out of the middle
    ("Se me tapó el inodoro y además quería que me pasen presupuesto para pintar el living",
     "Se me tapó el inodoro y además quería que me pasen presupuesto para pintar el living"),
    ("Necesito un presupuesto para pintar", "Necesito un presupuesto para pintar"),
])
def test_the_description_without_the_price_question(text, description):
    assert without_question(text) == description
