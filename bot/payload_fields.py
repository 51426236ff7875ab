"""Meta's webhook JSON read one field at a time: typed, bounded, and safe to store."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Any

# Python refuses to convert longer integers (sys.get_int_max_str_digits() is 4,300).
INTEGER_DIGITS_MAX = 4000
# `raw` keeps this many levels of nesting; Meta's own payloads use fewer than ten.
RAW_DEPTH_MAX = 32

# Half of a surrogate pair: valid in JSON (a lone \ud800 escape), unencodable by every driver.
_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")


class PayloadError(ValueError):
    """The body does not have the shape Meta documents; the webhook answers 400 with this text."""


def _timestamp(obj: dict[str, Any], path: str) -> datetime:
    # Meta sends Unix seconds as a string ("1700000000"); accept a number too.
    value = obj.get("timestamp")
    seconds: float | None = None
    if isinstance(value, str):
        try:
            seconds = float(value.strip())
        except ValueError:
            seconds = None
    elif isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    if seconds is None or not math.isfinite(seconds):
        raise PayloadError(f"{path}.timestamp: expected Unix seconds, got {_short(value)}")
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise PayloadError(f"{path}.timestamp: out of range") from exc


def _dict(value: object, path: str, *, missing: bool = False) -> dict[str, Any]:
    if missing:
        raise PayloadError(f"{path}: missing")
    if not isinstance(value, dict):
        raise PayloadError(f"{path}: expected an object, got {_kind(value)}")
    return value


def _list(obj: dict[str, Any], key: str, path: str, *, required: bool = True) -> list[Any]:
    where = f"{path}.{key}" if path else key
    if key not in obj:
        if required:
            raise PayloadError(f"{where}: missing")
        return []
    value = obj[key]
    if value is None and not required:
        return []
    if not isinstance(value, list):
        raise PayloadError(f"{where}: expected a list, got {_kind(value)}")
    return value


def _optional_list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _required_str(obj: dict[str, Any], key: str, path: str) -> str:
    value = obj.get(key)
    value = _clean(value) if isinstance(value, str) else value
    if not isinstance(value, str) or not value:
        reason = "missing" if key not in obj else f"expected a non-empty string, got {_short(value)}"
        raise PayloadError(f"{path}.{key}: {reason}")
    return value


def _identifier(value: str | None, limit: int, path: str) -> str | None:
    """An id as given, or a PayloadError when it is longer than its column: never cut."""
    if value is not None and len(value) > limit:
        raise PayloadError(f"{path}: longer than {limit} characters ({len(value)})")
    return value


def _str(obj: object, key: str, limit: int | None = None) -> str | None:
    # Optional text fields: anything that is not a string is treated as absent, not as an error,
    # because a 400 makes Meta redeliver (and us drop) every other message of the batch.
    value = obj.get(key) if isinstance(obj, dict) else None
    if not isinstance(value, str):
        return None
    value = _clean(value)
    return value[:limit] if limit is not None else value


def _clean(text: str) -> str:
    """Text every database takes: PostgreSQL refuses NUL, and no driver encodes a lone surrogate."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    if not text.isascii():
        text = _LONE_SURROGATE.sub("\ufffd", text)
    return text


def _storable(value: Any, depth: int = 0) -> Any:
    """A copy of a parsed JSON value that jsonb accepts: clean strings, numbers JSON cannot
    write (1e999 parses as inf) kept as their text, and nothing nested deeper than
    RAW_DEPTH_MAX (no recursion limit on the way to the database), so one odd field cannot
    refuse the batch."""
    if isinstance(value, str):
        return _clean(value)
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, dict | list) and depth >= RAW_DEPTH_MAX:
        return "(nested too deep)"
    if isinstance(value, dict):
        return {_clean(str(k)): _storable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_storable(v, depth + 1) for v in value]
    return value


def _float(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | str):
        try:
            number = float(value)
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def _kind(value: object) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
             int: "a number", float: "a number", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def _short(value: object) -> str:
    # Error texts go back to the sender and into logs: never echo a large value.
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
