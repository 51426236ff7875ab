"""A weekday said alone after a later week was asked is that weekday of the week asked."""

from datetime import date

import pytest

from flows.booking import in_week_asked

MONDAY = date(2026, 12, 7)


@pytest.mark.parametrize(("text", "said", "asked", "meant"), [
    # "la semana que viene" (Monday 14th), then "dale, el martes": Tuesday 15th
    ("dale el martes a la mañana esta perfecto", "2026-12-08", "2026-12-14", "2026-12-15"),
    ("mejor el jueves", "2026-12-10", "2026-12-14", "2026-12-17"),
    # this week said outright, or a day asked within the week: as said
    ("no, este martes", "2026-12-08", "2026-12-14", "2026-12-08"),
    ("mañana mejor", "2026-12-08", "2026-12-14", "2026-12-08"),
    ("el martes", "2026-12-08", "2026-12-10", "2026-12-08"),
    ("el viernes", "2026-12-18", "2026-12-14", "2026-12-18"),
    ("el martes", "2026-12-08", None, "2026-12-08"),
])
def test_a_weekday_after_a_later_week(text, said, asked, meant):
    assert in_week_asked(text, MONDAY, said, asked) == meant
