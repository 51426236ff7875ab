"""The answer to the booking's question, read unsure as asking for a person, is the answer: an
address given with someone else's phone and "coordinen con ella" is no hand-over; a person asked
for in so many words, or said with confidence, still is."""

from __future__ import annotations

from types import SimpleNamespace

from flows.engine import _answer_read_as_person
from nlu.intent.model import Context
from nlu.schema import Address, Extraction

TEXT = "Bulnes 845 5 C, Almagro\nella es Sofía, su cel es 11 5555 0298\ncoordinen con ella el horario"


def _turn(text=TEXT, confidence=0.52, asked="address", address=True):
    result = Extraction(intent="human", confidence=confidence,
                        address=Address(street="Bulnes", number="845") if address else None)
    return SimpleNamespace(text=text, result=result, intent="human", context=Context(asked=asked))


def test_an_unsure_person_with_the_address_asked_for_is_the_answer():
    assert _answer_read_as_person(_turn())


def test_a_person_asked_for_in_words_or_with_confidence_is_not():
    assert not _answer_read_as_person(_turn(text=TEXT + "\nquiero hablar con una persona"))
    assert not _answer_read_as_person(_turn(confidence=0.9))


def test_without_the_thing_asked_for_or_any_question_it_is_not():
    assert not _answer_read_as_person(_turn(address=False))
    assert not _answer_read_as_person(_turn(asked=None))
