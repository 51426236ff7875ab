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
    ("y el jueves tampoco abrimos", True, False),  # before: read as opening it
    ("el viernes tampoco trabajamos", True, False),
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


@pytest.mark.parametrize(("text", "opens", "closes"), [
    ("mañana cerramos a las 13", None, "13:00"),
    ("hoy cierro temprano, a las 16", None, "16:00"),
    ("el viernes trabajamos hasta el mediodía", None, "12:00"),
    ("el sábado abrimos recién a las 10", "10:00", None),
    ("mañana arrancamos a las 11", "11:00", None),
    ("el 24 trabajamos de 8 a 12", "08:00", "12:00"),
    ("el lunes abrimos a las 9 y cerramos a las 15", "09:00", "15:00"),
    ("cerramos el local mañana a las 5", None, "17:00"),
    ("mañana atendemos solo a la mañana", None, "13:00"),
    ("el sábado abrimos solo por la tarde", "13:00", None),
])
def test_one_days_hours_said(text, opens, closes):
    from nlu.extract.message_kinds import day_hours_said

    said = day_hours_said(folded(text))
    assert said is not None
    assert tuple(t.strftime("%H:%M") if t else None for t in said) == (opens, closes)
    assert not closes_day(folded(text)) and not opens_day(folded(text))


@pytest.mark.parametrize("text", [
    "cerramos la caja a las 8",
    "mañana Carlos trabaja hasta las 13",
    "mañana no trabajamos",
    "el lunes vamos a lo de Marta a las 10",
    "mañana arrancamos a las 7 con la obra de Quilmes",
    "el sábado abrimos a las 9 lo de la calle Thames",
])
def test_no_days_hours_said(text):
    from nlu.extract.message_kinds import day_hours_said

    assert day_hours_said(folded(text)) is None
