"""Values fitted to the schema before they are written, the same way on SQLite and PostgreSQL.

SQLite stores almost anything; PostgreSQL refuses a string longer than its varchar, a NUL byte
in text or JSON, an integer beyond its column. So that a value stores the same everywhere (and
a crawl never fails on PostgreSQL where it passed on SQLite), every row is fitted first:

- strings: NUL bytes removed, lone surrogates (which no UTF-8 database can hold) replaced with
  U+FFFD, then cut to the column's length in characters (varchar counts characters);
- integers: clamped to the column's range (Integer 32-bit, BigInteger 64-bit);
- JSON: the same for every string and key inside, integers clamped to 64 bits, nesting deeper
  than JSON_DEPTH replaced with null (the JSON encoder stops at 255 levels).

Limits come from the SQLAlchemy models, never from a hand-kept list. A value of the wrong type
for its column (a list for a name) is a parser's bug: `PayloadError` names the column.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

import orjson
from sqlalchemy import JSON, BigInteger, Integer, String, Table

from config.errors import PayloadError
from storage.models import Base

INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)
JSON_DEPTH = 200
_SURROGATE = re.compile("[\ud800-\udfff]")
_NUL_ESCAPED = b"\\u0000"


def fit_text(value: str, limit: int | None = None) -> str:
    """A string any database stores: no NUL, no lone surrogate, at most `limit` characters."""
    if "\x00" in value:
        value = value.replace("\x00", "")
    if not value.isascii():
        try:
            value.encode()
        except UnicodeEncodeError:
            value = _SURROGATE.sub("\ufffd", value)
    if limit is not None and len(value) > limit:
        value = value[:limit]
    return value


def fit_int(value: int, low: int, high: int) -> int:
    return low if value < low else high if value > high else value


def fit_json(value: Any) -> Any:
    """A JSON value both databases store alike (see the module docstring).

    The common case costs one orjson encoding: only a value that fails to encode, or encodes
    with a NUL escape, is walked and rebuilt.
    """
    try:
        encoded = orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)
    except TypeError:  # orjson.JSONEncodeError: a huge int, a surrogate, deep nesting
        return _rebuild(value, 0)
    return _rebuild(value, 0) if _NUL_ESCAPED in encoded else value


def _rebuild(value: Any, depth: int) -> Any:
    if isinstance(value, str):
        return fit_text(value)
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return value
    if isinstance(value, int):
        return fit_int(value, *INT64)
    if depth >= JSON_DEPTH:
        return None
    if isinstance(value, dict):
        return {
            fit_text(k) if isinstance(k, str) else k: _rebuild(v, depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_rebuild(v, depth + 1) for v in value]
    return value  # datetimes and the like: the JSON encoder writes them as strings


def _fit_string(name: str, value: Any, limit: int | None) -> str:
    if not isinstance(value, str):
        raise PayloadError(f"{name}: {type(value).__name__} where text belongs")
    return fit_text(str(value), limit)


def _fit_integer(name: str, value: Any, low: int, high: int) -> int:
    if value.__class__ is not int and not isinstance(value, bool):
        try:
            value = operator.index(value)  # numpy integers and the like
        except TypeError:
            raise PayloadError(f"{name}: {type(value).__name__} where an integer belongs") from None
    return fit_int(value, low, high)


@dataclass(frozen=True, slots=True)
class Plan:
    """The columns of one table that need fitting, by kind."""

    strings: tuple[tuple[str, str, int], ...]  # (column, table.column, max length)
    integers: tuple[tuple[str, str, int, int], ...]  # (column, table.column, low, high)
    json: tuple[str, ...]


UNLIMITED = 2**62


@cache
def plan(table: Table) -> Plan:
    """What to fit in `table`, read from its columns' types."""
    strings, integers, json = [], [], []
    for column in table.columns:
        kind, label = column.type, f"{table.name}.{column.name}"
        if isinstance(kind, JSON):
            json.append(column.name)
        elif isinstance(kind, String):  # Text is a String without a length
            strings.append((column.name, label, kind.length or UNLIMITED))
        elif isinstance(kind, BigInteger):
            integers.append((column.name, label, *INT64))
        elif isinstance(kind, Integer):
            integers.append((column.name, label, *INT32))
        # datetimes, booleans, floats: stored alike already
    return Plan(tuple(strings), tuple(integers), tuple(json))


def fit_rows(target: type[Base] | Table, rows: Iterable[dict[str, Any]]) -> None:
    """Fit every value of `rows` (dicts of column -> value) in place.

    The common value (short ASCII text, a small int) is checked inline, without a call: this
    runs for every value every crawl stores.
    """
    table: Table = target if isinstance(target, Table) else target.__table__  # type: ignore[assignment]
    todo = plan(table)
    for row in rows:
        for name, label, limit in todo.strings:
            v = row.get(name)
            if v is not None and (
                v.__class__ is not str or len(v) > limit or not v.isascii() or "\x00" in v
            ):
                row[name] = _fit_string(label, v, None if limit == UNLIMITED else limit)
        for name, label, low, high in todo.integers:
            v = row.get(name)
            if v is not None and (v.__class__ is not int or v < low or v > high):
                row[name] = _fit_integer(label, v, low, high)
        for name in todo.json:
            v = row.get(name)
            if v is not None:
                row[name] = fit_json(v)
