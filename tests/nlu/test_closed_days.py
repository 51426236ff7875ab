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


@pytest.mark.parametrize(("text", "span"), [
    ("del 2 al 15 de enero cerramos por vacaciones", ("2027-01-02", "2027-01-15")),
    ("del 24/12 al 2/1 cerramos", ("2026-12-24", "2027-01-02")),
    ("del 24 al 31 no trabajamos", ("2026-12-24", "2026-12-31")),
    ("desde el 28 hasta el 3 de enero cerrado", ("2026-12-28", "2027-01-03")),
    ("mañana no trabajamos", None),
    ("del 1 al 3 de marzo del año que viene no", ("2027-03-01", "2027-03-03")),
])
def test_a_stretch_of_days(text, span):
    from datetime import date

    from nlu.extract.dates import find_day_span

    found = find_day_span(folded(text), date(2026, 12, 6))
    assert (tuple(d.isoformat() for d in found) if found else None) == span


def test_vacations_close_days():
    assert closes_day(folded("nos vamos de vacaciones del 4 al 20 de enero"))
    assert closes_day(folded("cerramos por vacaciones"))
    assert not closes_day(folded("¿se van de vacaciones?"))
