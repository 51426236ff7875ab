"""Asking which trade: a leak or a smell that says not of what is asked by name (water or gas,
gas or a drain); the answer to the trade question names a trade with any of its evidence ("es de
agua", "de luz"); the gas and its smell said apart are a danger now."""

from __future__ import annotations

from datetime import datetime

import pytest

from nlu.extract import Context, extract, service_choices
from nlu.extract.services import one_visit

NOW = datetime.fromisoformat("2026-11-24T10:00:00-03:00")


@pytest.mark.parametrize(("text", "kind", "services"), [
    ("hola, tengo una pérdida en el baño", "leak", ("plomeria", "gas")),
    ("buenas, hay una perdida en la cocina", "leak", ("plomeria", "gas")),
    ("me parece que hay una fuga en el lavadero", "leak", ("plomeria", "gas")),
    ("hay un olor raro en la cocina", "smell", ("gas", "destapaciones")),
    ("huele feo en el patio desde ayer", "smell", ("gas", "destapaciones")),
])
def test_a_leak_or_a_smell_of_nothing_named_offers_both_by_name(text, kind, services):
    found = service_choices(text)
    assert found is not None and (found.kind, found.services) == (kind, services)


@pytest.mark.parametrize("text", [
    "hay una pérdida de agua en el baño",  # named: no question
    "tengo una pérdida de gas",
    "hay olor a cloaca en el patio",
    "se tapó la pileta",
])
def test_a_trade_named_or_shown_asks_nothing(text):
    assert service_choices(text) is None


def test_weak_evidence_offers_the_likeliest_trade_first():
    found = service_choices("tengo un problema con el agua")
    assert found is not None and found.kind == "likely" and found.services[0] == "plomeria"
    assert service_choices("hola, necesito que vengan a ver algo") is None  # no evidence: the list


@pytest.mark.parametrize(("text", "service"), [
    ("es de agua", "plomeria"),
    ("de agua", "plomeria"),
    ("creo que de gas", "gas"),
    ("a cloaca", "destapaciones"),
    ("es de luz", "electricidad"),
    ("la cerradura", "cerrajeria"),
])
def test_the_answer_to_the_trade_question_names_a_trade(text, service):
    asked = extract(text, "customer", NOW, context=Context(asked="service"))
    assert asked.service == service


def test_without_the_question_a_bare_medium_names_no_trade():
    assert extract("es de agua", "customer", NOW).service is None


@pytest.mark.parametrize("text", [
    "creo que de gas, hay olor",
    "se siente olor, creo que es gas",
    "hay olor, creo que es gas",
    "tengo un calefon a gas y hay mucho olor",
])
def test_the_smell_and_the_gas_said_apart_are_an_emergency(text):
    assert extract(text, "customer", NOW).urgency == "emergency"


@pytest.mark.parametrize("text", [
    "no hay olor, pero el calefon de gas no prende",
    "huele a humedad y el calefon de gas no prende",
    "el olor de la cocina, la cocina es a gas",
])
def test_a_smell_of_something_else_near_the_gas_is_not(text):
    assert extract(text, "customer", NOW).urgency != "emergency"


def test_one_visit_covers_a_clog_and_its_flood_not_another_trade():
    assert one_visit("destapaciones", "plomeria") and one_visit("gas", "calefaccion")
    assert not one_visit("destapaciones", "electricidad") and not one_visit("pintura", "plomeria")
