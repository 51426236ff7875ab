"""Trade and urgency by category: what the work is for, a trade asked for by name, appliances,
taps called "llave", people shut in, lost keys, no water at all, one storm's flood, sparks from
an outlet, and names that look like trade words. Each category in several phrasings, with the
neighbouring readings that must not change."""

from __future__ import annotations

from datetime import datetime

import pytest

from nlu.extract import extract

NOW = datetime.fromisoformat("2026-11-21T10:30:00-03:00")


def read(text: str, role: str = "customer"):
    return extract(text, role, NOW)


@pytest.mark.parametrize("text, service", [
    # what the work is for is not the work
    ("necesito pasar un cable nuevo para el aire del dormitorio", "electricidad"),
    ("me ponen un enchufe para el lavarropas?", "electricidad"),
    ("hay que revocar la pared del patio para dejarla lista para pintar", "albanileria"),
    ("antes de pintar quiero arreglar las grietas de la pared del living", "albanileria"),
    # ...but the purpose decides when it is all there is
    ("necesito un técnico para el aire", "aire_acondicionado"),
    ("presupuesto para pintar el living y el comedor", "pintura"),
    # a trade asked for by name
    ("necesito un plomero, no sale agua caliente", "plomeria"),
    ("busco gasista matriculado para el calefón", "gas"),
    ("me mandan un electricista? salta la térmica cuando prendo el aire", "electricidad"),
    # appliances: the oven, its heating element, a washing machine that does not drain
    ("el horno no calienta", "electrodomesticos"),
    ("se quemó la resistencia del horno", "electrodomesticos"),
    ("el lavarropas no desagota, queda con agua", "electrodomesticos"),
    ("el lavavajillas no drena", "electrodomesticos"),
    ("se tapó la pileta de la cocina y el lavarropas no desagota", "destapaciones"),
    # a tap called "llave"
    ("la llave de la ducha no cierra, gotea todo el día", "plomeria"),
    ("se rompió la llave mezcladora del lavatorio", "plomeria"),
    ("perdí la llave de la puerta de entrada", "cerrajeria"),
    # someone inside behind a door that does not open
    ("mi hijo se quedó en el baño y la puerta no se abre", "cerrajeria"),
    ("no puedo abrir la puerta del cuarto, está trabada", "cerrajeria"),
    # damp alone, numbered outlets, waterproofing
    ("tengo humedad", "albanileria"),
    ("quiero 3 tomas nuevos en el living", "electricidad"),
    ("filtra el techo cuando llueve, necesito que lo impermeabilicen", "albanileria"),
    # no water at all
    ("no hay agua en todo el edificio", "plomeria"),
    # a leak at a water fixture, either way round
    ("tengo una pérdida abajo de la pileta de la cocina", "plomeria"),
    ("pierde el inodoro, se escucha correr el agua", "plomeria"),
    ("la bacha del baño gotea por abajo", "plomeria"),
    ("filtra la bañadera y mancha el techo de abajo", "plomeria"),
    # ...a kitchen or a bathroom alone may be the gas's, and a heater's leak stays with it
    ("hay una pérdida en la cocina", None),
    ("el calefón del baño pierde", "gas"),
    ("pierde gas la hornalla de la cocina", "gas"),
])
def test_service_by_category(text, service):
    assert read(text).service == service


@pytest.mark.parametrize("text", [
    "hola soy Ana Paredes, necesito un presupuesto",
    "buenas, habla Jorge Pintos, quería consultar algo",
])
def test_a_name_is_no_trade(text):
    extraction = read(text)
    assert extraction.service is None
    assert extraction.name


def test_a_name_leaves_the_trade_of_the_problem():
    assert read("hola soy Juan Paredes, se me rompió la canilla del baño").service == "plomeria"
    assert read("tengo humedad en las paredes del baño, soy Rosa").service == "albanileria"


@pytest.mark.parametrize("text, urgency", [
    # an outlet's sparks are sparks, wherever the outlet is
    ("el enchufe de la cocina tira chispas cuando enchufo la pava", "emergency"),
    ("salen chispas del toma del living", "emergency"),
    ("la cocina tira chispitas cuando la prendo con el encendido", "normal"),
    # lost keys and standing outside
    ("perdí las llaves y estoy en la vereda con los chicos", "emergency"),
    ("estoy afuera de casa, perdí las llaves", "emergency"),
    ("perdí las llaves del auto, me hacen una copia?", "normal"),
    # someone shut in
    ("mi hijo se quedó en el baño y la puerta no se abre", "emergency"),
    ("la abuela está en la pieza y no puede salir, se trabó la puerta", "emergency"),
    # no water at all, not one tap
    ("no hay agua en todo el edificio desde la mañana", "emergency"),
    ("no sale ni una gota de agua en toda la casa", "emergency"),
    ("no sale agua de la canilla de la cocina", "normal"),
    ("no tengo agua caliente", "normal"),
    # one storm's flood is now; floods whenever it rains are a repair
    ("con la tormenta de anoche se inundó el patio y sigue el agua", "emergency"),
    ("con la lluvia de hoy se inundó el garage", "emergency"),
    ("cuando llueve se inunda el patio", "normal"),
    ("con las lluvias se inunda un poco la entrada", "normal"),
])
def test_urgency_by_category(text, urgency):
    extraction = read(text)
    assert extraction.intent == "new_job"
    assert extraction.urgency == urgency
