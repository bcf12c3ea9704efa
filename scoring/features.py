"""Candidate features from stored activity: one row per candidate, one column per feature.

The stored rows (repositories, Stack Overflow tag stats, Kaggle achievements, followers, Hub
items, PyPI packages and contributions to major projects from the crawlers; skill tags, linked
profiles, regions from enrich) stream into each candidate's `Totals`; each feature's value is
then what its declaration in `scoring.feature_defs` computes from them. They never read
anything that could stand for gender, ethnicity or age.

`without` leaves ML-native sources out (feature_defs.ML_NATIVE_SOURCES): their profiles, rows
and their share of skill strength, as if they had never been crawled. `scout model audit` and
the ranking bench rank with and without each.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from config.clock import utcnow
from config.projects import normalise_package
from enrich.skills.tagging import star_farmed
from scoring.evidence import COUNTS, as_json
from scoring.feature_defs import FEATURES, Totals, feature
from scoring.ranking import RankingConfig, Vocabulary
from storage.models import (
    Candidate,
    CandidateProfile,
    Contribution,
    HubItem,
    KaggleAchievement,
    Profile,
    ProfileLocation,
    PypiPackage,
    Repository,
    SkillTag,
    SOTagStat,
)

_WORD = re.compile(r"[a-z0-9+#.]+(?:-[a-z0-9+#.]+)*")


class Matcher:
    """Decides whether a skill tag, repository or tag is ML or MLOps work (skills.toml groups)."""

    def __init__(self, vocab: Vocabulary) -> None:
        self.ml = {t.lower() for t in vocab.ml_terms}
        self.mlops = {t.lower() for t in vocab.mlops_terms}
        self.ml_categories = {c.lower() for c in vocab.ml_categories}
        self.mlops_categories = {c.lower() for c in vocab.mlops_categories}
        self.projects = vocab.project_groups
        self.packages = vocab.package_groups
        self.classifiers = vocab.classifier_groups

    def words(self, *texts: str | None) -> set[str]:
        out: set[str] = set()
        for text in texts:
            if text:
                for word in _WORD.findall(text.lower()):
                    out.add(word)
                    out.update(word.split("-"))
        return out

    def repo_kind(self, name: str, topics: Iterable[str], description: str | None) -> str | None:
        """'mlops', 'ml' or None (MLOps wins: it is the rarer, more specific signal)."""
        found = {str(t).lower() for t in topics or ()} | self.words(name, description)
        if found & self.mlops:
            return "mlops"
        if found & self.ml:
            return "ml"
        return None

    def tag_kind(self, tag: str) -> str | None:
        tag = tag.lower()
        return "mlops" if tag in self.mlops else "ml" if tag in self.ml else None

    def hub_is_ml(self, kind: str, library: str | None, task: str | None, tags: Any) -> bool:
        """A Hub item shows ML work: every model does; a dataset or Space when it names a
        library or task, or carries an ML or MLOps tag (an empty Space shows nothing)."""
        if kind == "model" or library or task:
            return True
        found = {str(t).lower() for t in tags} if isinstance(tags, list) else set()
        return bool(found & (self.ml | self.mlops))

    def package_kind(
        self, name: str, summary: str | None, classifiers: Any, keywords: Any
    ) -> str | None:
        """'mlops', 'ml' or None: ml_projects.toml's packages, then trove classifiers, then
        the words of the keywords and summary (MLOps wins, as for repositories)."""
        listed = self.packages.get(normalise_package(name))
        if listed:
            return listed
        kinds = set()
        for c in classifiers if isinstance(classifiers, list) else []:
            parts = [p.strip() for p in str(c).split("::")]
            for n in range(len(parts), 0, -1):
                if kind := self.classifiers.get(" :: ".join(parts[:n])):
                    kinds.add(kind)
        listed_words = (
            [k for k in keywords if isinstance(k, str)] if isinstance(keywords, list) else []
        )
        words = self.words(summary, *listed_words)
        kinds |= {"mlops"} if words & self.mlops else set()
        kinds |= {"ml"} if words & self.ml else set()
        return "mlops" if "mlops" in kinds else "ml" if kinds else None

    def project_kind(self, repo: str) -> str | None:
        """'ml' or 'mlops' for a project of ml_projects.toml, None for any other repository."""
        return self.projects.get(repo.lower())

    def category_kind(self, category: str | None) -> str | None:
        c = (category or "").lower()
        return "mlops" if c in self.mlops_categories else "ml" if c in self.ml_categories else None


def rows(session: Session, stmt: Any) -> Iterator[Any]:
    """Result rows, untyped: columns of several queries share one loop's names."""
    return iter(session.execute(stmt))


def _chunks(ids: list[int] | None, size: int = 900) -> Iterable[list[int] | None]:
    # SQLite caps bound parameters; None means "every candidate" in one pass.
    if ids is None:
        yield None
        return
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


def load_features(
    session: Session,
    config: RankingConfig,
    candidate_ids: list[int] | None = None,
    now: datetime | None = None,
    without: frozenset[str] = frozenset(),
) -> tuple[pd.DataFrame, dict[int, datetime | None]]:
    """Every feature of every (or the given) candidate, and each one's last activity date.

    The frame is indexed by candidate_id and has one float column per feature in
    FEATURES plus the opt-in indicators ranking.toml lists. `without`: ML-native sources to
    leave out (see the module's docstring).
    """
    frame, last, _ = load_features_with_evidence(session, config, candidate_ids, now, without)
    return frame, last


def load_features_with_evidence(
    session: Session,
    config: RankingConfig,
    candidate_ids: list[int] | None = None,
    now: datetime | None = None,
    without: frozenset[str] = frozenset(),
) -> tuple[pd.DataFrame, dict[int, datetime | None], dict[int, dict[str, Any]]]:
    """load_features, plus each candidate's evidence (scoring.evidence.as_json): the best
    repositories and tags behind the very counts in the frame."""
    now = now or utcnow()
    match = Matcher(config.vocabulary)
    acc: dict[int, Totals] = defaultdict(Totals)
    link = CandidateProfile
    for ids in _chunks(candidate_ids):

        def where(stmt: Any, ids: list[int] | None = ids) -> Any:
            return stmt if ids is None else stmt.where(link.candidate_id.in_(ids))

        for cid in session.scalars(
            select(Candidate.id)
            if ids is None
            else select(Candidate.id).where(Candidate.id.in_(ids))
        ):
            acc[cid]
        prof = select(
            link.candidate_id,
            Profile.id,
            Profile.source,
            Profile.handle,
            Profile.followers,
            Profile.updated_at,
        )
        owners: dict[int, str] = {}  # profile id -> handle, to name a repository's owner
        for cid, pid, source, handle, followers, updated in rows(
            session, where(prof.join(Profile, Profile.id == link.profile_id))
        ):
            if source in without:
                continue
            owners[pid] = handle or ""
            a = acc[cid]
            a.sources = a.sources | {source}
            a.followers = max(a.followers, followers or 0)
            a.seen(updated)
        repo = select(
            link.candidate_id,
            Repository.profile_id,
            Repository.name,
            Repository.topics,
            Repository.description,
            Repository.stars,
            Repository.forks,
            Repository.is_fork,
            Repository.created_at,
            Repository.pushed_at,
        ).join(Repository, Repository.profile_id == link.profile_id)
        for cid, pid, name, topics, desc, stars, forks, is_fork, created, pushed in rows(
            session, where(repo)
        ):
            a = acc[cid]
            a.repos += 1
            if is_fork:
                a.forks += 1
                continue
            a.seen(pushed)
            a.own_stars += stars
            if star_farmed(stars, forks, created, pushed):  # the rule enrichment uses
                a.farmed_stars += stars
                continue
            kind = match.repo_kind(name, topics or [], desc)
            if kind == "ml":
                a.ml_repos += 1
            elif kind == "mlops":
                a.mlops_repos += 1
            if kind:
                a.ml_repo_stars += stars
                a.tops.repo(f"{kind}_repos", stars, name, owners.get(pid, ""))
        so = select(
            link.candidate_id, SOTagStat.tag, SOTagStat.answer_count, SOTagStat.answer_score
        )
        for cid, tag, answers, score in rows(
            session, where(so.join(SOTagStat, SOTagStat.profile_id == link.profile_id))
        ):
            if match.tag_kind(tag):
                acc[cid].so_ml_answers += answers
                acc[cid].so_ml_score += max(0, score)
                acc[cid].tops.tag(answers, tag)
        kg = select(
            link.candidate_id,
            KaggleAchievement.tier,
            KaggleAchievement.gold,
            KaggleAchievement.silver,
            KaggleAchievement.bronze,
            KaggleAchievement.tier_achieved_at,
        ).join(KaggleAchievement, KaggleAchievement.profile_id == link.profile_id)
        for cid, tier, gold, silver, bronze, when in rows(session, where(kg)):
            a = acc[cid]
            a.kaggle_tier = max(a.kaggle_tier, min(tier, 4))  # 5 is Kaggle staff, not a level
            a.kaggle_medals += 3 * gold + 2 * silver + bronze
            a.seen(when)
        _ml_native(session, where, acc, match, without)
        sk = select(link.candidate_id, SkillTag.category, SkillTag.strength)
        if without:
            sk = sk.add_columns(Profile.source, SkillTag.evidence).join(
                Profile, Profile.id == link.profile_id
            )
        for cid, category, strength, *more in rows(
            session, where(sk.join(SkillTag, SkillTag.profile_id == link.profile_id))
        ):
            if more:
                strength = _strength_without(strength, more[0], more[1], without)
            kind = match.category_kind(category)
            if kind == "ml":
                acc[cid].ml_skill += strength
            elif kind == "mlops":
                acc[cid].mlops_skill += strength
        if any(f.startswith(("region:", "country:")) for f in config.features):
            loc = select(link.candidate_id, ProfileLocation.regions, ProfileLocation.country)
            for cid, regions, country in rows(
                session,
                where(loc.join(ProfileLocation, ProfileLocation.profile_id == link.profile_id)),
            ):
                a = acc[cid]
                a.regions = a.regions | set(regions or [])
                a.countries = a.countries | ({country} if country else set())
    frame = _frame(acc, config, now)
    counts = frame[list(COUNTS)].to_numpy()
    evidence = {
        int(cid): as_json(dict(zip(COUNTS, counts[i], strict=True)), acc[cid].tops)
        for i, cid in enumerate(frame.index)
    }
    return frame, {cid: a.last for cid, a in acc.items()}, evidence


def _ml_native(
    session: Session, where: Any, acc: dict[int, Totals], match: Matcher, without: frozenset[str]
) -> None:
    """Hub items, PyPI packages and contributions to major projects into the totals."""
    link = CandidateProfile
    if "huggingface" not in without:
        hub = select(
            link.candidate_id,
            HubItem.name,
            HubItem.kind,
            HubItem.downloads,
            HubItem.likes,
            HubItem.library,
            HubItem.pipeline_tag,
            HubItem.tags,
            HubItem.last_modified,
        ).join(HubItem, HubItem.profile_id == link.profile_id)
        for cid, name, kind, downloads, likes, library, task, tags, modified in rows(
            session, where(hub)
        ):
            if not match.hub_is_ml(kind, library, task, tags):
                continue
            a = acc[cid]
            a.hub_items += 1
            a.hub_downloads += max(0, downloads or 0)
            a.hub_likes += max(0, likes or 0)
            a.tops.hub_item(downloads, name, kind, task)
            a.seen(modified)
    if "pypi" not in without:
        pkg = select(
            link.candidate_id,
            PypiPackage.name,
            PypiPackage.summary,
            PypiPackage.classifiers,
            PypiPackage.keywords,
            PypiPackage.releases,
            PypiPackage.last_release,
        ).join(PypiPackage, PypiPackage.profile_id == link.profile_id)
        for cid, name, summary, classifiers, keywords, releases, last in rows(session, where(pkg)):
            kind = match.package_kind(name, summary, classifiers, keywords)
            if kind is None:
                continue
            a = acc[cid]
            if kind == "ml":
                a.ml_on_pypi += 1
            else:
                a.mlops_on_pypi += 1
            a.tops.package(f"{kind}_on_pypi", releases, name)
            a.seen(last)
    if "contributions" not in without:
        con = select(
            link.candidate_id,
            Contribution.repo,
            Contribution.commits,
            Contribution.merged_prs,
            Contribution.last_merged_at,
        ).join(Contribution, Contribution.profile_id == link.profile_id)
        for cid, repo, commits, prs, merged in rows(session, where(con)):
            kind = match.project_kind(repo)
            if kind is None:
                continue
            a = acc[cid]
            if kind == "ml":
                a.ml_project_prs += max(0, prs or 0)
            else:
                a.mlops_project_prs += max(0, prs or 0)
            a.project_commits += max(0, commits or 0)
            a.tops.project(f"{kind}_project_prs", prs, commits, repo)
            a.seen(merged)


def _strength_without(
    strength: float, source: str, evidence: Any, without: frozenset[str]
) -> float:
    """A skill tag's strength without the left-out sources: nothing from a left-out source's
    profile; else its sources combined again (enrich's 1 - product of misses) without them."""
    if source in without:
        return 0.0
    parts = evidence.get("by_source") if isinstance(evidence, dict) else None
    if not isinstance(parts, dict) or not set(parts) & without:
        return float(strength)
    miss = 1.0
    for name, part in parts.items():
        if name not in without and isinstance(part, int | float):
            miss *= 1.0 - float(part)
    return 1.0 - miss


def _frame(acc: dict[int, Totals], config: RankingConfig, now: datetime) -> pd.DataFrame:
    ids = sorted(acc)
    declared = [*FEATURES.values(), *(feature(f) for f in config.features if f not in FEATURES)]
    cols: dict[str, list[float]] = {f.name: [] for f in declared}
    for cid in ids:
        totals = acc[cid]
        days = (now - totals.last).total_seconds() / 86400 if totals.last else None
        for f in declared:
            cols[f.name].append(float(f.compute(totals, days)))
    return pd.DataFrame(cols, index=pd.Index(ids, name="candidate_id"), dtype=np.float64)
