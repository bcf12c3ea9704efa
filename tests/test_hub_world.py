"""sandbox/world_hub.py: the Hub layer is derived from a world without changing it, is the same
every time, and its hidden truth holds the misleading cases a crawler must survive."""

from __future__ import annotations

import pickle
from statistics import mean

from helpers import shared_world

from sandbox.world import generate
from sandbox.world_days import world_at
from sandbox.world_hub import build, hub_world

SEED, PEOPLE = 7, 1500


def test_the_layer_changes_no_draw_of_the_world_and_is_the_same_every_time() -> None:
    world = generate(SEED, 300)
    before = pickle.dumps(world)
    first = build(world)
    assert pickle.dumps(world) == before  # nothing of the world moved
    again = build(generate(SEED, 300))
    assert pickle.dumps(first) == pickle.dumps(again)
    assert build(generate(SEED + 1, 300)).owner != first.owner


def test_truth_maps_each_account_to_its_person_and_organisations_to_none() -> None:
    world = shared_world(SEED, PEOPLE)
    hub = hub_world(world)
    users, orgs = hub.users(), hub.orgs()
    assert len(orgs) >= 3 and len(users) > 100
    assert all(hub.owner[o.name] is None for o in orgs)
    assert all(hub.owner[u.name] == u.person_id for u in users)
    assert len({u.person_id for u in users}) == len(users)  # one account a person
    # Organisations publish the most downloaded models.
    top = sorted(hub.repos["model"], key=lambda r: -r.downloads)[:20]
    assert sum(hub.owner[r.author] is None for r in top) >= 15


def test_usernames_match_logins_often_differ_sometimes_and_namesakes_mislead() -> None:
    world = shared_world(SEED, PEOPLE)
    hub = hub_world(world)
    logins = {t.github_login: t.person_id for t in world.truth.values() if t.github_login}
    same = [u for u in hub.users() if logins.get(u.name) == u.person_id]
    differ = [u for u in hub.users() if world.truth[u.person_id].github_login not in (None, u.name)]
    assert len(same) > len(hub.users()) * 0.3 and len(differ) > 10
    assert hub.namesakes, "some Hub user must carry another person's GitHub login"
    for name, other in hub.namesakes.items():
        assert logins[name] == other != hub.owner[name]
    # Some link their GitHub profile in their overview, always their own login.
    assert len(hub.linked) > 10
    for name, login in hub.linked.items():
        assert world.truth[hub.owner[name] or 0].github_login == login
        assert f"github.com/{login}" in (hub.accounts[name].details or "")


def test_ml_people_have_accounts_more_often_and_publish_more_downloads() -> None:
    world = shared_world(SEED, PEOPLE)
    hub = hub_world(world)
    by_person = {u.person_id: u.name for u in hub.users()}

    def share(depth: int) -> float:
        people = [t for t in world.truth.values() if t.ml_depth == depth]
        return sum(t.person_id in by_person for t in people) / len(people)

    assert share(3) > share(1) > share(0)

    def downloads(depth: int) -> float:
        names = [n for p, n in by_person.items() if world.truth[p].ml_depth == depth]
        return mean(sum(r.downloads for r in hub.items_of(n)) for n in names)

    assert downloads(3) > 5 * downloads(0)


def test_accounts_are_stable_across_days_and_items_move_on_some_days() -> None:
    day0, day3 = world_at(SEED, 300, 0), world_at(SEED, 300, 3)
    hub0, hub3 = build(day0), build(day3)
    assert set(hub0.owner.items()) <= set(hub3.owner.items())
    moved = [
        a.repo_id
        for a, b in zip(hub0.repos["model"], hub3.repos["model"], strict=False)
        if a.repo_id == b.repo_id and b.last_modified > a.last_modified
    ]
    assert moved, "some items are modified on later days"
    assert all(b.last_modified <= day3.now for b in hub3.repos["model"])
