"""The sender's phone stored with an inbound message: WhatsApp's `549…` ids take a shortcut
past the phone parser (the webhook's hottest line for a first-time sender); it must give the
same canonical number the parser gives, which staff and customers are matched by."""

import random

import pytest

from bot.inbound_store import _phone_of
from core.errors import ValidationFailed
from core.phones import normalize_phone

# Buenos Aires, La Plata, Córdoba, Rosario, Mendoza, Mar del Plata, Tucumán, Neuquén, Salta, Bariloche
AREAS = ["11", "221", "351", "341", "261", "223", "381", "299", "387", "294", "3543", "2966"]


def _wa_ids(n: int):
    rng = random.Random(20)
    for _ in range(n):
        area = rng.choice(AREAS)
        yield "549" + area + "".join(rng.choice("0123456789") for _ in range(10 - len(area)))


def test_shortcut_matches_the_parser_for_argentine_mobiles():
    compared = 0
    for wa_id in _wa_ids(600):
        _phone_of.cache_clear()
        try:
            expected = normalize_phone(wa_id)
        except ValidationFailed:
            continue  # a number the parser itself refuses (Meta never sends one)
        assert _phone_of(wa_id) == expected, wa_id
        compared += 1
    assert compared > 200


@pytest.mark.parametrize("wa_id, expected", [
    ("5491155550100", "+5491155550100"),
    ("541155550100", "+541155550100"),  # a landline's form: the parser's path
    ("14155550123", "+14155550123"),  # a tourist's US number is not read as Argentine
    ("5511987654321", "+5511987654321"),  # São Paulo
    ("54911555", None),  # too short for anything: no phone rather than a wrong one
    ("", None),
])
def test_other_ids_go_through_the_parser(wa_id, expected):
    _phone_of.cache_clear()
    assert _phone_of(wa_id) == expected
