"""Shortlists: pick the top candidates by score and filters, store them, write them as CSV.

The CSV is for Excel and Google Sheets: UTF-8 (with a BOM unless --no-bom), one header row,
one row per candidate, and no cell a spreadsheet would run as a formula.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, TextIO

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from config.regions import display_region, fold_name, load_regions_file
from enrich.identity.link import describe_rules
from enrich.identity.view import SOURCES
from scoring.evidence import words as evidence_words
from scoring.feature_defs import describe
from scoring.features import rows
from scoring.feedback import DECISIONS, latest_decisions
from scoring.ranking import RankingConfig
from storage.csvfile import csv_writer
from storage.models import (
    Candidate,
    CandidateProfile,
    Profile,
    ProfileLocation,
    Score,
    Shortlist,
    ShortlistEntry,
    SkillTag,
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
    # Candidates whose latest decision is one of these stay out ("no": turned down once,
    # never offered again unless asked). () keeps everyone.
    exclude_decided: tuple[str, ...] = ("no",)
    top: int = 50


@dataclass
class Picked:
    """The candidates a shortlist offers, best first, and those its decisions left out."""

    rows: list[tuple[int, float, dict[str, Any]]]
    left_out: Counter[str]  # decision -> candidates that would have been on the list

    def note(self) -> str:
        """ "Left out 12 candidates already marked 'no' (--include-decided to keep them)."""
        if not self.left_out:
            return ""
        total = sum(self.left_out.values())
        who = "candidate" if total == 1 else "candidates"
        marks = [(d, self.left_out[d]) for d in DECISIONS if self.left_out[d]]
        if len(marks) == 1:
            said = f"marked '{marks[0][0]}'"
        else:
            said = f"decided ({', '.join(f'{n:,} {d!r}' for d, n in marks)})"
        return f"Left out {total:,} {who} already {said} (--include-decided to keep them)."


def _ids(session: Session, stmt: Any) -> set[int]:
    return {int(x) for x in session.scalars(stmt)}


def _filter_ids(
    session: Session, version: str, f: Filters, config: RankingConfig
) -> set[int] | None:
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
        # "ml" / "mlops" name a group: every category skills.toml puts in it.
        vocab = config.vocabulary
        group = {"ml": vocab.ml_categories, "mlops": vocab.mlops_categories}.get(s, [s])
        stmt = (
            select(link.candidate_id)
            .join(SkillTag, SkillTag.profile_id == link.profile_id)
            .where(or_(func.lower(SkillTag.skill) == s, func.lower(SkillTag.category).in_(group)))
        )
        narrow(_ids(session, stmt) | _activity_ids(session, version, s))
    if f.source:
        stmt = select(link.candidate_id).join(Profile, Profile.id == link.profile_id)
        narrow(_ids(session, stmt.where(Profile.source == f.source.lower())))
    return allowed


def _activity_ids(session: Session, version: str, skill: str) -> set[int]:
    # Before enrich has tagged skills, "ml"/"mlops" still match on the activity itself, as
    # the model version being listed counted it (stored with each score, scoring.rank).
    column = {"ml": Score.ml_activity, "mlops": Score.mlops_activity}.get(skill)
    if column is None:
        return set()
    return _ids(
        session, select(Score.candidate_id).where(Score.model_version == version, column.is_(True))
    )


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
    return pick_candidates(session, version, f, config).rows


def pick_candidates(session: Session, version: str, f: Filters, config: RankingConfig) -> Picked:
    """The top candidates, best first; `top` counts the rows offered, after the candidates
    already decided are left out (a second round of 20 brings 20 rows nobody turned down)."""
    allowed = _filter_ids(session, version, f, config)
    excluded = gone_candidates(session)
    decided = {
        cid: decision
        for cid, (decision, _) in latest_decisions(session).items()
        if decision in f.exclude_decided
    }
    left_out: Counter[str] = Counter()
    query = select(Score.candidate_id, Score.score, Score.explanation).where(
        Score.model_version == version
    )
    if f.min_score is not None:
        query = query.where(Score.score >= f.min_score)
    if f.active_since is not None:
        query = query.where(Score.last_activity >= f.active_since)
    out: list[tuple[int, float, dict[str, Any]]] = []
    ordered = query.order_by(Score.score.desc(), Score.candidate_id)
    for cid, score, explanation in rows(session, ordered):
        if (allowed is not None and cid not in allowed) or cid in excluded:
            continue
        if cid in decided:
            left_out[decided[cid]] += 1
            continue
        out.append((int(cid), float(score), explanation or {}))
        if f.top and len(out) >= f.top:
            break
    return Picked(out, left_out)


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
