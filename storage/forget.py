"""Deleting what is held on people: `scout forget` (and suppression) and `scout purge`.

One routine, `delete_people`, serves both: given profile ids (and candidate ids) it deletes the
profiles, everything that hangs off them, their raw records, their entries in shared raw pages
and crawl cursors, identity links, and the candidates left without profiles with their scores,
shortlist entries and feedback labels. `forget` adds suppression hashes; `purge` does not.

Storage imports no crawler, so the raw-record keys each crawler writes are restated here:
- github: key = login lower-cased (graphql:search, rest:/users, rest:/users/repos); a renamed
  account's older records are found by the numeric id inside the payload;
- stackoverflow: `/users/{ids}` key = "{site}:{user_id}"; top-answerers pages are shared by many
  people, so the person's entries are removed from them (and from the discovery cursors);
- kaggle: key = the Kaggle user Id (Users.csv, UserAchievements.csv, Submissions.csv).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, delete, exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from config.errors import ScoutError
from storage.models import (
    Base,
    Candidate,
    CandidateProfile,
    CrawlState,
    FeedbackLabel,
    KaggleAchievement,
    LinkConfirmation,
    LinkRejection,
    Location,
    Profile,
    ProfileLocation,
    RawRecord,
    Repository,
    Score,
    ShortlistEntry,
    SkillTag,
    SOTagStat,
    Suppression,
)
from storage.save import sha256_of
from storage.suppress import suppress, suppression_key

SOURCES = ("github", "stackoverflow", "kaggle")
ALIASES = {"gh": "github", "so": "stackoverflow", "stack-overflow": "stackoverflow"}
GITHUB_ID_ENDPOINTS = ("graphql:search", "rest:/users")
SO_USERS = "/users/{ids}"
SO_PAGES = "/tags/{tag}/top-answerers/{period}"
REASON = "data-subject request (scout forget)"
HOW = "say github:LOGIN, stackoverflow:USER_ID, kaggle:USERNAME, candidate:ID or profile:ID"
_IN = 500
_URLS = (
    (re.compile(r"^https?://(?:www\.)?github\.com/([A-Za-z0-9-]+)/?$", re.I), "github"),
    (re.compile(r"^https?://(?:www\.)?stackoverflow\.com/users/(\d+)(?:/.*)?$", re.I), "so"),
    (re.compile(r"^https?://(?:www\.)?kaggle\.com/([A-Za-z0-9_-]+)/?$", re.I), "kaggle"),
)


@dataclass(frozen=True, slots=True)
class Person:
    """What a reference named: the profiles and candidates to act on."""

    ref: str
    profile_ids: tuple[int, ...]
    candidate_ids: tuple[int, ...]
    labels: tuple[str, ...]


@dataclass(slots=True)
class Held:
    """Where one set of profiles appears outside their own rows."""

    profiles: list[Profile]
    raw_ids: list[int] = field(default_factory=list)
    # Shared Stack Overflow pages: raw record id -> the person's entries in its payload.
    page_entries: dict[int, list[Any]] = field(default_factory=dict)
    # crawl_state (source, stream, partition) -> the person's entries in its cursor.
    cursor_entries: dict[tuple[str, str, str], list[Any]] = field(default_factory=dict)

    def so_ids(self) -> set[str]:
        return {p.external_id for p in self.profiles if p.source == "stackoverflow"}


def _chunks(values: Sequence[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(values), _IN):
        yield list(values[start : start + _IN])


def parse_ref(ref: str) -> tuple[str, str]:
    """('github'|'stackoverflow'|'kaggle'|'candidate'|'profile', key) from a user's reference."""
    text = ref.strip()
    for pattern, kind in _URLS:
        found = pattern.match(text)
        if found:
            return ALIASES.get(kind, kind), found.group(1)
    if text.isdigit():
        raise ScoutError(f"{ref!r} is ambiguous: {HOW}")
    kind, sep, key = text.partition(":")
    kind = ALIASES.get(kind.strip().lower(), kind.strip().lower())
    key = key.strip()
    if not sep or not key or kind not in (*SOURCES, "candidate", "profile"):
        raise ScoutError(f"cannot read {ref!r}: {HOW}")
    if kind in ("candidate", "profile", "stackoverflow") and not key.isdigit():
        raise ScoutError(f"{ref!r}: a {kind} is named by its number, e.g. {kind}:42")
    return kind, key


def _find_profile(session: Session, kind: str, key: str) -> int | None:
    if kind == "profile":
        return session.scalar(select(Profile.id).where(Profile.id == int(key)))
    by_id = select(Profile.id).where(Profile.source == kind, Profile.external_id == key)
    if kind == "stackoverflow":
        return session.scalar(by_id)
    # GitHub logins and Kaggle user names are what people go by; ids are the fallback.
    by_handle = (
        select(Profile.id)
        .where(Profile.source == kind, func.lower(Profile.handle) == key.lower())
        .order_by(Profile.last_seen.desc(), Profile.id)
        .limit(1)
    )
    return session.scalar(by_handle) or session.scalar(by_id)


def label(profile: Profile) -> str:
    """`github:octocat (id 583231)`: how a profile is named in messages."""
    if profile.source == "stackoverflow" or not profile.handle:
        return f"{profile.source}:{profile.external_id}"
    return f"{profile.source}:{profile.handle} (id {profile.external_id})"


def resolve_person(session: Session, ref: str, *, whole_person: bool = True) -> Person:
    """The profiles and candidates a reference names; ScoutError when nothing matches.

    With `whole_person`, a profile linked to a candidate brings every profile of that
    candidate: a data-subject request is about the person, not one account.
    """
    kind, key = parse_ref(ref)
    candidate_ids: list[int] = []
    if kind == "candidate":
        cid = session.scalar(select(Candidate.id).where(Candidate.id == int(key)))
        if cid is None:
            raise ScoutError(f"no candidate {key} in this database: nothing is held on {ref!r}")
        candidate_ids.append(cid)
        pids = list(
            session.scalars(
                select(CandidateProfile.profile_id).where(CandidateProfile.candidate_id == cid)
            )
        )
    else:
        pid = _find_profile(session, kind, key)
        if pid is None:
            raise ScoutError(f"no profile matches {ref!r} in this database: nothing is held on it")
        pids = [pid]
        cid = session.scalar(
            select(CandidateProfile.candidate_id).where(CandidateProfile.profile_id == pid)
        )
        if cid is not None and whole_person:
            candidate_ids.append(cid)
            pids = list(
                session.scalars(
                    select(CandidateProfile.profile_id).where(CandidateProfile.candidate_id == cid)
                )
            )
    rows = session.scalars(select(Profile).where(Profile.id.in_(pids)).order_by(Profile.id)).all()
    return Person(
        ref=ref,
        profile_ids=tuple(p.id for p in rows),
        candidate_ids=tuple(candidate_ids),
        labels=tuple(label(p) for p in rows),
    )


def _github_owner(payload: Any) -> str | None:
    """The numeric account id a GitHub raw payload belongs to, when it says."""
    if isinstance(payload, list):
        first = payload[0] if payload and isinstance(payload[0], dict) else {}
        owner = first.get("owner")
        payload = owner if isinstance(owner, dict) else {}
    if not isinstance(payload, dict):
        return None
    graphql = "databaseId" in payload or "__typename" in payload
    value = payload.get("databaseId") if graphql else payload.get("id")
    return None if value is None else str(value)


def _so_page_entries(payload: Any, ids: set[str]) -> list[Any]:
    items = payload.get("items") if isinstance(payload, dict) else None
    return [
        i
        for i in items or []
        if isinstance(i, dict) and str((i.get("user") or {}).get("user_id")) in ids
    ]


def find_held(session: Session, profile_ids: Sequence[int]) -> Held:
    """The profiles and every raw record, shared page and cursor that holds them."""
    profiles: list[Profile] = []
    for chunk in _chunks(profile_ids):
        profiles.extend(session.scalars(select(Profile).where(Profile.id.in_(chunk))))
    profiles.sort(key=lambda p: p.id)
    held = Held(profiles)
    raw: set[int] = set()
    by_source: dict[str, list[Profile]] = {}
    for p in profiles:
        by_source.setdefault(p.source, []).append(p)
    if "kaggle" in by_source:
        keys = [p.external_id for p in by_source["kaggle"]]
        for chunk in _chunks(keys):
            raw.update(
                session.scalars(
                    select(RawRecord.id).where(
                        RawRecord.source == "kaggle", RawRecord.key.in_(chunk)
                    )
                )
            )
    if "github" in by_source:
        raw.update(_github_raw(session, by_source["github"]))
    so_ids = held.so_ids()
    if so_ids:
        users = session.execute(
            select(RawRecord.id, RawRecord.key).where(
                RawRecord.source == "stackoverflow", RawRecord.endpoint == SO_USERS
            )
        )
        raw.update(rid for rid, key in users if str(key).rsplit(":", 1)[-1] in so_ids)
        pages: Any = session.execute(
            select(RawRecord.id, RawRecord.payload).where(
                RawRecord.source == "stackoverflow", RawRecord.endpoint == SO_PAGES
            )
        )
        for rid, payload in pages:
            entries = _so_page_entries(payload, so_ids)
            if entries:
                held.page_entries[rid] = entries
        for row in session.scalars(select(CrawlState).where(CrawlState.source == "stackoverflow")):
            entries = _cursor_entries(row.cursor, so_ids)
            if entries:
                held.cursor_entries[(row.source, row.stream, row.partition)] = entries
    held.raw_ids = sorted(raw)
    return held


def _github_raw(session: Session, profiles: list[Profile]) -> set[int]:
    ids = {p.external_id for p in profiles}
    current = {p.handle.lower() for p in profiles if p.handle}
    found: set[int] = set()
    logins = set(current)
    # One pass over the id-bearing records finds the logins a renamed account once had.
    rows: Any = session.execute(
        select(
            RawRecord.id,
            RawRecord.key,
            RawRecord.payload["databaseId"].as_string(),
            RawRecord.payload["id"].as_string(),
            RawRecord.payload["__typename"].as_string(),
        ).where(RawRecord.source == "github", RawRecord.endpoint.in_(GITHUB_ID_ENDPOINTS))
    )
    for rid, key, database_id, rest_id, typename in rows:
        graphql = database_id is not None or typename is not None
        owner = database_id if graphql else rest_id
        if owner is not None and str(owner) in ids:
            found.add(rid)
            logins.add(str(key))
    for chunk in _chunks(sorted(logins)):
        result: Any = session.execute(
            select(RawRecord.id, RawRecord.key, RawRecord.payload).where(
                RawRecord.source == "github", RawRecord.key.in_(chunk)
            )
        )
        for rid, key, payload in result:
            owner = _github_owner(payload)
            # A login freed by a rename may belong to someone else now: the id decides.
            if owner in ids or (owner is None and key in current):
                found.add(rid)
    return found


def _cursor_entries(cursor: Any, ids: set[str]) -> list[Any]:
    if not isinstance(cursor, dict):
        return []
    out: list[Any] = []
    scores = cursor.get("scores")
    if isinstance(scores, dict):
        out += [{"user_id": k, "score": v} for k, v in scores.items() if str(k) in ids]
    done = cursor.get("done_ids")
    if isinstance(done, list):
        out += [{"done_id": i} for i in done if str(i) in ids]
    return out


def _without(cursor: dict[str, Any], ids: set[str]) -> dict[str, Any]:
    out = dict(cursor)
    if isinstance(out.get("scores"), dict):
        out["scores"] = {k: v for k, v in out["scores"].items() if str(k) not in ids}
    if isinstance(out.get("done_ids"), list):
        out["done_ids"] = [i for i in out["done_ids"] if str(i) not in ids]
    return out


def suppression_keys(profiles: Iterable[Profile]) -> list[tuple[str, str]]:
    """Every identifier the crawlers check at ingest, for each profile."""
    keys: list[tuple[str, str]] = []
    for p in profiles:
        keys.append((p.source, p.external_id))
        if p.source in ("github", "kaggle") and p.handle:
            keys.append((p.source, p.handle))
        if p.source == "stackoverflow" and p.profile_url:
            keys.append((p.source, p.profile_url))
    return keys


def _t(model: type[Base]) -> Table:
    return cast(Table, model.__table__)


def _count(conn: Connection, stmt: Any) -> int:
    return int(conn.execute(stmt).rowcount or 0)


def _delete_in(conn: Connection, table: Any, column: Any, values: Sequence[int]) -> int:
    return sum(_count(conn, delete(table).where(column.in_(c))) for c in _chunks(values))


def delete_people(
    session: Session,
    profile_ids: Sequence[int],
    candidate_ids: Sequence[int] = (),
    *,
    suppress_reason: str | None = None,
) -> dict[str, int]:
    """Delete profiles, what hangs off them and candidates left empty; rows deleted per table.

    Candidates that keep other profiles survive; those profiles are marked for re-enrichment
    so identity links that went through a deleted profile are rebuilt. With `suppress_reason`
    every identifier of every profile is added to the suppression list (hashes only).
    """
    held = find_held(session, profile_ids)
    pids = [p.id for p in held.profiles]
    conn = session.connection()
    counts: dict[str, int] = {}
    members: dict[int, list[int]] = {}
    for chunk in _chunks(pids):
        touched = session.scalars(
            select(CandidateProfile.candidate_id).where(CandidateProfile.profile_id.in_(chunk))
        )
        members.update({cid: [] for cid in touched})
    for chunk in _chunks(sorted(members)):
        rows = session.execute(
            select(CandidateProfile.candidate_id, CandidateProfile.profile_id).where(
                CandidateProfile.candidate_id.in_(chunk)
            )
        )
        for cid, pid in rows:
            members[cid].append(pid)
    gone = set(pids)
    emptied = sorted({c for c, ms in members.items() if set(ms) <= gone} | set(candidate_ids))
    survivors = sorted({m for c, ms in members.items() for m in ms if m not in gone})
    counts["scores"] = _delete_in(conn, _t(Score), Score.candidate_id, emptied)
    counts["shortlist_entries"] = _delete_in(
        conn, _t(ShortlistEntry), ShortlistEntry.candidate_id, emptied
    )
    counts["feedback_labels"] = _delete_in(
        conn, _t(FeedbackLabel), FeedbackLabel.candidate_id, emptied
    )
    counts["candidate_profiles"] = _delete_in(
        conn, _t(CandidateProfile), CandidateProfile.profile_id, pids
    )
    counts["candidates"] = _delete_in(conn, _t(Candidate), Candidate.id, emptied)
    for model in (Repository, SOTagStat, KaggleAchievement, ProfileLocation, SkillTag):
        table = _t(model)
        counts[table.name] = _delete_in(conn, table, table.c.profile_id, pids)
    for pair in (LinkRejection, LinkConfirmation):  # what users said about their links
        counts[_t(pair).name] = sum(
            _count(
                conn,
                delete(_t(pair)).where(or_(pair.profile_a_id.in_(c), pair.profile_b_id.in_(c))),
            )
            for c in _chunks(pids)
        )
    counts["raw_records"] = _delete_in(conn, _t(RawRecord), RawRecord.id, held.raw_ids)
    counts["raw_page_entries"] = _scrub_pages(session, held)
    counts["crawl_state_entries"] = _scrub_cursors(session, held)
    texts = sorted({p.location_raw for p in held.profiles if p.location_raw})
    counts["profiles"] = _delete_in(conn, _t(Profile), Profile.id, pids)
    counts["locations"] = _delete_orphan_locations(session, texts)
    for chunk in _chunks(survivors):
        conn.execute(update(_t(Profile)).where(Profile.id.in_(chunk)).values(enriched_sha=None))
    counts["profiles_to_relink"] = len(survivors)
    if suppress_reason is not None:
        counts["suppressions"] = _suppress(session, held.profiles, suppress_reason)
    return counts


def _scrub_pages(session: Session, held: Held) -> int:
    """Remove the person's entries from shared pages; a page equal to a newer one goes."""
    ids = held.so_ids()
    removed = 0
    for rid, entries in held.page_entries.items():
        record = session.get(RawRecord, rid)
        if record is None:
            continue
        payload = {**record.payload, "items": _kept_items(record.payload, ids)}
        sha = sha256_of(payload)
        twin = session.scalar(
            select(RawRecord.id).where(
                RawRecord.source == record.source,
                RawRecord.endpoint == record.endpoint,
                RawRecord.key == record.key,
                RawRecord.payload_sha == sha,
            )
        )
        if twin is not None:
            session.delete(record)
        else:
            record.payload, record.payload_sha = payload, sha
        removed += len(entries)
    session.flush()
    return removed


def _kept_items(payload: Any, ids: set[str]) -> list[Any]:
    return [
        i
        for i in payload.get("items") or []
        if not (isinstance(i, dict) and str((i.get("user") or {}).get("user_id")) in ids)
    ]


def _scrub_cursors(session: Session, held: Held) -> int:
    ids = held.so_ids()
    removed = 0
    for key, entries in held.cursor_entries.items():
        row = session.get(CrawlState, key)
        if row is not None:
            row.cursor = _without(row.cursor, ids)
            removed += len(entries)
    session.flush()
    return removed


def _delete_orphan_locations(session: Session, texts: list[str]) -> int:
    """A location string only the deleted profiles used goes from the shared cache too."""
    conn = session.connection()
    deleted = 0
    for chunk in _chunks(texts):
        used = set(
            session.scalars(select(Profile.location_raw).where(Profile.location_raw.in_(chunk)))
        )
        orphans = [t for t in chunk if t not in used]
        if orphans:
            deleted += _count(conn, delete(_t(Location)).where(Location.text.in_(orphans)))
    return deleted


def _suppress(session: Session, profiles: list[Profile], reason: str) -> int:
    """Add suppression hashes; returns how many were new."""
    added = 0
    by_source: dict[str, list[str]] = {}
    for source, key in suppression_keys(profiles):
        by_source.setdefault(source, []).append(key)
    for source, keys in by_source.items():
        shas = {suppression_key(source, k) for k in keys}
        known = set(
            session.scalars(
                select(Suppression.key_sha).where(
                    Suppression.source == source, Suppression.key_sha.in_(sorted(shas))
                )
            )
        )
        suppress(session, source, keys, reason)
        added += len(shas - known)
    return added


def stale_profiles(session: Session, cutoff: datetime) -> list[int]:
    """Profiles no crawl has seen since `cutoff`."""
    return list(session.scalars(select(Profile.id).where(Profile.last_seen < cutoff)))


def purge(session: Session, cutoff: datetime) -> dict[str, int]:
    """Delete profiles not seen since `cutoff` (no suppression) and raw history older than it.

    Raw history: a record older than the cutoff goes when a newer record for the same
    (source, endpoint, key) exists. The newest record of a key stays whatever its age (an
    unchanged payload keeps its first fetched_at), so `scout rebuild` still has every live
    profile's source data.
    """
    counts = delete_people(session, stale_profiles(session, cutoff))
    newer = aliased(RawRecord)
    superseded = exists().where(
        newer.source == RawRecord.source,
        newer.endpoint == RawRecord.endpoint,
        newer.key == RawRecord.key,
        newer.id > RawRecord.id,
    )
    history = delete(_t(RawRecord)).where(RawRecord.fetched_at < cutoff, superseded)
    counts["raw_records_history"] = _count(session.connection(), history)
    return counts
