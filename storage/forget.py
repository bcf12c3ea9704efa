"""Deleting what is held on people: `scout forget` (and suppression) and `scout purge`.

One routine, `delete_people`, serves both: given profile ids (and candidate ids) it deletes the
profiles, everything that hangs off them, their raw records, their entries in shared raw pages
and crawl cursors, identity links, and the candidates left without profiles with their scores,
shortlist entries and feedback labels. `forget` adds suppression hashes; `purge` does not.
What a person is and where they are held is found by storage.person (shared with export).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, delete, exists, or_, select, update
from sqlalchemy.orm import Session, aliased

from storage.entries import without_entries
from storage.models import (
    Base,
    Candidate,
    CandidateProfile,
    Contribution,
    CrawlState,
    FeedbackLabel,
    KaggleAchievement,
    LinkConfirmation,
    LinkRejection,
    Location,
    Profile,
    ProfileLocation,
    RawRecord,
    RawRecordEntry,
    Repository,
    Score,
    ShortlistEntry,
    SkillTag,
    SOTagStat,
    Suppression,
)
from storage.person import Held, _chunks, find_held, suppression_keys
from storage.save import sha256_of
from storage.suppress import suppress, suppression_key

REASON = "data-subject request (scout forget)"


def _without(cursor: dict[str, Any], ids: set[str]) -> dict[str, Any]:
    out = dict(cursor)
    if isinstance(out.get("scores"), dict):
        out["scores"] = {k: v for k, v in out["scores"].items() if str(k) not in ids}
    if isinstance(out.get("done_ids"), list):
        out["done_ids"] = [i for i in out["done_ids"] if str(i) not in ids]
    if isinstance(out.get("pending"), dict):
        out["pending"] = {k: v for k, v in out["pending"].items() if str(k) not in ids}
    return out


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
    counts["contributions"] = _delete_in(conn, _t(Contribution), Contribution.profile_id, pids)
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
    """Remove the person's entries from records about many accounts, at the pointers their
    crawler stored; the other entries are re-pointed. A page then equal to a newer one goes."""
    removed = 0
    for rid, pointers in held.page_entries.items():
        record = session.get(RawRecord, rid)
        if record is None:
            continue
        payload, moved = without_entries(record.payload, pointers)
        sha = sha256_of(payload)
        twin = session.scalar(
            select(RawRecord.id).where(
                RawRecord.source == record.source,
                RawRecord.endpoint == record.endpoint,
                RawRecord.key == record.key,
                RawRecord.payload_sha == sha,
            )
        )
        entries = session.scalars(select(RawRecordEntry).where(RawRecordEntry.raw_id == rid)).all()
        kept = [(moved(e.pointer), e.subject) for e in entries if e.pointer not in pointers]
        for entry in entries:
            session.delete(entry)
        session.flush()
        if twin is not None:
            session.delete(record)
        else:
            record.payload, record.payload_sha = payload, sha
            session.add_all(RawRecordEntry(raw_id=rid, pointer=p, subject=s) for p, s in kept)
        removed += len(pointers)
    session.flush()
    return removed


def _scrub_cursors(session: Session, held: Held) -> int:
    removed = 0
    for key, entries in held.cursor_entries.items():
        row = session.get(CrawlState, key)
        if row is not None:
            row.cursor = _without(row.cursor, held.so_ids_in(row.partition))
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
