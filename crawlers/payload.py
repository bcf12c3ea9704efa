"""Strict readers of API JSON fields, shared by the parsers: the documented type, or PayloadError.

A parser reads each field with the reader its API reference names (a nullable string, a
non-negative count that fits 32 bits, ...), so a record that is not what the API documents
fails as `PayloadError` with the field's path, never as a TypeError or OverflowError deep in
storage. Messages name fields and types only, never values: they reach logs, and values can be
personal (names, e-mails).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import orjson

from config.errors import PayloadError

INT32_MAX = 2**31 - 1  # GraphQL's Int is a signed 32-bit integer (GraphQL spec, 3.5.1)
INT64_MAX = 2**63 - 1


# What reading a field of a record that is not the documented shape raises (a PayloadError
# from the helpers below is a ValueError): a caller that only needs a best-effort answer from
# such a record (a log label, a key) catches these, never a bug of its own.
SHAPE_ERRORS = (LookupError, TypeError, AttributeError, ValueError)


def decode(body: bytes | str, what: str) -> Any:
    """JSON text to Python values; invalid, truncated or too deeply nested text is refused.

    orjson reads integers beyond 64 bits as floats, so a reader that wants an integer refuses
    them as well.
    """
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise PayloadError(f"{what}: not a JSON document ({exc.msg})") from None


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def obj(value: Any, path: str) -> Mapping[str, Any]:
    """A JSON object."""
    if value.__class__ is dict:  # the common case, without the ABC check
        return value
    if not isinstance(value, Mapping):
        raise PayloadError(f"{path}: expected an object, got {_kind(value)}")
    return value


def opt_obj(value: Any, path: str) -> Mapping[str, Any] | None:
    if value is None or value.__class__ is dict:
        return value
    return obj(value, path)


def array(value: Any, path: str) -> list[Any]:
    """A JSON array; null reads as empty (GraphQL and Stack Exchange leave empty lists out)."""
    if value.__class__ is list:
        return value
    if value is None:
        return []
    if not isinstance(value, list):
        raise PayloadError(f"{path}: expected an array, got {_kind(value)}")
    return value


def text(value: Any, path: str) -> str | None:
    """A nullable string, stripped; empty reads as None."""
    if value is None:
        return None
    if value.__class__ is not str and not isinstance(value, str):
        raise PayloadError(f"{path}: expected a string, got {_kind(value)}")
    return value.strip() or None


def integer(value: Any, path: str, low: int = 0, high: int = INT64_MAX) -> int:
    """A whole number in [low, high] (counts default to non-negative 64-bit)."""
    if value.__class__ is not int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise PayloadError(f"{path}: expected an integer, got {_kind(value)}")
        value = int(value)
    if not low <= value <= high:
        raise PayloadError(f"{path}: integer out of range [{low}, {high}]")
    return value


def opt_integer(value: Any, path: str, low: int = 0, high: int = INT64_MAX) -> int | None:
    return None if value is None else integer(value, path, low, high)


def flag(value: Any, path: str) -> bool | None:
    """A nullable boolean."""
    if value is None or value is True or value is False:
        return value
    raise PayloadError(f"{path}: expected a boolean, got {_kind(value)}")


def iso_time(value: Any, path: str) -> datetime | None:
    """An ISO 8601 timestamp ("2020-01-02T03:04:05Z") as aware UTC; null or "" reads as None."""
    if value is None or value == "":
        return None
    if value.__class__ is not str:
        raise PayloadError(f"{path}: expected a timestamp string, got {_kind(value)}")
    try:
        parsed = datetime.fromisoformat(value)  # 3.11+ reads the trailing "Z" itself
    except ValueError:
        raise PayloadError(f"{path}: not an ISO 8601 timestamp") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def epoch_time(value: Any, path: str) -> datetime | None:
    """Unix epoch seconds (Stack Exchange's `date` type) as aware UTC; null reads as None."""
    if value is None:
        return None
    seconds = integer(value, path, -INT64_MAX, INT64_MAX)
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        raise PayloadError(f"{path}: not a date (year out of range)") from None
