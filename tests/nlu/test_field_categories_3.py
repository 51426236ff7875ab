"""Field and intent categories a third outside-written set showed missed (none of its sentences
here): hour spans as a window, visits called off in so many words, a day told in the past or
by weekday and date just gone, a total stated after its parts, the "re" intensifier, an owner's
count of the team's jobs, the writer's name before their street, water through the ceiling."""

from __future__ import annotations

from datetime import datetime

import pytest

from nlu.extract import extract
from nlu.extract.message_kinds import cancels_outright
from nlu.extract.text import fold_aligned
from nlu.extract.when import hour_span

NOW = datetime.fromisoformat("2026-12-14T10:00:00-03:00")  # a Monday


@pytest.mark.parametrize(("text", "window"), [
    ("¿pueden venir el viernes entre las 8 y las 11?", "morning"),
    ("me viene bien de 15 a 17 hs", "afternoon"),
    ("cualquier dia entre las 3 y las 5", "afternoon"),
    ("desde las 18 hasta las 20", "evening"),
    ("de 10 a 16", None),  # two windows
    ("el arreglo lleva de 2 a 3 horas", None),  # how long
    ("no estoy de 9 a 12", None),  # when they are away
    ("trabajo de 14 a 18, vengan después", None),
    ("en 3 a 4 meses lo vemos", None),
])
def test_a_span_of_hours_is_the_window_it_falls_in(text, window):
    assert hour_span(fold_aligned(text).lower()) == window


@pytest.mark.parametrize("text", [
    "cancelamos lo del aire, al final nos mudamos",
    "les aviso que cancelo el service del lavarropas, ya lo arreglé yo",
    "tengo que anular la visita del jueves, me quedé sin trabajo",
    "no vengan mañana, queda cancelado",
    "¿puedo cancelar el turno del viernes?",
])
def test_a_visit_called_off_in_so_many_words_is_a_cancel(text):
    assert cancels_outright(fold_aligned(text).lower())
    assert extract(text, "customer", NOW).intent == "cancel"


@pytest.mark.parametrize("text", [
    "mi cuñada canceló con otra empresa y me recomendó ustedes",
    "¿qué pasa si cancelo el mismo día?",
    "estuve a punto de cancelar pero vengan igual",
    "quiero cancelar la deuda, pasame el alias",
    "no cancelen nada, los espero",
])
def test_someone_else_a_maybe_a_debt_or_a_no_is_not(text):
    assert not cancels_outright(fold_aligned(text).lower())


@pytest.mark.parametrize(("role", "text", "day"), [
    ("owner", "¿cómo nos fue el 12? ¿se trabajó?", "2026-12-12"),  # told in the past: the last 12th
    ("owner", "pasame el resumen del viernes 11", "2026-12-11"),  # a weekday and date just gone
    ("customer", "el 20 vengan a la tarde", "2026-12-20"),  # ahead
    ("customer", "¿pueden el martes 15?", "2026-12-15"),
])
def test_a_day_told_in_the_past_or_just_gone_is_that_day(role, text, day):
    assert extract(text, role, NOW).date == day


@pytest.mark.parametrize(("text", "amount"), [
    ("listo, mano de obra 30 mil + materiales 7.500 = 37.500", 37500),
    ("terminado, 25 lucas de mano de obra y 4 de materiales, total 29 mil", 29000),
    ("cobré 12 + 3 = 15 lucas", 15000),
])
def test_a_total_stated_after_its_parts_is_the_amount(text, amount):
    assert extract(text, "technician", NOW).amount == amount


def test_the_intensifier_does_not_hide_the_trade():
    assert extract("se me re tapó la pileta de la cocina", "customer", NOW).service == "destapaciones"


def test_an_owner_counting_the_teams_jobs_asks_for_the_figures():
    assert extract("¿cuántas visitas hicieron los chicos hoy?", "owner", NOW).intent == "owner_summary"
    assert extract("¿los chicos hoy dónde andan?", "owner", NOW).intent == "other"


@pytest.mark.parametrize(("text", "street", "name"), [
    ("Buenas, soy Marcela de Belgrano 830, se me rompió la canilla", "Belgrano", "Marcela"),
    ("Hola, habla Jorge de calle 12 n° 455, Berisso. Necesito un electricista", "Calle 12", "Jorge"),
])
def test_the_writer_then_their_street(text, street, name):
    found = extract(text, "customer", NOW)
    assert found.address is not None and found.address.street == street
    assert found.name == name


def test_water_through_the_ceiling_is_an_emergency():
    assert extract("está entrando agua del techo del living, se moja todo", "customer",
                   NOW).urgency == "emergency"
    assert extract("cuando llueve fuerte a veces gotea el techo", "customer", NOW).urgency != "emergency"


@pytest.mark.parametrize(("text", "name"), [
    ("Quisiera saber a qué hora viene el técnico el jueves. Desde ya muy agradecida. Norma Quiroga", "Norma Quiroga"),
    ("Ya les transferí lo del arreglo, quedó perfecto. Felices fiestas. Hugo", "Hugo"),
    ("Les escribo del edificio de Mitre 400. Soy la administradora, Silvia Paz. Se tapó la cloaca", "Silvia Paz"),
])
def test_a_name_alone_in_the_last_sentence_or_after_a_role_is_the_writer(text, name):
    assert extract(text, "customer", NOW).name == name


@pytest.mark.parametrize("text", [
    "Se tapó la pileta de la cocina. Villa Urquiza",
    "El técnico ya vino. Carlos es un genio",
    "Se rompió la canilla. Gorriti 3400",
])
def test_a_place_or_a_sentence_about_someone_is_no_signature(text):
    assert extract(text, "customer", NOW).name is None
