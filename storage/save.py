"""Savers: write parsed items and raw responses. Savers never do HTTP."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

import orjson
from sqlalchemy import delete, select, tuple_
from sqlalchemy.orm import Session

from storage.items import ProfileItem, RawItem
from storage.models import (
    Base,
    KaggleAchievement,
    Profile,
    RawRecord,
    Repository,
    SOTagStat,
)
from storage.upsert import upsert

CHILD_TABLES: dict[str, tuple[type[Base], tuple[str, ...]]] = {
    "repositories": (Repository, ("profile_id", "name")),
    "so_tag_stats": (SOTagStat, ("profile_id", "tag")),
    "kaggle_achievements": (KaggleAchievement, ("profile_id", "category")),
}
CHILD_KEY = {"repositories": "name", "so_tag_stats": "tag", "kaggle_achievements": "category"}


def canonical_json(value: Any) -> bytes:
    """Stable JSON bytes: sorted keys, no spaces, datetimes as RFC 3339 strings."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)


def sha256_of(value: Any) -> str:
    return hashlib.sha256(canonical_json(value)).hexdigest()


def save_raw(session: Session, items: Iterable[RawItem]) -> int:
    """Append raw records; an identical payload for the same key is stored once."""
    rows = [
        {
            "source": item.source,
            "endpoint": item.endpoint,
            "key": item.key,
            "fetched_at": item.fetched_at,
            "etag": item.etag,
            "payload_sha": sha256_of(item.payload),
            "payload": item.payload,
        }
        for item in items
    ]
    if not rows:
        return 0
    return upsert(session, RawRecord, rows, ("source", "endpoint", "key", "payload_sha"), update=[])


def _content_sha(item: ProfileItem, row: dict[str, Any], children: dict[str, Any]) -> str:
    content = {k: v for k, v in row.items() if k != "etag"}
    content["children"] = children
    return sha256_of(content)


def save_profiles(session: Session, items: Sequence[ProfileItem]) -> dict[tuple[str, str], int]:
    """Merge profiles and their children on their natural keys; returns (source, id) -> row id.

    Children given for a profile replace what was stored for it: a repository deleted on GitHub
    disappears here too. Children left as None are kept as stored.
    """
    if not items:
        return {}
    rows = []
    children_of: dict[tuple[str, str], dict[str, list[dict[str, Any]]]] = {}
    for item in items:
        row = item.profile_row()
        children = item.children_rows()
        row["content_sha"] = _content_sha(item, row, children)
        row["first_seen"] = item.seen_at
        row["last_seen"] = item.seen_at
        rows.append(row)
        children_of[(item.source, item.external_id)] = children
    update = [c for c in rows[0] if c not in ("source", "external_id", "first_seen")]
    upsert(session, Profile, rows, ("source", "external_id"), update=update)
    ids = profile_ids(session, list(children_of))
    for table_name, (table, keys) in CHILD_TABLES.items():
        child_rows: list[dict[str, Any]] = []
        replaced: list[int] = []
        keep: list[tuple[int, str]] = []
        for key, children in children_of.items():
            if table_name not in children:
                continue
            pid = ids[key]
            replaced.append(pid)
            for child in children[table_name]:
                child_rows.append({"profile_id": pid, **child})
                keep.append((pid, child[CHILD_KEY[table_name]]))
        if not replaced:
            continue
        _delete_missing_children(session, table.__table__, CHILD_KEY[table_name], replaced, keep)
        if child_rows:
            upsert(session, table, child_rows, keys)
    return ids


def _delete_missing_children(
    session: Session,
    table: Any,
    key_col: str,
    profile_ids_: list[int],
    keep: list[tuple[int, str]],
) -> None:
    existing = session.execute(
        select(table.c.profile_id, table.c[key_col]).where(table.c.profile_id.in_(profile_ids_))
    ).all()
    keep_set = set(keep)
    gone = [(pid, k) for pid, k in existing if (pid, k) not in keep_set]
    for start in range(0, len(gone), 500):
        chunk = gone[start : start + 500]
        session.execute(
            delete(table).where(tuple_(table.c.profile_id, table.c[key_col]).in_(chunk))
        )


def profile_ids(session: Session, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """Row ids of profiles by (source, external_id)."""
    out: dict[tuple[str, str], int] = {}
    by_source: dict[str, list[str]] = {}
    for source, external_id in keys:
        by_source.setdefault(source, []).append(external_id)
    for source, external_ids in by_source.items():
        for start in range(0, len(external_ids), 500):
            chunk = external_ids[start : start + 500]
            result = session.execute(
                select(Profile.id, Profile.external_id).where(
                    Profile.source == source, Profile.external_id.in_(chunk)
                )
            )
            for pid, external_id in result:
                out[(source, external_id)] = pid
    return out
