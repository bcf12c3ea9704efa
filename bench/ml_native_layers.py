"""The ML-native sandbox layers (Hub, PyPI, contributions to the major projects) stored as their
crawls would store them, for the ranking bench (bench/ranking_quality.py): Hub and PyPI
accounts as profiles of their own source linked to their people's candidates, contributions as
rows of the person's GitHub profile; organisations, namesakes' other owners and bots are linked
by the layers' hidden truth, never by guess.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from sandbox import world_hub, world_projects, world_pypi

# (session, world, {person_id: candidate_id}) -> {source: why it stored nothing}
AddRows = Callable[[Any, Any, dict[int, int]], Any]


def store_ml_native(session: Any, world: Any, candidate_of: dict[int, int]) -> dict[str, str]:
    """Store the world's Hub, PyPI and major-project rows as their crawls would, linked to
    their people's candidates by the layers' hidden truth (organisations and bots to nobody)
    (sandbox/world_hub.py, world_pypi.py, world_projects.py). Returns {source: why nothing
    was stored}: empty, kept so a bench given other add_rows can report a source it lacks."""
    for store in _STORE.values():
        store(session, world, candidate_of)
    session.flush()
    return {}


def _link(session: Any, items: list[Any], owners: list[int]) -> None:
    """Save accounts (ProfileItems) and link each to its candidate, as identity would."""
    from storage.models import CandidateProfile
    from storage.save import save_profiles

    ids = save_profiles(session, items)
    for item, cid in zip(items, owners, strict=True):
        pid = ids[(item.source, item.external_id)]
        session.add(
            CandidateProfile(
                candidate_id=cid, profile_id=pid, method="self", confidence=1.0, evidence={}
            )
        )


def _store_hub(session: Any, world: Any, candidate_of: dict[int, int]) -> None:
    from storage.items import HubItemRow, ProfileItem

    hub = world_hub.hub_world(world)
    items, owners = [], []
    for account in hub.users():
        person = hub.owner.get(account.name)
        if person not in candidate_of:
            continue
        rows = [
            HubItemRow(
                r.repo_id if r.kind == "model" else f"{r.kind}s/{r.repo_id}",
                r.kind,
                r.downloads,
                r.likes,
                r.library,
                r.pipeline_tag,
                list(r.tags),
                r.created_at,
                r.last_modified,
            )
            for r in hub.items_of(account.name)
        ]
        items.append(
            ProfileItem("huggingface", account.name, world.now, handle=account.name, hub_items=rows)
        )
        owners.append(candidate_of[person])
    _link(session, items, owners)


def _store_pypi(session: Any, world: Any, candidate_of: dict[int, int]) -> None:
    from storage.items import ProfileItem, PypiPackageRow

    layer = world_pypi.pypi_layer(world)
    packages: dict[str, list[Any]] = {}
    for project in layer.projects.values():
        released = sorted(r.uploaded for r in project.releases if r.uploaded <= world.now)
        if not released:
            continue
        for role, username in project.roles:
            packages.setdefault(username, []).append(
                PypiPackageRow(
                    project.name,
                    role,
                    project.summary,
                    releases=len(released),
                    first_release=released[0],
                    last_release=released[-1],
                    classifiers=list(project.classifiers),
                    keywords=[k for k in re.split(r"[,\s]+", project.keywords or "") if k],
                )
            )
    items, owners = [], []
    for username, rows in sorted(packages.items()):
        person = layer.person_of(username)
        if person in candidate_of:
            items.append(ProfileItem("pypi", username, world.now, pypi_packages=rows))
            owners.append(candidate_of[person])
    _link(session, items, owners)


def _store_contributions(session: Any, world: Any, candidate_of: dict[int, int]) -> None:
    from sqlalchemy import insert, select

    from storage.models import Contribution, Profile

    module = world_projects
    layer = module.projects_layer(world)
    github = dict(
        session.execute(
            select(Profile.external_id, Profile.id).where(Profile.source == "github")
        ).all()
    )
    rows = []
    for project in module.ALL_PROJECTS:
        for account_id, t in sorted(layer.truth(project.full_name).items()):
            profile = github.get(str(account_id))
            if t.bot or t.person_id not in candidate_of or profile is None:
                continue
            rows.append(
                {
                    "profile_id": profile,
                    "repo": project.full_name,
                    "commits": t.commits,
                    "merged_prs": t.merged_prs,
                    "last_merged_at": t.last_merged_at,
                    "seen_at": world.now,
                }
            )
    if rows:
        session.execute(insert(Contribution), rows)


_STORE: dict[str, AddRows] = {
    "huggingface": _store_hub,
    "pypi": _store_pypi,
    "contributions": _store_contributions,
}
