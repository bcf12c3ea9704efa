"""`lookup_user` (what `scout lookup stackoverflow` runs) when a detail call is given up: the
profile is stored, its tags stay as a complete earlier answer stored them, the run is partial."""

from __future__ import annotations

import pytest
from pydantic import SecretStr
from se_faults import KEY, FaultProxy, dead, html_page, on, se_sandbox, stored
from sqlalchemy import select

from config.errors import ScoutError
from config.settings import Settings
from crawlers.stackexchange.jobs import lookup_user
from storage.db import open_database, session_scope
from storage.models import CrawlRun
from storage.state import STANDARD_STATS, exit_code


@pytest.fixture(scope="module")
def sandbox():
    with se_sandbox() as server:
        yield server


def settings(api):
    return Settings(stackexchange_api_url=api, stackexchange_key=SecretStr(KEY), http_retries=1)


def test_a_given_up_top_answer_tags_call_keeps_the_stored_tags(db_url, sandbox):
    engine = open_database(db_url)
    uid = min(u for u, user in sandbox.world.stackoverflow.items() if len(user.tags) >= 3)
    outcome, whole = lookup_user(engine, settings(sandbox.stackexchange_url), uid)
    assert outcome == "stored" and whole["errors"] == 0
    before = stored(db_url)
    assert len([t for t in before[1] if t[0] == str(uid)]) >= 3

    proxy = FaultProxy(sandbox.stackexchange_url, on(r"/top-answer-tags$", html_page))
    try:
        outcome, cut = lookup_user(engine, settings(proxy.url), uid)
    finally:
        proxy.stop()
    assert outcome == "stored"
    assert stored(db_url) == before  # not the lighter /tags counts over the full breakdown
    assert set(STANDARD_STATS) <= set(cut) and cut["errors"] == 1 and cut["retries"] == 1
    with session_scope(engine) as session:
        statuses = list(session.scalars(select(CrawlRun.status).order_by(CrawlRun.id)))
    assert statuses == ["ok", "partial"]
    engine.dispose()


def test_an_api_that_does_not_answer_is_one_message_not_a_traceback(sqlite_url, sandbox):
    engine = open_database(sqlite_url)
    proxy = FaultProxy(sandbox.stackexchange_url, lambda path, status, body: dead(status, body))
    try:
        with pytest.raises(ScoutError) as error:
            lookup_user(engine, settings(proxy.url), 1)
    finally:
        proxy.stop()
        engine.dispose()
    assert error.value.exit_code == exit_code("failed") and "try again" in error.value.message
    assert KEY not in error.value.message
