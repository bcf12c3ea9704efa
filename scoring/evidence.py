"""What the features counted, kept so that a shortlist can name it.

`scoring.features` counts a candidate's ML and MLOps repositories, answers in ML tags and
Kaggle standing; in the same pass it keeps the few best items behind each count (here,
`Tops`). `scout rank` stores them with the score's explanation and the shortlist's
`top_skills` is written from them, so `top_skills` and `why_ranked` always give the same
counts ("12 MLOps repos" in both), and `top_skills` names the repositories with links.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from enrich.skills.ml_native import hub_item_words

TOP = 3  # items named per count: enough to judge, short enough for a spreadsheet cell
# The counts evidence is kept for, in the order top_skills shows them (rarer signal first).
REPO_KINDS = ("mlops_repos", "ml_repos")
PACKAGE_KINDS = ("mlops_on_pypi", "ml_on_pypi")
PR_KINDS = ("mlops_project_prs", "ml_project_prs")
# The feature counts `as_json` reads (the features module hands them over by these names).
COUNTS = (
    *REPO_KINDS,
    "so_ml_answers",
    "kaggle_tier",
    "kaggle_medals",
    "hub_ml_items",
    "hub_downloads",
    "hub_likes",
    *PACKAGE_KINDS,
    *PR_KINDS,
    "project_commits",
)


@dataclass(slots=True)
class Tops:
    """The TOP best items of one candidate per count, kept while rows stream in."""

    repos: dict[str, list[tuple[int, str, str]]] = field(default_factory=dict)
    tags: list[tuple[int, str]] = field(default_factory=list)
    hub: list[tuple[int, str, str, str]] = field(default_factory=list)
    packages: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    projects: dict[str, list[tuple[int, int, str]]] = field(default_factory=dict)

    def repo(self, kind: str, stars: int, name: str, owner: str) -> None:
        """A repository counted under `kind` (ml_repos or mlops_repos); `owner` is the
        handle of the profile it belongs to (stable, unlike row ids, through a rebuild)."""
        _keep(self.repos.setdefault(kind, []), (int(stars or 0), name, owner))

    def tag(self, answers: int, tag: str) -> None:
        """A Stack Overflow tag whose answers were counted under so_ml_answers."""
        if answers > 0:
            _keep(self.tags, (int(answers), tag))

    def hub_item(self, downloads: int, name: str, kind: str, task: str | None) -> None:
        """A Hub model, dataset or Space counted under hub_ml_items."""
        _keep(self.hub, (int(downloads or 0), name, kind, task or ""))

    def package(self, kind: str, releases: int, name: str) -> None:
        """A PyPI package counted under ml_on_pypi or mlops_on_pypi."""
        _keep(self.packages.setdefault(kind, []), (int(releases or 0), name))

    def project(self, kind: str, prs: int, commits: int, repo: str) -> None:
        """A major project counted under ml_project_prs or mlops_project_prs."""
        _keep(self.projects.setdefault(kind, []), (int(prs or 0), int(commits or 0), repo))


def _keep(heap: list[Any], item: Any) -> None:
    if len(heap) < TOP:
        heapq.heappush(heap, item)
    else:
        heapq.heappushpop(heap, item)


def as_json(counts: Mapping[str, float], tops: Tops) -> dict[str, Any]:
    """The evidence stored in a score's explanation: each count that is not zero, with its
    best items, e.g. {"mlops_repos": {"n": 12, "top": [["kubeflow-pipelines", 120, "ana"]]}}
    (name, stars, owner); {"so_ml_answers": {"n": 212, "top": [["pytorch", 150]]}}."""
    out: dict[str, Any] = {}
    for kind in REPO_KINDS:
        if counts.get(kind):
            best = sorted(tops.repos.get(kind, []), key=lambda r: (-r[0], r[1]))
            out[kind] = {"n": int(counts[kind]), "top": [[n, s, p] for s, n, p in best]}
    if counts.get("so_ml_answers"):
        best_tags = sorted(tops.tags, key=lambda t: (-t[0], t[1]))
        out["so_ml_answers"] = {
            "n": int(counts["so_ml_answers"]),
            "top": [[tag, n] for n, tag in best_tags],
        }
    if counts.get("kaggle_tier") or counts.get("kaggle_medals"):
        out["kaggle"] = {
            "tier": int(counts.get("kaggle_tier", 0)),
            "medals": int(counts.get("kaggle_medals", 0)),
        }
    if counts.get("hub_ml_items"):
        best_hub = sorted(tops.hub, key=lambda h: (-h[0], h[1]))
        out["hub_ml_items"] = {
            "n": int(counts["hub_ml_items"]),
            "downloads": int(counts.get("hub_downloads", 0)),
            "likes": int(counts.get("hub_likes", 0)),
            "top": [[name, kind, task, d] for d, name, kind, task in best_hub],
        }
    for kind in PACKAGE_KINDS:
        if counts.get(kind):
            best_packages = sorted(tops.packages.get(kind, []), key=lambda p: (-p[0], p[1]))
            out[kind] = {"n": int(counts[kind]), "top": [[n, r] for r, n in best_packages]}
    for kind in PR_KINDS:
        if counts.get(kind) or tops.projects.get(kind):
            ranked = sorted(tops.projects.get(kind, []), key=lambda p: (-p[0], -p[1], p[2]))
            out[kind] = {"n": int(counts.get(kind, 0)), "top": [[r, p, c] for p, c, r in ranked]}
    return out


def named(feature: str, evidence: Mapping[str, Any]) -> str:
    """The items behind an ML-native feature, for why_ranked: "published model alice/llama-ft
    (text-generation, 12,400 downloads)", "foo, bar", "mlflow/mlflow (14)" (merged pull
    requests, or commits for project_commits); "" for any other feature or when nothing was
    kept."""
    if feature.startswith("hub_"):
        item = evidence.get("hub_ml_items")
        top = item.get("top", []) if isinstance(item, dict) else []
        return ", ".join(hub_item_words(*t) for t in top[:2])
    if feature in PACKAGE_KINDS:
        item = evidence.get(feature)
        return ", ".join(str(t[0]) for t in item.get("top", [])) if isinstance(item, dict) else ""
    kinds = PR_KINDS if feature == "project_commits" else (feature,) if feature in PR_KINDS else ()
    found = []
    for kind in kinds:
        item = evidence.get(kind)
        for repo, prs, commits in item.get("top", []) if isinstance(item, dict) else []:
            n = commits if feature == "project_commits" else prs
            if n:
                found.append(f"{repo} ({n:,})")
    return ", ".join(found[:3])


def words(
    evidence: Mapping[str, Any],
    describe: Callable[[str, float], str],
    repo_url: Callable[[str, str], str],
    skills: list[str] | None = None,
) -> str:
    """The `top_skills` cell: skill names, then each count in the words `why_ranked` uses
    with the items behind it, e.g. "PyTorch, MLflow | 12 MLOps repos: kubeflow-pipelines
    ★120 https://github.com/x/kubeflow-pipelines, ... | 212 SO answers in ML tags: [pytorch]
    150, [keras] 40 | Kaggle master, 14 Kaggle medal points". `describe` is the features'
    own words, `repo_url(owner, name)` a repository's page ("" when it has none)."""
    parts = [", ".join(skills)] if skills else []
    for kind in REPO_KINDS:
        item = evidence.get(kind)
        if not isinstance(item, dict) or not item.get("n"):
            continue
        named = []
        for name, stars, owner in item.get("top", []):
            text = f"{name} ★{stars:,}" if stars else str(name)
            url = repo_url(owner, name)
            named.append(f"{text} {url}" if url else text)
        parts.append(f"{describe(kind, item['n'])}: {', '.join(named)}".rstrip(": "))
    so = evidence.get("so_ml_answers")
    if isinstance(so, dict) and so.get("n"):
        named = [f"[{tag}] {n:,}" for tag, n in so.get("top", [])]
        parts.append(f"{describe('so_ml_answers', so['n'])}: {', '.join(named)}".rstrip(": "))
    kaggle = evidence.get("kaggle")
    if isinstance(kaggle, dict):
        bits = [describe("kaggle_tier", kaggle["tier"])] if kaggle.get("tier") else []
        if kaggle.get("medals"):
            bits.append(describe("kaggle_medals", kaggle["medals"]))
        if bits:
            parts.append(", ".join(bits))
    parts += _ml_native_words(evidence, describe)
    return " | ".join(parts)


def _project(repo: str, prs: int, commits: int) -> str:
    what = f"{prs:,} merged PRs" if prs else f"{commits:,} commits"
    return f"{repo} ({what})"


def _ml_native_words(
    evidence: Mapping[str, Any], describe: Callable[[str, float], str]
) -> list[str]:
    """The Hub, PyPI and major-project parts of top_skills, each item with its public page."""
    parts = []
    hub = evidence.get("hub_ml_items")
    if isinstance(hub, dict) and hub.get("n"):
        named_items = [
            f"{hub_item_words(*t)} https://huggingface.co/{t[0]}" for t in hub.get("top", [])
        ]
        parts.append(f"{describe('hub_ml_items', hub['n'])}: {', '.join(named_items)}")
    for kind in PACKAGE_KINDS:
        item = evidence.get(kind)
        if isinstance(item, dict) and item.get("n"):
            pages = [f"{n} https://pypi.org/project/{n}/" for n, _r in item.get("top", [])]
            parts.append(f"{describe(kind, item['n'])}: {', '.join(pages)}")
    for kind in PR_KINDS:
        item = evidence.get(kind)
        if isinstance(item, dict) and item.get("top"):
            top = item["top"]
            repos = [f"{_project(r, p, c)} https://github.com/{r}" for r, p, c in top]
            label = describe(kind, item["n"]) if item.get("n") else "major projects"
            parts.append(f"{label}: {', '.join(repos)}")
    return [p.rstrip(": ") for p in parts]
