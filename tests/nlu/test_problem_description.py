"""A customer's new job is described by the problem, in the customer's own words: no greetings,
sign-offs, fillers, name, address, or day and time asked for."""

from __future__ import annotations

import string
from datetime import datetime

import pytest

from nlu.extract import extract

NOW = datetime.fromisoformat("2026-11-24T10:00:00-03:00")


def _description(text: str) -> str | None:
    got = extract(text, "customer", NOW)
    assert got.intent == "new_job", got
    return got.description


@pytest.mark.parametrize(
    "text,problem",
    [
        (
            (
                "hola buenas tardes, cómo andan? pierde agua el calefón del baño. ¿pueden venir el jueves "
                "a la tarde? estoy en Gorriti 3400. gracias!"
            ),
            "Pierde agua el calefón del baño",
        ),
        (
            "hola buenas tardes soy Marta y se me rompio el calefon, pueden venir el jueves?",
            "Se me rompio el calefon",
        ),
        (
            (
                "buenas, soy Marta Gómez. Necesito un electricista xq no tengo luz en la cocina, el resto "
                "de la casa anda bien\npodrian venir mñn a la tarde?"
            ),
            "Necesito un electricista xq no tengo luz en la cocina, el resto de la casa anda bien",
        ),
        # a voice note: fillers, no punctuation to speak of
        (
            (
                "eh, hola, este, se me rompió el termotanque y no tengo agua caliente, eh, vivo en Gorriti "
                "3400, si pueden venir mañana a la mañana mejor, gracias"
            ),
            "Se me rompió el termotanque y no tengo agua caliente",
        ),
        (
            (
                "hola buenas tardes mi nombre es Marta se me rompio el calefon y pierde agua estoy en "
                "Gorriti 3400 pueden venir el jueves a la tarde gracias"
            ),
            "Se me rompio el calefon y pierde agua",
        ),
        (
            "bueno nada, que la canilla de la cocina gotea todo el tiempo, espero respuesta",
            "La canilla de la cocina gotea todo el tiempo",
        ),
        # a burst of several messages: the problem lines stay
        (
            "hola\nse tapó el inodoro\nestoy en Thames 1200\npueden venir hoy?\ngracias",
            "Se tapó el inodoro",
        ),
        (
            (
                "buenas tardes, me llamo Julián Ferreyra\nse me rompió el calefón y no tengo agua "
                "caliente\nvivo en Av. San Martín 2150 2°A, Villa Devoto\npueden venir el viernes a la "
                "mañana?"
            ),
            "Se me rompió el calefón y no tengo agua caliente",
        ),
        (
            (
                "hola\nel lavarropas no centrifuga\ny pierde agua por abajo\nes un Drean\nel martes puede "
                "ser?"
            ),
            "El lavarropas no centrifuga. Pierde agua por abajo. Es un Drean",
        ),
        (
            (
                "Hola buenas noches. Les escribo porque tengo una mancha de humedad en el techo del "
                "dormitorio que cada vez es más grande. Quería saber si pueden venir a ver. Desde ya "
                "muchas gracias. Saludos cordiales, Laura Fernández"
            ),
            "Tengo una mancha de humedad en el techo del dormitorio que cada vez es más grande",
        ),
        (
            (
                "hola que tal todo bien? mira te cuento que el aire no enfría y hace un ruido raro, vivo en "
                "Av. Santa Fe 2100 4B Palermo, cuando podés pasar? abrazo"
            ),
            "El aire no enfría y hace un ruido raro",
        ),
        (
            "che, el enchufe del living hace chispas cuando enchufo la plancha 😬 saludos, Carlos",
            "El enchufe del living hace chispas cuando enchufo la plancha",
        ),
        (
            "holaaa buenassss 😊😊 se me tapo la cloaca del patio 🙏🙏 me das un turno para el finde??",
            "Se me tapo la cloaca del patio",
        ),
        (
            "Hola! Se rompió el flexible de la cocina. Es urgente. Dirección: Thames 1500, Palermo",
            "Se rompió el flexible de la cocina",
        ),
        (
            "HOLA!! hay olor a gas en toda la casa 😰😰 q hago??\nestoy en Gorriti al 3400",
            "Hay olor a gas en toda la casa",
        ),
        (
            "socorro se tapo el inodoro y rebalsa, se esta llenando el baño de agua 🤢🤢 Lavalle 1520 4° D",
            "Se tapo el inodoro y rebalsa, se esta llenando el baño de agua",
        ),
        # the day asked for, first
        (
            "hola, para el 5 de enero podrian venir a destapar la cloaca? en el patio rebalsa la camara",
            "Destapar la cloaca. En el patio rebalsa la camara",
        ),
        (
            (
                "Buen día! Soy el encargado del edificio de Av. Corrientes 1234. Tenemos una pérdida de "
                "agua en la sala de máquinas que moja el pasillo. Gracias"
            ),
            "Tenemos una pérdida de agua en la sala de máquinas que moja el pasillo",
        ),
        (
            (
                "Buenas noches, el radiador de la calefaccion del living gotea. no es urgente, cuando "
                "puedan. Av. Pueyrredón 1560 7° C"
            ),
            "El radiador de la calefaccion del living gotea",
        ),
        (
            (
                "hola, les cuento que la puerta de entrada no cierra, se traba la cerradura y hay que hacer "
                "fuerza, el lunes o martes a la tarde les queda bien? gracias, saludos"
            ),
            "La puerta de entrada no cierra, se traba la cerradura y hay que hacer fuerza",
        ),
        (
            (
                "buenas, hay q hacer una carpeta y poner ceramicos en el patio, unos 20 m2. estoy en "
                "Quilmes, Mitre 560"
            ),
            "Hay q hacer una carpeta y poner ceramicos en el patio, unos 20 m2",
        ),
        (
            "HOLA BUENAS TARDES. EL TERMOTANQUE NO PRENDE. ¿PUEDEN VENIR HOY?",
            "EL TERMOTANQUE NO PRENDE",
        ),
        (
            "hola! queria instalar un split de 3000 frigorias en el dormitorio. tienen turno para el 3/12?",
            "Queria instalar un split de 3000 frigorias en el dormitorio",
        ),
        # an apology for not greeting, the hour or writing late says nothing about the problem
        ("hola! perdón que no saludé, pierde la canilla del lavadero", "Pierde la canilla del lavadero"),
        ("disculpen q no me presente, no anda el disyuntor de la cocina", "No anda el disyuntor de la cocina"),
        ("perdon x escribir tan tarde, se corto la luz en el living", "Se corto la luz en el living"),
        ("no saludé a nadie todavía pero gotea el techo del baño",
         "No saludé a nadie todavía pero gotea el techo del baño"),
    ],
)
def test_the_description_is_the_problem_in_the_customers_words(text, problem):
    assert _description(text) == problem


@pytest.mark.parametrize(
    "text",
    [
        "hola, soy Marta, pueden venir el jueves? Gorriti 3400",
        "buen día, cómo andan? necesito un turno para mañana a la tarde. saludos",
    ],
)
def test_no_description_when_nothing_about_the_problem_remains(text):
    got = extract(text, "customer", NOW)
    assert got.description is None


def test_a_long_problem_is_cut_short_at_a_clause():
    text = (
        "hola, se rompió el caño de la cocina, pierde agua abajo de la mesada, se mojó el mueble, "
        "la pared del lavadero tiene humedad, el termotanque hace un ruido raro cuando se prende, la "
        "canilla del baño gotea, el inodoro pierde y la ducha sale con poca presión desde hace una "
        "semana. pueden venir el jueves?"
    )
    got = _description(text)
    assert got.startswith("Se rompió el caño de la cocina, pierde agua")
    assert 100 <= len(got) <= 200
    assert got[-1] not in string.punctuation and not got.endswith((" y", " de", " la"))


def test_other_intents_keep_the_whole_update():
    got = extract(
        "no lo puedo terminar hoy, falta un repuesto, vuelvo el jueves", "technician", NOW
    )
    assert got.description == "no lo puedo terminar hoy, falta un repuesto, vuelvo el jueves"


@pytest.mark.parametrize(("text", "problem"), [
    ("Hola buenas tardes! Queria consultar por un electricista, se me corta la luz cuando prendo el aire",
     "Se me corta la luz cuando prendo el aire"),
    ("Hola! Quería consultar por un plomero, pierde la canilla", "Pierde la canilla"),
    ("buenas, necesito un gasista matriculado. tengo olor a gas en la cocina",
     "Tengo olor a gas en la cocina"),
])
def test_the_tradesperson_sought_is_not_the_problem(text, problem):
    # the trade is the job's service; the technician reads what happened
    assert _description(text) == problem


@pytest.mark.parametrize("text", [
    "pierde la canilla del baño. es a nombre de Julia Ferreyra",
    "a nombre de Julia Ferreyra, pierde la canilla del baño",
    "pierde la canilla del baño, ponelo a nombre de mi marido Juan",
])
def test_who_the_visit_is_for_is_no_part_of_the_problem(text):
    assert _description(text) == "Pierde la canilla del baño"
