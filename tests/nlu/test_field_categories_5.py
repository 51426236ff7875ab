"""Field categories a fifth outside-written set showed missed (none of its sentences here):
danger said in a diminutive or the present ("chispitas", "me da patada"), a room soaked now or
a fixture overflowing, a storm's damage lasting "desde anoche" (no weather-bound trouble), a
measure that is no amount ("1000 litros"), "saliendo, 15 min", a part of the day replaced or
away ("en vez de a la mañana", "a la mañana estoy en el laburo"), a day the writer is away, a
day told in the past being today, "si pueden…" opening a clause, "¿no pueden…?" asking, "por lo
de mañana" as the visit spoken of, a street number with a thousands point before a comma, a
signature with the signer's role after it; and yes or no answers said with courtesy."""

from __future__ import annotations

from datetime import datetime

import pytest

from core.es_ar import yes_or_no
from nlu.extract import extract
from nlu.extract.message_kinds import puts_off
from nlu.extract.text import expand, fold_aligned
from nlu.extract.when import hour_bounds, rules_out, set_aside

NOW = datetime.fromisoformat("2026-12-16T10:00:00-03:00")  # a Wednesday


@pytest.mark.parametrize(("text", "urgency"), [
    ("el enchufe del living tira chispitas cuando lo toco", "emergency"),
    ("la canilla de la ducha te da patada si la tocás descalzo", "emergency"),
    ("se tapó la pileta y está toda la cocina inundada", "emergency"),
    ("el bidet desborda y no para", "emergency"),
    ("con la tormenta se mojó el medidor, no tenemos luz en toda la casa desde esta mañana", "emergency"),
    # weather-bound, and a damp wall: no danger now
    ("con la lluvia a veces salta la térmica, quiero que la revisen", "normal"),
    ("la pared del dormitorio está mojada por una humedad vieja", "normal"),
])
def test_danger_now(text, urgency):
    assert extract(text, "customer", NOW).urgency == urgency


@pytest.mark.parametrize(("text", "amount"), [
    ("se rompió el termotanque de 80 litros, cuánto sale cambiarlo?", None),
    ("quiero instalar un aire de 3000 watts", None),
    ("el presupuesto fue de 45 mil", 45000),
])
def test_a_measure_is_no_amount(text, amount):
    assert extract(text, "customer", NOW).amount == amount


@pytest.mark.parametrize(("text", "eta"), [
    ("saliendo, 20 min", 20),
    ("saliendo para lo de Ruiz, en 10", 10),
])
def test_on_the_way_said_saliendo(text, eta):
    assert extract(text, "technician", NOW).eta_minutes == eta


@pytest.mark.parametrize(("text", "day", "window"), [
    # a part of the day replaced, or the one the writer is away
    ("en lugar de a la tarde, puede ser a la mañana?", None, "morning"),
    ("mejor a la tarde, a la mañana trabajo", None, "afternoon"),
    # a day the writer is away, after the one asked for
    ("el lunes mejor, el viernes entro temprano al trabajo", "2026-12-21", None),
    # today told in the past is no day asked for
    ("hoy vino el plomero pero no terminó, puede volver el viernes?", "2026-12-18", None),
    # "si pueden" opens a clause: the "no sé" before it rules nothing out
    ("no sé bien qué tiene, si pueden venir el jueves lo ven", "2026-12-17", None),
    # "¿no pueden…?" asks for the day
    ("y el viernes no pueden?", "2026-12-18", None),
])
def test_the_day_and_part_asked_for(text, day, window):
    found = extract(text, "customer", NOW)
    assert (str(found.date) if found.date else None, found.window) == (day, window)


def test_the_visit_spoken_of_is_the_day_to_leave():
    text = expand(fold_aligned("te escribo por lo del viernes, al final ese día no estoy"))
    assert rules_out(text, NOW, datetime(2026, 12, 18).date())


@pytest.mark.parametrize(("text", "street", "number"), [
    ("estamos en Av. Maipú 12.300, Vicente López", "Av. Maipú", "12300"),
    ("Av. San Martín 2.450, Villa del Parque, se rompió la bomba", "Av. San Martín", "2450"),
])
def test_a_street_number_with_a_thousands_point(text, street, number):
    address = extract(text, "customer", NOW).address
    assert (address.street, address.number) == (street, number)


def test_a_signature_with_the_signers_role():
    text = ("Buenas tardes, solicito un presupuesto para impermeabilizar la terraza del edificio. "
            "Saludos cordiales, Ricardo Ibáñez, encargado.")
    assert extract(text, "customer", NOW).name == "Ricardo Ibáñez"


@pytest.mark.parametrize(("text", "answer"), [
    ("sí sí, cancelala nomás, perdón", "yes"),
    ("dale, confirmalo, gracias", "yes"),
    ("sí, eso", "yes"),
    ("no, gracias, dejalo así", "no"),
    ("no hace falta", "no"),
    ("sí, pero el martes", None),
    ("no, el lunes", None),
    ("sí, cobrale 20 mil", None),
])
def test_yes_or_no_with_courtesy(text, answer):
    assert yes_or_no(text) == answer


@pytest.mark.parametrize(("text", "off"), [
    ("mmm lo voy a pensar, gracias", True),
    ("lo consulto con mi señora y les aviso", True),
    ("después te confirmo", True),
    ("no sé si lo veo bien", False),
    ("¿me avisan antes de venir?", False),
])
def test_putting_a_request_off(text, off):
    assert puts_off(fold_aligned(text)) is off


# A charge in thousands before a comma or a full stop is still the charge; a figure taken back in
# the same message ("no perdón", "digo", "mejor dicho") gives way to the one after it, and a "no"
# that starts another clause takes nothing back.
@pytest.mark.parametrize("text, amount", [
    ("cobrale 32, gracias", 32000),
    ("le cobré 14, me pagó con transferencia", 14000),
    ("terminado, eran 27. saludos", 27000),
    ("cobrale 40: todo incluido", 40000),
    ("cobrale 12 lucas, no perdón 13", 13000),
    ("son 9 mil... digo 9.500", 9500),
    ("le cobré 45 mil mejor dicho 48 mil", 48000),
    ("cobrale 21 lucas. no, 23", 23000),
    ("no perdón, eran 26 lucas", 26000),
    ("cobrale 17 lucas. no, no me pagó todavía", 17000),
    ("listo, 11 lucas. no, 1 cosa más: quedó goteando", 11000),
    ("cobrale 25,5", None),
    # a price let down after the list one
    ("serian 31 lucas pero cobrale 28 q es conocida", 28000),
    ("son 20 lucas pero dejalo en 18", 18000),
    ("eran 40 pero le cobre 35 nomas", 35000),
    ("cobrale 15 lucas pero son 2 visitas", 15000),
])
def test_a_bare_charge_before_punctuation_and_a_figure_taken_back(text, amount):
    from nlu.extract.money import find_amount
    assert find_amount(fold_aligned(text)) == amount


# A day set aside from any other is never the day asked for, and is the one not to offer
@pytest.mark.parametrize(("text", "aside"), [
    ("cualquier día menos el viernes", "2026-12-18"),
    ("toda la semana salvo el jueves, a la tarde", "2026-12-17"),
    ("cuando quieran excepto el lunes que no estoy", "2026-12-21"),
    ("el martes no puedo, otro día sí", "2026-12-22"),
    ("puede ser el viernes a la tarde?", None),
])
def test_a_day_set_aside(text, aside):
    found = set_aside(expand(fold_aligned(text)), NOW)
    assert (found.isoformat() if found else None) == aside
    if aside and "no puedo" not in text:
        assert str(extract(text, "customer", NOW).date) != aside


# The hours a customer can receive the visit: a span, a start or an end; never the hours away
@pytest.mark.parametrize(("text", "bounds"), [
    ("de 3 a 7 estoy", ("15:00", "19:00")),
    ("entre las 9 y las 12 mejor", ("09:00", "12:00")),
    ("después de las 4 de la tarde", ("16:00", None)),
    ("pasadas las 10hs", ("10:00", None)),
    ("antes de las 11 porque después me voy", (None, "11:00")),
    ("hasta las 10 no hay nadie", ("10:00", None)),
    ("trabajo de 8 a 16", (None, None)),
    ("tarda de 2 a 3 horas?", (None, None)),
    ("la semana que viene", (None, None)),
])
def test_the_hours_a_customer_can(text, bounds):
    after, until = hour_bounds(expand(fold_aligned(text)))
    assert (after and after.strftime("%H:%M"), until and until.strftime("%H:%M")) == bounds


# A name followed by a phone is never an address: the area code is no street number
@pytest.mark.parametrize(("text", "street", "number"), [
    ("agendame un trabajo en Gorriti 3400, la clienta es Marta Suárez 11 5566 7788", "Gorriti", "3400"),
    ("Yatay 820, Almagro. Llamar a Jorge Paz 11 15-4455-6677", "Yatay", "820"),
    ("el cliente es Raúl Ortiz 351 456-7890, vive en Bv. Oroño 1200", "Bv. Oroño", "1200"),
])
def test_a_phone_after_a_name_is_no_street_number(text, street, number):
    found = extract(text, "owner", NOW).address
    assert (found.street, found.number) == (street, number)


@pytest.mark.parametrize(("text", "answer"), [
    ("si si, uno solo, el otro q quede como estaba", "yes"),
    ("si si pero el viernes", None),
    ("si si no me sirve", None),
])
def test_a_yes_said_twice_and_explained(text, answer):
    assert yes_or_no(text) == answer
