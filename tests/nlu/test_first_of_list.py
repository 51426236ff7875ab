""""El primero que tengas" is the first of the times offered, not the 1st of next month; "el
primero de enero", "para el primero" still are days."""

from __future__ import annotations

from datetime import datetime

import pytest

from nlu.extract import extract

NOW = datetime.fromisoformat("2026-12-16T10:00:00-03:00")


@pytest.mark.parametrize("text", ["ponele el primero que haya libre", "dale, el primero q tengas",
                                  "el primero disponible está bien"])
def test_the_first_one_offered_is_no_day(text):
    assert extract(text, "customer", NOW).date is None


@pytest.mark.parametrize(("text", "day"), [("para el primero a la mañana", "2027-01-01"),
                                           ("el primero de enero no trabajan no?", "2027-01-01")])
def test_the_first_of_the_month_is_a_day(text, day):
    assert extract(text, "customer", NOW).date == day
