"""Shortlists: pick the top candidates by score and filters, and store them."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from config.regions import fold_name
from scoring.features import rows
from scoring.feedback import DECISIONS, latest_decisions
from scoring.ranking import RankingConfig
from storage.models import (
    CandidateProfile,
    Profile,
    ProfileLocation,
    Score,
    Shortlist,
    ShortlistEntry,
    SkillTag,
)


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
