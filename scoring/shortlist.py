"""Shortlists: pick the top candidates by score and filters, store them, write them as CSV.

The CSV is for Excel and Google Sheets: UTF-8 (with a BOM unless --no-bom), one header row,
one row per candidate, and no cell a spreadsheet would run as a formula.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, TextIO

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from config.regions import display_region, fold_name, load_regions_file
from enrich.identity import describe_rules
from enrich.identity_view import SOURCES
from scoring.features import Matcher, rows
from scoring.ranking import RankingConfig
from storage.csvfile import csv_writer
from storage.csvfile import safe_cell as safe_cell
from storage.models import (
    Candidate,
    CandidateProfile,
    FeedbackLabel,
    Profile,
    ProfileLocation,
    Repository,
    Score,
    Shortlist,
    ShortlistEntry,
    SkillTag,
    SOTagStat,
)

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
CONTACTED = ("contacted", "replied", "hired")


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


@dataclass
class Filters:
    """What a recruiter asks for; every field is optional."""

    region: str | None = None
    country: str | None = None
    skill: str | None = None
    min_score: float | None = None
    source: str | None = None
    active_since: datetime | None = None
    exclude_contacted: bool = False
    top: int = 50


def _ids(session: Session, stmt: Any) -> set[int]:
    return {int(x) for x in session.scalars(stmt)}


def _filter_ids(session: Session, f: Filters, config: RankingConfig) -> set[int] | None:
    """Candidate ids allowed by the set-style filters, or None when none is given."""
    link = CandidateProfile
    allowed: set[int] | None = None

    def narrow(ids: set[int]) -> None:
        nonlocal allowed
        allowed = ids if allowed is None else allowed & ids

    if f.region or f.country:
        stmt = select(link.candidate_id, ProfileLocation.regions, ProfileLocation.country).join(
            ProfileLocation, ProfileLocation.profile_id == link.profile_id
        )
        # Stored keys and the filter compared as names (older rows may hold `eastern-europe`).
        want_region = fold_name(f.region or "")
        want_country = (f.country or "").upper()
        ids = set()
        for cid, regions, country in rows(session, stmt):
            if want_region and want_region not in [fold_name(str(r)) for r in regions or []]:
                continue
            if want_country and (country or "").upper() != want_country:
                continue
            ids.add(int(cid))
        narrow(ids)
    if f.skill:
        s = f.skill.lower()
        stmt = (
            select(link.candidate_id)
            .join(SkillTag, SkillTag.profile_id == link.profile_id)
            .where(or_(func.lower(SkillTag.skill) == s, func.lower(SkillTag.category) == s))
        )
        narrow(_ids(session, stmt) | _activity_ids(session, s, config))
    if f.source:
        stmt = select(link.candidate_id).join(Profile, Profile.id == link.profile_id)
        narrow(_ids(session, stmt.where(Profile.source == f.source.lower())))
    return allowed


def _activity_ids(session: Session, skill: str, config: RankingConfig) -> set[int]:
    # Before enrich has tagged skills, "ml"/"mlops" still match on the activity itself.
    if skill not in ("ml", "mlops"):
        return set()
    column = "ml_repos" if skill == "ml" else "mlops_repos"
    stmt = select(Score.candidate_id, Score.features)
    return {
        int(cid)
        for cid, feats in rows(session, stmt)
        if (feats or {}).get(column, 0) > 0
        or (skill == "ml" and (feats or {}).get("so_ml_answers", 0) > 0)
    }


def gone_candidates(session: Session) -> set[int]:
    """Candidates every profile of whom is gone (profiles.gone_at: deleted or suspended
    accounts): nobody a recruiter can reach there, so no new shortlist offers them. Their rows,
    scores, feedback and earlier shortlists stay."""
    link = CandidateProfile
    stmt = (
        select(link.candidate_id)
        .join(Profile, Profile.id == link.profile_id)
        .group_by(link.candidate_id)
        .having(func.count(Profile.gone_at) == func.count())
    )
    return _ids(session, stmt)


def select_candidates(
    session: Session, version: str, f: Filters, config: RankingConfig
) -> list[tuple[int, float, dict[str, Any]]]:
    """(candidate_id, score, explanation) of the top candidates, best first."""
    allowed = _filter_ids(session, f, config)
    excluded = gone_candidates(session)
    if f.exclude_contacted:
        stmt = select(FeedbackLabel.candidate_id).where(
            func.lower(FeedbackLabel.decision).in_(CONTACTED)
        )
        excluded |= _ids(session, stmt)
    query = select(Score.candidate_id, Score.score, Score.explanation).where(
        Score.model_version == version
    )
    if f.min_score is not None:
        query = query.where(Score.score >= f.min_score)
    out: list[tuple[int, float, dict[str, Any]]] = []
    since = f.active_since.isoformat() if f.active_since else None
    ordered = query.order_by(Score.score.desc(), Score.candidate_id)
    for cid, score, explanation in rows(session, ordered):
        if (allowed is not None and cid not in allowed) or cid in excluded:
            continue
        last = (explanation or {}).get("last_activity")
        if since and (not last or last < since):
            continue
        out.append((int(cid), float(score), explanation or {}))
        if f.top and len(out) >= f.top:
            break
    return out


def save_shortlist(
    session: Session,
    name: str,
    version: str,
    f: Filters,
    picked: list[tuple[int, float, dict[str, Any]]],
) -> int:
    """Store the shortlist under `name`, replacing any earlier one of that name whole."""
    session.execute(delete(Shortlist).where(Shortlist.name == name))
    params = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in asdict(f).items()}
    sl = Shortlist(name=name, params=params, model_version=version)
    session.add(sl)
    session.flush()
    session.add_all(
        ShortlistEntry(shortlist_id=sl.id, candidate_id=cid, rank=i, score=score)
        for i, (cid, score, _) in enumerate(picked, start=1)
    )
    session.flush()
    return sl.id


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
        details = _details(session, [cid for cid, _, _ in part], config, names)
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
                "top_skills": d["skills"],
                "why_ranked": explanation.get("text", ""),
                "last_activity": last[:10] if last else "",
                "candidate_id": cid,
                "decision": "",
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
            "skills": "",
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
    for cid, text in _skill_words(session, ids, config).items():
        out[cid]["skills"] = text
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


def _skill_words(session: Session, ids: list[int], config: RankingConfig) -> dict[int, str]:
    """Top skills with evidence in words, from enrich's skill tags or else from activity."""
    link = CandidateProfile
    tags: dict[int, list[tuple[float, str]]] = defaultdict(list)
    stmt = select(link.candidate_id, SkillTag.skill, SkillTag.strength, SkillTag.evidence).join(
        SkillTag, SkillTag.profile_id == link.profile_id
    )
    for cid, skill, strength, evidence in rows(session, stmt.where(link.candidate_id.in_(ids))):
        tags[cid].append((strength, f"{skill}: {_evidence_words(evidence)}".rstrip(": ")))
    repos: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    match = Matcher(config.vocabulary)
    vocab = match.ml | match.mlops
    rstmt = (
        select(link.candidate_id, Repository.topics, Repository.name, Repository.stars)
        .join(Repository, Repository.profile_id == link.profile_id)
        .where(Repository.is_fork.is_(False))
    )
    for cid, topics, name, stars in rows(session, rstmt.where(link.candidate_id.in_(ids))):
        terms = ({str(t).lower() for t in topics or []} | match.words(name)) & vocab
        for term in terms:
            repos[cid][term].append(stars)
    answers: dict[int, list[tuple[int, str]]] = defaultdict(list)
    sstmt = select(link.candidate_id, SOTagStat.tag, SOTagStat.answer_count).join(
        SOTagStat, SOTagStat.profile_id == link.profile_id
    )
    for cid, tag, count in rows(session, sstmt.where(link.candidate_id.in_(ids))):
        if count and tag.lower() in vocab:
            answers[cid].append((count, tag))
    out: dict[int, str] = {}
    for cid in ids:
        if tags.get(cid):
            out[cid] = "; ".join(t for _, t in sorted(tags[cid], reverse=True)[:3])
            continue
        parts = []
        for term, stars in sorted(repos[cid].items(), key=lambda kv: (-len(kv[1]), kv[0]))[:2]:
            big = sum(1 for s in stars if s > 100)
            parts.append(f"{len(stars)} {term} repos" + (f", {big} with >100 stars" if big else ""))
        for count, tag in sorted(answers[cid], reverse=True)[:2]:
            parts.append(f"{count} answers in [{tag}]")
        out[cid] = "; ".join(parts)
    return out


def _evidence_words(evidence: Any) -> str:
    try:
        from enrich.skills import describe_evidence  # enrich writes the words for its evidence
    except ImportError:
        return "" if not isinstance(evidence, str) else evidence
    try:
        return str(describe_evidence(evidence))
    except Exception:  # evidence from an older enrich version must not break an export
        return ""
