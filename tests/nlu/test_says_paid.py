"""A customer saying they already paid, apart from one asking how to (`payment` holds both)."""

from __future__ import annotations

import pytest

from nlu.extract.message_kinds import paid_on_site, says_paid


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


@pytest.mark.parametrize(("text", "how"), [
    ("listo, perdia la union del calefon, la selle. me pago 50 lucas en efectivo", "cash"),
    ("terminé, cambié el flexible, cobré 15 lucas en efectivo", "cash"),
    ("listo, efectivo, me pagó 15 lucas", "cash"),
    ("cobrado en efectivo 15k", "cash"),
    ("me dieron 15 lucas en mano", "cash"),
    ("ya me transfirió los 20 mil", "transfer"),
    ("terminé, me hizo la transferencia", "transfer"),
    ("listo 30 lucas, pagó con mp", "transfer"),
    # an amount told with how it came in
    ("termine lo de sofi. cambie el cuerito, quince mil en efectivo", "cash"),
    ("listo, 15k cash", "cash"),
    # how to charge it is still to be collected; a part owed is the office's
    ("cobrale 15 lucas en efectivo", None),
    ("15 lucas en efectivo, me debe 5", None),
])
def test_a_technician_paid_on_the_spot(text, how):
    assert paid_on_site(text) == how


@pytest.mark.parametrize("text", [
    "cobrale 15 lucas",  # to charge, not charged
    "terminé, cobrale 15 lucas, paga en efectivo cuando vuelva",
    "cobrale 40 lucas, me paga en efectivo",
    "cobrale 30 lucas, el pago por transferencia",
    "me dio 20 de seña en efectivo",  # a part: the office settles the rest
    "me pagó la mitad en efectivo",
    "no me pagó, dice que transfiere mañana",
    "terminé, todavía no me pagó",
])
def test_a_charge_to_make_or_a_part_is_no_payment_in_full(text):
    assert paid_on_site(text) is None
