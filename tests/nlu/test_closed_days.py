"""An owner closing a day in words, or opening it again (`message_kinds.closes_day`, `opens_day`)."""

from __future__ import annotations

import pytest

from core.es_ar import folded
from nlu.extract.message_kinds import closes_day, opens_day


@pytest.mark.parametrize(("text", "closes", "opens"), [
    ("mañana no trabajamos, es feriado", True, False),
    ("el lunes no abrimos", True, False),
    ("el 8 cerramos", True, False),
    ("mañana cerramos por inventario", True, False),
    ("el lunes es feriado", True, False),
    ("nos tomamos el viernes", True, False),
    ("mañana no se trabaja", True, False),
    ("che mañana no hay atención", True, False),
    ("al final el lunes sí trabajamos", False, True),
    ("mañana abrimos normal", False, True),
    ("el lunes es feriado pero trabajamos igual", False, True),
    # not a whole day closed, or not a statement
    ("¿mañana trabajamos?", False, False),
    ("mañana cerramos a las 13", False, False),
    ("el jueves abrimos a las 10", False, False),
    ("cerramos la caja", False, False),
    ("ya cerramos el trabajo de marta", False, False),
    ("mañana carlos no trabaja", False, False),       # one of the team, not the business
    ("carlos sí trabaja el lunes", False, False),
])
def test_an_owner_closing_or_opening_a_day(text, closes, opens):
    assert (closes_day(folded(text)), opens_day(folded(text))) == (closes, opens)
