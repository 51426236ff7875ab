"""A customer whose visit is booked says it stays as it is ("no lo muevas, el horario me queda
perfecto"): they hear the visit back, and it is no miss toward a person."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.models import Conversation, Job, JobStatus
from nlu.extract.message_kinds import keeps_booking
from tests.bot.conftest import CUSTOMER
from tests.bot.test_booking import _body, _buttons, _payloads, _tap
from tests.factories import add_technician


@pytest.mark.parametrize(("text", "keeps"), [
    ("no lo muevas eh, el horario me queda perfecto", True),
    ("nono dejalo como está", True),
    ("no hace falta cambiarlo, llego a tiempo", True),
    ("perfecto, los espero el martes", True),
    ("dejala así nomás", True),
    ("no me lo cambien porfa", True),
    # a cancel said not to be one, and other ways of keeping the visit
    ("no no no cancelen nada, se equivocó de chat mi marido", True),
    ("no quiero anular el turno eh, solo preguntaba", True),
    ("que vengan igual así lo revisan", True),
    ("mantengamos la fecha, al final puedo", True),
    ("no toquen nada, sigue todo como quedamos", True),
    ("no, cancelen nomás", False),
    ("no puedo ese día, anulalo", False),
    ("no toquen el medidor hasta que llegue el técnico", False),
    ("no muevan la visita para el lunes, muévanla al martes", False),
    ("necesito cambiar el día", False),
    ("se me rompió el termotanque", False),
    ("el martes no me queda bien", False),
])
def test_keeping_a_booking_in_words(text, keeps):
    assert keeps_booking(text) is keeps


def test_a_customer_keeping_the_visit_hears_it_back_and_no_miss_is_counted(harness):
    add_technician(harness.db, harness.org_id, "Carlos Rodríguez", "+5491155550101")
    harness.say("hola, se me tapó la pileta de la cocina", name="Marta García")
    harness.say("estoy en Gorriti al 3400, Palermo")
    harness.work()
    slot_id, slot_title = _buttons(_payloads(harness)[-1])[0]
    _tap(harness, slot_id, slot_title)
    _tap(harness, "booking:confirm", "Confirmar")
    for said in ("no lo muevas eh, el horario me queda perfecto", "dejalo como está",
                 "no cancelen nada eh, fue mi nene jugando con el celu",
                 "mantengamos el día como quedamos"):
        harness.say(said)
        harness.work()
        reply = _body(_payloads(harness)[-1])
        assert reply.startswith("¡Perfecto, Marta! Queda como está: te visitamos "), reply
    with harness.db.org_session(harness.org_id) as s:
        assert s.scalar(select(Conversation.misses).where(Conversation.wa_id == CUSTOMER)) == 0
        assert s.scalar(select(Job.status)) is JobStatus.SCHEDULED
