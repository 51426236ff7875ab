"""Two kinds of message the contract has no intent for, read by rule where the model cannot place
them: a customer calling their request off (a false alarm, a problem gone) and an owner saying a
figure the bot gave is wrong. Both change the intent only in the situation they belong to."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from core.es_ar import folded
from nlu.extract import extract_rules
from nlu.extract.message_kinds import (
    disputes_figures,
    moves_to_another_time,
    someone_else_receives,
    withdraws_request,
)
from nlu.intent.model import Context, features

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=ZoneInfo("America/Argentina/Buenos_Aires"))


@pytest.mark.parametrize("text", [
    "falsa alarma, perdón",
    "jaja era una broma de mi hijo, no pasa nada",
    "no era nada, el olor venía de la calle",
    "ya lo destapé yo con soda cáustica, gracias",
    "se arregló solo, volvió la luz",
    "ya no hace falta, lo resolvió el encargado del edificio",
    "no hace falta que venga nadie, ya no pierde más",
    "ya está solucionado",
])
def test_calling_the_request_off(text):
    assert withdraws_request(folded(text))


@pytest.mark.parametrize("text", [
    "sigue perdiendo agua",
    "ya lo arreglé yo, pero ahora gotea la ducha, mándenme a alguien",
    "no hace falta que vengan hoy, mejor el jueves",
    "no era la canilla, era el caño de abajo",
    "ya me llegó la factura",
    "¿hace falta que esté en casa?",
])
def test_still_wanting_someone_is_not(text):
    assert not withdraws_request(folded(text))


def test_a_false_alarm_during_a_booking_is_a_cancel_and_with_no_context_the_model_decides():
    text = "uy perdón, falsa alarma, era la estufa que tenía el piloto apagado, ya no hay olor"
    asked = extract_rules(text, "customer", NOW, context=Context(asked="address"))
    booked = extract_rules(text, "customer", NOW, context=Context(open_job="en_route"))
    assert asked.intent == booked.intent == "cancel"
    # with nothing under way there is nothing to call off: the rule stays out of it
    bare = extract_rules(text, "customer", NOW, context=Context())
    assert bare.intent == extract_rules(text, "customer", NOW).intent


def test_a_day_named_is_a_new_time_not_a_call_off():
    said = extract_rules("ya no hace falta el martes, vengan el jueves a la tarde", "customer", NOW,
                         context=Context(open_job="scheduled"))
    assert said.date == "2026-12-03" and said.intent != "other"


@pytest.mark.parametrize("text", [
    "el resumen de ayer está mal, dice 8 trabajos y fueron 10",
    "ese total está inflado, contaste dos veces lo de Gómez",
    "los números que me pasaste no cierran",
    "en el informe del mes faltan los trabajos del sábado",
    "la facturación que me mandaste está duplicada",
])
def test_an_owner_disputing_a_figure(text):
    assert disputes_figures(folded(text))
    assert extract_rules(text, "owner", NOW).intent == "other"


@pytest.mark.parametrize("text", [
    "resumen de ayer",
    "pasame el resumen de la semana",
    "cuánto facturamos este mes?",
    "quién me debe?",
    "el resumen no me llegó",
    "cuántos trabajos faltan hoy?",
])
def test_asking_for_a_figure_is_not_disputing_it(text):
    assert not disputes_figures(folded(text))


@pytest.mark.parametrize(("text", "role", "marker"), [
    ("no lo muevas, el horario me queda perfecto", "customer", "zzkeeps"),
    ("falsa alarma, era la hornalla", "customer", "zzwithdraws"),
    ("¿a qué hora atienden los sábados?", "customer", "zzhours"),
    ("el resumen de ayer está mal, dice 8 y fueron 10", "owner", "zzfigures"),
    ("¿quién está de guardia hoy?", "owner", "zzteam"),
    ("¿quiénes son los técnicos?", "owner", "zzteam"),
    ("pasame la lista de técnicos con sus teléfonos", "owner", "zzteam"),
])
def test_the_message_kind_rules_are_features_of_the_model_for_their_role_only(text, role, marker):
    # the model learns how far to trust each rule; another role's message never carries it
    assert marker in features(text, role).split()
    other = "technician" if role == "customer" else "customer"
    assert marker not in features(text, other).split()


# ---- one time called off and another named: a move ------------------------------------------
@pytest.mark.parametrize("text", [
    "no hace falta que vengan hoy, mejor el jueves",
    "no vengan hoy, que vengan el jueves",
    "hoy no, pásenlo para el viernes a la mañana",
    "cancelen lo de hoy y vengan mañana a la tarde",
])
def test_calling_one_time_off_for_another_is_a_move(text):
    result = extract_rules(text, "customer", NOW, context=Context(open_job="scheduled"))
    assert result.intent == "reschedule"
    assert result.date or result.window


@pytest.mark.parametrize("text", [
    "cancelá la visita del jueves",
    "no hace falta que vengan mañana",
    "no es necesario que vengan el lunes, ya lo arreglé",
    "no hace falta que venga nadie el jueves",
])
def test_calling_a_time_off_with_nothing_instead_is_no_move(text):
    assert not moves_to_another_time(folded(text))


@pytest.mark.parametrize(("text", "receives"), [
    ("el lunes a la mañana va a estar mi marido, no hay drama no?", True),
    ("los recibe mi hija", True),
    ("le abre el portero, yo estoy trabajando", True),
    ("queda mi suegra en casa", True),
    ("mi marido dice que el calefón pierde", False),  # a relative in it is not enough
    ("mi hijo rompió el inodoro", False),
    ("se rompió el portero eléctrico", False),
])
def test_someone_else_at_home_for_the_visit(text, receives):
    assert someone_else_receives(folded(text)) is receives


@pytest.mark.parametrize(("text", "intent"), [
    ("ese dia va a estar mi hija, no hay problema?", "other"),  # the visit stands
    ("cancelalo, va a estar mi marido y lo arregla él", "cancel"),  # said outright: a cancel
    ("mejor el jueves que va a estar mi marido", "reschedule"),  # a day named: a move
])
def test_someone_else_at_home_is_no_move_unless_one_is_asked(text, intent):
    got = extract_rules(text, "customer", NOW, context=Context(open_job="scheduled"))
    assert got.intent == intent
