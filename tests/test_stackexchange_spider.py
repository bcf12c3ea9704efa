"""The Scrapy crawl under faults injected between it and the sandbox (tests/se_faults.py): it
ends by itself, its status tells the truth, and a rerun against a clean sandbox ends with
exactly the clean crawl's profiles and tags. Each crawl runs in its own process (Twisted's
reactor cannot restart)."""

from __future__ import annotations

import json
import signal
import sqlite3
import time

import pytest
from se_faults import (
    BOUND_S,
    JSON,
    KEY,
    TAGS,
    FaultProxy,
    corrupt_gzip,
    crawl,
    dead,
    deep_json,
    ended,
    last_run,
    on,
    se_sandbox,
    stored,
    with_fields,
)

from crawlers.stackexchange.client import MAX_BACKOFF_S
from storage.db import open_database
from storage.state import STANDARD_STATS, exit_code


@pytest.fixture(scope="module")
def sandbox():
    with se_sandbox() as server:
        yield server


@pytest.fixture(scope="module")
def clean(sandbox, tmp_path_factory):
    """Profiles and tags of an undisturbed crawl: what every faulted crawl must end with."""
    db = f"sqlite:///{tmp_path_factory.mktemp('clean') / 'clean.db'}"
    ended(crawl(db, sandbox.stackexchange_url), "ok")
    return stored(db)


def faulted_then_clean(sandbox, clean, db, rule):
    """One crawl through the fault (one retry per request, to keep it short), then one
    straight to the sandbox, which must end with exactly the clean crawl's data."""
    proxy = FaultProxy(sandbox.stackexchange_url, rule)
    try:
        started = time.monotonic()
        first = crawl(db, proxy.url, SCOUT_HTTP_RETRIES=1)
        took = time.monotonic() - started
    finally:
        proxy.stop()
    run = last_run(db)
    second = crawl(db, sandbox.stackexchange_url)
    ended(second, "ok")
    assert stored(db) == clean  # 0 lost, 0 duplicated, every tag row as the clean crawl's
    return first, run, took


def test_corrupt_gzip_is_given_up_counted_and_the_rerun_is_whole(db_url, sandbox, clean):
    rule = on(r"^/users/[^/]+/tags$", corrupt_gzip)
    first, run, took = faulted_then_clean(sandbox, clean, db_url, rule)
    ended(first, "partial")
    assert took < BOUND_S
    assert run.status == "partial" and run.errors > 0
    assert set(STANDARD_STATS) <= set(run.stats)
    assert run.stats["retries"] >= 1 and run.stats["errors"] == run.errors
    assert run.stats["quota_spent"] == run.stats["requests"] > 0
    assert run.stats["profiles_stored"] == 0 and run.stats["pages"] == len(TAGS)


def test_broken_answers_that_heal_are_retried_and_the_run_is_ok(tmp_path, sandbox, clean):
    # The first answer of each method is broken a different way; retries get good ones.
    faults = [
        on(r"^/tags/", with_fields(quota_remaining="lots"), times=1),
        on(r"^/users/[^/]+$", with_fields(backoff="soon"), times=1),
        on(r"^/users/[^/]+/tags$", deep_json, times=1),
        on(r"/top-answer-tags$", corrupt_gzip, times=2),
    ]

    def rule(path, status, body):
        for fault in faults:
            answer = fault(path, status, body)
            if answer is not None:
                return answer
        return None

    db = f"sqlite:///{tmp_path / 'h.db'}"
    proxy = FaultProxy(sandbox.stackexchange_url, rule)
    try:
        result = crawl(db, proxy.url)
    finally:
        proxy.stop()
    ended(result, "ok")
    run = last_run(db)
    assert run.status == "ok" and run.errors == 0 and run.stats["retries"] >= 5
    assert stored(db) == clean


def test_api_dying_mid_crawl_is_partial_then_rerun_is_whole(tmp_path, sandbox, clean):
    served = [0]

    def dies(path, status, body):
        served[0] += 1
        return dead(status, body) if served[0] > 6 else None

    db = f"sqlite:///{tmp_path / 'd.db'}"
    first, run, took = faulted_then_clean(sandbox, clean, db, dies)
    ended(first, "partial")
    assert run.status == "partial" and run.errors > 0 and took < BOUND_S


def test_has_more_forever_with_the_same_page_stops(tmp_path, sandbox, clean):
    first_page: dict[str, bytes] = {}

    def repeats(path, status, body):
        if not path.endswith("/tags") or not path.startswith("/users/"):
            return None
        page = first_page.setdefault(path, body)
        wrapper = json.loads(page)
        wrapper["has_more"] = True
        return 200, dict(JSON), json.dumps(wrapper).encode()

    db = f"sqlite:///{tmp_path / 'r.db'}"
    first, run, took = faulted_then_clean(sandbox, clean, db, repeats)
    ended(first, "partial")
    assert run.stats["errors"] >= 1 and took < BOUND_S


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_first_ctrl_c_cuts_a_long_backoff_and_the_run_is_interrupted(tmp_path, sandbox, signum):
    # Every answer asks for a day of backoff (capped): without Ctrl-C this run would sit.
    proxy = FaultProxy(sandbox.stackexchange_url, on(r"/tags/", with_fields(backoff=86400)))
    db = f"sqlite:///{tmp_path / 'i.db'}"
    try:
        proc = crawl(db, proxy.url, wait=False)
        deadline = time.monotonic() + 30
        while proxy.count(r"^/tags/") < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.0)  # now waiting out the capped backoff
        assert proc.poll() is None
        proc.send_signal(signum)
        started = time.monotonic()
        out, err = proc.communicate(timeout=MAX_BACKOFF_S / 2)
        took = time.monotonic() - started
    finally:
        proxy.stop()
    assert took < 15, err
    assert b"stackoverflow interrupted:" in out, out + err
    assert last_run(db).status == "interrupted"


@pytest.mark.parametrize("table", ["raw_records", "so_tag_stats"], ids=["discovery", "profiles"])
def test_a_refused_write_fails_the_run_and_the_rerun_is_whole(tmp_path, sandbox, clean, table):
    path = tmp_path / "w.db"
    db = f"sqlite:///{path}"
    open_database(db).dispose()
    with sqlite3.connect(path) as conn:
        conn.execute(
            f"CREATE TRIGGER refuse BEFORE INSERT ON {table} "
            "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
        )
    result = crawl(db, sandbox.stackexchange_url)
    assert result.returncode == exit_code("failed"), result.stderr
    assert "Traceback" not in result.stderr and "disk is full" in result.stderr
    # Neither the app key (a query parameter) nor the page's records reach the log.
    assert KEY not in result.stderr and "display_name" not in result.stderr
    assert last_run(db).status == "failed"
    assert stored(db) == ([], [])  # nothing half-written
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TRIGGER refuse")
    ended(crawl(db, sandbox.stackexchange_url), "ok")
    assert stored(db) == clean
