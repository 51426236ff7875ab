"""Voice transcripts: misheard trade and organization words fixed only where sure, fillers gone."""

from __future__ import annotations

import pytest

from nlu.extract import spoken

ORG = spoken.hearing_for(
    items=("Cambio de flexible", "Destapación de cocina", "Service de termotanque"),
    names=("Boulevard Oroño", "Jorge Pereyra", "Silvia Ferreira", "Tucumán"),
)


@pytest.mark.parametrize(("heard", "meant"), [
    ("perdiada", "pérdida"),
    ("calefo", "calefón"),
    ("flesible", "flexible"),
    ("lavaropa", "lavarropas"),
    ("heladeda", "heladera"),
    ("termotaque", "termotanque"),
    ("cocija", "cocina"),
])
def test_misheard_trade_words_are_written_right(heard, meant):
    assert spoken.default().fix(f"tengo un problema con la {heard} de casa") == (
        f"tengo un problema con la {meant} de casa")


@pytest.mark.parametrize("word", [
    # real Spanish words near a trade word: Whisper heard a word, we cannot know it was another
    "persona", "terminar", "pintar", "banco", "medio", "sistema", "puesta", "efecto", "cantidad",
    # verb forms, plurals, diminutives and genders of dictionary words
    "gasta", "cerraron", "cansando", "destapa", "presupuestado", "cerradas", "bombea", "enchufo",
    "perdí", "transfieren", "plomera", "lamparita", "facturita", "flexibles", "canillas",
])
def test_spanish_words_are_never_changed(word):
    text = f"eso {word} ahí"
    assert spoken.default().fix(text) == text


def test_the_organizations_people_and_streets_are_matched():
    assert ORG.fix("soy Jorge Pereira de Boulevard Oroño") == "soy Jorge Pereyra de Boulevard Oroño"
    # the price book's words join the vocabulary, but a sentence is never replaced by an item name
    assert ORG.fix("cambie el flesible y la canilla") == "cambie el flexible y la canilla"


def test_a_word_two_vocabulary_words_could_be_is_left_alone():
    hearing = spoken.Hearing(["Gonzalez", "Gonzales"])
    assert hearing.fix("lo de gonsalez") == "lo de gonsalez"


def test_tidy_drops_fillers_and_stammers_and_keeps_the_meaning():
    raw = "eh bueno, este, tengo una perdiada eh abajo de la bacha, o sea, la la canilla gotea"
    assert spoken.default().tidy(raw) == "Tengo una pérdida abajo de la bacha, la canilla gotea"


def test_tidy_of_nothing_is_nothing():
    assert spoken.default().tidy("") == ""
    assert spoken.default().tidy("eh, em...") == ""


def test_the_word_list_is_installed():
    # bootstrap installs Debian's wspanish; without it fewer words could be fixed safely
    assert len(spoken.spanish_words()) > 50_000
