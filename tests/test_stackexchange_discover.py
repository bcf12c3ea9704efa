"""Discovery by answers, end to end (`scout crawl stackoverflow --discover ...` against the
sandbox, each crawl in its own process): it finds the answerers beyond a tag's top 30 with the
minimum score, profiles them 100 a call, asks the next night only for newer activity, stops
cleanly at --budget and continues without losing or repeating anything, and holds a page
with a malformed answer for the next run."""

from __future__ import annotations

import gzip
import json
import shutil
import urllib.parse
import urllib.request
from collections import Counter
from typing import Any

import pytest
from fault_proxy import Exchange, FaultProxy, Rule
from fault_rules import se_method
from se_world import crawl, cursor_of, ended, last_run, se_sandbox, stored

from crawlers.stackexchange.discover import AnswerDiscovery
from sandbox.stackexchange_objects import SOIndex
from storage.state import STANDARD_STATS

PEOPLE = 900
TAG = "machine-learning"
TAGS = ("machine-learning", "pytorch")  # the budget test: both ways of discovery
ANSWERS = ("--discover", "answers")


@pytest.fixture(scope="module")
def sandbox():
    # Every 8th answer of a method asks for a second of backoff, the new methods' too.
    with se_sandbox(PEOPLE, backoff_every=8, backoff_seconds=1) as server:
        yield server


def answerers(world: Any, tags: tuple[str, ...], min_score: int = 1) -> set[int]:
    """The truth: everyone with an answer scoring >= min_score in one of `tags`."""
    posts = SOIndex.build(world).posts
    return {
        a.user_id
        for tag in tags
        for q in posts.tag(tag).questions
        for a in q.answers
        if a.score >= min_score
    }


def counters(server: Any) -> dict[str, int]:
    with urllib.request.urlopen(server.base_url + "/_sandbox/stats?reset=1") as answer:
        data: dict[str, int] = json.load(answer)
    return data


def ids_of(db: str) -> set[int]:
    return {int(row[0]) for row in stored(db)[0]}


@pytest.fixture(scope="module")
def found(sandbox, tmp_path_factory):
    """One crawl by answers of TAG: its database, its output and what it asked the sandbox."""
    db = f"sqlite:///{tmp_path_factory.mktemp('found') / 'a.db'}"
    counters(sandbox)
    run = crawl(db, sandbox.stackexchange_url, *ANSWERS, tags=(TAG,))
    ended(run, "ok")
    return db, run, counters(sandbox)


def test_discovery_finds_answerers_beyond_the_top_30_with_the_minimum_score(
    sandbox, found, tmp_path
):
    world = sandbox.world
    want = answerers(world, (TAG,))
    top = {e.user_id for e in SOIndex.build(world).top_answerers[(TAG, "all_time")]}
    assert len(want) > 40 and want - top, "the world must hold answerers beyond the top 30"
    db, run, seen = found
    assert ids_of(db) == want
    assert seen["stackexchange./users/{ids}"] == -(-len(want) // 100)  # 100 ids a call
    assert seen["stackexchange.backoff"] > 0 and "stackexchange.errors" not in seen  # obeyed
    stats = last_run(db).stats
    assert set(STANDARD_STATS) <= set(stats) and stats["quota_spent"] == stats["requests"]
    assert stats["requests"] == seen["stackexchange.requests"]
    assert stats["answerers_found"] == stats["answerers_new"] == stats["profiles_stored"]
    assert f"{len(want)} answerers with a score >= 1" in run.stdout
    # A higher minimum score finds fewer, exactly those.
    strict = f"sqlite:///{tmp_path / 's.db'}"
    ended(crawl(strict, sandbox.stackexchange_url, *ANSWERS, "--min-score", "3", tags=(TAG,)), "ok")
    assert ids_of(strict) == answerers(world, (TAG,), 3) < want


def test_the_next_night_asks_only_for_newer_activity_and_finds_the_new_answerers(found, tmp_path):
    # Night 1 is the `found` crawl (day 0); its database goes on to day 4.
    db = f"sqlite:///{tmp_path / 'n.db'}"
    shutil.copy(found[0].removeprefix("sqlite:///"), db.removeprefix("sqlite:///"))
    first = last_run(db).stats
    covered = cursor_of(db, "answers")["tags"][TAG]["min"]
    before = ids_of(db)
    with se_sandbox(PEOPLE) as sandbox, FaultProxy(sandbox.base_url, []) as proxy:
        world = sandbox.set_day(4)
        ended(crawl(db, proxy.stackexchange_url, *ANSWERS, tags=(TAG,)), "ok")
        asked = [urllib.parse.urlsplit(p.split(" ", 1)[1]) for p in proxy.seen]
    second = last_run(db).stats
    walks = [dict(urllib.parse.parse_qsl(u.query)) for u in asked if u.path.endswith("/questions")]
    assert walks and all(w["tagged"] == TAG for w in walks)
    for walk in walks:  # only questions active since the night before
        assert walk["sort"] == "activity" and int(walk["min"]) >= covered
    assert second["questions_seen"] < first["questions_seen"] / 10
    now = answerers(world, (TAG,))
    assert now - before, "four days bring a new answerer to the tag"
    assert ids_of(db) == now
    assert second["answerers_new"] == len(now - before)
    assert second["answerers_unchanged"] > 0  # seen again, reputation the same: no request


def test_a_budget_stop_then_the_next_runs_lose_and_repeat_nothing(sandbox, tmp_path):
    clean = f"sqlite:///{tmp_path / 'clean.db'}"
    ended(crawl(clean, sandbox.stackexchange_url, tags=TAGS), "ok")
    whole = last_run(clean).stats
    db = f"sqlite:///{tmp_path / 'budget.db'}"
    runs = []
    for _ in range(12):
        result = crawl(db, sandbox.stackexchange_url, "--budget", "40", tags=TAGS)
        ended(result, "ok")
        runs.append(last_run(db).stats)
        assert runs[-1]["requests"] <= 40
        if "budget" not in result.stdout:
            break
        assert "Stopped: the budget of 40 requests is reached" in result.stdout
        assert "again" in result.stdout and last_run(db).message.startswith("the budget")
    assert len(runs) >= 2 and "budget" not in result.stdout
    assert stored(db) == stored(clean)  # every profile and tag row, nothing twice
    # No profile asked twice, and few requests repeated (a page of work cut by a stop).
    assert sum(r.get("users_returned", 0) for r in runs) == whole["users_returned"]
    # Every run after the first pays its filter and, the top answerers' pass being complete,
    # starts the next one (a page a tag, one /users call for those modified since: nobody
    # here); no work cut by a stop is paid twice.
    extra = sum(r["requests"] for r in runs) - whole["requests"]
    assert extra <= (1 + len(TAGS) + 1) * (len(runs) - 1), (extra, len(runs))


def malformed_answer(exchange: Exchange) -> None:
    wrapper = json.loads(gzip.decompress(exchange.response_body))
    wrapper["items"][0]["score"] = "plenty"
    exchange.response_body = gzip.compress(json.dumps(wrapper).encode(), mtime=0)


def test_a_malformed_answer_is_quarantined_and_its_page_asked_again(sandbox, found, tmp_path):
    db = f"sqlite:///{tmp_path / 'q.db'}"
    rule = Rule("malformed_answer", se_method(r"/answers$"), malformed_answer, 2, 1)
    with FaultProxy(sandbox.base_url, [rule]) as proxy:
        run = crawl(db, proxy.stackexchange_url, *ANSWERS, tags=(TAG,))
    assert rule.fired == 1
    ended(run, "partial")
    stats = last_run(db).stats
    assert stats["quarantined"] == 1 and stats["pages_held"] == 1 and stats["errors"] == 1
    assert "stackoverflow:answer:" in run.stderr + run.stdout
    # The next run asks the held page again (and the walk goes on from there).
    ended(crawl(db, sandbox.stackexchange_url, *ANSWERS, tags=(TAG,)), "ok")
    clean, _, _ = found
    assert stored(db) == stored(clean)


def question(qid: int, answers: int, activity: int) -> dict[str, int]:
    return {"question_id": qid, "answer_count": answers, "last_activity_date": activity}


def test_the_walk_is_a_keyset_on_activity_dates():
    stats: Counter[str] = Counter()
    discovery = AnswerDiscovery(None, "stackoverflow", ["t"], 1, stats)  # type: ignore[arg-type]
    walk = discovery.walks["t"]
    assert "min" not in discovery.questions_params(walk)  # the first walk starts at the start
    page = [question(1, 2, 100), question(2, 0, 100), question(3, 1, 105), question(4, 1, 105)]
    unit = discovery.read_questions(walk, {"has_more": True, "items": page})
    # Unanswered questions are not asked for answers; the next page starts at 105.
    assert unit.question_ids == [1, 3, 4] and unit.position == (105, 1, [3, 4])
    assert not unit.caught_up
    walk.min, walk.page, walk.edge = unit.position
    params = discovery.questions_params(walk)
    assert (params["sort"], params["order"], params["min"], params["page"]) == (
        "activity",
        "asc",
        105,
        1,
    )
    # 3 and 4 are not asked twice; a page all at the covered date goes on by page number.
    page = [question(3, 1, 105), question(4, 1, 105), question(5, 1, 105), {"question_id": "x"}]
    unit = discovery.read_questions(walk, {"has_more": True, "items": page})
    assert unit.question_ids == [5] and unit.position == (105, 2, [3, 4, 5])
    assert unit.quarantined == 1 and stats["quarantined"] == 1
    walk.min, walk.page, walk.edge = unit.position
    unit = discovery.read_questions(walk, {"has_more": False, "items": [question(6, 3, 109)]})
    assert unit.position == (109, 1, [6]) and unit.caught_up
    assert stats["question_pages"] == 3 and stats["questions_seen"] == 8
