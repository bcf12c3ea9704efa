"""Tests for the sandbox world generator: determinism, speed, accounts, truth and noise."""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from dataclasses import asdict

import pytest

from sandbox import world_data as d
from sandbox.model import World
from sandbox.world import NOW, generate

LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$")
ML_KINDS = {"ml", "mlops"}


def canonical(world: World) -> str:
    return json.dumps(asdict(world), default=str, sort_keys=True, ensure_ascii=False)


@pytest.fixture(scope="module")
def world(worlds) -> World:
    return worlds(7, 5000)


def test_same_seed_is_identical_and_another_seed_differs() -> None:
    first = canonical(generate(11, 400))
    assert first == canonical(generate(11, 400))
    assert first != canonical(generate(12, 400))


def test_five_thousand_people_in_under_ten_seconds() -> None:
    start = time.perf_counter()
    generate(3, 5000)
    assert time.perf_counter() - start < 10


def test_small_worlds_work() -> None:
    for people in (1, 2, 25):
        w = generate(1, people)
        assert sum(1 for t in w.truth.values() if t.person_id <= people) == people


def test_world_fields_are_keyed_as_documented(world: World) -> None:
    assert world.people == 5000 and world.now == NOW
    assert all(login == a.login for login, a in world.github.items())
    assert all(uid == u.user_id for uid, u in world.stackoverflow.items())
    assert all(kid == k.id for kid, k in world.kaggle.items())
    assert all(pid == t.person_id for pid, t in world.truth.items())
    ids = [a.id for a in world.github.values()]
    assert ids == list(range(1, len(ids) + 1))
    repo_ids = [r.id for a in world.github.values() for r in a.repos]
    assert len(repo_ids) == len(set(repo_ids))


def test_orgs_and_bots_exist_without_person(world: World) -> None:
    types = Counter(a.type for a in world.github.values())
    total = sum(types.values())
    assert 0.02 < types["Organization"] / total < 0.04
    assert 0.005 < types["Bot"] / total < 0.02
    for a in world.github.values():
        if a.type in ("Organization", "Bot"):
            assert a.person_id is None
        else:
            assert a.type == "User" and a.person_id is not None
        assert a.login.endswith("[bot]") == (a.type == "Bot")


def test_logins_are_valid_and_unique_case_insensitively(world: World) -> None:
    assert len(world.github_by_lower()) == len(world.github)
    for login in world.github:
        assert LOGIN.match(login.removesuffix("[bot]")), login
    names = [k.user_name for k in world.kaggle.values()]
    assert len(set(names)) == len(names)
    assert all(re.fullmatch(r"[a-z0-9]+", n) for n in names)


def test_every_truth_link_points_to_the_right_account(world: World) -> None:
    for t in world.truth.values():
        assert t.github_login or t.so_user_id or t.kaggle_user_id
        if t.github_login:
            assert world.github[t.github_login].person_id == t.person_id
        if t.so_user_id:
            assert world.stackoverflow[t.so_user_id].person_id == t.person_id
        if t.kaggle_user_id:
            assert world.kaggle[t.kaggle_user_id].person_id == t.person_id
    linked = {t.github_login for t in world.truth.values()}
    assert all(a.login in linked for a in world.github.values() if a.person_id)


def test_platform_shares(world: World) -> None:
    main = [t for t in world.truth.values() if t.person_id <= world.people]
    assert len(main) == world.people
    assert 0.85 < sum(1 for t in main if t.github_login) / len(main) < 0.96
    assert 0.35 < sum(1 for t in main if t.so_user_id) / len(main) < 0.45
    assert 0.2 < sum(1 for t in main if t.kaggle_user_id) / len(main) < 0.3
    multi = sum(
        1 for t in main if sum(map(bool, (t.github_login, t.so_user_id, t.kaggle_user_id))) > 1
    )
    assert multi > 0.3 * len(main)


def test_region_weighting(world: World) -> None:
    main = [t for t in world.truth.values() if t.person_id <= world.people]
    regions = Counter(d.region_of(t.country) for t in main)
    focus = sum(n for r, n in regions.items() if r) / len(main)
    assert 0.52 < focus < 0.68
    for region in ("eastern_europe", "india", "latin_america"):
        assert regions[region] > 0.12 * len(main)
    countries = Counter(t.country for t in main)
    for cc in ("US", "DE", "GB", "CN", "NG"):
        assert countries[cc] > 0
    # A plain search term (GitHub matches location substrings) must find a large crowd.
    india = sum(1 for a in world.github.values() if "india" in (a.location or "").lower())
    assert india > 300


def test_location_table_truth_is_consistent() -> None:
    texts = [loc.text for loc in d.ALL_LOCATIONS]
    assert len(set(texts)) >= 150
    by_text: dict[str | None, set[tuple[str | None, bool]]] = {}
    for loc in d.ALL_LOCATIONS:
        by_text.setdefault(loc.text, set()).add((loc.country, loc.resolvable))
        if loc.resolvable:
            assert loc.country and loc.text
    for text, truths in by_text.items():
        if any(res for _, res in truths):
            assert len(truths) == 1, text  # a resolvable string means one country, always
    for text in ("Georgia", "Hamilton", "Remote", "Earth", "localhost", "Kyiv -> Berlin", None):
        assert all(not res for _, res in by_text[text])
    assert by_text["Paris"] == {("FR", True)}
    assert {c for c, _ in by_text["Georgia"]} == {"GE", "US"}
    for text in ("Earth", "localhost", "127.0.0.1", "", None):
        assert by_text[text] == {(None, False)}


def test_scripts_and_location_styles_appear(world: World) -> None:
    names = " ".join(t.name for t in world.truth.values())
    for pattern in (
        "[А-я]",
        "[\u0900-\u097f]",
        "[\u4e00-\u9fff]",
        "[\u0600-\u06ff]",
        "[ąćęłńóśźżãçéíñ]",
    ):
        assert re.search(pattern, names), pattern
    locations = {a.location for a in world.github.values()}
    for text in ("Kyiv", "Kraków", "Krakow, Poland", "Україна", "🇵🇱", "Remote", "Earth", None):
        assert text in locations


def test_truth_matches_account_locations(world: World) -> None:
    for t in world.truth.values():
        if t.github_login:
            assert world.github[t.github_login].location == t.location_text
        assert not t.resolvable or t.country is not None


def test_lookalikes_exist_across_countries(world: World) -> None:
    pairs = [(t, world.truth[t.lookalike_of]) for t in world.truth.values() if t.lookalike_of]
    assert pairs
    assert all(a.person_id != b.person_id for a, b in pairs)
    cross = [(a, b) for a, b in pairs if a.country and b.country and a.country != b.country]
    assert len(cross) > 50
    handle_variants = [
        (a, b)
        for a, b in pairs
        if a.github_login
        and b.github_login
        and a.github_login.lower().startswith(b.github_login.lower())
        and a.github_login.lower() != b.github_login.lower()
    ]
    assert handle_variants


def test_explicit_and_implicit_links(world: World) -> None:
    owner = {a.login: a.person_id for a in world.github.values()}
    so_to_gh = [
        u
        for u in world.stackoverflow.values()
        if (u.website_url or "").startswith("https://github.com/")
    ]
    assert len(so_to_gh) > 50
    for u in so_to_gh:
        assert owner[(u.website_url or "").rsplit("/", 1)[1]] == u.person_id
    about = [u for u in world.stackoverflow.values() if "github.com/" in (u.about_me or "")]
    assert about
    kaggle_owner = {k.user_name: k.person_id for k in world.kaggle.values()}
    mentions = 0
    for a in world.github.values():
        for m in re.finditer(r"kaggle\.com/([a-z0-9]+)", f"{a.blog} {a.bio}"):
            assert kaggle_owner[m.group(1)] == a.person_id
            mentions += 1
        for m in re.finditer(r"stackoverflow\.com/users/(\d+)/", f"{a.blog} {a.bio}"):
            assert world.stackoverflow[int(m.group(1))].person_id == a.person_id
            mentions += 1
    assert mentions > 100
    same_handle = sum(
        1
        for t in world.truth.values()
        if t.github_login
        and t.kaggle_user_id
        and world.kaggle[t.kaggle_user_id].user_name == t.github_login.lower().replace("-", "")
    )
    assert same_handle > 50


def test_depth_drives_ml_repos_but_followers_barely(world: World) -> None:
    by_depth: dict[int, list[int]] = {0: [], 1: [], 2: [], 3: []}
    followers: dict[int, list[int]] = {0: [], 3: []}
    for t in world.truth.values():
        if not t.github_login:
            continue
        acc = world.github[t.github_login]
        ml = [r for r in acc.repos if r.kind == "ml" and not r.fork]
        by_depth[t.ml_depth].append(sum(r.stargazers_count for r in ml))
        if t.ml_depth in followers and t.mlops_depth == 0:
            followers[t.ml_depth].append(acc.followers)
    means = [sum(v) / len(v) for v in by_depth.values()]
    assert means == sorted(means) and means[0] == 0 and means[3] > 10 * max(means[1], 1)
    topics = Counter(
        tp for a in world.github.values() for r in a.repos if r.kind in ML_KINDS for tp in r.topics
    )
    for topic in ("pytorch", "mlops", "machine-learning", "kubeflow", "llm", "mlflow"):
        assert topics[topic] > 0
    assert all(re.fullmatch(r"[a-z0-9][a-z0-9-]*", tp) for tp in topics)
    # A deep person is not reliably above a shallow one by followers.
    shallow = sorted(followers[0])
    deep_median = sorted(followers[3])[len(followers[3]) // 2]
    above = sum(1 for f in shallow if f >= deep_median) / len(shallow)
    assert above > 0.2


def test_noise_repos(world: World) -> None:
    repos = [r for a in world.github.values() for r in a.repos]
    kinds = Counter(r.kind for r in repos)
    for kind in ("tutorial_fork", "star_farm", "automated"):
        assert kinds[kind] > 0
    assert all(r.fork for r in repos if r.kind == "tutorial_fork")
    assert all(not r.fork for r in repos if r.kind != "tutorial_fork")
    for a in world.github.values():
        if any(r.kind == "star_farm" for r in a.repos):
            t = world.truth[a.person_id or 0]
            assert t.ml_depth == t.mlops_depth == 0
    for r in repos:
        assert r.created_at <= r.pushed_at <= NOW and r.updated_at <= NOW
    years = Counter(a.created_at.year for a in world.github.values())
    assert min(years) <= 2009 and max(years) >= 2025


def test_stack_overflow_users(world: World) -> None:
    users = list(world.stackoverflow.values())
    types = Counter(u.user_type for u in users)
    assert types["registered"] > 0.9 * len(users)
    assert types["unregistered"] > 0 and types["does_not_exist"] > 0
    for tag in d.ML_SO_TAGS + d.MLOPS_SO_TAGS:
        answerers = [u for u in users for t in u.tags if t.tag_name == tag and t.answer_count > 0]
        assert len(answerers) >= 3, tag
    reps = sorted(u.reputation for u in users)
    assert reps[-1] > 20 * reps[len(reps) // 2]  # heavy-tailed
    assert all(set(u.badge_counts) == {"bronze", "silver", "gold"} for u in users)
    ids = [u.user_id for u in users]
    assert ids == sorted(ids)


def test_kaggle_signal_and_dormant_users(world: World) -> None:
    recent = NOW.replace(year=NOW.year - 2)
    dormant = [
        k for k in world.kaggle.values() if world.truth[k.person_id or 0].person_id > world.people
    ]
    dormant_ids = {k.id for k in dormant}
    active = [k for k in world.kaggle.values() if k.id not in dormant_ids]
    assert 1.8 * len(active) <= len(dormant) <= 2.2 * len(active)
    for k in dormant:
        assert k.performance_tier == 0
        assert all(
            a.tier == 0 and a.total_gold + a.total_silver + a.total_bronze == 0
            for a in k.achievements
        )
        assert all(s < recent for s in k.submission_dates)
        assert world.truth[k.person_id or 0].location_text is None
    tiers = Counter(k.performance_tier for k in active)
    assert tiers[2] and tiers[3] and tiers[4]
    for k in active:
        medals = sum(a.total_gold + a.total_silver + a.total_bronze for a in k.achievements)
        assert k.performance_tier or medals or any(s >= recent for s in k.submission_dates)
        assert [a.achievement_type for a in k.achievements] == [
            "Competitions",
            "Scripts",
            "Discussion",
            "Datasets",
        ]
