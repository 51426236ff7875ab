"""Words newcomers used in conversation scripts written outside the project (categories, with
other sentences): thanks and yeses in more words, a wrong number said, a charge in bare
thousands, next week without a day, the part of the day in a reason, a word for the technician
about the bell, a valve just shut."""

from __future__ import annotations

from datetime import datetime

import pytest

from core.es_ar import folded
from nlu.extract import extract
from nlu.extract.message_kinds import access_note, acknowledgement, already_shut_off, wrong_number

NOW = datetime.fromisoformat("2026-12-09T10:00:00-03:00")  # a Wednesday


@pytest.mark.parametrize(("text", "kind"), [
    ("ooook muchas graciaaas 🙏", "thanks"),
    ("gracias señora, Dios la bendiga", "thanks"),
    ("sii perfecto, buenas tardes!", "ack"),
    ("dale, ese me sirve", None),  # "sirve" says more than a yes
    ("jajaja bueno dale", "ack"),
    ("perdón la molestia, gracias", "thanks"),
])
def test_thanks_and_yeses_in_more_words(text, kind):
    assert acknowledgement(text) == kind


@pytest.mark.parametrize(("text", "wrong"), [
    ("uy perdón, me equivoqué de número", True),
    ("disculpe, número equivocado", True),
    ("jaja no era para ustedes, sorry", True),
    ("¿me pasaron bien el número del plomero?", False),
    ("el número de la factura está equivocado", False),
])
def test_a_wrong_number_said(text, wrong):
    assert wrong_number(folded(text)) is wrong


@pytest.mark.parametrize(("text", "amount"), [
    ("listo, cobrale 35", 35000),
    ("le cobré 18 nomás", 18000),
    ("cobrale 40 lucas", 40000),
    ("cobrale 15%", None),
    ("cobrale 2 horas", None),
])
def test_a_charge_in_bare_thousands(text, amount):
    assert extract(text, "technician", NOW).amount == amount


def test_next_week_without_a_day_is_its_monday_for_a_customer():
    assert extract("no es urgente, puede ser la próxima semana", "customer", NOW).date == "2026-12-14"
    assert extract("la semana que viene el jueves", "customer", NOW).date == "2026-12-17"


@pytest.mark.parametrize(("text", "window"), [
    ("el viernes a la tarde porque a la mañana estoy en el laburo", "afternoon"),
    ("mañana temprano si puede ser, ya que a la tarde no hay nadie", "morning"),
    ("que vengan a la tarde", "afternoon"),
])
def test_the_part_of_the_day_in_a_reason_is_not_the_one_asked(text, window):
    assert extract(text, "customer", NOW).window == window


@pytest.mark.parametrize("text", [
    "que toque el portero del 3B, bajo yo a abrirle",
    "toquen timbre 2, salgo yo a abrirles",
])
def test_a_word_about_the_bell_is_an_access_note(text):
    assert access_note(folded(text))


def test_a_valve_just_shut_is_said_so():
    assert already_shut_off(folded("la encontré, ya corté")) == {"valve"}
    assert already_shut_off(folded("ya corté la luz del tablero")) == {"power"}
    assert not already_shut_off(folded("no encuentro la llave de paso"))
