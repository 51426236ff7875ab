"""A customer saying they already paid, apart from one asking how to (`payment` holds both)."""

from __future__ import annotations

import pytest

from nlu.extract.message_kinds import says_paid


@pytest.mark.parametrize("text", [
    "listo ya te transferi los 22 mil",
    "le pagué al técnico $12.500 en efectivo, quería avisar",
    "ya está pagado",
    "te mandé la plata por mercado pago",
    "hice la transferencia recién",
    "ya abone",
    "transferencia hecha 👍",
    "ya les pague, les mando el comprobante",
    "pagué con mp hace un rato",
    "listo el pago",
    "Ya transferí, ¿me confirman?",
    "deposité ayer en la cuenta",
    "ahí va el comprobante",
    "YA TRANSFERI",
])
def test_saying_it_was_paid(text):
    assert says_paid(text)


@pytest.mark.parametrize("text", [
    "cómo les pago?",
    "todavía no pagué, pasame el alias",
    "no pude transferir, me da error",
    "a qué alias transfiero?",
    "me pasás el link de pago?",
    "cuánto es?",
    "no me deja pagar con mp",
    "ya les pagué?",  # unsure, asking: no word that they did
    "quería saber si ya les pagué",
    "pago en efectivo cuando venga",
    "prefiero pagar con transferencia",
])
def test_asking_how_or_whether_is_no_payment_made(text):
    assert not says_paid(text)
