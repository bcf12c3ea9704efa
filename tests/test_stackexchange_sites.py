"""The sandbox's Stack Exchange sites: datascience's users are other people under the numbers
stackoverflow's users hold, deterministic from the seed."""

from __future__ import annotations

import copy

import pytest

from sandbox import world_data as d
from sandbox.stackexchange_sites import site_name, site_users
from sandbox.world import generate
from sandbox.world_days import world_at

SEED, PEOPLE = 11, 300


@pytest.fixture(scope="module")
def world(worlds):
    return worlds(SEED, PEOPLE)


def _shape(users):
    return {uid: (u.person_id, u.display_name, u.reputation, u.link) for uid, u in users.items()}


def test_site_names_are_api_names_or_domains_in_any_case():
    assert site_name("stackoverflow") == site_name("StackOverflow.com") == "stackoverflow"
    assert site_name("datascience.stackexchange.com") == site_name(" DataScience ") == "datascience"
    assert site_name("stats") is None


def test_stackoverflow_is_the_worlds_own_users(world):
    assert site_users(world, "stackoverflow") is world.stackoverflow


def test_datascience_is_the_same_for_a_seed_and_leaves_the_world_as_it_was(world):
    before = copy.deepcopy(world.stackoverflow)
    users = site_users(world, "datascience")
    assert world.stackoverflow == before  # drawn with a RNG of its own
    assert _shape(site_users(generate(SEED, PEOPLE), "datascience")) == _shape(users)
    assert _shape(site_users(generate(SEED + 1, PEOPLE), "datascience")) != _shape(users)


def test_every_datascience_number_is_someone_else_on_stackoverflow(world):
    users = site_users(world, "datascience")
    assert 20 < len(users) < len(world.stackoverflow)
    for uid, user in users.items():
        assert uid == user.user_id and uid in world.stackoverflow
        assert world.stackoverflow[uid].person_id != user.person_id
        assert user.link.startswith(f"https://datascience.stackexchange.com/users/{uid}/")
    # A person on both sites keeps one network account; the rest have accounts of their own.
    accounts = {u.person_id: u.account_id for u in world.stackoverflow.values()}
    both = [u for u in users.values() if u.person_id in accounts]
    assert both and all(u.account_id == accounts[u.person_id] for u in both)
    alone = [u.account_id for u in users.values() if u.person_id not in accounts]
    assert alone and not set(alone) & set(accounts.values())


def test_datascience_people_mostly_do_ml_and_answer_every_ml_tag(world):
    users = site_users(world, "datascience").values()
    truth = [world.truth[u.person_id] for u in users]
    assert sum(1 for t in truth if max(t.ml_depth, t.mlops_depth) > 0) > len(truth) / 2
    answered = {
        t.tag_name for u in users if u.user_type == "registered" for t in u.tags if t.answer_count
    }
    assert set(d.ML_SO_TAGS + d.MLOPS_SO_TAGS) <= answered  # discovery starts from each tag


def test_datascience_stays_the_same_over_simulated_days():
    day0 = site_users(world_at(SEED, PEOPLE, 0), "datascience")
    day3 = site_users(world_at(SEED, PEOPLE, 3), "datascience")
    assert {uid: u.reputation for uid, u in day3.items()} == {
        uid: u.reputation for uid, u in day0.items()
    }
