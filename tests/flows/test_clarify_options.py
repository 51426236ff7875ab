"""The unsure question's buttons: the likeliest meanings, and for a customer's question a way out."""

from __future__ import annotations

from types import SimpleNamespace

from core.models import ConversationRole
from flows import clarify
from nlu.schema import Extraction


def _turn(text: str, ranked: list[str], role: ConversationRole = ConversationRole.CUSTOMER,
          open_jobs: tuple = ("a visit",)):
    return SimpleNamespace(text=text, conversation=SimpleNamespace(role=role), open_jobs=list(open_jobs),
                           result=Extraction(intent=ranked[0], confidence=0.4, alternatives=ranked))


def test_a_customer_question_gets_otra_consulta_as_its_last_button():
    turn = _turn("¿el técnico tiene matrícula de gasista?", ["job_status", "other", "cancel", "new_job"])
    assert clarify._options(turn) == ["job_status", "cancel", "other"]
    assert clarify.TITLES["other"] == "Otra consulta"


def test_no_meaning_is_offered_twice_and_other_only_to_a_question():
    # "other" among the likeliest is never a button of its own (it once gave two buttons one id)
    turn = _turn("me podés decir algo de lo mío", ["reschedule", "other", "job_status", "cancel"])
    assert clarify._options(turn) == ["reschedule", "job_status", "cancel"]


def test_staff_questions_get_no_way_out_button():
    turn = _turn("¿a cuál voy primero?", ["tech_agenda", "tech_on_the_way", "other"],
                 role=ConversationRole.TECHNICIAN)
    assert clarify._options(turn) == ["tech_agenda", "tech_on_the_way"]


def test_a_customer_without_a_visit_is_offered_nothing_about_one():
    # a new customer's "¿hacen trabajos en altura?" once got "Cancelar la visita" as a button
    turn = _turn("¿hacen trabajos en altura?", ["new_job", "cancel", "job_status", "invoice_request"],
                 open_jobs=())
    assert clarify._options(turn) == ["new_job", "invoice_request", "other"]
    turn = _turn("quería ver lo del baño", ["reschedule", "new_job", "cancel"], open_jobs=())
    assert clarify._options(turn) == ["new_job"]  # one meaning left: read as it, no question
