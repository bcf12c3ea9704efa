"""The sandbox's Stack Exchange sites: datascience's users are other people under the numbers
stackoverflow's users hold, deterministic from the seed."""

from __future__ import annotations

import copy

import pytest
from se_api_calls import Clock, call

from sandbox import world_data as d
from sandbox.model import SandboxOptions, Stats
from sandbox.stackexchange_api import StackExchangeAPI
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


def test_datascience_serves_other_people_under_stackoverflows_numbers(world) -> None:
    api = StackExchangeAPI(world, SandboxOptions(), Stats(), Clock(), burst_limit=0)
    people = site_users(world, "datascience")
    shared = sorted(set(people) & set(world.stackoverflow))
    assert len(shared) == len(people) > 20  # every datascience number is taken on stackoverflow
    batch = ";".join(str(uid) for uid in shared[:100])
    _, so = call(api, f"/users/{batch}", site="stackoverflow", pagesize=100)
    _, ds = call(api, f"/users/{batch}", site="datascience", pagesize=100)
    _, by_domain = call(api, f"/users/{batch}", site="Datascience.StackExchange.com", pagesize=100)
    assert by_domain["items"] == ds["items"]
    so_by_id = {u["user_id"]: u for u in so["items"]}
    for user in ds["items"]:
        uid = user["user_id"]
        assert user["link"].startswith(f"https://datascience.stackexchange.com/users/{uid}/")
        assert so_by_id[uid]["link"].startswith(f"https://stackoverflow.com/users/{uid}/")
        assert people[uid].person_id != world.stackoverflow[uid].person_id  # someone else
        assert user["reputation"] == people[uid].reputation
    # A site's listings name its own users only; its posts link to its own domain.
    _, top = call(api, "/tags/pytorch/top-answerers/all_time", site="datascience")
    assert top["items"] and {i["user"]["user_id"] for i in top["items"]} <= set(people)
    _, questions = call(api, "/questions", site="datascience", tagged="pytorch")
    assert questions["items"][0]["link"].startswith("https://datascience.stackexchange.com/q")
    answered = [q for q in questions["items"] if q["answer_count"]]
    _, answers = call(api, f"/questions/{answered[0]['question_id']}/answers", site="datascience")
    assert {a["owner"]["user_id"] for a in answers["items"] if "owner" in a} <= set(people)
