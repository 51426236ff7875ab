"""Which owner questions are about the team (the rule behind flows/owner_team.py)."""

from __future__ import annotations

import pytest

from core.es_ar import folded
from nlu.extract.message_kinds import asks_about_team

NAMES = ("carlos", "diego")


@pytest.mark.parametrize("text", [
    "¿quién está de guardia?",
    "a quien le toca la guardia este finde",
    "¿dónde anda Carlos?",
    "por donde esta diego ahora",
    "cómo vienen los chicos hoy?",
    "qué tal va el equipo",
    "quiénes están trabajando ahora",
    "hay algún técnico libre?",
    "pasame el cel de Diego",
    "carlos ya llegó a lo de Marta?",
])
def test_questions_about_the_team(text):
    assert asks_about_team(folded(text), NAMES)


@pytest.mark.parametrize("text", [
    "quién me debe?",
    "quién me debe plata",
    "pasame el resumen",
    "cuánto facturamos este mes",
    "dónde está la plata de lo de Marta?",
    "anotá que tengo que comprar teflón",
    "el número de la ART cuál es?",
    "gracias",
])
def test_questions_about_money_or_nothing_are_not(text):
    assert not asks_about_team(folded(text), NAMES)
