"""The organization's hours in words, and which questions ask for them."""

from __future__ import annotations

import pytest

from core.messaging import texts
from core.models import DEFAULT_BUSINESS_HOURS
from flows.business_hours import describe_week
from nlu.extract.message_kinds import asks_business_hours
from nlu.extract.text import fold_aligned


def test_the_default_week():
    assert describe_week(DEFAULT_BUSINESS_HOURS) == "de lunes a viernes de 8 a 18 y los sábados de 9 a 13"


def test_split_shifts_half_hours_and_round_the_clock():
    split = {"mon": [["08:00", "12:00"], ["14:00", "18:00"]],
             "tue": [["08:00", "12:00"], ["14:00", "18:00"]], "sat": [["09:00", "13:30"]]}
    assert describe_week(split) == "los lunes y martes de 8 a 12 y de 14 a 18 y los sábados de 9 a 13:30"
    always = {d: [["00:00", "23:59"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    assert describe_week(always) == "todos los días las 24 horas"
    assert describe_week({}) is None


@pytest.mark.parametrize("text, asks", [
    ("¿Hasta qué hora atienden?", True), ("a que hora cierran?", True), ("trabajan los sábados?", True),
    ("cuál es el horario de atención?", True), ("están abiertos?", True), ("abren los feriados?", True),
    # when the technician comes is the visit's business, not the shop's hours
    ("¿a qué hora vienen?", False), ("qué horario viene el técnico?", False), ("a qué hora llega?", False),
])
def test_which_questions_ask_for_the_hours(text, asks):
    assert asks_business_hours(fold_aligned(text).lower()) is asks


def test_closed_says_the_request_is_taken_now_and_mid_booking_the_booking_goes_on():
    week = describe_week(DEFAULT_BUSINESS_HOURS)
    alone = texts.render("business_hours", hours=week, open=False, opening="el lunes a las 8:00",
                         offer=True)
    assert "una persona del equipo te responde el lunes a las 8:00" in alone
    assert "te lo tomo ya por acá" in alone and "¿Te ayudo con algo?" in alone
    # in the middle of a booking the customer heard when a person answers when it began; the
    # booking's next question follows this reply
    booking = texts.render("business_hours", hours=week, open=False, opening="el lunes a las 8:00",
                           offer=False)
    assert booking.endswith("Ahora estamos fuera de horario, pero seguimos con tu pedido por acá.")
    assert "lunes a las 8:00" not in booking and "¿Te ayudo" not in booking
