"""Shared fixtures: databases (SQLite always; PostgreSQL and Redis when configured); the order
`make test`'s two xdist workers take the test modules in."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from helpers import shared_world
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from sandbox.model import World

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
    "test_hub_crawl.py",
    "test_pypi_run.py",
    "test_github_crawl_days.py",
    "test_contributors.py",
    "test_contrib_run.py",
    "test_stackexchange_plan.py",
    "test_runs.py",
    "test_github_lookup.py",
    "test_identity.py",
    "test_cmd_privacy.py",
    "test_stackexchange_spider.py",
    "test_model.py",
    "test_readme_examples.py",
)
# Tests of other modules that took 1.5 s or more (all their parameters together) on this
# 2-core machine under load, measured with --durations: marked `slow` too, so
# `pytest -m "not slow"` stays under a minute. A name here that no test has any more is an
# error when its module is collected whole.
SLOW_TESTS = frozenset(
    (
        "test_bench_ranking_quality.py::test_bench_on_a_tiny_world_prints_a_table_and_a_verdict",
        "test_bench_ranking_quality.py::test_the_ml_native_sources_are_measured_with_and_without",
        "test_browse.py::test_contact_fields_stay_closed_unless_turned_on",
        "test_browse.py::test_server_answers_with_facets",
        "test_cmd_enrich.py::test_unlink_refuses_a_name_two_people_share_and_lists_them",
        "test_cmd_model.py::test_round_trip_train_list_use_explain",
        "test_cmd_schedule.py::test_list_run_and_runs",
        "test_cmd_scoring.py::test_rounds_of_a_shortlist_with_decisions",
        "test_db.py::test_0003_adds_the_run_owner_columns_and_downgrade_removes_them",
        "test_db.py::test_0004_adds_gone_at_to_profiles_and_downgrade_removes_it",
        "test_db.py::test_crawls_started_together_on_a_new_sqlite_file_both_get_the_schema",
        "test_db.py::test_upgrade_creates_every_table_then_downgrade_removes_them",
        "test_db.py::test_workers_opening_a_new_postgres_database_together_all_succeed",
        "test_doctor.py::test_old_schema_fails_when_auto_upgrade_is_off_and_is_left_alone",
        "test_enrich_pipeline.py::test_second_run_changes_nothing_and_says_so",
        "test_enrich_pipeline.py::test_tagging_in_helper_processes_writes_the_tags_of_one_process",
        "test_evaluate.py::test_each_metric_has_a_mean_and_a_spread_over_folds",
        "test_evaluate.py::test_evaluate_warns_when_labels_come_only_from_the_top",
        "test_explain.py::test_why_ranked_names_only_evidence_the_candidate_has_in_points",
        "test_export_person.py::test_export_has_every_section_of_the_whole_person",
        "test_export_person.py::test_export_of_one_account_leaves_out_the_linked_ones",
        "test_fit.py::test_every_value_of_a_hostile_profile_is_stored_alike",
        "test_forget.py::test_deleting_a_person_removes_everything_of_theirs_and_nothing_else",
        "test_forget.py::test_one_profile_of_a_linked_person_leaves_the_rest_to_relink",
        "test_forget.py::test_purge_deletes_only_people_not_seen_since_the_cutoff",
        "test_heartbeat.py::test_a_live_run_of_a_rehearsal_is_not_lost",
        "test_heartbeat.py::test_dead_or_silent_processes_are_lost_and_live_ones_are_not",
        "test_heartbeat.py::test_keep_alive_renews_only_this_process_running_rows",
        "test_kaggle_diff.py::test_a_row_now_spanning_two_lines_is_read_in_full",
        "test_kaggle_diff.py::test_next_day_by_difference_equals_a_full_read",
        "test_kaggle_diff.py::test_removed_renamed_new_and_aged_users_by_difference",
        "test_kaggle_files.py::test_row_counts_and_round_trip",
        "test_location.py::test_speed_cold_and_warm",
        "test_locks.py::test_renewal_keeps_the_lease_and_release_frees_it",
        "test_parse_fuzz.py::test_hostile_payloads_end_stored_or_refused_with_a_declared_error",
        "test_parse_fuzz.py::test_what_parsers_let_through_stores_on_postgresql",
        "test_scheduler.py::test_a_shortlist_job_that_matched_nobody_is_ok_but_says_so",
        "test_scheduler.py::test_on_a_rehearsal_clock_jobs_run_at_the_schedulers_now",
        "test_scheduler.py::test_racing_claims_give_each_fire_time_to_one_scheduler",
        "test_scheduler.py::test_two_schedulers_run_each_due_job_exactly_once",
        "test_server.py::test_serve_command_prints_urls_and_serves",
        "test_spreadsheet_roundtrip.py::test_semicolon_csv_in_a_windows_code_page_is_detected_and_said",
        "test_spreadsheet_roundtrip.py::test_xlsx_saved_by_libreoffice_imports_with_names_intact",
        "test_stackexchange_run.py::test_a_given_up_top_answer_tags_call_keeps_the_stored_tags",
        "test_stackexchange_run.py::test_an_api_that_does_not_answer_is_one_message_not_a_traceback",
        "test_train.py::test_a_worse_model_is_saved_but_not_activated_unless_forced",
        "test_train.py::test_the_comparison_uses_the_same_folds_for_every_ranker",
        "test_world.py::test_five_thousand_people_in_under_ten_seconds",
        "test_world.py::test_same_seed_is_identical_and_another_seed_differs",
        "test_world_days.py::test_a_day_is_the_same_however_it_is_reached",
        "test_world_days.py::test_a_season_at_default_rates_is_modest",
        "test_world_days.py::test_day_zero_is_the_generated_world_and_earlier_days_never_change",
    )
)
# Modules whose module-scoped fixtures are built per database kind anyway: each kind is a
# unit of its own, so the two kinds can run on the two workers at once.
SPLIT_BY_KIND = ("test_faults.py",)


def _slow_rank(nodeid: str) -> int:
    name = nodeid.split("::", 1)[0].rsplit("/", 1)[-1]
    return SLOW_MODULES.index(name) if name in SLOW_MODULES else len(SLOW_MODULES)


@pytest.hookimpl(tryfirst=True)  # before `-m` selects on the markers
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    seen = set()
    for item in items:
        name = item.nodeid.split("[", 1)[0].rsplit("/", 1)[-1]  # module::test, no parameters
        seen.add(name)
        if _slow_rank(item.nodeid) < len(SLOW_MODULES) or name in SLOW_TESTS:
            item.add_marker(pytest.mark.slow)
    whole_suite = all(Path(arg).is_dir() for arg in config.args)  # no file or test picked
    modules = {name.split("::", 1)[0] for name in seen}
    stale = sorted(n for n in SLOW_TESTS - seen if n.split("::", 1)[0] in modules)
    if whole_suite and stale:
        raise pytest.UsageError(f"SLOW_TESTS in tests/conftest.py names no test: {stale}")
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
