"""The run lifecycle every crawl records its run through (crawlers/lifecycle.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from crawlers.lifecycle import Run
from storage.db import open_database, session_scope
from storage.models import CrawlRun
from storage.state import get_cursor, set_cursor


def _row(engine, run_id: int) -> CrawlRun:
    with session_scope(engine) as session:
        row = session.scalars(select(CrawlRun).where(CrawlRun.id == run_id)).one()
        session.expunge(row)
        return row


def test_a_run_starts_with_the_args_decided_while_reading_its_cursors(sqlite_url):
    engine = open_database(sqlite_url)
    run = Run(engine, "github", {"query": "language:python"}, job_name="nightly")
    with run.starting() as session:
        set_cursor(session, "github", "search", "p", {"done": False})
        run.args["generation"] = 2  # what the cursors decided
    row = _row(engine, run.run_id)
    assert (row.source, row.status, row.job_name) == ("github", "running", "nightly")
    assert row.args == {"query": "language:python", "generation": 2}
    with session_scope(engine) as session:
        assert get_cursor(session, "github", "search", "p") == {"done": False}


def test_the_outcome_and_the_cursors_it_leaves_are_one_transaction(sqlite_url):
    engine = open_database(sqlite_url)
    run = Run(engine, "stackoverflow")
    run_id = run.start()
    with run.finishing("partial", {"errors": 2, "requests": 9}, "2 pages skipped") as session:
        set_cursor(session, "stackoverflow", "profiles", "p", {"done": True})
    row = _row(engine, run_id)
    assert (row.status, row.errors, row.message) == ("partial", 2, "2 pages skipped")
    assert row.stats["requests"] == 9

    # A cursor write that fails records no outcome either: the run stays running for
    # scout/runs.py to close, and no cursor says more than the database holds.
    second = Run(engine, "stackoverflow")
    second.start()
    with pytest.raises(RuntimeError), second.finishing("ok", {}) as session:
        set_cursor(session, "stackoverflow", "profiles", "q", {"done": True})
        raise RuntimeError("disk full")
    assert _row(engine, second.run_id).status == "running"
    with session_scope(engine) as session:
        assert get_cursor(session, "stackoverflow", "profiles", "q") is None


def test_a_run_not_started_cannot_finish(sqlite_url):
    run = Run(open_database(sqlite_url), "kaggle")
    with pytest.raises(RuntimeError, match="not started"):
        run.finish("ok", {})
