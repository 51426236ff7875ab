"""A customer charged wrong, or telling how to get in: told apart from a price, a payment or a new job."""

import pytest

from core.es_ar import folded
from nlu.extract.message_kinds import access_note, disputes_charge


@pytest.mark.parametrize("text", [
    "tengo una consulta sobre una factura de ustedes de octubre que me cobraron dos veces",
    "me cobraron dos veces el mismo trabajo",
    "me cobraron de más, la factura dice 50 mil y habíamos quedado en 30",
    "me debitaron dos veces el pago de mercado pago",
    "che me aparece un cobro duplicado en la tarjeta",
    "la factura vino mal, no es ese el monto",
    "el técnico me dijo 20 lucas y me llegó el link por 35, habíamos quedado en 20",
    "pagué 2 veces sin querer",
])
def test_charged_wrong(text):
    assert disputes_charge(folded(text))


@pytest.mark.parametrize("text", [
    "cuánto me cobran por cambiar un flexible?",
    "me cobraron 30 lucas la última vez, sigue igual?",
    "puedo pagar con tarjeta?",
    "el técnico me cobró bien, todo joya",
    "ya pagué, te mando el comprobante",
    "habíamos quedado en el martes a la tarde",
    "me mandás la factura?",
    "se me rompió el termotanque y anda mal",
])
def test_not_charged_wrong(text):
    assert not disputes_charge(folded(text))


# ---- how to get in (message_kinds.access_note) ------------------------------------------------

@pytest.mark.parametrize(("text", "note"), [
    ("me pueden avisar antes de llegar así bajo a abrir? no anda el portero", True),
    ("llamame cuando estés en la puerta que te abro", True),
    ("mandame un whatsapp al salir así estoy", True),
    ("el timbre no anda, bajo a abrir yo", True),
    ("no anda el portero eléctrico, lo pueden arreglar?", False),
    ("avisame cuánto sale", False),
    ("llamame por favor, es urgente", False),
])
def test_how_to_get_in(text, note):
    assert access_note(folded(text)) is note
