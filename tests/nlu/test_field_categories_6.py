"""Field categories found by the seventh round of first-hour scripts: an arrival said as the
hour ("llego tipo 17"), and a week asked for without a day ("la semana que viene")."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from nlu.extract import extract
from nlu.extract.text import expand, fold_aligned
from nlu.extract.when import hour_bounds, week_asked

NOW = datetime.fromisoformat("2026-12-16T10:00:00-03:00")  # a Wednesday


@pytest.mark.parametrize(("text", "eta", "at"), [
    # after a verb of arriving, "tipo" and a number an hour can be is the hour
    ("llego tipo 17", None, "17:00"),
    ("voy para lo de Ruiz, llego tipo 5", None, "17:00"),
    ("estoy ahí tipo 11 y media", None, "11:30"),
    # a number no hour can be, or a duration, is minutes
    ("llego tipo 40", 40, None),
    ("llego tipo 20 min", 20, None),
    ("tardo tipo 15", 15, None),
    ("llego en 17", 17, None),
])
def test_an_arrival_said_as_the_hour(text, eta, at):
    found = extract(text, "technician", NOW)
    assert found.intent == "tech_on_the_way"
    assert found.eta_minutes == eta
    if at:
        assert found.time == at


def _week(monday: date, days: int = 6) -> list[date]:
    return [monday + timedelta(days=n) for n in range(days)]


@pytest.mark.parametrize(("text", "days"), [
    ("pueden venir la semana que viene?", _week(date(2026, 12, 21))),
    ("la proxima semana cuando puedan", _week(date(2026, 12, 21))),
    ("cualquier mañana de la semana que viene", _week(date(2026, 12, 21))),
    ("esta semana cuando puedan", _week(date(2026, 12, 16), 4)),
    # a day named is that day, not the week
    ("el martes de la semana que viene", []),
    ("la semana que viene el jueves a la tarde", []),
    ("la semana pasada vino otro plomero", []),
    ("esta semana no puedo, mejor la otra", []),
    ("se me rompió el calefón", []),
])
def test_a_week_asked_without_a_day(text, days):
    assert week_asked(expand(fold_aligned(text)), NOW) == days


@pytest.mark.parametrize(("text", "bounds"), [
    # nobody home before an hour, or at work until it: from that hour on
    ("eso si, yo laburo hasta las 6, antes de las 18 no hay nadie en casa", ("18:00", None)),
    ("antes de las 5 no estoy", ("17:00", None)),
    ("salgo del laburo a las 5", ("17:00", None)),
    # the hours they can: "antes de las 12" is an end
    ("antes de las 12 mejor", (None, "12:00")),
    ("de 2 a 6", ("14:00", "18:00")),
])
def test_the_hours_a_customer_can_from_work_or_absence(text, bounds):
    after, until = hour_bounds(expand(fold_aligned(text)))
    assert (after and after.isoformat(timespec="minutes"), until and until.isoformat(timespec="minutes")) == bounds
