"""How an owner's WhatsApp order to load a job is read: whether it is one, who the customer is."""

from __future__ import annotations

import pytest

from core.es_ar import folded
from flows.owner_booking import asks_how, asks_to_book, customer_name, phone_in, work_description


@pytest.mark.parametrize("text", [
    "agendame un trabajo para mañana a las 10 en Cabildo 2000",
    "cargá una visita para el jueves, cliente Graciela",
    "che anotame un laburo: destapar pileta en Gorriti 3400",
    "poné un turno para Marta el lunes a la mañana",
    "necesito cargar un trabajo para la señora Gómez",
    "Nuevo trabajo: Cabildo 2000, cambiar canilla, Marta 11 5566-7788",
    "agendá a la sra Medina para el viernes",
])
def test_orders_to_load_a_job(text):
    assert asks_to_book(folded(text))


@pytest.mark.parametrize("text", [
    "cómo viene la semana?", "resumen de mañana", "cuántos trabajos hay el martes?",
    "ya cargué el trabajo de Marta", "pasale lo de graciela a diego",
    "cómo cargo un trabajo?", "agendá que mañana no abrimos",
])
def test_no_order_to_load_a_job(text):
    assert not asks_to_book(folded(text))


def test_how_to_load_one_is_a_question_of_its_own():
    assert asks_how(folded("¿cómo cargo un trabajo?"))
    assert asks_how(folded("se puede agendar un trabajo por acá?"))
    assert not asks_how(folded("agendame un trabajo para mañana"))


@pytest.mark.parametrize(("text", "name"), [
    ("agendame un trabajo para mañana, cliente Marta Suárez 11 5566-7788", "Marta Suárez"),
    ("cargá una visita a nombre de Julia Ferreyra el jueves", "Julia Ferreyra"),
    ("anotá una visita para la Sra. Gómez el lunes", "Gómez"),
    ("poné un turno para marta el lunes", None),  # lower case after "para": not read as a name
    ("cliente marta, Cabildo 2000", "Marta"),
    ("cargá un trabajo para el martes, Marta Suárez, revisar el calefón", "Marta Suárez"),
    ("Nuevo trabajo: Gorriti 3400, Laura, destapar la pileta", "Laura"),
    # a technician's, a street's or a day's name is no customer's
    ("agendame un trabajo para Diego el Martes en Cabildo 2000", None),
])
def test_the_customers_name(text, name):
    assert customer_name(text, {"diego", "cabildo"}) == name


@pytest.mark.parametrize(("text", "phone"), [
    ("cliente Marta 11 5566-7788, mañana", "11 5566-7788"),
    ("su cel es 011 15 5566 7788", "011 15 5566 7788"),
    ("+54 9 341 555-1234 en Rosario", "+54 9 341 555-1234"),
    ("Cabildo 2000 a las 10", None),
])
def test_the_phone_written(text, phone):
    assert phone_in(text) == phone


@pytest.mark.parametrize(("text", "work"), [
    (("agendame un trabajo para mañana a las 10 en Cabildo 2000, Belgrano para cambiar una canilla, "
      "cliente Marta Suárez 11 5566-7788, que lo haga Diego"), "Cambiar una canilla"),
    (("nuevo trabajo: destapar la pileta de la cocina, sra. Nora Benítez 011 15 4444 3333, "
      "Gorriti 3400 palermo, el martes a la mañana"), "Destapar la pileta de la cocina"),
    ("anotá una visita para Graciela el jueves a la tarde, revisar el termotanque", "Revisar el termotanque"),
    ("cargame un laburo, se le quemó el disyuntor, Marta 11 5566-7788", "Se le quemó el disyuntor"),
])
def test_the_work_is_what_the_technician_reads(text, work):
    assert work_description(text, phone_in(text)) == work
