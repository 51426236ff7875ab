"""Turn pydantic validation errors into one domain error with per-field messages."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from core.errors import ValidationFailed

M = TypeVar("M", bound=BaseModel)

# pydantic's own messages are English; people read these (forms, the CLI, the chat's errors).
# Our validators' messages ("Value error, ...") are already Spanish and pass through.
SPANISH = {
    "missing": "Falta este dato.",
    "string_type": "Tiene que ser un texto.",
    "string_too_short": "Es demasiado corto (mínimo {min_length} caracteres).",
    "string_too_long": "Es demasiado largo (máximo {max_length} caracteres).",
    "string_pattern_mismatch": "No tiene el formato esperado.",
    "int_type": "Tiene que ser un número entero.",
    "int_parsing": "Tiene que ser un número entero.",
    "int_from_float": "Tiene que ser un número entero.",
    "float_type": "Tiene que ser un número.",
    "float_parsing": "Tiene que ser un número.",
    "decimal_type": "Tiene que ser un número.",
    "decimal_parsing": "Tiene que ser un número.",
    "decimal_max_places": "Tiene demasiados decimales (máximo {decimal_places}).",
    "decimal_max_digits": "Es un número demasiado largo.",
    "greater_than": "Tiene que ser mayor que {gt}.",
    "greater_than_equal": "Tiene que ser {ge} o más.",
    "less_than": "Tiene que ser menor que {lt}.",
    "less_than_equal": "Tiene que ser {le} o menos.",
    "bool_type": "Tiene que ser sí o no.",
    "bool_parsing": "Tiene que ser sí o no.",
    "enum": "No es una de las opciones válidas.",
    "literal_error": "No es una de las opciones válidas.",
    "date_type": "La fecha no es válida.",
    "date_parsing": "La fecha no es válida (usá AAAA-MM-DD).",
    "date_from_datetime_parsing": "La fecha no es válida (usá AAAA-MM-DD).",
    "datetime_type": "La fecha y hora no son válidas.",
    "datetime_parsing": "La fecha y hora no son válidas.",
    "time_parsing": "La hora no es válida (usá HH:MM).",
    "dict_type": "No tiene el formato esperado.",
    "list_type": "Tiene que ser una lista.",
    "too_short": "Faltan elementos (mínimo {min_length}).",
    "too_long": "Sobran elementos (máximo {max_length}).",
    "extra_forbidden": "Este dato no corresponde acá.",
}


def spanish_message(error: dict) -> str:
    """One pydantic error as a person should read it."""
    if error["type"] in ("value_error", "assertion_error"):
        return error["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    template = SPANISH.get(error["type"])
    if template is None:
        return error["msg"]
    try:
        return template.format(**(error.get("ctx") or {}))
    except (KeyError, IndexError, ValueError):
        return template.split(" (")[0].rstrip(".") + "."


def spanish_errors(exc: ValidationError) -> dict[str, str]:
    """Field ("address.street" for a nested one) → the first Spanish message about it."""
    errors: dict[str, str] = {}
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"]) or "_"
        errors.setdefault(field, spanish_message(err))
    return errors


def _summary(errors: dict[str, str]) -> str:
    return "Datos inválidos — " + "; ".join(f"{k}: {v}" for k, v in errors.items())


def validated(model: type[M], data: M | dict, *,
              errors: Callable[[ValidationError], dict[str, str]] = spanish_errors,
              summary: Callable[[dict[str, str]], str] = _summary) -> M:
    """`data` as `model`, or ValidationFailed with every field's problem in Spanish. A service
    whose form speaks its own words passes its own `errors` (field → message) and `summary`."""
    if isinstance(data, model):
        return data
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        found = errors(exc)
        raise ValidationFailed(summary(found), found) from None
