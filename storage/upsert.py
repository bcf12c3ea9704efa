"""Batched, dialect-aware, idempotent upserts (INSERT ... ON CONFLICT).

A row whose values are all unchanged is not rewritten (the UPDATE has a WHERE that compares
every updated column), so upserting the same batch twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Table, or_
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
    raise NotImplementedError(f"upserts are implemented for SQLite and PostgreSQL, not {name}")


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
) -> int:
    """Insert rows, or update the existing row with the same `keys`. Returns rows sent.

    `update` names the columns to overwrite on conflict (default: every column given except the
    keys); an empty list means insert-or-ignore.
    """
    table: Table = target if isinstance(target, Table) else target.__table__  # type: ignore[assignment]
    sent = 0
    for chunk in batched(rows, batch_size):
        chunk = _dedupe(chunk, keys)
        stmt = _insert_for(session, table)
        columns = update if update is not None else [c for c in chunk[0] if c not in keys]
        if columns:
            excluded = stmt.excluded
            stmt = stmt.on_conflict_do_update(
                index_elements=list(keys),
                set_={c: excluded[c] for c in columns},
                where=or_(*[table.c[c].is_distinct_from(excluded[c]) for c in columns]),
            )
        else:
            stmt = stmt.on_conflict_do_nothing(index_elements=list(keys))
        session.execute(stmt, chunk)
        sent += len(chunk)
    return sent
