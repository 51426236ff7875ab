"""The whole price list moved by a percentage: rounded to $100, never to nothing."""

from decimal import Decimal

import pytest

from flows.owner_prices import moved


@pytest.mark.parametrize(("price", "tenths", "new"), [
    ("35000", 100, "38500"),   # +10%
    ("12345", 75, "13300"),    # +7,5%: 13270.87 → 13300
    ("8000", -50, "7600"),     # -5%
    ("150", -500, "100"),      # -50% of a small price still costs something
])
def test_a_price_moved_by_a_percentage_is_rounded_to_a_hundred(price, tenths, new):
    assert moved(Decimal(price), tenths) == Decimal(new)
