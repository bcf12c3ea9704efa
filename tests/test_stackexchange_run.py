"""`lookup_user` (what `scout lookup stackoverflow` runs) when a detail call is given up: the
profile is stored, its tags stay as a complete earlier answer stored them, the run is partial."""

from __future__ import annotations

import pytest
from fault_proxy import FaultProxy
from fault_rules import html_page, se_method
from pydantic import SecretStr
from se_world import KEY, se_sandbox, stored
from sqlalchemy import select

from config.errors import ScoutError
from config.settings import Settings
from crawlers.stackexchange.run import lookup_user
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

    rule = html_page(match=se_method(r"/top-answer-tags$"), times=None)
    with FaultProxy(sandbox.base_url, [rule]) as proxy:
        outcome, cut = lookup_user(engine, settings(proxy.stackexchange_url), uid)
    assert outcome == "stored"
    assert stored(db_url) == before  # not the lighter /tags counts over the full breakdown
    assert set(STANDARD_STATS) <= set(cut) and cut["errors"] == 1 and cut["retries"] == 1
    with session_scope(engine) as session:
        statuses = list(session.scalars(select(CrawlRun.status).order_by(CrawlRun.id)))
    assert statuses == ["ok", "partial"]
    engine.dispose()


def test_an_api_that_does_not_answer_is_one_message_not_a_traceback(sqlite_url, sandbox):
    engine = open_database(sqlite_url)
    try:
        with (
            FaultProxy(sandbox.base_url, [html_page(503, times=None)]) as proxy,
            pytest.raises(ScoutError) as error,
        ):
            lookup_user(engine, settings(proxy.stackexchange_url), 1)
    finally:
        engine.dispose()
    assert error.value.exit_code == exit_code("failed") and "try again" in error.value.message
    assert KEY not in error.value.message
