"""Shared fixtures: databases (SQLite always; PostgreSQL and Redis when configured); the order
`make test`'s two xdist workers take the test modules in."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from helpers import shared_world
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from crawlers.sandbox.model import World

HOW_PG = (
    "PostgreSQL tests need SCOUT_TEST_PG_URL, e.g. "
    "postgresql+psycopg://scout:scout@127.0.0.1:5432/scout_test (see .ci/run)"
)
HOW_REDIS = "Redis tests need SCOUT_TEST_REDIS_URL, e.g. redis://127.0.0.1:6379/0 (see .ci/run)"


def _service_missing(message: str) -> None:
    # In CI a missing service is a failure, on a laptop a skip that says how to enable it.
    if os.environ.get("CI"):
        pytest.fail(f"CI requires this service: {message}")
    pytest.skip(message)


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'scout.db'}"


@contextmanager
def pg_schema() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards (skips, or
    fails in CI, without SCOUT_TEST_PG_URL). For fixtures of any scope."""
    base = os.environ.get("SCOUT_TEST_PG_URL")
    if not base:
        _service_missing(HOW_PG)
    assert base
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards."""
    with pg_schema() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request) -> str:
    """Each storage test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("pg_url")


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("SCOUT_TEST_REDIS_URL")
    if not url:
        _service_missing(HOW_REDIS)
    assert url
    return url


@pytest.fixture(scope="session")
def worlds() -> Callable[[int, int], World]:
    """`worlds(seed, people)`: the sandbox world `generate(seed, people)`, built once per worker
    process for all the modules that use the same pair. Read-only: a test that changes a
    world (or steps it through days) builds its own with `generate`."""
    return shared_world


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path) -> None:
    """Tests never see the developer's tokens, scout.toml or database."""
    for name in list(os.environ):
        if name.startswith("SCOUT_") and not name.startswith("SCOUT_TEST_"):
            monkeypatch.delenv(name, raising=False)
    for name in ("GITHUB_TOKEN", "STACKEXCHANGE_KEY", "KAGGLE_KEY", "KAGGLE_USERNAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


# -- xdist: which modules go first ------------------------------------------------------------

# The slowest modules (crawls in their own processes), slowest first, as measured on a 2-core
# machine. xdist hands out one module at a time, by default the modules with the most tests
# first, which left these (a few long tests each) for the end, one worker busy and one idle.
# A module missing here only starts later; the order changes nothing else. Every test in these
# modules is marked `slow` (`pytest -m "not slow"`, `make test-fast`, leaves them out).
SLOW_MODULES = (
    "test_season.py",
    "test_faults.py",
    "test_stackexchange_discover.py",
    "test_github_crawl_passes.py",
    "test_github_crawl.py",
    "test_github_distributed.py",
    "test_rebuild.py",
    "test_secret_scan.py",
    "test_stackexchange_crawl.py",
    "test_github_crawl_days.py",
    "test_stackexchange_pipeline.py",
    "test_runs.py",
    "test_github_lookup.py",
    "test_identity.py",
    "test_cmd_privacy.py",
    "test_stackexchange_spider.py",
    "test_model.py",
    "test_readme_examples.py",
)
# Modules whose module-scoped fixtures are built per database kind anyway: each kind is a
# unit of its own, so the two kinds can run on the two workers at once.
SPLIT_BY_KIND = ("test_faults.py",)


def _slow_rank(nodeid: str) -> int:
    name = nodeid.split("::", 1)[0].rsplit("/", 1)[-1]
    return SLOW_MODULES.index(name) if name in SLOW_MODULES else len(SLOW_MODULES)


@pytest.hookimpl(tryfirst=True)  # before `-m` selects on the markers
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _slow_rank(item.nodeid) < len(SLOW_MODULES):
            item.add_marker(pytest.mark.slow)
    if hasattr(config, "workerinput"):  # an xdist worker: the scheduler reads this order
        items.sort(key=lambda item: _slow_rank(item.nodeid))  # stable: in-module order kept


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """--dist loadfile, in the order above, with SPLIT_BY_KIND modules split by kind."""
    from xdist.scheduler import LoadFileScheduling

    if config.getoption("dist") != "loadfile":
        return None

    class SlowFirst(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = super()._split_scope(nodeid)
            if module.rsplit("/", 1)[-1] in SPLIT_BY_KIND and "[" in nodeid:
                return f"{module}[{nodeid.split('[', 1)[1].split('-', 1)[0].rstrip(']')}]"
            return module

    config.option.loadscopereorder = False  # the collection order is the one above
    return SlowFirst(config, log)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_terminal_summary(terminalreporter: Any) -> Any:
    """The failed tests' names once more, last: a CI log that keeps only the tail of the
    output still says which tests failed (the summary above may be pages of assertion)."""
    result = yield  # the terminal's own summary (the outermost wrapper ends last)
    failed = terminalreporter.stats.get("failed", [])
    if failed:
        terminalreporter.write_line("failed: " + " ".join(report.nodeid for report in failed))
    return result
