"""Keyboard mash is no request from anyone: the model, given no word it knows, falls back on
what the writer's role usually asks (an owner's "asdf" read as "who owes me?")."""

from __future__ import annotations

from datetime import datetime

import pytest

from nlu.extract import extract

NOW = datetime.fromisoformat("2026-11-21T10:30:00-03:00")


@pytest.mark.parametrize("role", ["customer", "technician", "owner"])
@pytest.mark.parametrize("text", ["asdf qwerty", "zzzz", "jjjjj", "sdfsdf", "Asdfg", "brrr",
                                  "\u200b\ufeff", "\x00 \n", "   "])
def test_mash_is_other_for_every_role(text, role):
    assert extract(text, role, NOW).intent == "other"


@pytest.mark.parametrize("text, role, intent", [
    ("holaaaa", "customer", "greeting"),
    ("buenasss", "owner", "greeting"),
    ("tmb necesito factura", "customer", "invoice_request"),
    ("se rompió el termotanque", "customer", "new_job"),
    ("transferí recién, te mando el comprobante", "customer", "payment"),
    ("resumen", "owner", "owner_summary"),
])
def test_words_stretched_or_abbreviated_are_still_words(text, role, intent):
    assert extract(text, role, NOW).intent == intent


@pytest.mark.parametrize("text, said", [
    ("gracias!!", "thanks"), ("Mil gracias genio 🙌", "thanks"), ("genial, muchas gracias Carlos!", "thanks"),
    ("Muchas gracias por la atención, saludos", "thanks"), ("dale 👍", "ack"), ("ok", "ack"), ("👍🏼", "ack"),
    # a request, a question or a refusal riding on the thanks is no mere thanks
    ("gracias, cuándo vienen?", None), ("no gracias", None), ("dale, el jueves a las 10", None),
    ("perfecto, nos vemos el jueves", None), ("asdf", None), ("", None),
    # the technician's name typed in lowercase is still a thanks; names alone are no thanks
    ("gracias diego un genio", "thanks"), ("Rosa Blanco", None), ("rosa", None),
    # an answer to a heads-up ("Carlos llega tipo 9:30"): acknowledged, never "no te entendí"
    ("ok gracias, no hay problema", "thanks"), ("está bien, no pasa nada", "ack"),
    ("dale, lo espero", "ack"), ("no hay problema con el calefón?", None), ("no hay agua caliente", None),
])
def test_a_mere_thanks_or_ok_is_told_apart(text, said):
    from nlu.extract.message_kinds import acknowledgement

    assert acknowledgement(text) == said
