"""Secrets never reach logs, crawl_runs.args or `config show`: tokens and URL passwords."""

from __future__ import annotations

import logging

from sqlalchemy import select

from config.logging import Redactor, mask_url_credentials, setup_logging
from storage.db import open_database, session_scope
from storage.models import CrawlRun
from storage.state import start_run

URLS = {
    "http://u:SECRET@host/github": "http://u:***@host/github",
    "postgresql+psycopg://scout:s3cr%40t@127.0.0.1:5432/x": "postgresql+psycopg://scout:***@127.0.0.1:5432/x",
    "redis://:pw@127.0.0.1:6379/0": "redis://:***@127.0.0.1:6379/0",
    "https://user:p@ss@example.org/api": "https://user:***@example.org/api",
}
KEPT = ["https://api.github.com/users/octocat", "mailto:a@b.org", "at 12:30@home", "http://u@host/"]


def test_url_passwords_are_masked_and_nothing_else_changes():
    redact = Redactor()
    for url, masked in URLS.items():
        assert redact(f"GET {url} failed") == f"GET {masked} failed"
        assert mask_url_credentials(url) == masked
    for text in KEPT:
        assert redact(text) == text and mask_url_credentials(text) == text
    nested = {"api_url": "http://u:SECRET@host/github", "tags": ["a", "http://x:y@h/"], "n": 3}
    assert mask_url_credentials(nested) == {
        "api_url": "http://u:***@host/github",
        "tags": ["a", "http://x:***@h/"],
        "n": 3,
    }


def test_logs_never_carry_a_url_password(capsys):
    setup_logging("INFO")
    logging.getLogger("crawlers.github").warning(
        "retrying %s", "http://u:SECRET@127.0.0.1:9/github/graphql"
    )
    err = capsys.readouterr().err
    assert "SECRET" not in err and "http://u:***@127.0.0.1:9/github/graphql" in err


def test_crawl_runs_args_keep_no_url_password(sqlite_url):
    engine = open_database(sqlite_url)
    with session_scope(engine) as session:
        start_run(session, "github", {"api_url": "http://u:SECRET@127.0.0.1:9/github", "top": 5})
    with session_scope(engine) as session:
        args = session.scalars(select(CrawlRun.args)).one()
    assert args == {"api_url": "http://u:***@127.0.0.1:9/github", "top": 5}
