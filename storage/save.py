"""Savers: write parsed items and raw responses. Savers never do HTTP."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, MutableMapping, Sequence
from typing import Any

import orjson
from sqlalchemy import case, delete, func, or_, select, tuple_
from sqlalchemy.orm import Session

from config.sites import profile_site
from storage.fit import fit_json, fit_rows
from storage.items import ProfileItem, RawItem
from storage.models import (
    Base,
    HubItem,
    KaggleAchievement,
    Profile,
    PypiPackage,
    RawRecord,
    RawRecordEntry,
    Repository,
    SOTagStat,
)
from storage.upsert import upsert

CHILD_TABLES: dict[str, tuple[type[Base], tuple[str, ...]]] = {
    "repositories": (Repository, ("profile_id", "name")),
    "so_tag_stats": (SOTagStat, ("profile_id", "tag")),
    "kaggle_achievements": (KaggleAchievement, ("profile_id", "category")),
    "hub_items": (HubItem, ("profile_id", "name")),
    "pypi_packages": (PypiPackage, ("profile_id", "name")),
}
CHILD_KEY = {
    "repositories": "name",
    "so_tag_stats": "tag",
    "kaggle_achievements": "category",
    "hub_items": "name",
    "pypi_packages": "name",
}


def canonical_json(value: Any) -> bytes:
    """Stable JSON bytes: sorted keys, no spaces, datetimes as RFC 3339 strings."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)


def sha256_of(value: Any) -> str:
    return hashlib.sha256(canonical_json(value)).hexdigest()


def _fitted(
    items: Sequence[ProfileItem],
) -> tuple[list[dict[str, Any]], list[dict[str, list[dict[str, Any]]]]]:
    """Each item's profile row and child rows, fitted to the schema (storage.fit)."""
    rows = [item.profile_row() for item in items]
    fit_rows(Profile, rows)
    children = [item.children_rows() for item in items]
    for table_name, (table, _keys) in CHILD_TABLES.items():
        fit_rows(table, (r for c in children if table_name in c for r in c[table_name]))
    return rows, children


def check_storable(item: ProfileItem) -> None:
    """Raise PayloadError when a value of `item` fits no column (a wrong type): the record's
    fault, found before the page's transaction, so the database never sees it."""
    _fitted([item])


def content_sha(item: ProfileItem) -> str:
    """The hash save_profiles keeps in profiles.content_sha for this item."""
    rows, children = _fitted([item])
    return row_content_sha(rows[0], children[0])


def fitted_payload(payload: Any) -> tuple[Any, str]:
    """A payload both databases store alike (storage.fit), and the sha256 of its JSON.

    One encoding in the common case: the one the hash needs anyway.
    """
    try:
        encoded = canonical_json(payload)
    except TypeError:  # orjson.JSONEncodeError: a huge int, a lone surrogate, deep nesting
        encoded = b"\\u0000"
    if b"\\u0000" in encoded:
        payload = fit_json(payload)
        encoded = canonical_json(payload)
    return payload, hashlib.sha256(encoded).hexdigest()


def save_raw(session: Session, items: Iterable[RawItem]) -> int:
    """Append raw records with the subject each describes (RawItem.subject, .entries); an
    identical payload for the same key is stored once (with the newest ETag it came with)."""
    rows = []
    payloads = []
    items = list(items)
    for item in items:
        payload, sha = fitted_payload(item.payload)
        payloads.append(payload)
        rows.append(
            {
                "source": item.source,
                "endpoint": item.endpoint,
                "key": item.key,
                "fetched_at": item.fetched_at,
                "etag": item.etag,
                "payload_sha": sha,
                "subject": item.subject,
            }
        )
    if not rows:
        return 0
    fit_rows(RawRecord, rows)
    for row, payload in zip(rows, payloads, strict=True):
        row["payload"] = payload
    # The same payload again is not stored twice, but its newer ETag is what a conditional
    # request must send next (storage.save.latest_etags).
    sent = upsert(
        session,
        RawRecord,
        rows,
        ("source", "endpoint", "key", "payload_sha"),
        update=["etag"],
        merge=lambda table, new: {"etag": func.coalesce(new.etag, table.c.etag)},
    )
    _save_entries(
        session, [(item, row) for item, row in zip(items, rows, strict=True) if item.entries]
    )
    return sent


def _save_entries(session: Session, saved: list[tuple[RawItem, dict[str, Any]]]) -> None:
    """The entries of records about many accounts, beside the record (stored once)."""
    entry_rows = []
    for item, row in saved:
        raw_id = session.scalar(
            select(RawRecord.id).where(
                RawRecord.source == row["source"],
                RawRecord.endpoint == row["endpoint"],
                RawRecord.key == row["key"],
                RawRecord.payload_sha == row["payload_sha"],
            )
        )
        entry_rows += [
            {"raw_id": raw_id, "pointer": pointer, "subject": subject}
            for subject, pointer in item.entries.items()
        ]
    if entry_rows:
        fit_rows(RawRecordEntry, entry_rows)
        upsert(session, RawRecordEntry, entry_rows, ("raw_id", "pointer"), update=[])


def latest_etags(
    session: Session, source: str, endpoint: str, keys: Sequence[str]
) -> dict[str, str]:
    """The ETag of the newest raw record of each key at `endpoint` (keys without one left out)."""
    out: dict[str, str] = {}
    for start in range(0, len(keys), 500):
        rows = session.execute(
            select(RawRecord.key, RawRecord.etag)
            .where(RawRecord.source == source, RawRecord.endpoint == endpoint)
            .where(RawRecord.key.in_(keys[start : start + 500]))
            .order_by(RawRecord.fetched_at, RawRecord.id)
        )
        for key, etag in rows:
            if etag:
                out[key] = etag
            else:
                out.pop(key, None)
    return out


def row_content_sha(row: dict[str, Any], children: dict[str, Any]) -> str:
    """The content hash of a fitted profile row (without content_sha, first/last_seen and
    gone_at) and its child rows: what profiles.content_sha holds. The site is part of the
    key (external_id names it), not content: hashes stored before sites existed still hold."""
    content = {k: v for k, v in row.items() if k not in ("etag", "site")}
    content["children"] = children
    return sha256_of(content)


def _kept_etag(table: Any, new: Any) -> dict[str, Any]:
    """A profile saved without an ETag (a GraphQL crawl) keeps the stored one while the
    account's updated_at is the stored one: the ETag still names what GitHub would answer, so
    the next refresh is a free 304. A newer updated_at means the account changed since that
    ETag was issued: it is cleared (the refresh pays either way, and a stale ETag must not
    answer 304 should the account ever match it again)."""
    unchanged = or_(
        new.updated_at.is_(None), new.updated_at.is_not_distinct_from(table.c.updated_at)
    )
    return {"etag": case((new.etag.is_not(None), new.etag), (unchanged, table.c.etag), else_=None)}


# What save_profiles tells about each distinct profile it was given (the run stats' names):
#   new        not stored before
#   changed    stored with other content (profiles.content_sha differs: a field or a child)
#   unchanged  stored with the same content (written again only to move last_seen)
SAVE_OUTCOMES = ("new", "changed", "unchanged")


def prepared_profiles(
    items: Sequence[ProfileItem],
) -> tuple[list[dict[str, Any]], list[dict[str, list[dict[str, Any]]]]]:
    """The profile rows (with content_sha, first_seen and last_seen, not gone, and the site)
    and child rows that save_profiles writes for `items`, fitted to the schema: for a bulk
    loader of new profiles that must store exactly what save_profiles would."""
    rows, children = _fitted(items)
    for item, row, kids in zip(items, rows, children, strict=True):
        row["site"] = profile_site(item.source, item.external_id)
        row["content_sha"] = row_content_sha(row, kids)
        row["first_seen"] = item.seen_at
        row["last_seen"] = item.seen_at
        row["gone_at"] = None
    return rows, children


def save_profiles(
    session: Session,
    items: Sequence[ProfileItem],
    tally: MutableMapping[str, int] | None = None,
) -> dict[tuple[str, str], int]:
    """Merge profiles and their children on their natural keys; returns (source, id) -> row id.

    Values are fitted to the schema first (storage.fit): a name longer than its column is cut,
    a follower count beyond 32 bits clamped, NUL bytes dropped, alike on SQLite and PostgreSQL.

    Children given for a profile replace what was stored for it: a repository deleted on GitHub
    disappears here too. Children left as None are kept as stored.

    A profile saved is one its source shows again: a mark that it was gone (profiles.gone_at,
    set by `scout refresh github` on a 404) is lifted. `tally`, when given, gets how many of the
    distinct profiles were new, changed and unchanged added (SAVE_OUTCOMES), in the same
    transaction as the write, so a run's stats count exactly what it stored.
    """
    if not items:
        return {}
    rows, children = prepared_profiles(items)
    children_of: dict[tuple[str, str], dict[str, list[dict[str, Any]]]] = {}
    sha_of: dict[tuple[str, str], str] = {}
    for row, kids in zip(rows, children, strict=True):
        key = (row["source"], row["external_id"])
        children_of[key] = kids
        sha_of[key] = row["content_sha"]  # the same account twice: the last one is stored
    stored = _stored_shas(session, list(children_of))
    if tally is not None:
        for key, sha in sha_of.items():
            outcome = "new" if key not in stored else "unchanged"
            if key in stored and stored[key][1] != sha:
                outcome = "changed"
            tally[outcome] = tally.get(outcome, 0) + 1
    update = [c for c in rows[0] if c not in ("source", "external_id", "first_seen")]
    upsert(session, Profile, rows, ("source", "external_id"), update=update, merge=_kept_etag)
    ids = {key: pid for key, (pid, _sha) in stored.items()}
    ids.update(profile_ids(session, [key for key in children_of if key not in stored]))
    for table_name, (table, keys) in CHILD_TABLES.items():
        child_rows: list[dict[str, Any]] = []
        replaced: list[int] = []
        keep: list[tuple[int, str]] = []
        for key, kids in children_of.items():
            if table_name not in kids:
                continue
            pid = ids[key]
            replaced.append(pid)
            for child in kids[table_name]:
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


def _by_source(
    session: Session, keys: Sequence[tuple[str, str]], *columns: Any
) -> Iterator[tuple[Any, ...]]:
    """(source, external_id, *columns) of the stored profiles among `keys`, 500 a query."""
    by_source: dict[str, list[str]] = {}
    for source, external_id in keys:
        by_source.setdefault(source, []).append(external_id)
    for source, external_ids in by_source.items():
        for start in range(0, len(external_ids), 500):
            chunk = external_ids[start : start + 500]
            result = session.execute(
                select(Profile.external_id, *columns).where(
                    Profile.source == source, Profile.external_id.in_(chunk)
                )
            )
            for row in result:
                yield (source, *row)


def _stored_shas(
    session: Session, keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], tuple[int, str | None]]:
    """(row id, content_sha) of the stored profiles among `keys`."""
    return {
        (s, e): (pid, sha)
        for s, e, pid, sha in _by_source(session, keys, Profile.id, Profile.content_sha)
    }


def profile_ids(session: Session, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """Row ids of profiles by (source, external_id)."""
    return {(s, e): pid for s, e, pid in _by_source(session, keys, Profile.id)}
