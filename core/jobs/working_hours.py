"""A technician's own working hours: shifts per weekday, split shifts allowed, checked per day.

The format is the business hours' one: `{"mon": [["08:00", "12:00"], ["16:00", "20:00"]], ...}`;
a day with no shifts is a day off. No hours at all (None) means the business hours apply.
"""

from __future__ import annotations

import itertools
import re

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = {"mon": "lunes", "tue": "martes", "wed": "miércoles", "thu": "jueves", "fri": "viernes",
             "sat": "sábado", "sun": "domingo"}
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class HoursInvalid(ValueError):
    """Working hours we cannot take; `errors` maps a day ("mon") to a Spanish message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{DAY_NAMES.get(day, day)}: {msg}" for day, msg in errors.items()))
        self.errors = errors


def _hhmm(value: object) -> str | None:
    """"8:00" → "08:00"; None when it is not a time of day."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if re.fullmatch(r"\d:[0-5]\d", text):
        text = "0" + text
    return text if _HHMM.match(text) else None


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _day_shifts(shifts: object) -> list[list[str]]:
    """One day's shifts, sorted; ValueError with a Spanish message for the first problem."""
    if not isinstance(shifts, list | tuple):
        raise TypeError("no entendimos los turnos de ese día.")
    clean = []
    for shift in shifts:
        if not isinstance(shift, list | tuple) or len(shift) != 2:
            raise TypeError("cada turno lleva una hora de inicio y una de fin.")
        raw_start, raw_end = shift
        if _blank(raw_start) or _blank(raw_end):
            raise ValueError("completá las dos horas del turno (inicio y fin).")
        start, end = _hhmm(raw_start), _hhmm(raw_end)
        for raw, parsed in ((raw_start, start), (raw_end, end)):
            if parsed is None:
                raise ValueError(f"«{raw}» no es una hora válida; usá HH:MM, por ej. 08:00.")
        if start >= end:
            raise ValueError(f"el turno {start} a {end} tiene que terminar después de empezar.")
        clean.append([start, end])
    clean.sort()
    for (a_start, a_end), (b_start, b_end) in itertools.pairwise(clean):
        if b_start < a_end:
            raise ValueError(f"los turnos {a_start} a {a_end} y {b_start} a {b_end} se superponen.")
    return clean


def validate_working_hours(hours: dict | None) -> dict[str, list[list[str]]] | None:
    """Every day present and sorted; None when no day has a shift (the business hours apply).

    Raises HoursInvalid naming every day that is wrong, so a form can point at each one.
    """
    if hours is None:
        return None
    if not isinstance(hours, dict):
        raise HoursInvalid({"_": "no entendimos el horario."})
    errors: dict[str, str] = {}
    for day in set(hours) - set(DAYS):
        errors[str(day)] = "ese día no existe; usá mon, tue, wed, thu, fri, sat o sun."
    clean: dict[str, list[list[str]]] = {}
    for day in DAYS:
        try:
            clean[day] = _day_shifts(hours.get(day) or [])
        except (ValueError, TypeError) as exc:
            errors[day] = str(exc)
    if errors:
        raise HoursInvalid(errors)
    return clean if any(clean.values()) else None
