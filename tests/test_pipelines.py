"""The page pipeline on real databases: quarantine, storage failures, nothing lost on resume.

Pages are real sandbox answers (tests/github_world.py) fed through the GitHub spider's
callbacks and the numbered steps, as Scrapy would; faults are injected in the page (a wrongly
typed field) or in the database (a trigger that refuses one row, a full disk). A page is
kept whole (every user with its details) and shown to the spider in its two passes: the
discovery fields first, then each detail batch it asks for, answered from the page.
"""

from __future__ import annotations

import copy
import json
import logging
from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest
from github_world import body, crowd_world, graphql, make_api
from scrapy.http import Request, TextResponse
from sqlalchemy import Engine, event, select, text

from config.errors import PayloadError
from crawlers.github.governor import RateGovernor
from crawlers.github.query import USER_FIELDS, SearchPlan, Window
from crawlers.github.spider import GitHubSearchSpider
from crawlers.pipelines import (
    QUARANTINE_HOLDS,
    LocationStep,
    PageItem,
    ParseStep,
    RawRecordStep,
    StoreStep,
    SuppressionStep,
)
from storage.db import open_database, session_scope
from storage.models import CrawlRun, Profile, RawRecord, Repository
from storage.state import all_cursors, start_run

WINDOW = Window("location:Kyiv type:user", date(2011, 1, 1), date(2013, 1, 1))
PEOPLE = 200  # three pages: 84 + 84 + 32
# A page with every user's details: the discovery page and the detail answers are cut from it.
FULL_QUERY = (
    "query($q: String!, $first: Int!, $after: String) {\n"
    "  search(query: $q, type: USER, first: $first, after: $after) {\n"
    "    userCount pageInfo { endCursor hasNextPage }\n"
    "    nodes {" + USER_FIELDS + "\n    }\n  }\n}"
)
DISCOVERED = ("__typename", "id", "databaseId", "login", "updatedAt")


class ScrapyEngine:
    """Scrapy's engine as a pipeline step sees it: asked to close the spider."""

    def __init__(self) -> None:
        self.closed: list[str] = []

    def close_spider_async(self, *, reason: str) -> None:
        self.closed.append(reason)


def sandbox_pages() -> list[dict[str, Any]]:
    """The window's pages as the sandbox answers them, with an e-mail on every account."""
    api, _, _ = make_api(crowd_world(PEOPLE), rate_limit=10**6)
    pages, after = [], None
    while True:
        variables = {"q": WINDOW.query, "first": 84, "after": after}
        payload = body(graphql(api, FULL_QUERY, variables))
        for node in payload["data"]["search"]["nodes"]:
            node["email"] = f"{node['login']}@mail.example"
        pages.append(payload)
        info = payload["data"]["search"]["pageInfo"]
        if not info["hasNextPage"]:
            return pages
        after = info["endCursor"]


@pytest.fixture(scope="module")
def pages() -> list[dict[str, Any]]:
    return sandbox_pages()


class Crawl:
    """One crawl run of the window: a spider, the pipeline steps and a Scrapy engine."""

    def __init__(self, engine: Engine, resume: bool = False) -> None:
        with session_scope(engine) as session:
            cursors = all_cursors(session, "github", "search") if resume else {}
            self.run_id = start_run(session, "github", {}).id
        self.spider = GitHubSearchSpider(
            plan=SearchPlan(locations=("Kyiv",)),
            engine=engine,
            graphql_url="http://gh.test/graphql",
            token="t",
            governor=RateGovernor(),
            run_id=self.run_id,
            cursors=cursors,
        )
        self.scrapy = ScrapyEngine()
        crawler = SimpleNamespace(spider=self.spider, engine=self.scrapy)
        suppression = SuppressionStep(crawler)
        suppression.open_spider()
        self.steps = [
            suppression,
            RawRecordStep(crawler),
            ParseStep(crawler),
            LocationStep(crawler),
            StoreStep(crawler),
        ]

    def first_cursor(self) -> dict[str, Any]:
        """Where the spider starts the window: page 1, or where an earlier run stopped."""
        stored = self.spider.cursors.get(WINDOW.partition)
        return stored if isinstance(stored, dict) else {"after": None, "count": PEOPLE}

    def page(self, payload: dict[str, Any], cursor: dict[str, Any]) -> dict[str, Any] | None:
        """Feed one answer to the spider (its discovery fields, then the details it asks for)
        and its item through the steps; the next cursor."""
        discovery = copy.deepcopy(payload)
        nodes = discovery["data"]["search"]["nodes"]
        nodes[:] = [{k: n[k] for k in DISCOVERED if k in n} for n in nodes]
        details = {n["id"]: n for n in payload["data"]["search"]["nodes"] if "id" in n}
        meta = {"window": WINDOW, "cursor": cursor, "cost": 1}
        following = None
        # Depth first and lazily, as Scrapy does: an item is stored before the callback that
        # yielded it goes on (the spider reads whether its page was held).
        pending = [iter(self.spider.on_page(answer(discovery, meta)))]
        while pending:
            out = next(pending[-1], None)
            if out is None:
                pending.pop()
            elif isinstance(out, PageItem):
                for step in self.steps:
                    out = step.process_item(out)
            elif out.meta.get("kind") == "detail":
                ids = json.loads(out.body)["variables"]["ids"]
                found = {"data": {"nodes": [details[i] for i in ids]}}
                pending.append(iter(self.spider.on_detail(answer(found, out.meta))))
            else:
                following = out.meta["cursor"]
        return following


def answer(payload: dict[str, Any], meta: dict[str, Any]) -> TextResponse:
    request = Request("http://gh.test/graphql", method="POST", meta=meta)
    return TextResponse(request.url, body=json.dumps(payload).encode(), request=request)


def contents(engine: Engine) -> tuple[list[Any], list[Any]]:
    with session_scope(engine) as session:
        profiles = sorted(session.execute(select(Profile.external_id, Profile.email)).all())
        repos = sorted(
            session.execute(
                select(Profile.external_id, Repository.name).join(
                    Repository, Repository.profile_id == Profile.id
                )
            ).all()
        )
    return profiles, repos


def raw_keys(engine: Engine) -> set[str]:
    with session_scope(engine) as session:
        return set(session.scalars(select(RawRecord.key)))


def cursor_of(engine: Engine) -> Any:
    with session_scope(engine) as session:
        return all_cursors(session, "github", "search").get(WINDOW.partition)


def run_row(engine: Engine, run_id: int) -> CrawlRun:
    with session_scope(engine) as session:
        run = session.get(CrawlRun, run_id)
        assert run is not None
        return run


def refuse_rows(engine: Engine, condition: str, errcode: str = "check_violation") -> None:
    """A trigger that makes the database refuse the profile rows matching `condition`."""
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(
                text(
                    "CREATE TRIGGER refuse BEFORE INSERT ON profiles "
                    f"WHEN {condition} BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
                )
            )
        else:
            conn.execute(
                text(
                    "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN "
                    f"IF {condition} THEN RAISE EXCEPTION 'refused by the test' "
                    f"USING ERRCODE = '{errcode}'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql"
                )
            )
            conn.execute(
                text(
                    "CREATE TRIGGER refuse BEFORE INSERT ON profiles "
                    "FOR EACH ROW EXECUTE FUNCTION refuse()"
                )
            )


def heal(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            text("DROP TRIGGER IF EXISTS refuse" + ("" if is_sqlite(engine) else " ON profiles"))
        )


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


FULL: dict[Engine, Any] = {}


def fill_the_disk(engine: Engine) -> None:
    """No room for another row: SQLite's page limit, PostgreSQL's disk_full error."""
    if not is_sqlite(engine):
        refuse_rows(engine, "TRUE", errcode="disk_full")
        return
    with engine.connect() as conn:
        pages = conn.execute(text("PRAGMA page_count")).scalar_one()
    engine.dispose()

    @event.listens_for(engine, "connect")
    def full(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.execute(f"PRAGMA max_page_count = {pages}")

    FULL[engine] = full


def free_the_disk(engine: Engine) -> None:
    if not is_sqlite(engine):
        heal(engine)
        return
    event.remove(engine, "connect", FULL.pop(engine))
    engine.dispose()


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
    assert cursor_of(engine)["done"] is True  # then the window moves on without it
    assert len(contents(engine)[0]) == PEOPLE - 1


def test_a_row_the_database_refuses_is_a_storage_failure_not_a_quarantine(db_url, pages, caplog):
    # Every record was validated before the page's transaction, so a refused row (here a
    # trigger; in life a constraint, a full disk) is the database's fault: the crawl stops
    # rather than move its cursor past a record it could not store.
    engine = open_database(db_url)
    victim = pages[0]["data"]["search"]["nodes"][3]
    refuse_rows(engine, f"NEW.handle = '{victim['login']}'")
    crawl = Crawl(engine)
    with caplog.at_level(logging.WARNING):
        assert crawl.page(pages[0], crawl.first_cursor()) is None
    failure = crawl.spider.storage_failure
    assert failure is not None and "refused by the test" in failure and "\n" not in failure
    assert crawl.spider.run_stats["quarantined"] == 0
    assert cursor_of(engine) is None and contents(engine)[0] == []
    assert "@mail.example" not in caplog.text  # SQLAlchemy's [parameters: ...] never logged
    heal(engine)
    resumed = Crawl(engine, resume=True)
    cursor = resumed.first_cursor()
    for payload in pages:
        cursor = resumed.page(payload, cursor) or cursor
    assert len(contents(engine)[0]) == PEOPLE


def test_a_full_disk_stops_the_crawl_on_the_last_stored_page_and_resume_loses_nothing(
    db_url, pages, caplog
):
    engine = open_database(db_url)
    crawl = Crawl(engine)
    first = crawl.first_cursor()
    second = crawl.page(pages[0], first)
    assert second is not None
    stored_cursor = cursor_of(engine)
    fill_the_disk(engine)
    with caplog.at_level(logging.WARNING):
        third = crawl.page(pages[1], second)
    failure = crawl.spider.storage_failure
    assert failure is not None and "\n" not in failure
    assert ("disk is full" in failure) if is_sqlite(engine) else ("DiskFull" in failure)
    assert crawl.scrapy.closed == ["storage_failure"]
    assert third is None  # no request for the page after the lost one
    free_the_disk(engine)
    # A page answered after the failure is not stored either, even with room again.
    crawl.page(pages[2], {**second, "after": pages[1]["data"]["search"]["pageInfo"]["endCursor"]})
    assert cursor_of(engine) == stored_cursor
    assert len(contents(engine)[0]) == 84
    assert "@mail.example" not in caplog.text

    resumed = Crawl(engine, resume=True)
    cursor = resumed.first_cursor()
    assert cursor == stored_cursor  # --resume asks for exactly the page that was lost
    for payload in pages[1:]:
        cursor = resumed.page(payload, cursor) or cursor
    profiles, repos = contents(engine)
    assert len(profiles) == PEOPLE and len({p for p, _ in profiles}) == PEOPLE
    assert len(repos) == PEOPLE
    assert cursor_of(engine)["done"] is True


def test_an_unexpected_error_in_a_step_stops_the_crawl_instead_of_escaping(sqlite_url, pages):
    engine = open_database(sqlite_url)
    crawl = Crawl(engine)

    def broken(_location: str | None) -> bool:
        raise RuntimeError("olena@mail.example")

    crawl.spider.rules.location_excluded = broken
    crawl.page(pages[0], crawl.first_cursor())  # nothing raised to Scrapy
    failure = crawl.spider.storage_failure
    assert failure is not None and "RuntimeError" in failure and "LocationStep" in failure
    assert "mail.example" not in failure
    assert cursor_of(engine) is None


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


def test_every_run_counts_its_new_changed_and_unchanged_profiles(db_url, pages):
    engine = open_database(db_url)
    first = Crawl(engine)
    cursor = first.first_cursor()
    for payload in pages:
        cursor = first.page(payload, cursor) or cursor
    stats = run_row(engine, first.run_id).stats
    assert (stats["new"], stats.get("changed", 0), stats.get("unchanged", 0)) == (PEOPLE, 0, 0)

    # The next night: one person edited their bio (GitHub moves updatedAt); another's
    # updatedAt moved for a field not stored. Both are detailed again and count as changed
    # (the stored record carries updatedAt); everyone else costs no detail and is unchanged.
    edited = copy.deepcopy(pages[0])
    nodes = edited["data"]["search"]["nodes"]
    nodes[3]["bio"] = "Now doing MLOps"
    for node in (nodes[3], nodes[5]):
        node["updatedAt"] = "2026-06-02T00:00:00Z"
    again = Crawl(engine)
    again.page(edited, again.first_cursor())
    stats = run_row(engine, again.run_id).stats
    size = len(nodes)
    assert (stats.get("new", 0), stats["changed"], stats["unchanged"]) == (0, 2, size - 2)
    assert stats["profiles_stored"] == 2
