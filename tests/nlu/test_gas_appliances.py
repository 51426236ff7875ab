"""Gas water heaters (calefón, termotanque, their typos, a caldera's hot water, the pilot light)
are the gas fitter's job, even when the symptom is a leak; an electric heater is not."""

from __future__ import annotations

from datetime import datetime

import pytest

from nlu.extract import extract

NOW = datetime.fromisoformat("2026-11-24T10:00:00-03:00")


def _service(text: str) -> str | None:
    return extract(text, "customer", NOW).service


@pytest.mark.parametrize(
    "text",
    [
        "se me rompió el calefón",
        "el calefon pierde agua por abajo",
        "pierde agua el calefón del baño, ¿pueden venir el jueves?",
        "el calefont no prende",
        "buenas, el calefón de la cocina hace un ruido raro cuando lo prendo",
        "TERMOTANQUE NO ENCIENDE!!",
        "el termo tanque gotea",
        "termotanq roto, necesito alguien",
        "se rompio el termotanke",
        "el termo no calienta, qué día pueden venir?",
        "el calentador de agua hace ruido",
        "quiero instalar un termotanque nuevo de 80 litros",
        "me pasás presupuesto para cambiar el calefón por un termotanque?",
        # a leak in the heater, even asked of a plumber: the gas fitter comes
        "necesito un plomero, pierde el termotanque",
        "se le apaga la llama al calefon cuando abro la canilla",
        # known by its symptoms
        "se apagó el piloto y no hay agua caliente",
        "la llama piloto se apaga a cada rato",
        "no sale agua caliente de la ducha",
        "no me sale agua caliente desde ayer, vivo en Gorriti 3400",
        "la caldera no tiene piloto, no sale agua caliente",
        # its igniter sparking is how it lights, not an emergency
        "el calefon hace chispa pero no prende",
    ],
)
def test_a_gas_water_heater_is_a_gas_job(text):
    got = extract(text, "customer", NOW)
    assert (got.intent, got.service) == ("new_job", "gas")
    assert got.urgency != "emergency"


@pytest.mark.parametrize(
    "text",
    [
        "el termotanque eléctrico no calienta",
        "el termotanque es electrico y pierde agua",
        "se quemó la resistencia del termotanque",
    ],
)
def test_an_electric_heater_goes_to_the_electrician(text):
    assert _service(text) == "electricidad"


@pytest.mark.parametrize(
    "text,service",
    [
        # the pilot of a space heater, and a caldera that heats the house, are heating jobs
        ("la estufa no prende, el piloto se apaga", "calefaccion"),
        ("la caldera de la calefacción no arranca y los radiadores están fríos", "calefaccion"),
        ("quiero hacer el service de la caldera y purgar los radiadores", "calefaccion"),
        # another trade named plainly still wins when the heater is fine
        ("Se tapó el desagüe de la pileta, el calefón anda bien", "destapaciones"),
        # plain plumbing stays plumbing
        ("pierde agua la canilla del baño", "plomeria"),
    ],
)
def test_heating_and_other_trades_keep_their_own_jobs(text, service):
    assert _service(text) == service


def test_a_gas_smell_at_the_heater_is_an_emergency():
    got = extract("hay olor a gas cerca del calefón", "customer", NOW)
    assert (got.service, got.urgency) == ("gas", "emergency")
