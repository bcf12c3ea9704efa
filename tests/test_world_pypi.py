"""The PyPI layer of a sandbox world: derived without moving any existing draw, stable from
day to day, with the misleading accounts the crawl and identity must cope with."""

from __future__ import annotations

import pickle

from config.projects import load_projects
from sandbox.world import generate
from sandbox.world_days import world_at
from sandbox.world_pypi import AI_CLASSIFIER, pypi_layer

SEED, PEOPLE = 5, 400


def test_the_layer_moves_no_existing_draw():
    before = pickle.dumps(generate(SEED, PEOPLE))
    world = generate(SEED, PEOPLE)
    pypi_layer(world)
    assert pickle.dumps(world) == before


def test_the_same_world_gives_the_same_projects_and_a_day_only_adds_releases():
    one, two = pypi_layer(generate(SEED, PEOPLE)), pypi_layer(generate(SEED, PEOPLE))
    assert {k: (p.roles, p.releases) for k, p in one.projects.items()} == {
        k: (p.roles, p.releases) for k, p in two.projects.items()
    }
    later = pypi_layer(world_at(SEED, PEOPLE, 40))
    day0 = {k: p for k, p in one.projects.items()}
    # Accounts and roles of the first world's people are the same 40 days on.
    for key, project in day0.items():
        assert later.projects[key].roles == project.roles
        assert later.projects[key].releases[: len(project.releases)] == project.releases
    moved = [k for k, p in day0.items() if later.projects[k].serial != p.serial]
    assert moved and all(len(later.projects[k].releases) > len(day0[k].releases) for k in moved)


def test_ml_people_maintain_more_ml_packages():
    world = generate(SEED, PEOPLE)
    layer = pypi_layer(world)
    by_depth: dict[int, list[int]] = {0: [], 1: [], 2: [], 3: []}
    for user, pid in layer.owner_of.items():
        if pid is None:
            continue
        truth = world.truth[pid]
        ml = [
            k
            for k in layer.packages_of(layer.spelled[user])
            if layer.projects[k].ml and layer.projects[k].organization is None
        ]
        by_depth[max(truth.ml_depth, truth.mlops_depth)].append(len(ml))
    share = {
        d: len(v)
        / max(1, sum(1 for t in world.truth.values() if max(t.ml_depth, t.mlops_depth) == d))
        for d, v in by_depth.items()
    }
    assert share[3] > share[1] > share[0]
    assert sum(by_depth[0]) == 0  # people with no ML work publish no ML package


def test_configured_packages_are_owned_by_organisations_with_a_few_people():
    layer = pypi_layer(generate(SEED, PEOPLE))
    for name in load_projects().packages:
        project = layer.projects[name]
        assert project.organization and AI_CLASSIFIER in project.classifiers
        people = [u for _, u in project.roles if layer.person_of(u) is not None]
        bots = [u for _, u in project.roles if layer.person_of(u) is None]
        assert bots == [f"{project.organization}-bot"] and 1 <= len(people) <= 3
        # As the API lists them: Owner before Maintainer, then by username.
        assert project.roles == sorted(project.roles, key=lambda r: (r[0] != "Owner", r[1].lower()))


def test_usernames_link_some_people_to_github_and_namesakes_mislead():
    world = generate(SEED, PEOPLE)
    layer = pypi_layer(world)
    same = differ = 0
    for user, pid in layer.owner_of.items():
        if pid is None or world.truth[pid].github_login is None:
            continue
        if world.truth[pid].github_login.lower() == user:
            same += 1
        else:
            differ += 1
    assert same and differ
    logins = {login.lower(): acc.person_id for login, acc in world.github.items()}
    for user in layer.namesakes:  # a PyPI username that is another person's GitHub login
        assert logins[user] != layer.owner_of[user]
    linked = [p for p in layer.projects.values() if p.organization is None and p.repo]
    own = [
        p
        for p in linked
        if layer.person_of(p.roles[0][1]) is not None
        and world.truth[layer.person_of(p.roles[0][1])].github_login == p.repo.split("/")[0]
    ]
    assert own and len(own) < len(linked)  # some link their own GitHub, some an organisation
