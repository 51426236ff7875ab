"""An owner asking the bot to change the business's setup gets the back office's page for it."""

import pytest

from core.es_ar import folded
from nlu.extract.message_kinds import setup_change


@pytest.mark.parametrize(("text", "page"), [
    ("agregá a pedro como técnico, su cel es 11 5555 1234", "team"),
    ("sumá un ayudante nuevo", "team"),
    ("cargame a la nueva secretaria como usuaria", "team"),
    ("sacá a diego del equipo", "team"),
    ("dá de baja a Diego", "team"),
    ("dale de alta a pedro, arranca el lunes", "team"),
    ("diego ya no trabaja más con nosotros", "team"),
    ("cambiá los precios de destapación", "price-book"),
    ("subí la visita a 40 lucas", "price-book"),
    ("actualizá la lista de precios", "price-book"),
    ("cambiá el horario del sábado", "settings"),
    ("poné el alias nuevo: plomeria.gomez", "settings"),
    ("como hago para que me lleguen los pagos de mercado pago?", "settings"),
    ("quiero conectar mercado pago", "settings"),
    ("cómo configuro la factura electrónica?", "settings"),
    ("dónde cargo el certificado de la AFIP?", "settings"),
    ("y para cambiar el horario de atención?", "settings"),
])
def test_setup_changes(text, page):
    assert setup_change(folded(text)) == page


@pytest.mark.parametrize("text", [
    "cuánto facturamos?", "quién me debe?", "agregale 5 lucas a la factura de marta",
    "sacá el trabajo de graciela", "la visita a las 5", "¿cómo vienen los técnicos hoy?",
    "pasale lo de graciela a diego", "dale de baja a la visita de marta",
    "dá de baja lo de graciela", "diego ya no está en lo de marta",
    "cuánto entró por mercado pago este mes?", "marta pagó por mercado pago?",
    "cuántas facturas hicimos en la afip este mes?",
])
def test_no_setup_change(text):
    assert setup_change(folded(text)) is None


@pytest.mark.parametrize("text", [
    "como hago para que me lleguen los pagos de mercado pago?",
    "quiero conectar mercado pago para cobrar",
    "subí la visita a 40 lucas",
])
def test_a_setup_question_is_no_figure(text):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from nlu.extract import extract_rules

    now = datetime(2026, 12, 2, 10, 0, tzinfo=ZoneInfo("America/Argentina/Buenos_Aires"))
    assert extract_rules(text, "owner", now).intent == "other"
