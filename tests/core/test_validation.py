"""Validation errors reach people in Spanish, field by field."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum

import pytest
from pydantic import BaseModel, Field, field_validator

from core.errors import ValidationFailed
from core.validation import validated


class Trade(StrEnum):
    PLUMBING = "plumbing"


class Sample(BaseModel):
    name: str = Field(min_length=2, max_length=5)
    count: int = Field(ge=1, le=9)
    price: Decimal = Field(gt=0, decimal_places=2)
    trade: Trade
    day: date | None = None
    code: str | None = None

    @field_validator("code")
    @classmethod
    def _code(cls, v):
        if v is not None and not v.isalnum():
            raise ValueError("El código va sin espacios ni símbolos.")
        return v


GOOD = {"name": "Ana", "count": 3, "price": "10.50", "trade": "plumbing"}


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"name": None}, "name", "Tiene que ser un texto."),
    ({"name": "A"}, "name", "Es demasiado corto (mínimo 2 caracteres)."),
    ({"name": "Anabella"}, "name", "Es demasiado largo (máximo 5 caracteres)."),
    ({"count": "tres"}, "count", "Tiene que ser un número entero."),
    ({"count": 0}, "count", "Tiene que ser 1 o más."),
    ({"count": 10}, "count", "Tiene que ser 9 o menos."),
    ({"price": "diez"}, "price", "Tiene que ser un número."),
    ({"price": "0"}, "price", "Tiene que ser mayor que 0."),
    ({"price": "1.234"}, "price", "Tiene demasiados decimales (máximo 2)."),
    ({"trade": "astrology"}, "trade", "No es una de las opciones válidas."),
    ({"day": "31/02/2026"}, "day", "La fecha no es válida (usá AAAA-MM-DD)."),
    ({"code": "A B"}, "code", "El código va sin espacios ni símbolos."),
])
def test_each_kind_of_mistake_has_a_spanish_message(changes, field, message):
    with pytest.raises(ValidationFailed) as exc:
        validated(Sample, {**GOOD, **changes})
    assert exc.value.errors[field] == message


def test_a_missing_field_says_so():
    with pytest.raises(ValidationFailed) as exc:
        validated(Sample, {"name": "Ana", "price": "1", "trade": "plumbing"})
    assert exc.value.errors == {"count": "Falta este dato."}


def test_good_data_passes_through():
    sample = validated(Sample, {**GOOD, "day": "2026-11-25"})
    assert (sample.price, sample.day) == (Decimal("10.50"), date(2026, 11, 25))
