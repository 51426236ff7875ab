"""Field categories found by the eighth round of first-hour scripts (blind14): "de mañana" as
the morning, when a trouble began as no day or hour asked, a street number put right in the
same burst, a breaker tripped by an appliance, prices said aloud as thousands and hundreds, and
a problem told without the writer's timetable."""

from __future__ import annotations

from datetime import datetime

import pytest

from nlu.extract import extract
from nlu.extract.services import classify_service
from nlu.extract.text import fold_aligned

NOW = datetime.fromisoformat("2026-12-16T10:00:00-03:00")  # a Wednesday


@pytest.mark.parametrize(("text", "day", "window"), [
    # "de mañana" after a verb, a "pero" or a day is the morning
    ("cuando puedan, pero de mañana porque a la tarde trabajo", None, "morning"),
    ("vengan de mañana", None, "morning"),
    ("el viernes de mañana puede ser?", "2026-12-18", "morning"),
    ("mañana de mañana?", "2026-12-17", "morning"),
    # after a noun, or from "a partir de", it is tomorrow
    ("la visita de mañana sigue en pie?", "2026-12-17", None),
    ("lo de mañana a qué hora es?", "2026-12-17", None),
    ("el turno de mañana lo puedo pasar?", "2026-12-17", None),
])
def test_de_manana_is_the_morning_unless_it_is_tomorrows(text, day, window):
    found = extract(text, "customer", NOW)
    assert found.date == day
    assert found.window == window


@pytest.mark.parametrize(("text", "day", "hour"), [
    # when the trouble began is neither the day nor the hour asked for
    ("estamos sin agua desde las 6 de la mañana, necesitamos a alguien hoy", "2026-12-16", None),
    ("no tengo luz desde las 10", None, None),
    ("el calefón no me prende desde el domingo", None, None),
    ("desde el lunes que no tengo agua caliente", None, None),
    # being there from an hour or a day is when to come
    ("estoy en casa desde las 15, no anda la heladera", None, "15:00"),
    ("no anda el portero desde las 9, ¿pueden venir a las 16?", None, "16:00"),
    ("pueden venir desde el viernes?", "2026-12-18", None),
])
def test_when_a_trouble_began_is_no_time_asked(text, day, hour):
    found = extract(text, "customer", NOW)
    assert found.date == day
    assert found.time == hour


@pytest.mark.parametrize(("text", "number"), [
    ("Paraguay 2345 4°B, Recoleta\nperdón le erré, es 2435!! no 2345", "2435"),
    ("Av Corrientes 1500, no perdón 1550", "1550"),
    ("Thames 950, no es 950 es 905", "905"),
    # an hour, a floor or a count after an apology is no street number
    ("Gorriti 3400, perdón, ¿pueden a las 15?", "3400"),
    ("Thames 950, perdón, hace 12 años que vivo acá", "950"),
    ("Thames 950 perdón, 3er piso", "950"),
])
def test_a_street_number_put_right_in_the_burst(text, number):
    found = extract(text, "customer", NOW)
    assert found.address is not None and found.address.number == number
    assert found.amount is None


@pytest.mark.parametrize(("text", "service"), [
    ("me salta el disyuntor cada vez que enchufo el lavarropas", "electricidad"),
    ("se baja la térmica cuando prendo el aire", "electricidad"),
    ("se corta la luz cada vez que prendo la heladera", "electricidad"),
    ("el lavarropas no centrifuga", "electrodomesticos"),
])
def test_a_breaker_tripped_by_an_appliance_is_the_electricians(text, service):
    assert classify_service(fold_aligned(text).lower()) == service


@pytest.mark.parametrize(("text", "amount"), [
    ("cobrale catorce quinientos", 14500),
    ("cobrale dieciocho trescientos", 18300),
    ("le cobré treinta y dos quinientos", 32500),
    ("cobrale 14 quinientos", 14500),
    ("cobrale catorce mil quinientos", 14500),
    ("cobrale veinticinco", 25000),
    ("cobrale treinta y cinco nomás", 35000),
])
def test_a_price_said_aloud(text, amount):
    assert extract(text, "technician", NOW).amount == amount


@pytest.mark.parametrize(("text", "description"), [
    ("se me rompió la descarga del inodoro. Cuando puedan pero de mañana, que a la tarde trabajo",
     "Se me rompió la descarga del inodoro"),
    ("pierde la canilla, mejor de mañana xq a la tarde no estoy", "Pierde la canilla"),
    ("el trabajo que hicieron quedó mal, sigue goteando", "El trabajo que hicieron quedó mal, sigue goteando"),
])
def test_the_problem_without_the_writers_timetable(text, description):
    assert extract(text, "customer", NOW).description == description
