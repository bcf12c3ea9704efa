"""The page pipeline's steps on real databases: storage failures stop the crawl on the last
stored page and nothing is lost on resume; runs count their profiles.

Pages are real sandbox answers fed through the GitHub spider and the numbered steps
(tests/pipeline_crawl.py); faults are injected in the database (a trigger that refuses one
row, a full disk) or in a step.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

import pytest
from pipeline_crawl import (
    PEOPLE,
    Crawl,
    contents,
    cursor_of,
    run_row,
    sandbox_pages,
)
from sqlalchemy import Engine, event, text

from storage.db import open_database


@pytest.fixture(scope="module")
def pages() -> list[dict[str, Any]]:
    return sandbox_pages()


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
    # The walk began in the run before: it is walked once more from its first page (search
    # pages are positions, and the list may have moved overnight), then it is done.
    assert (cursor_of(engine)["after"], cursor_of(engine)["recheck"]) == (None, True)
    for payload in pages:
        cursor = resumed.page(payload, cursor) or cursor
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
