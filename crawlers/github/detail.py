"""The detail pass of a GitHub crawl: who needs details, in which batches, within what budget.

A discovery page (crawlers/github/spider.py) names up to 100 accounts with their `updatedAt`.
Only users that are new (not stored) or changed (stored `updated_at` older) and not already
asked for in this run get their details, through `nodes(ids:)` in batches
(`plan_batches`); unchanged users are recorded as seen, their stored ETag and repositories
kept. The page's cursor is committed only with its details (one PageItem), so a crash
between the passes loses nothing and `--resume` asks for the page again.

Batches: GitHub rounds a query's cost to whole points, so the ids a page needs are split into
the batches that cost the fewest points, with at most one request per BATCH_FLOOR ids (84
users cost 18 points, 4.67 a point; 20 users 4 points, 5 a point; 100 users 22 points).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from crawlers.github import parse
from crawlers.github.query import MAX_IDS, detail_cost
from crawlers.payload import SHAPE_ERRORS
from storage.db import session_scope
from storage.models import Profile
from storage.suppress import is_suppressed, suppressed_hashes

# Batches average at least this many ids: fewer points, but never a request per handful.
BATCH_FLOOR = 20


@cache
def _cheapest(n: int, requests: int) -> tuple[int, tuple[int, ...]]:
    """(points, batch sizes) of the cheapest split of n ids into at most `requests` batches."""
    if n == 0:
        return 0, ()
    if requests == 0:
        return 1 << 30, ()
    best: tuple[int, tuple[int, ...]] = (1 << 30, ())
    for size in range(min(MAX_IDS, n), 0, -1):
        points, rest = _cheapest(n - size, requests - 1)
        if points + detail_cost(size) < best[0]:
            best = (points + detail_cost(size), (size, *rest))
    return best


def plan_batches(n: int) -> list[int]:
    """Batch sizes for n ids: fewest points, at most one request per BATCH_FLOOR ids."""
    if n <= 0:
        return []
    sizes: list[int] = []
    while n > MAX_IDS * 2:  # a page holds 100; larger n only from callers batching more
        sizes.append(MAX_IDS)
        n -= MAX_IDS
    return sizes + list(_cheapest(n, math.ceil(n / BATCH_FLOOR))[1])


def plan_cost(n: int) -> int:
    """Points the details of n users cost (the budget reserves this before discovery)."""
    return sum(detail_cost(size) for size in plan_batches(n))


@dataclass
class Budget:
    """`--budget N`: GraphQL points this run may spend; requests reserve what they may cost.

    Each window has at most one request chain in flight (a count, or a discovery page and its
    detail batches); its reservation is what the rest of that chain may cost, so a discovery
    page is asked only when its details are affordable too.
    """

    limit: int | None = None
    reserved: dict[str, int] = field(default_factory=dict)
    reached: bool = False

    def take(self, key: str, cost: int, spent: int) -> bool:
        """Reserve `cost` for `key` (replacing its reservation); False (and reached) when the
        budget cannot cover it on top of what is spent and reserved by others."""
        if self.limit is None:
            return True
        others = sum(v for k, v in self.reserved.items() if k != key)
        if spent + others + cost > self.limit:
            self.reserved.pop(key, None)
            self.reached = True
            return False
        self.reserved[key] = cost
        return True

    def release(self, key: str) -> None:
        self.reserved.pop(key, None)

    def left(self, key: str, spent: int) -> int | None:
        """Points `key` may still reserve (None: no budget)."""
        if self.limit is None:
            return None
        return self.limit - spent - sum(v for k, v in self.reserved.items() if k != key)


@dataclass
class Sorted:
    """A discovery page's nodes by what they need."""

    records: list[dict[str, Any]] = field(default_factory=list)  # orgs, bots: no details
    detail: list[tuple[str, str]] = field(default_factory=list)  # (node id, databaseId)
    changed: set[str] = field(default_factory=set)  # databaseIds stored before
    unchanged: list[str] = field(default_factory=list)
    repeats: int = 0  # asked for by another page of this run
    suppressed: int = 0
    unusable: list[dict[str, Any]] = field(default_factory=list)  # a User without a node id


@dataclass
class Lookup:
    """What the database says about discovered accounts; suppressions read once per crawl."""

    engine: Engine
    hashes: set[str] | None = None

    def versions(self, ids: list[str]) -> dict[str, datetime | None]:
        """Stored `updated_at` by external id (ids not stored are absent)."""
        return self.stored(ids, Profile.updated_at)

    def stored(self, ids: list[str], column: Any) -> dict[str, Any]:
        """A column of the stored profiles by external id (suppressions read the first time)."""
        out: dict[str, Any] = {}
        with session_scope(self.engine) as session:
            if self.hashes is None:
                self.hashes = suppressed_hashes(session, parse.SOURCE)
            for start in range(0, len(ids), 500):
                rows = session.execute(
                    select(Profile.external_id, column).where(
                        Profile.source == parse.SOURCE,
                        Profile.external_id.in_(ids[start : start + 500]),
                    )
                )
                out.update({str(ext): value for ext, value in rows})
        return out

    def suppressed(self, node: dict[str, Any]) -> bool:
        if self.hashes is None:
            self.stored([], Profile.id)
        keys = (node.get("login"), parse.external_id(node))
        return bool(self.hashes) and is_suppressed(self.hashes or set(), parse.SOURCE, *keys)


def _kind(node: dict[str, Any]) -> str | None:
    try:
        return parse.classify(node)
    except SHAPE_ERRORS:
        return parse.DROP_INVALID


def sort_nodes(
    nodes: list[dict[str, Any]],
    stored: dict[str, datetime | None],
    claimed: set[str],
    lookup: Lookup | None = None,
) -> Sorted:
    """Which discovered users need details, which are unchanged, which were asked already.

    Orgs, bots and invalid nodes go to the page's records as they are (the pipeline counts
    them dropped). A user whose `updatedAt` cannot be read is detailed (its detail node is
    validated like any other).
    """
    out = Sorted()
    for node in nodes:
        if _kind(node) is not None:
            out.records.append(node)
            continue
        ident, node_id = parse.external_id(node), node.get("id")
        if ident is None or not isinstance(node_id, str) or not node_id:
            out.unusable.append(node)
            continue
        if ident in claimed:
            out.repeats += 1
            continue
        if lookup is not None and lookup.suppressed(node):
            out.suppressed += 1
            continue
        claimed.add(ident)
        if ident in stored:
            before, now = stored[ident], parse.parse_time(node.get("updatedAt"))
            if before is not None and now is not None and before >= now:
                out.unchanged.append(ident)
                continue
            out.changed.add(ident)
        out.detail.append((node_id, ident))
    return out


def detail_nodes(payload: dict[str, Any]) -> tuple[list[dict[str, Any]], int, str | None]:
    """(user nodes, ids GitHub no longer knows, why the answer is partial or None).

    An id GitHub answers null with a NOT_FOUND error at ["nodes", i] is an account deleted or
    suspended since discovery: gone, not a failure. Any other error or null is partial.
    """
    data = payload.get("data")
    nodes = data.get("nodes") if isinstance(data, dict) else None
    if not isinstance(nodes, list):
        return [], 0, "nodes are null"
    errors = payload.get("errors") or []
    if not isinstance(errors, list):
        errors = [errors]
    gone: set[int] = set()
    other = []
    for error in errors:
        path = error.get("path") if isinstance(error, dict) else None
        if (
            isinstance(error, dict)
            and error.get("type") == "NOT_FOUND"
            and isinstance(path, list)
            and len(path) == 2
            and path[0] == "nodes"
            and isinstance(path[1], int)
        ):
            gone.add(path[1])
        else:
            other.append(error)
    found = [n for n in nodes if isinstance(n, dict)]
    nulls = sum(1 for i, n in enumerate(nodes) if not isinstance(n, dict) and i not in gone)
    reason = None
    if other:
        first = other[0]
        message = first.get("message", "") if isinstance(first, dict) else first
        reason = f"GraphQL errors beside data: {str(message)[:120]}"
    elif nulls:
        reason = f"{nulls} null node(s)"
    return found, len(gone), reason


@cache
def worst_cost(first: int) -> int:
    """The most the details of a page of `first` users can cost (reserved before asking)."""
    return max(plan_cost(n) for n in range(first + 1))


def mark_seen(session: Session, ids: list[str], seen_at: datetime) -> None:
    """Unchanged users were seen now: last_seen moves (never back), nothing else is written."""
    for start in range(0, len(ids), 500):
        session.execute(
            update(Profile)
            .where(
                Profile.source == parse.SOURCE,
                Profile.external_id.in_(ids[start : start + 500]),
                Profile.last_seen < seen_at,
            )
            .values(last_seen=seen_at)
        )
