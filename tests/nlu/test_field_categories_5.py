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
from nlu.extract.when import rules_out

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
