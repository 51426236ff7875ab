"""Turn pydantic validation errors into one domain error with per-field messages."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, ValidationError

from core.errors import ValidationFailed

M = TypeVar("M", bound=BaseModel)


def validated(model: type[M], data: M | dict) -> M:
    if isinstance(data, model):
        return data
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = {}
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"]) or "_"
            errors.setdefault(field, err["msg"].removeprefix("Value error, "))
        summary = "; ".join(f"{k}: {v}" for k, v in errors.items())
        raise ValidationFailed(f"Datos inválidos — {summary}", errors) from None
