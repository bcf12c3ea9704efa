"""The projects layer of the sandbox world (sandbox/world_projects.py): deterministic, stable from
day to day, never changing the world it reads; deep ML/MLOps people contribute more."""

from __future__ import annotations

import pickle

import pytest

from sandbox.world import generate
from sandbox.world_days import world_at
from sandbox.world_projects import ALL_PROJECTS, ProjectsLayer, projects_layer

SEED, PEOPLE = 11, 800


@pytest.fixture(scope="module")
def world():
    return generate(SEED, PEOPLE)


def test_the_layer_is_deterministic_and_leaves_the_world_as_it_was(world):
    before = pickle.dumps(world)
    first = ProjectsLayer(world)
    assert pickle.dumps(world) == before  # no draw of the world's own changed
    again = ProjectsLayer(generate(SEED, PEOPLE))
    for project in ALL_PROJECTS:
        assert first.truth(project.full_name) == again.truth(project.full_name)
        assert first.pulls(project) == again.pulls(project)


def test_a_contributor_s_history_only_grows_with_the_days(world):
    later = world_at(SEED, PEOPLE, 30)
    day0, day30 = projects_layer(world), projects_layer(later)
    for project in ALL_PROJECTS:
        now = day30.truth(project.full_name)
        for account_id, then in day0.truth(project.full_name).items():
            if account_id not in now:  # the account was deleted or suspended meanwhile
                assert later.github_gone.get(account_id) or then.bot
                continue
            assert now[account_id].commits >= then.commits
            assert now[account_id].merged_prs >= then.merged_prs
    grew = sum(
        sum(c.merged_prs for c in day30.truth(p.full_name).values())
        - sum(c.merged_prs for c in day0.truth(p.full_name).values())
        for p in ALL_PROJECTS
    )
    assert grew > 0  # later days merge more: an incremental crawl has something to find


def test_deep_people_contribute_more_bots_and_the_unlocated_too(world):
    layer = projects_layer(world)
    per_depth = {d: [0, 0] for d in range(4)}  # depth -> [people, contributions]
    for truth in world.truth.values():
        if truth.github_login is None:
            continue
        depth = max(truth.ml_depth, truth.mlops_depth)
        per_depth[depth][0] += 1
    contributors = set()
    for project in ALL_PROJECTS:
        for c in layer.truth(project.full_name).values():
            if c.person_id is not None:
                truth = world.truth[c.person_id]
                per_depth[max(truth.ml_depth, truth.mlops_depth)][1] += 1
                contributors.add(c.login)
    rate = [n / max(1, people) for people, n in per_depth.values()]
    assert rate[3] > rate[2] > rate[0]
    bots = [c for p in ALL_PROJECTS for c in layer.truth(p.full_name).values() if c.bot]
    assert bots and all(c.login.endswith("[bot]") and c.person_id is None for c in bots)
    assert any(world.github[login].location is None for login in contributors)
    countries = {world.truth[world.github[login].person_id].country for login in contributors}
    assert len(countries) > 10  # from anywhere in the world


def test_the_empty_project_has_no_contributor(world):
    layer = projects_layer(world)
    empty = next(p for p in ALL_PROJECTS if p.kind == "none")
    assert layer.contributors(empty) == [] and layer.pulls(empty) == []
