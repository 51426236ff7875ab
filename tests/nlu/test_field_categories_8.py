"""Field categories found by the ninth and tenth rounds of first-hour scripts (blind15, blind16):
a cut of the whole area, a shock from a fixture, water from the flat above, hours ruled out or
given as a reason, who may let the technician in, a street sent alone after a few words, and the
apologies a problem is told after."""

from __future__ import annotations

from datetime import datetime, time

import pytest

from core.es_ar import folded
from nlu.extract import extract
from nlu.extract.address import street_alone
from nlu.extract.message_kinds import general_outage, someone_else_opens, withdraws_request
from nlu.extract.services import classify_service
from nlu.extract.when import hour_bounds

NOW = datetime.fromisoformat("2026-12-16T10:00:00-03:00")  # a Wednesday


@pytest.mark.parametrize(("text", "outage"), [
    ("ah no, los de al lado tampoco tienen luz, es un corte de la zona", True),
    ("parece que es todo el barrio", True),
    ("sí, es Edesur, ya lo pusieron en el grupo", True),
    ("corte programado de AySA, perdón", True),
    ("se me cortó la luz en toda la casa", False),
    ("no anda nada en todo el edificio, necesito un electricista", False),
])
def test_a_cut_of_the_whole_area_is_the_utilitys(text, outage):
    assert general_outage(folded(text)) is outage
    assert withdraws_request(folded(text)) is outage


@pytest.mark.parametrize(("text", "service"), [
    ("me da corriente la canilla de la ducha", "electricidad"),
    ("el lavarropas me da patadas cuando lo toco", "electricidad"),
    ("la heladera patea", "electricidad"),
    ("le di una patada a la puerta y se rompió la cerradura", "cerrajeria"),
    ("mancha de humedad en el techo, gotea, viene del depto de arriba", "plomeria"),
    ("cuando llueve gotea el techo, hay que poner membrana", "albanileria"),
])
def test_what_the_trouble_belongs_to(text, service):
    assert classify_service(folded(text)) == service


@pytest.mark.parametrize(("text", "bounds"), [
    ("después de las 18 hs no nos sirve porque abrimos", (None, time(18))),
    ("antes de las 10 no puedo", (time(10), None)),
    ("antes de las 19 que abrimos", (None, time(19))),
    ("después de las 5", (time(17), None)),
])
def test_hours_ruled_out_bound_the_other_side(text, bounds):
    assert hour_bounds(folded(text)) == bounds


@pytest.mark.parametrize(("text", "window", "hour"), [
    ("preferentemente por la mañana, ya que atendemos pacientes desde las 14 hs", "morning", None),
    ("mejor a la mañana porque desde las 14 estoy trabajando", "morning", None),
    ("vengan a las 10 porque a las 12 me voy", None, "10:00"),
])
def test_an_hour_given_as_a_reason_is_not_the_one_asked(text, window, hour):
    found = extract(text, "customer", NOW)
    assert (found.window, found.time) == (window, hour)


@pytest.mark.parametrize(("text", "opens"), [
    ("hay q estar yo o puede abrir el encargado del edificio?", True),
    ("tengo que estar yo?", True),
    ("¿es necesario que esté alguien del local presente?", True),
    ("si no estoy le abre la vecina", True),
    ("tengo que estar a las 5 en el trabajo", False),
    ("puede venir el jueves?", False),
])
def test_who_may_let_the_technician_in(text, opens):
    assert someone_else_opens(folded(text)) is opens


@pytest.mark.parametrize(("text", "street"), [
    ("estoy en Av. Boedo", "Av. Boedo"),
    ("vivo en la calle Thames", "Thames"),
    ("estoy en Palermo", None),
    ("estoy en casa", None),
])
def test_a_street_sent_alone_after_a_few_words(text, street):
    assert street_alone(text) == street


@pytest.mark.parametrize(("text", "description"), [
    ("perdon q insista es q tengo una perdida abajo de la bacha", "Tengo una perdida abajo de la bacha"),
    ("disculpen la molestia, se me tapó el inodoro", "Se me tapó el inodoro"),
    ("hola perdón que moleste, es que no me anda el termotanque", "No me anda el termotanque"),
])
def test_the_problem_without_the_apology_before_it(text, description):
    assert extract(text, "customer", NOW).description == description


@pytest.mark.parametrize("text", [
    "Solicitamos una visita técnica a la brevedad, preferentemente por la mañana",
    "necesito que vengan a la mayor brevedad por la caldera",
    "lo más pronto posible por favor, no tengo agua caliente",
])
def test_asap_in_formal_words_is_high(text):
    assert extract(text, "customer", NOW).urgency == "high"
