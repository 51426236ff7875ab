"""A fitting's size in inches ("una llave de 3/4", "caño de 1/2 pulgada") is no date; "el 3/4" is."""

from __future__ import annotations

from datetime import datetime

import pytest

from nlu.extract import extract

NOW = datetime.fromisoformat("2026-12-07T10:00:00-03:00")


@pytest.mark.parametrize(("text", "role", "day"), [
    ("necesito q me compren una valvula esferica de 3/4", "technician", None),
    ("cambié el codo de 1/2 y la llave de paso", "technician", None),
    ("se rompió el caño de 1/2 pulgada del lavadero", "customer", None),
    ("pasé 2 metros de caño x 3/4 nomás", "technician", None),
    # a date still
    ("vuelvo el 3/4 a terminar", "technician", "2027-04-03"),
    ("¿pueden venir el 2/1?", "customer", "2027-01-02"),
])
def test_a_size_is_no_date(text, role, day):
    assert extract(text, role, NOW).date == day
