"""A courtesy that closes a message carries no intent: "…, gracias" asks what the words before
it ask (a burst's trailing "gracias" once turned "se me rompió el termotanque, estoy en Palermo"
into chit-chat)."""

from __future__ import annotations

import pytest

from nlu.intent.model import default_model, without_closer


@pytest.mark.parametrize(("text", "kept"), [
    ("se me rompio el termotanque, estoy en palermo. gracias", "se me rompio el termotanque, estoy en palermo"),
    ("cuando viene el tecnico? muchas gracias!!", "cuando viene el tecnico"),
    ("pierde la canilla del baño. saludos y gracias 🙏", "pierde la canilla del baño"),
    ("ok gracias", "ok gracias"),  # nothing else to read: kept whole
    ("ya esta, gracias", "ya esta, gracias"),
    ("no me dieron las gracias", "no me dieron las gracias"),  # not a closer
])
def test_a_closing_courtesy_is_cut_before_the_model_reads(text, kept):
    assert without_closer(text) == kept


@pytest.mark.parametrize(("text", "role"), [
    ("se me rompió el termotanque, estoy en Palermo. gracias", "customer"),
    ("hola\nse cortó la luz en toda la casa\nestoy en Caballito\nmuchas gracias", "customer"),
    ("¿a qué hora viene el técnico mañana? saludos", "customer"),
    ("ya les transferí la visita, gracias!!", "customer"),
    ("terminé en lo de García, cobrale 15 lucas. gracias", "technician"),
])
def test_a_message_with_a_closer_means_what_it_means_without(text, role):
    model = default_model()
    plain = model.guess(text.rsplit("gracias", 1)[0].rsplit("saludos", 1)[0].rstrip(" .,!\n"), role)
    assert model.guess(text, role).intent == plain.intent != "other"
