"""Everything held on one person, as one JSON document (a data-subject access request).

The document is built from the same finder `scout forget` deletes with (storage.forget), so
what is exported is exactly what forgetting would remove. Contact fields are included: the
person is asking for their own data. Secrets are never stored, so none can appear here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import orjson
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from config.clock import utcnow
from storage.entries import entry_at
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
    ProfileLocation,
    RawRecord,
    Repository,
    Score,
    Shortlist,
    ShortlistEntry,
    SkillTag,
    SOTagStat,
)
from storage.person import Held, Person, find_held

FORMAT = "talent-scout person export 1"
# Bookkeeping columns that say nothing about the person.
_SKIP = {"profile_id", "candidate_id"}


def row_dict(row: Base, skip: set[str] = _SKIP) -> dict[str, Any]:
    """Every column of an ORM row, datetimes as ISO 8601 strings."""
    out: dict[str, Any] = {}
    for column in row.__table__.columns:
        if column.key in skip:
            continue
        value = getattr(row, column.key)
        out[column.key] = value.isoformat() if isinstance(value, datetime | date) else value
    return out


def _children(session: Session, model: Any, pid: int, order: Any) -> list[dict[str, Any]]:
    rows: Any = session.scalars(select(model).where(model.profile_id == pid).order_by(order))
    return [row_dict(r, _SKIP | {"id"}) for r in rows]


def _location(session: Session, pid: int) -> dict[str, Any] | None:
    found = session.scalars(
        select(ProfileLocation).where(ProfileLocation.profile_id == pid)
    ).first()
    if found is None:
        return None
    out = row_dict(found, _SKIP | {"id"})
    if found.location_text:
        cached = session.scalars(
            select(Location).where(Location.text == found.location_text)
        ).first()
        out["resolution"] = None if cached is None else row_dict(cached, {"id"})
    return out


def _profile(session: Session, held: Held, index: int) -> dict[str, Any]:
    profile = held.profiles[index]
    pid = profile.id
    out = row_dict(profile)
    out["repositories"] = _children(session, Repository, pid, Repository.name)
    out["so_tag_stats"] = _children(session, SOTagStat, pid, SOTagStat.tag)
    out["kaggle_achievements"] = _children(
        session, KaggleAchievement, pid, KaggleAchievement.category
    )
    out["contributions"] = _children(session, Contribution, pid, Contribution.repo)
    out["location"] = _location(session, pid)
    out["skill_tags"] = _children(session, SkillTag, pid, SkillTag.skill)
    link = session.scalars(
        select(CandidateProfile).where(CandidateProfile.profile_id == pid)
    ).first()
    out["identity_link"] = None if link is None else row_dict(link, {"id", "profile_id"})
    rejections = session.scalars(
        select(LinkRejection)
        .where(or_(LinkRejection.profile_a_id == pid, LinkRejection.profile_b_id == pid))
        .order_by(LinkRejection.id)
    )
    out["link_rejections"] = [row_dict(r, {"id"}) for r in rejections]
    confirmations = session.scalars(
        select(LinkConfirmation)
        .where(or_(LinkConfirmation.profile_a_id == pid, LinkConfirmation.profile_b_id == pid))
        .order_by(LinkConfirmation.id)
    )
    out["link_confirmations"] = [row_dict(r, {"id"}) for r in confirmations]
    return out


def _candidate(session: Session, cid: int) -> dict[str, Any]:
    candidate = session.get(Candidate, cid)
    out: dict[str, Any] = {"id": cid} if candidate is None else row_dict(candidate)
    scores = session.scalars(
        select(Score).where(Score.candidate_id == cid).order_by(Score.model_version)
    )
    out["scores"] = [row_dict(s, _SKIP | {"id"}) for s in scores]
    entries = session.execute(
        select(ShortlistEntry, Shortlist.name, Shortlist.created_at)
        .join(Shortlist, Shortlist.id == ShortlistEntry.shortlist_id)
        .where(ShortlistEntry.candidate_id == cid)
        .order_by(Shortlist.name)
    ).all()
    out["shortlist_entries"] = [
        {
            "shortlist": name,
            "shortlist_created_at": created.isoformat(),
            **row_dict(e, _SKIP | {"id", "shortlist_id"}),
        }
        for e, name, created in entries
    ]
    labels = session.scalars(
        select(FeedbackLabel).where(FeedbackLabel.candidate_id == cid).order_by(FeedbackLabel.id)
    )
    out["feedback_labels"] = [row_dict(f, _SKIP | {"id"}) for f in labels]
    return out


def _raw(session: Session, held: Held) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    ids: Sequence[int] = held.raw_ids
    for start in range(0, len(ids), 500):
        rows = session.scalars(
            select(RawRecord)
            .where(RawRecord.id.in_(ids[start : start + 500]))
            .order_by(RawRecord.id)
        )
        out.extend(row_dict(r) for r in rows)
    for rid, pointers in sorted(held.page_entries.items()):
        page = session.get(RawRecord, rid)
        if page is not None:
            shared = row_dict(page, {"payload", "payload_sha"})
            entries = [entry_at(page.payload, p) for p in pointers]
            out.append({**shared, "shared_page": True, "entries": entries})
    return out


def export_person(session: Session, person: Person) -> dict[str, Any]:
    """The whole record of one person: profiles with everything hanging off them, candidates
    with scores, shortlist entries and feedback, raw records, crawl cursors that name them."""
    held = find_held(session, person.profile_ids)
    cids = list(person.candidate_ids)
    for p in held.profiles:
        cid = session.scalar(
            select(CandidateProfile.candidate_id).where(CandidateProfile.profile_id == p.id)
        )
        if cid is not None and cid not in cids:
            cids.append(cid)
    cursors = []
    for (source, stream, partition), entries in sorted(held.cursor_entries.items()):
        state = session.get(CrawlState, (source, stream, partition))
        cursors.append(
            {
                "source": source,
                "stream": stream,
                "partition": partition,
                "updated_at": None if state is None else state.updated_at.isoformat(),
                "entries": entries,
            }
        )
    return {
        "format": FORMAT,
        "request": person.ref,
        "exported_at": utcnow().isoformat(),
        "profiles": [_profile(session, held, i) for i in range(len(held.profiles))],
        "candidates": [_candidate(session, cid) for cid in sorted(cids)],
        "raw_records": _raw(session, held),
        "crawl_state": cursors,
    }


def to_json(document: dict[str, Any]) -> bytes:
    """Indented UTF-8 JSON, keys in a stable order."""
    return orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS)
