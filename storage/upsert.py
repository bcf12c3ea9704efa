"""Batched, dialect-aware, idempotent upserts (INSERT ... ON CONFLICT).

A row whose values are all unchanged is not rewritten (the UPDATE has a WHERE that compares
every updated column), so upserting the same batch twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import JSON, Table, or_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.models import Base

BATCH = 2000


def batched(rows: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _insert_for(session: Session, table: Table) -> Any:
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise ValueError(f"upserts support SQLite and PostgreSQL, not {name}")


def _dedupe(rows: Sequence[dict[str, Any]], keys: Sequence[str]) -> list[dict[str, Any]]:
    # PostgreSQL refuses to update one row twice in a statement; the last value wins.
    seen: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        seen[tuple(row[k] for k in keys)] = row
    return list(seen.values())


def upsert(
    session: Session,
    target: type[Base] | Table,
    rows: Iterable[dict[str, Any]],
    keys: Sequence[str],
    update: Sequence[str] | None = None,
    batch_size: int = BATCH,
    merge: Callable[[Table, Any], dict[str, Any]] | None = None,
) -> int:
    """Insert rows, or update the existing row with the same `keys`. Returns rows sent.

    `update` names the columns to overwrite on conflict (default: every column given except the
    keys); an empty list means insert-or-ignore. `merge(table, excluded)` gives SQL expressions
    for some of those columns instead of the new value (e.g. keep the stored one when...).
    """
    table: Table = target if isinstance(target, Table) else target.__table__  # type: ignore[assignment]
    sent = 0
    for chunk in batched(rows, batch_size):
        chunk = _with_defaults(table, _dedupe(chunk, keys))
        stmt = _insert_for(session, table)
        columns = update if update is not None else [c for c in chunk[0] if c not in keys]
        if columns:
            excluded = stmt.excluded
            set_ = {c: excluded[c] for c in columns}
            if merge is not None:
                set_.update(merge(table, excluded))
            stmt = stmt.on_conflict_do_update(
                index_elements=list(keys),
                set_=set_,
                where=or_(*[table.c[c].is_distinct_from(set_[c]) for c in columns]),
            )
        else:
            stmt = stmt.on_conflict_do_nothing(index_elements=list(keys))
        _executemany(session, stmt, table, chunk)
        sent += len(chunk)
    return sent


def _with_defaults(table: Table, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Fill columns the rows leave out with their Python-side defaults (e.g. created_at).

    The lean executemany below skips SQLAlchemy's insert machinery, which is where those
    defaults are normally applied.
    """
    missing = [
        c
        for c in table.columns
        if c.name not in rows[0] and c.default is not None and not c.primary_key
    ]
    if not missing:
        return rows
    for row in rows:
        for column in missing:
            default: Any = column.default
            row[column.name] = default.arg(None) if default.is_callable else default.arg
    return rows


def _executemany(session: Session, stmt: Any, table: Table, rows: list[dict[str, Any]]) -> None:
    """Compile once and hand the driver plain parameters.

    SQLAlchemy's generic executemany spends most of its time re-processing every parameter of
    every row; here each column's own bind processor (the same one SQLAlchemy would use: UTC
    conversion, JSON serialisation) is looked up once per batch and applied in a tight loop.
    """
    conn = session.connection()
    dialect = conn.dialect
    compiled = stmt.compile(dialect=dialect, column_keys=list(rows[0]))
    order: list[str] = list(compiled.positiontup or []) if compiled.positional else list(rows[0])
    plain = [n for n in order if _processor(table.c[n], dialect) is None]
    # JSON must see None too (it becomes JSON null); other processors map None to None.
    typed = [
        (n, _processor(table.c[n], dialect), isinstance(table.c[n].type, JSON))
        for n in order
        if n not in plain
    ]
    converted: list[dict[str, Any]] = []
    for row in rows:
        out = {n: row.get(n) for n in plain}
        for n, proc, is_json in typed:
            value = row.get(n)
            out[n] = proc(value) if value is not None or is_json else None
        converted.append(out)
    if compiled.positional:
        conn.exec_driver_sql(compiled.string, [tuple(r[n] for n in order) for r in converted])
    else:
        conn.exec_driver_sql(compiled.string, converted)


def _processor(column: Any, dialect: Any) -> Any:
    return column.type._cached_bind_processor(dialect)


def insert_new(
    session: Session,
    target: type[Base] | Table,
    rows: Sequence[dict[str, Any]],
    keys: Sequence[str],
) -> int:
    """INSERT ... ON CONFLICT (keys) DO NOTHING: the lean path of a bulk load of rows that are
    new (a row already there is left as it is). Every row has the columns of the first.

    One compiled statement; each value goes through its column's own bind processor, and a
    processor's answer for a repeated datetime is remembered (a bulk load repeats a few).
    """
    if not rows:
        return 0
    table: Table = target if isinstance(target, Table) else target.__table__  # type: ignore[assignment]
    conn = session.connection()
    dialect = conn.dialect
    names = list(rows[0])
    stmt = _insert_for(session, table).on_conflict_do_nothing(index_elements=list(keys))
    compiled = stmt.compile(dialect=dialect, column_keys=names)
    order: list[str] = list(compiled.positiontup or []) if compiled.positional else names
    typed = [(i, proc) for i, n in enumerate(order) if (proc := _memoised(table.c[n], dialect))]
    get = itemgetter(*order)
    params: list[Any] = []
    for row in rows:
        values = list(get(row)) if len(order) > 1 else [get(row)]
        for i, proc in typed:
            values[i] = proc(values[i])
        params.append(
            tuple(values) if compiled.positional else dict(zip(order, values, strict=True))
        )
    conn.exec_driver_sql(compiled.string, params)
    return len(rows)


def _memoised(column: Any, dialect: Any) -> Callable[[Any], Any] | None:
    proc = _processor(column, dialect)
    if proc is None:
        return None
    if isinstance(column.type, JSON):
        return proc
    seen: dict[Any, Any] = {}

    def convert(value: Any) -> Any:
        if value is None:
            return None
        try:
            return seen[value]
        except KeyError:
            out = seen[value] = proc(value)
            return out

    return convert
