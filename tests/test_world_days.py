"""The sandbox world through time: determinism per (seed, day), each kind of change, and the
changes as a client sees them through the served APIs after `POST /_sandbox/advance`."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from functools import cache

import httpx
import pytest
from helpers import scout_popen

from sandbox.model import SandboxOptions, World
from sandbox.server import SandboxServer
from sandbox.world import NOW, generate
from sandbox.world_days import DayRates, Timeline, advance, world_at

# A small world with brisk rates, so that one day holds every kind of change.
BRISK = DayRates(
    new_people=0.03,
    profile_edits=0.05,
    renames=0.015,
    deletions=0.01,
    suspensions=0.01,
    so_answers=0.1,
    so_votes=0.1,
    kaggle_changes=0.05,
)
AUTH = {"Authorization": "Bearer sandbox-token"}
SE = {"site": "stackoverflow"}


def canonical(world: World) -> str:
    return json.dumps(asdict(world), default=str, sort_keys=True, ensure_ascii=False)


@cache
def base() -> World:
    return generate(5, 400)


@cache
def brisk() -> Timeline:
    return Timeline(base(), BRISK)


def test_a_day_is_the_same_however_it_is_reached() -> None:
    direct = Timeline(generate(5, 400), BRISK).at(3)
    stepped = base()
    for _ in range(3):
        stepped = advance(stepped, BRISK)
    assert canonical(direct) == canonical(stepped)
    assert canonical(direct) != canonical(brisk().at(2))
    assert direct.day == 3 and direct.now == NOW + timedelta(days=3)
    other_seed = Timeline(generate(6, 400), BRISK).at(3)
    assert sorted(other_seed.log.github_renamed.values()) != sorted(
        direct.log.github_renamed.values()
    )


def test_day_zero_is_the_generated_world_and_earlier_days_never_change() -> None:
    assert canonical(world_at(5, 400, 0)) == canonical(generate(5, 400))
    assert world_at(5, 400, 0).log is None
    timeline = Timeline(generate(5, 400), BRISK, keep=2)
    day2 = canonical(timeline.at(2))
    day0 = canonical(timeline.base)
    timeline.at(6)  # later days copy what they change: the worlds handed out stay put
    assert canonical(timeline.at(2)) == day2 and canonical(timeline.base) == day0


def test_a_season_at_default_rates_is_modest() -> None:
    # How fast: `python -m bench sandbox` (a timed test fails on a busy machine, not a slow one).
    timeline = Timeline(generate(11, 2000))
    day30 = timeline.at(30)
    logs = timeline.logs(1, 30)
    users = sum(1 for a in timeline.base.github.values() if a.type == "User")
    per_day = {
        name: sum(len(getattr(log, name)) for log in logs) / 30 / users
        for name in ("github_edited", "github_renamed", "github_gone", "github_created")
    }
    assert 0.003 < per_day["github_edited"] < 0.012
    assert 0.0005 < per_day["github_renamed"] < 0.005
    assert 0.0005 < per_day["github_gone"] < 0.004
    assert 0.0005 < per_day["github_created"] < 0.005
    assert len(day30.truth) > len(timeline.base.truth)


def test_the_truth_follows_every_change() -> None:
    world = brisk().at(2)
    log = world.log
    assert log is not None
    by_id = {a.id: a for a in world.github.values()}
    for account_id, (old, new) in log.github_renamed.items():
        acc = by_id[account_id]
        assert acc.login == new and old not in world.github
        assert old.lower() in world.retired_logins
        if acc.person_id:
            assert world.truth[acc.person_id].github_login == new
    gone = [a for a in base().github.values() if a.id in world.github_gone]
    assert gone and all(a.id not in by_id for a in gone)
    for acc in gone:
        if acc.person_id:
            assert world.truth[acc.person_id].github_gone in ("deleted", "suspended")
    for pid in log.new_people:
        truth = world.truth[pid]
        assert truth.joined_day == 2
        if truth.github_login:
            created = world.github[truth.github_login].created_at
            assert NOW + timedelta(days=1) <= created < world.now
    moved = [i for i, fields in log.github_edited.items() if "location" in fields]
    assert moved
    for account_id in moved:
        acc = by_id[account_id]
        if acc.person_id:
            assert world.truth[acc.person_id].location_text == acc.location


@pytest.fixture(scope="module")
def served():
    with SandboxServer(base(), timeline=brisk()) as server, httpx.Client(timeout=10) as client:
        yield server, client


def _advance(server: SandboxServer, client: httpx.Client, **params: int) -> dict:
    answer = client.post(server.base_url + "/_sandbox/advance", params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _search(server: SandboxServer, client: httpx.Client, q: str) -> list[str]:
    answer = client.get(server.github_url + "/search/users", params={"q": q}, headers=AUTH)
    assert answer.status_code == 200, answer.text
    return [item["login"] for item in answer.json()["items"]]


def _top(
    server: SandboxServer, client: httpx.Client, tag: str, ip: str
) -> list[tuple[int, int, int]]:
    url = f"{server.stackexchange_url}/tags/{tag}/top-answerers/all_time"
    # one address per phase: the API allows 30 requests a second per IP
    items = client.get(url, params=SE, headers={"X-Forwarded-For": ip}).json()["items"]
    return [(i["user"]["user_id"], i["post_count"], i["score"]) for i in items]


def _users_csv(server: SandboxServer, client: httpx.Client) -> tuple[dict[str, dict], str]:
    answer = client.get(server.kaggle_url + "/files/Users.csv")
    assert answer.status_code == 200
    rows = {row["Id"]: row for row in csv.DictReader(io.StringIO(answer.text))}
    return rows, answer.headers["Last-Modified"]


def test_the_clock_endpoints(served) -> None:
    server, client = served
    _advance(server, client, to=0)
    day = client.get(server.base_url + "/_sandbox/day").json()
    assert day["day"] == 0 and day["now"] == NOW.isoformat()
    assert client.get(server.base_url + "/_sandbox/advance").status_code == 405
    bad = client.post(server.base_url + "/_sandbox/advance", params={"days": "soon"})
    assert bad.status_code == 400
    assert client.post(server.base_url + "/_sandbox/advance", params={"to": -1}).status_code == 400
    assert _advance(server, client, days=2)["day"] == 2
    assert client.get(server.base_url + "/_sandbox/health").json()["day"] == 2
    assert _advance(server, client)["now"] == (NOW + timedelta(days=3)).isoformat()
    _advance(server, client, to=0)


def test_github_changes_are_served_after_a_day(served) -> None:
    server, client = served
    _advance(server, client, to=0)
    day0 = {a.id: a for a in base().github.values()}
    log = brisk().at(1).log
    assert log is not None
    touched = {*log.github_edited, *log.github_renamed, *log.github_gone}
    unchanged = next(a for a in base().github.values() if a.type == "User" and a.id not in touched)
    moved = next(i for i, fields in log.github_edited.items() if "location" in fields)
    etags = {
        a.id: client.get(f"{server.github_url}/users/{a.login}", headers=AUTH).headers["ETag"]
        for a in (unchanged, day0[moved])
    }
    assert _search(server, client, "created:2026-06-01") == []
    _advance(server, client, days=1)
    world = server.world
    assert world.day == 1 and world.log == log
    # an unchanged user keeps its ETag (a conditional request is a free 304), a changed one not
    again = client.get(
        f"{server.github_url}/users/{unchanged.login}",
        headers={**AUTH, "If-None-Match": etags[unchanged.id]},
    )
    assert again.status_code == 304
    # renamed: the new login answers with the same id, the old one 404s
    account_id, (old, new) = next(iter(log.github_renamed.items()))
    renamed = client.get(f"{server.github_url}/users/{new}", headers=AUTH).json()
    assert renamed["id"] == account_id and renamed["login"] == new
    assert client.get(f"{server.github_url}/users/{old}", headers=AUTH).status_code == 404
    assert client.get(f"{server.github_url}/user/{account_id}", headers=AUTH).json()["login"] == new
    query = f'{{ a: user(login: "{new}") {{ databaseId }} b: user(login: "{old}") {{ login }} }}'
    graph = client.post(f"{server.github_url}/graphql", json={"query": query}, headers=AUTH).json()
    assert graph["data"]["a"] == {"databaseId": account_id} and graph["data"]["b"] is None
    # deleted or suspended: 404, and gone from search
    gone = day0[next(iter(log.github_gone))]
    assert client.get(f"{server.github_url}/users/{gone.login}", headers=AUTH).status_code == 404
    assert _search(server, client, f"user:{gone.login}") == []
    # a new account shows in the created: window of its day
    created = {a.login for a in world.github.values() if a.id in log.github_created}
    assert created and created <= set(_search(server, client, "created:2026-06-01"))
    # an edited location is what the profile says now, with a new ETag and updated_at
    now_moved = next(a for a in world.github.values() if a.id == moved)
    profile = client.get(
        f"{server.github_url}/users/{now_moved.login}",
        headers={**AUTH, "If-None-Match": etags[moved]},
    )
    assert profile.status_code == 200 and profile.headers["ETag"] != etags[moved]
    assert profile.json()["location"] == now_moved.location != day0[moved].location
    assert datetime.fromisoformat(profile.json()["updated_at"]) >= NOW


def test_new_answers_move_top_answerer_lists(served) -> None:
    server, client = served
    _advance(server, client, to=0)
    answered = brisk().logs(1, 3)
    tags = sorted({t for log in answered for ts in log.so_answered.values() for t in ts})[:25]
    before = {tag: _top(server, client, tag, "10.0.0.1") for tag in tags}
    _advance(server, client, to=3)
    after = {tag: _top(server, client, tag, "10.0.0.2") for tag in tags}
    moved = [tag for tag in tags if after[tag] != before[tag]]
    assert moved
    newcomers = {
        uid
        for tag in moved
        for uid, _, _ in after[tag]
        if uid not in {u for u, _, _ in before[tag]}
    }
    assert newcomers, "some answerer enters a top list they were not on"
    rep0 = {u.user_id: u.reputation for u in base().stackoverflow.values()}
    uid = next(iter(server.world.log.so_scored))
    user = client.get(f"{server.stackexchange_url}/users/{uid}", params=SE).json()["items"][0]
    assert user["reputation"] > rep0[uid]


def test_each_day_publishes_a_new_kaggle_snapshot(served) -> None:
    server, client = served
    _advance(server, client, to=0)
    rows0, modified0 = _users_csv(server, client)
    _advance(server, client, to=2)
    rows2, modified2 = _users_csv(server, client)
    assert modified0 != modified2 and "03 Jun 2026" in modified2
    logs = brisk().logs(1, 2)
    new_ids = {str(k) for log in logs for k in log.kaggle_created}
    assert new_ids and new_ids == set(rows2) - set(rows0)
    changed = {i for i in rows0 if rows0[i] != rows2[i]}
    assert changed and changed <= {str(k) for log in logs for k in log.kaggle_changed}
    assert len(changed) < len(rows0) / 10  # a few changed rows, not a new file
    listing = client.post(
        server.kaggle_url + "/v1/datasets.DatasetApiService/ListDatasetFiles",
        json={"ownerSlug": "kaggle", "datasetSlug": "meta-kaggle"},
        headers={"Authorization": "Basic dTprCg=="},
    ).json()
    assert listing["datasetFiles"][0]["creationDate"].startswith("2026-06-03")


def test_a_new_day_brings_fresh_quota() -> None:
    options = SandboxOptions(rate_limit=2, quota=2)
    with (
        SandboxServer(base(), options, timeline=brisk()) as server,
        httpx.Client(timeout=10) as client,
    ):
        login = next(a.login for a in base().github.values() if a.type == "User")

        def github() -> int:
            return client.get(f"{server.github_url}/users/{login}", headers=AUTH).status_code

        def se() -> int:
            users = f"{server.stackexchange_url}/users/1"
            return client.get(users, params={**SE, "key": "k"}).status_code

        assert [github(), github(), github()] == [200, 200, 403]
        assert [se(), se(), se()] == [200, 200, 400]
        _advance(server, client)
        assert github() == 200 and se() == 200


def test_serve_starts_on_the_day_asked() -> None:
    serve = ("sandbox", "serve", "--port", "0", "--people", "200", "--day", "2")
    proc = scout_popen(*serve, text=True)
    try:
        line = proc.stdout.readline()
        assert "day 2, 2026-06-03" in line, line + proc.stderr.read()
        base_url = line.rsplit("Serving on ", 1)[1].strip()
        with httpx.Client(timeout=10) as client:
            assert client.get(base_url + "/_sandbox/day").json()["day"] == 2
            moved = client.post(base_url + "/_sandbox/advance", params={"days": 1}).json()
            assert moved["day"] == 3
            assert moved["now"] == datetime(2026, 6, 4, tzinfo=UTC).isoformat()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
