"""Skill evidence from the ML-native sources (issue 19): what a person published on the Hugging
Face Hub, the PyPI packages they maintain and their merged work in the field's major projects.

Each source gives per skill a strength 1 - exp(-points / scale) and an evidence dict that names
the model, package or project, as `enrich.skills.tagging` does for repositories and tags, and
`tag_profile` combines them with the other sources as independent evidence.

- **Hub**: an item's library (`library_name`), task (`pipeline_tag`) and tags are matched
  against skills.toml's `hub` lists. A model weighs 1, a dataset 0.8, a Space 0.6, times
  1 + 0.5 log10(1 + downloads) + 0.25 log10(1 + likes), times recency (last modified).
- **PyPI**: a package is evidence of a skill through ml_projects.toml's [packages], its trove
  classifiers (skills.toml `pypi_classifiers`), its keywords and, more weakly, its summary.
  Maintaining one weighs 1.5, times 1 + 0.3 log10(1 + releases), times recency (last release).
- **Contributions**: a repository of ml_projects.toml shows its skill: 1.5 log(1 + merged pull
  requests) + 0.5 log(1 + commits), times recency (last merge). Other repositories count nothing.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any, NamedTuple

from config.projects import normalise_package
from enrich.skills.taxonomy import Taxonomy

HUB_SCALE, PYPI_SCALE, CONTRIB_SCALE = 3.0, 3.0, 3.0
_KIND_WEIGHT = {"model": 1.0, "dataset": 0.8, "space": 0.6}
TOP = 3  # items named per skill
_DAY_S = 86400.0

Found = dict[str, tuple[float, dict[str, Any]]]  # skill id -> (strength, evidence)


class HubFacts(NamedTuple):
    name: str  # "author/x", "datasets/author/x", "spaces/author/x"
    kind: str
    downloads: int
    likes: int
    library: str | None
    pipeline_tag: str | None
    tags: Any  # list[str] as stored (JSON); anything else is ignored
    last_modified: datetime | None


class PackageFacts(NamedTuple):
    name: str
    summary: str | None
    releases: int
    last_release: datetime | None
    classifiers: Any  # list[str] as stored
    keywords: Any  # list[str] as stored


class ContributionFacts(NamedTuple):
    repo: str  # "owner/name"
    commits: int
    merged_prs: int
    last_merged_at: datetime | None


def recency(when: datetime | None, now: datetime) -> float:
    """1 for work in the last year, 0.6 within three years, 0.3 older, 0.5 undated."""
    if when is None:
        return 0.5
    age_days = (now - when).total_seconds() / _DAY_S
    return 1.0 if age_days <= 365 else 0.6 if age_days <= 3 * 365 else 0.3


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _day(when: datetime | None) -> str | None:
    return when.date().isoformat() if when else None


def hub_item_skills(tax: Taxonomy, item: HubFacts) -> dict[str, float]:
    """skill id -> how directly the item shows it (library or task 1, a tag 0.8)."""
    out: dict[str, float] = {}
    for tag in _strings(item.tags):
        for sid in tax.by_hub.get(tag.lower(), ()):
            out[sid] = 0.8
    for field in (item.library, item.pipeline_tag):
        for sid in tax.by_hub.get((field or "").lower(), ()):
            out[sid] = 1.0
    return out


def hub(tax: Taxonomy, items: list[HubFacts], now: datetime) -> Found:
    acc: dict[str, dict[str, Any]] = {}
    for item in items:
        matched = hub_item_skills(tax, item)
        if not matched:
            continue
        downloads, likes = max(0, item.downloads), max(0, item.likes)
        popularity = 1.0 + 0.5 * math.log10(1 + downloads) + 0.25 * math.log10(1 + likes)
        weight = _KIND_WEIGHT.get(item.kind, 0.6) * popularity * recency(item.last_modified, now)
        for sid, match in matched.items():
            e = acc.setdefault(sid, {"items": 0, "downloads": 0, "likes": 0, "points": 0.0})
            e["items"] += 1
            e["downloads"] += downloads
            e["likes"] += likes
            e["points"] += weight * match
            e.setdefault("top", []).append(
                [item.name, item.kind, item.pipeline_tag, downloads, likes]
            )
    return {sid: _done(e, HUB_SCALE, key=lambda t: (-t[3], -t[4], t[0])) for sid, e in acc.items()}


def package_skills(tax: Taxonomy, package: PackageFacts) -> dict[str, float]:
    """skill id -> how directly the package shows it (a listed package or a classifier 1, a
    keyword 0.8, its summary 0.6)."""
    out: dict[str, float] = {}
    for sid in tax.text_skills((package.summary or "")[:500]):
        out[sid] = 0.6
    for sid in tax.text_skills(" ; ".join(_strings(package.keywords))[:500]):
        out[sid] = 0.8
    for classifier in _strings(package.classifiers):
        for sid in tax.classifier_skills(classifier):
            out[sid] = 1.0
    listed = tax.by_package.get(normalise_package(package.name))
    if listed:
        out[listed] = 1.0
    return out


def pypi(tax: Taxonomy, packages: list[PackageFacts], now: datetime) -> Found:
    acc: dict[str, dict[str, Any]] = {}
    for package in packages:
        matched = package_skills(tax, package)
        releases = max(0, package.releases)
        weight = 1.5 * (1.0 + 0.3 * math.log10(1 + releases)) * recency(package.last_release, now)
        for sid, match in matched.items():
            e = acc.setdefault(sid, {"packages": 0, "points": 0.0})
            e["packages"] += 1
            e["points"] += weight * match
            e.setdefault("top", []).append([package.name, releases, _day(package.last_release)])
    return {sid: _done(e, PYPI_SCALE, key=lambda t: (-t[1], t[0])) for sid, e in acc.items()}


def contributions(tax: Taxonomy, rows: list[ContributionFacts], now: datetime) -> Found:
    acc: dict[str, dict[str, Any]] = {}
    for row in rows:
        sid = tax.by_project.get(row.repo.lower())
        prs, commits = max(0, row.merged_prs), max(0, row.commits)
        points = (1.5 * math.log1p(prs) + 0.5 * math.log1p(commits)) * recency(
            row.last_merged_at, now
        )
        if sid is None or points <= 0:
            continue
        e = acc.setdefault(sid, {"merged_prs": 0, "commits": 0, "points": 0.0})
        e["merged_prs"] += prs
        e["commits"] += commits
        e["points"] += points
        e.setdefault("top", []).append([row.repo, prs, commits, _day(row.last_merged_at)])
    return {
        sid: _done(e, CONTRIB_SCALE, key=lambda t: (-t[1], -t[2], t[0])) for sid, e in acc.items()
    }


def _done(e: dict[str, Any], scale: float, key: Any) -> tuple[float, dict[str, Any]]:
    e["top"] = sorted(e["top"], key=key)[:TOP]
    e["points"] = round(e["points"], 3)
    return 1.0 - math.exp(-e["points"] / scale), e


# ---- evidence in words -------------------------------------------------------------------


def _n(value: int, one: str, many: str | None = None) -> str:
    return f"{value:,} {one if value == 1 else (many or one + 's')}"


def hub_item_words(name: str, kind: str, task: str | None, downloads: int) -> str:
    """'published model alice/llama-ft (text-generation, 12,400 downloads)'."""
    shown = name.split("/", 1)[1] if name.startswith(("datasets/", "spaces/")) else name
    notes = [task] if task else []
    if downloads:
        notes.append(_n(int(downloads), "download"))
    return f"published {kind} {shown}" + (f" ({', '.join(notes)})" if notes else "")


def contribution_words(repo: str, prs: int, commits: int) -> str:
    """'14 merged pull requests in mlflow/mlflow' (commits when no pull request was merged)."""
    if prs:
        return f"{_n(int(prs), 'merged pull request')} in {repo}"
    return f"{_n(int(commits), 'commit')} in {repo}"


def describe(evidence: dict[str, Any]) -> list[str]:
    """The Hub, PyPI and contribution parts of a skill tag's evidence, in words."""
    parts: list[str] = []
    hub_e = evidence.get("huggingface")
    if isinstance(hub_e, dict):
        top = hub_e.get("top") or []
        named = [hub_item_words(str(t[0]), str(t[1]), t[2], int(t[3] or 0)) for t in top[:2]]
        more = int(hub_e.get("items", 0)) - len(named)
        parts.append(", ".join(named) + (f" and {_n(more, 'more item')}" if more > 0 else ""))
    pkg = evidence.get("pypi")
    if isinstance(pkg, dict):
        names = [str(t[0]) for t in pkg.get("top") or []]
        more = int(pkg.get("packages", 0)) - len(names)
        what = "PyPI package" if len(names) == 1 else "PyPI packages"
        parts.append(
            f"maintains {what} {', '.join(names)}" + (f" (+{more} more)" if more > 0 else "")
        )
    con = evidence.get("contributions")
    if isinstance(con, dict):
        for repo, prs, commits, _last in (con.get("top") or [])[:2]:
            parts.append(contribution_words(str(repo), int(prs or 0), int(commits or 0)))
    return [p for p in parts if p]
