"""A given-up detail call never leaves a profile worse for good: the profile keeps its stored
tags, is marked incomplete in the profiles cursor, and the next run fetches it whole."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fault_proxy import Exchange, FaultProxy
from fault_rules import html_page, se_method
from se_world import crawl, ended, last_run, profiles_cursor, se_sandbox, stored

from crawlers.stackexchange.plan import parse_record
from storage.db import open_database, session_scope
from storage.save import save_profiles

USER = {"user_id": 7, "display_name": "Ada", "reputation": 900, "link": "https://so/u/7"}
TOP = [{"user_id": 7, "tag_name": "pytorch", "answer_count": 40, "answer_score": 300}]
COUNTS = [
    {"user_id": 7, "name": "pytorch", "count": 41},
    {"user_id": 7, "name": "numpy", "count": 9},
]
NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def sandbox():
    with se_sandbox() as server:
        yield server


def test_an_incomplete_record_leaves_the_stored_tags_as_they_are(db_url):
    whole = {"user": USER, "tag_scores": {}, "tags": COUNTS, "top_answer_tags": TOP}
    cut = {**whole, "top_answer_tags": None, "incomplete": True}
    engine = open_database(db_url)
    with session_scope(engine) as session:
        save_profiles(session, [parse_record(whole, NOW)])
    with session_scope(engine) as session:
        save_profiles(session, [parse_record(cut, NOW)])
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT tag, answer_count, answer_score FROM so_tag_stats ORDER BY tag"
        ).all()
    assert [tuple(r) for r in rows] == [("numpy", 9, 0), ("pytorch", 40, 300)]
    engine.dispose()


def test_a_given_up_detail_call_is_owed_and_the_next_clean_crawl_repairs_it(
    db_url, sandbox, tmp_path
):
    clean_db = f"sqlite:///{tmp_path / 'clean.db'}"
    ended(crawl(clean_db, sandbox.stackexchange_url), "ok")
    victim: list[str] = []

    top_answer_tags = se_method(r"^/users/\d+(;\d+)*/top-answer-tags$")

    def victims(exchange: Exchange) -> bool:
        # One user's /users/{id}/top-answer-tags is an HTML page, every time.
        if not top_answer_tags(exchange):
            return False
        uid = exchange.path.split("/")[4]
        victim[:] = victim or [uid]
        return uid == victim[0]

    with FaultProxy(sandbox.base_url, [html_page(match=victims, times=None)]) as proxy:
        first = crawl(db_url, proxy.stackexchange_url, SCOUT_HTTP_RETRIES=1)
    ended(first, "partial")
    run = last_run(db_url)
    assert run.status == "partial" and run.errors == 1
    uid = victim[0]
    profiles, tags = stored(db_url)
    assert uid in {p[0] for p in profiles}
    assert [t for t in tags if t[0] == uid] == []  # no lighter, wrong tag rows stored
    assert profiles_cursor(db_url)["incomplete"] == [int(uid)]

    second = crawl(db_url, sandbox.stackexchange_url)
    ended(second, "ok")
    assert stored(db_url) == stored(clean_db)
    assert profiles_cursor(db_url)["incomplete"] == []
    # The pass is closed now: the next run is a min= refresh, and nothing is owed.
    third = crawl(db_url, sandbox.stackexchange_url)
    ended(third, "ok")
    assert stored(db_url) == stored(clean_db)
