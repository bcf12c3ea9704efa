"""A shortlist as CSV rows: the columns, each picked candidate's cells, and the file.

The CSV is for Excel and Google Sheets: UTF-8 (with a BOM unless --no-bom), one header row,
one row per candidate, and no cell a spreadsheet would run as a formula.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.regions import display_region, load_regions_file
from enrich.identity.link import describe_rules
from enrich.identity.view import SOURCES
from scoring.evidence import words as evidence_words
from scoring.feature_defs import describe
from scoring.features import rows
from scoring.feedback import latest_decisions
from scoring.ranking import RankingConfig
from storage.csvfile import csv_writer
from storage.models import Candidate, CandidateProfile, Profile, ProfileLocation, SkillTag

CSV_COLUMNS = [
    "rank",
    "score",
    "name",
    "country",
    "region",
    "github_url",
    "stackoverflow_url",
    "kaggle_url",
    "why_linked",
    "top_skills",
    "why_ranked",
    "last_activity",
    "candidate_id",
    "decision",
]
CONTACT_COLUMNS = ["email", "website"]


def columns_for(include_contacts: bool) -> list[str]:
    if not include_contacts:
        return list(CSV_COLUMNS)
    at = CSV_COLUMNS.index("candidate_id")
    return [*CSV_COLUMNS[:at], *CONTACT_COLUMNS, *CSV_COLUMNS[at:]]


def write_csv(
    rows: Iterable[dict[str, Any]], handle: TextIO, columns: list[str], bom: bool = False
) -> int:
    """Stream rows to `handle` (opened with newline=""); returns the number of rows written."""
    writer = csv_writer(handle, bom, dialect="excel")
    writer.writerow(columns)
    n = 0
    for row in rows:
        get = row.get
        writer.writerow([get(c) for c in columns])
        n += 1
    return n


def shortlist_rows(
    session: Session,
    config: RankingConfig,
    picked: list[tuple[int, float, dict[str, Any]]],
    include_contacts: bool = False,
    chunk: int = 500,
    region_names: Mapping[str, str] | None = None,
) -> Iterator[dict[str, Any]]:
    """CSV rows for the picked candidates, fetched chunk by chunk (memory stays flat).
    Regions are shown by display name (`region_names`: key -> display, from the regions file
    in use; ours when not given)."""
    names = load_regions_file().display_names() if region_names is None else region_names
    for start in range(0, len(picked), chunk):
        part = picked[start : start + chunk]
        ids = [cid for cid, _, _ in part]
        details = _details(session, ids, config, names)
        skills = _top_skills(session, ids, {cid: e for cid, _, e in part})
        decided = latest_decisions(session, ids)
        for offset, (cid, score, explanation) in enumerate(part):
            d = details[cid]
            last = explanation.get("last_activity")
            row = {
                "rank": start + offset + 1,
                "score": f"{score:.1f}",
                "name": d["name"],
                "country": d["country"],
                "region": d["region"],
                "github_url": d["urls"].get("github", ""),
                "stackoverflow_url": d["urls"].get("stackoverflow", ""),
                "kaggle_url": d["urls"].get("kaggle", ""),
                "why_linked": d["linked"],
                "top_skills": skills.get(cid, ""),
                "why_ranked": explanation.get("text", ""),
                "last_activity": last[:10] if last else "",
                "candidate_id": cid,
                "decision": decided[cid][0] if cid in decided else "",  # what was said before
            }
            if include_contacts:
                row["email"], row["website"] = d["email"], d["website"]
            yield row


def _details(
    session: Session, ids: list[int], config: RankingConfig, region_names: Mapping[str, str]
) -> dict[int, dict[str, Any]]:
    link = CandidateProfile
    out: dict[int, dict[str, Any]] = {
        cid: {
            "name": "",
            "country": "",
            "region": "",
            "urls": {},
            "email": "",
            "website": "",
            "linked": "",
        }
        for cid in ids
    }
    for cid, name in rows(
        session, select(Candidate.id, Candidate.display_name).where(Candidate.id.in_(ids))
    ):
        out[cid]["name"] = name or ""
    prof = select(
        link.candidate_id,
        Profile.source,
        Profile.profile_url,
        Profile.email,
        Profile.website,
        Profile.name,
    ).join(Profile, Profile.id == link.profile_id)
    prof = prof.where(Profile.gone_at.is_(None))  # a gone account's page is no way to reach them
    for cid, source, url, email, website, pname in rows(
        session, prof.where(link.candidate_id.in_(ids)).order_by(Profile.id)
    ):
        d = out[cid]
        d["urls"].setdefault(source, url or "")
        d["email"] = d["email"] or email or ""
        d["website"] = d["website"] or website or ""
        d["name"] = d["name"] or pname or ""
    loc = select(
        link.candidate_id,
        ProfileLocation.country,
        ProfileLocation.regions,
        ProfileLocation.confidence,
    ).join(ProfileLocation, ProfileLocation.profile_id == link.profile_id)
    best: dict[int, float] = {}
    for cid, country, regions, confidence in rows(session, loc.where(link.candidate_id.in_(ids))):
        if confidence >= best.get(cid, -1.0):
            best[cid] = confidence
            out[cid]["country"] = country or ""
            shown = (display_region(str(r), region_names) for r in regions or [])
            out[cid]["region"] = ", ".join(shown)
    for cid, text in _link_words(session, ids).items():
        out[cid]["linked"] = text
    return out


def _link_words(session: Session, ids: list[int]) -> dict[int, str]:
    """Why a candidate's profiles are one person, link by link, strongest first:
    "Kaggle 'annan' = GitHub 'anowak' (fuzzy 0.91): same name 'Anna Nowak'; ... | ..."."""
    link = CandidateProfile
    stmt = (
        select(
            link.candidate_id,
            link.profile_id,
            link.method,
            link.confidence,
            link.evidence,
            Profile.source,
            Profile.handle,
            Profile.external_id,
        )
        .join(Profile, Profile.id == link.profile_id)
        .where(link.candidate_id.in_(ids), link.method != "self")
        .order_by(link.candidate_id, link.confidence.desc(), link.profile_id)
    )
    found: dict[int, list[str]] = defaultdict(list)
    seen: set[frozenset[int]] = set()
    for cid, pid, method, confidence, evidence, source, handle, ext in rows(session, stmt):
        ev = evidence if isinstance(evidence, dict) else {}
        other = ev.get("linked_to")
        key = frozenset((pid, other if isinstance(other, int) else -pid))
        if key in seen:
            continue  # each link once, though both its ends hold it
        seen.add(key)
        me = f"{SOURCES.get(source, source)} '{handle or ext}'"
        why = describe_rules(ev)
        found[cid].append(f"{me} = {ev.get('with', '?')} ({method} {confidence:.2f}): {why}")
    return {cid: " | ".join(texts) for cid, texts in found.items()}


def _top_skills(
    session: Session, ids: list[int], explanations: dict[int, dict[str, Any]]
) -> dict[int, str]:
    """The top_skills cells: the strongest skill names (enrich's tags), then the evidence the
    features counted, as the score stored it (scoring.evidence), with repository links."""
    link = CandidateProfile
    tags: dict[int, dict[str, tuple[float, str]]] = defaultdict(dict)
    stmt = select(link.candidate_id, SkillTag.skill, SkillTag.strength, SkillTag.evidence).join(
        SkillTag, SkillTag.profile_id == link.profile_id
    )
    for cid, skill, strength, evidence in rows(session, stmt.where(link.candidate_id.in_(ids))):
        label = evidence.get("label") if isinstance(evidence, dict) else None
        best = tags[cid].get(skill)
        if best is None or strength > best[0]:
            tags[cid][skill] = (strength, str(label or skill))
    # Each candidate's live GitHub pages by handle: repositories are linked under them.
    pages: dict[int, dict[str, str]] = defaultdict(dict)
    gh = (
        select(link.candidate_id, Profile.handle, Profile.profile_url)
        .join(Profile, Profile.id == link.profile_id)
        .where(link.candidate_id.in_(ids), Profile.source == "github", Profile.gone_at.is_(None))
    )
    for cid, handle, url in rows(session, gh):
        if handle and url:
            pages[cid][handle] = str(url).rstrip("/")
    out: dict[int, str] = {}
    for cid in ids:
        names = [label for _, label in sorted(tags[cid].values(), key=lambda t: (-t[0], t[1]))[:3]]
        mine = pages[cid]

        def repo_url(owner: str, name: str, mine: dict[str, str] = mine) -> str:
            return f"{mine[owner]}/{name}" if owner in mine else ""

        evidence = (explanations.get(cid) or {}).get("evidence") or {}
        out[cid] = evidence_words(evidence, describe, repo_url, names)
    return out
