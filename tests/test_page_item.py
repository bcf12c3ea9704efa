"""A page with records its parser refuses (crawlers/page_item.py): the record is quarantined
(its raw record kept, logged by `source:id` only), the rest of the page lands, and the window
stays on the page QUARANTINE_HOLDS times so --resume fetches it again. Pages come from a
sandbox window (tests/pipeline_crawl.py).
"""

from __future__ import annotations

import copy
import logging
from types import SimpleNamespace
from typing import Any

import pytest
from pipeline_crawl import (
    PEOPLE,
    WINDOW,
    Crawl,
    contents,
    cursor_of,
    raw_keys,
    run_row,
    sandbox_pages,
)

from config.errors import PayloadError
from crawlers.page_item import QUARANTINE_HOLDS, PageItem
from storage.db import open_database


@pytest.fixture(scope="module")
def pages() -> list[dict[str, Any]]:
    return sandbox_pages()


def test_page_item_repr_names_the_page_never_its_records(pages):
    crawl_item = PageItem(
        rules=SimpleNamespace(source="github"),  # type: ignore[arg-type]
        stream="search",
        partition=WINDOW.partition,
        cursor={},
        fetched_at=None,  # type: ignore[arg-type]
        records=pages[0]["data"]["search"]["nodes"],
    )
    shown = repr(crawl_item) + str(crawl_item)
    assert "84 records" in shown and "@mail.example" not in shown and "user0" not in shown


def test_a_wrongly_typed_field_quarantines_one_record_and_resume_fetches_its_page_again(
    db_url, pages, caplog
):
    engine = open_database(db_url)
    bad = copy.deepcopy(pages)
    node = bad[1]["data"]["search"]["nodes"][7]
    node["repositories"]["nodes"][0]["primaryLanguage"] = 5  # the fault
    crawl = Crawl(engine)
    second = crawl.page(bad[0], crawl.first_cursor())
    assert second is not None
    with caplog.at_level(logging.INFO):
        assert crawl.page(bad[1], second) is None  # the window stays here: no next page
    profiles, _ = contents(engine)
    assert len(profiles) == 84 + 83  # the rest of its page landed
    assert str(node["databaseId"]) not in {p for p, _ in profiles}
    assert node["login"] in raw_keys(engine)  # kept for `scout rebuild`
    assert crawl.spider.run_stats["quarantined"] == 1
    assert crawl.spider.storage_failure is None
    held = cursor_of(engine)
    assert (held["after"], held["done"], held["quarantine_tries"]) == (second["after"], False, 1)
    run = run_row(engine, crawl.run_id)
    assert run.stats["quarantined"] == 1 and run.stats["errors"] == 1  # a partial run
    assert f"quarantined github:{node['databaseId']}: " in caplog.text
    assert "@mail.example" not in caplog.text and "User " not in caplog.text

    # --resume against answers that are whole again: exactly the clean crawl.
    resumed = Crawl(engine, resume=True)
    cursor = resumed.first_cursor()
    assert cursor == held
    for payload in pages[1:]:
        cursor = resumed.page(payload, cursor) or cursor
    profiles, repos = contents(engine)
    assert len(profiles) == PEOPLE and len({p for p, _ in profiles}) == PEOPLE
    assert len(repos) == PEOPLE
    # The walk began in the run before: it is walked once more from its first page (search
    # pages are positions, and the list may have moved overnight), then it is done.
    assert (cursor_of(engine)["after"], cursor_of(engine)["recheck"]) == (None, True)
    for payload in pages:
        cursor = resumed.page(payload, cursor) or cursor
    assert cursor_of(engine)["done"] is True


def test_a_record_bad_on_every_fetch_stops_holding_its_window_after_quarantine_holds(
    sqlite_url, pages
):
    engine = open_database(sqlite_url)
    bad = copy.deepcopy(pages)
    bad[0]["data"]["search"]["nodes"][2]["repositories"]["nodes"][0]["primaryLanguage"] = 5
    for run in range(QUARANTINE_HOLDS + 1):
        crawl = Crawl(engine, resume=run > 0)
        cursor = crawl.first_cursor()
        for payload in bad:
            following = crawl.page(payload, cursor)
            if following is None:
                break
            cursor = following
        if run < QUARANTINE_HOLDS:
            assert cursor_of(engine)["done"] is False  # held: the next run tries again
    # Then the window moves on without it; its walk spanned runs, so it is walked once more
    # (held on the bad page as often again), and that recheck is never rechecked.
    assert cursor_of(engine)["recheck"] is True
    for _ in range(QUARANTINE_HOLDS + 1):
        crawl = Crawl(engine, resume=True)
        cursor = crawl.first_cursor()
        for payload in bad:
            following = crawl.page(payload, cursor)
            if following is None:
                break
            cursor = following
    assert cursor_of(engine)["done"] is True
    assert len(contents(engine)[0]) == PEOPLE - 1


def test_a_record_its_parser_refuses_is_quarantined_with_the_parsers_reason(
    sqlite_url, pages, caplog
):
    engine = open_database(sqlite_url)
    crawl = Crawl(engine)
    parse = crawl.spider.rules.parse
    node = pages[0]["data"]["search"]["nodes"][5]
    victim = node["login"]

    def strict(node: dict[str, Any], seen_at: Any) -> Any:
        if node["login"] == victim:
            raise PayloadError("followers.totalCount is not an integer")
        return parse(node, seen_at)

    crawl.spider.rules.parse = strict
    with caplog.at_level(logging.WARNING):
        crawl.page(pages[0], crawl.first_cursor())
    assert len(contents(engine)[0]) == 83 and victim in raw_keys(engine)
    reason = "followers.totalCount is not an integer"
    assert f"quarantined github:{node['databaseId']}: {reason}" in caplog.text
    assert cursor_of(engine)["done"] is False  # held for --resume
