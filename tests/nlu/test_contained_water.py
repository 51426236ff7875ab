"""Water already shut off at the valve (nothing said still running, no hurry asked) is a repair,
not an emergency; shutting "la llave" or "la llave general" is not a locksmith's job."""

from __future__ import annotations

from datetime import datetime

import pytest

from nlu.extract import extract

NOW = datetime.fromisoformat("2026-12-16T10:00:00-03:00")  # a Wednesday


@pytest.mark.parametrize(("text", "urgency"), [
    ("se partió el caño del lavadero, ya corté el agua, ¿qué día pueden pasar?", "normal"),
    ("se me reventó un flexible pero cerramos la llave de paso, el viernes les queda bien?", "normal"),
    # still running, or wanted at once: it stays what the water made it
    ("se partió el caño, cerré la llave pero sigue saliendo agua", "emergency"),
    ("se rompió un caño y sale agua a chorros, ya cerré la llave, vengan ya por favor", "emergency"),
    ("se reventó la manguera y se inunda todo el lavadero", "emergency"),
])
def test_water_shut_off(text, urgency):
    assert extract(text, "customer", NOW).urgency == urgency


@pytest.mark.parametrize(("text", "service"), [
    ("pierde el codo de abajo de la bacha, cerré la llave y quedó ahí", "plomeria"),
    ("perdí las llaves del depto y no puedo entrar", "cerrajeria"),
    ("se trabó la llave en la cerradura de la entrada", "cerrajeria"),
])
def test_a_shut_valve_is_no_locksmith(text, service):
    assert extract(text, "customer", NOW).service == service


def test_the_main_switch_is_no_locksmith():
    assert extract("bajé la llave general y sigo sin luz en el baño", "customer", NOW).service != "cerrajeria"


@pytest.mark.parametrize(("text", "urgency"), [
    # a mess someone left behind is a complaint, not a flood now (before: an emergency, the
    # owner alerted and the customer told to shut the water)
    ("el chico destapó sí, pero me dejó el piso de la cocina lleno de agua y barro", "normal"),
    ("los de la otra empresa nos dejaron el baño todo inundado y se fueron", "normal"),
    # still running after it was left: still an emergency
    ("el plomero me dejó todo mojado y no para de salir agua del flexible", "emergency"),
    ("me dejaron el lavadero inundado y sigue saliendo agua del caño", "emergency"),
])
def test_water_left_behind(text, urgency):
    assert extract(text, "customer", NOW).urgency == urgency
