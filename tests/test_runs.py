"""Honest run status: a crawl's exit code is its run's status; a killed crawl is found `lost`.

The GitHub crawls run as real `scout` subprocesses against the sandbox, so SIGINT and SIGKILL
reach a crawl exactly as they do from a terminal or the OOM killer.
"""

from __future__ import annotations

import json
import os
import signal
import time
from signal import SIGINT, SIGTERM

import pytest
import typer
from helpers import scout_popen
from sqlalchemy import create_engine, func, select, text
from typer.testing import CliRunner

from sandbox.model import SandboxOptions
from sandbox.server import SandboxServer
from scout.cli import app
from scout.runs import (
    child_outcome,
    crawl_command,
    sigterm_interrupts,
    stat_cells,
    summary,
    worst,
)
from storage.db import open_database, session_scope
from storage.models import CrawlRun, Profile
from storage.state import EXIT_CODES, RUN_STATUSES, exit_code, finish_run, start_run, status_of_exit

TOKEN = "ghp_" + "r" * 36
runner = CliRunner()


@pytest.fixture(scope="module")
def world(worlds):
    return worlds(7, 600)


@pytest.fixture(scope="module")
def sandbox(world):
    with SandboxServer(world, SandboxOptions(rate_limit=1_000_000)) as server:
        yield server


@pytest.fixture(scope="module")
def slow_sandbox(world):
    """Slow enough that a crawl of its 7 pages is still going after its first page."""
    with SandboxServer(world, SandboxOptions(rate_limit=1_000_000, latency_ms=400)) as server:
        yield server


def crawl(db_url, api, *more, env=None):
    """`scout crawl github` started in its own process (stdout and stderr piped)."""
    full = {"GITHUB_TOKEN": TOKEN, "SCOUT_GITHUB_CONCURRENCY": "1", **(env or {})}
    return scout_popen("crawl", "github", "--api-url", api, *more, db=db_url, env=full, text=True)


def wait_for_first_page(proc, db_url, timeout=60.0):
    """Block until the crawl has stored a page (and is still running)."""
    engine = create_engine(db_url)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with engine.connect() as conn:
                    if conn.scalar(select(func.count()).select_from(Profile)):
                        return
            except Exception:  # the schema may not exist yet
                pass
            time.sleep(0.05)
    finally:
        engine.dispose()
    raise AssertionError(f"no page stored while the crawl ran: {proc.poll()}")


def profile_count(db_url):
    engine = create_engine(db_url)
    with engine.connect() as conn:
        count = conn.scalar(select(func.count()).select_from(Profile))
    engine.dispose()
    return count


def everyone(world):
    """The GitHub ids a whole crawl stores: every account that is a person, not a bot."""
    accounts = world.github.values()
    return {str(a.id) for a in accounts if a.type == "User" and not a.login.endswith("[bot]")}


def runs_of(db_url):
    engine = create_engine(db_url)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT id, source, status, message, pid, host FROM crawl_runs ORDER BY id")
        ).all()
    engine.dispose()
    return rows


def table_rows(output):
    return {
        cells[0]: cells
        for line in output.splitlines()
        if (cells := [c.strip() for c in line.split("│")[1:-1]]) and cells[0]
    }


# -- real crawls -------------------------------------------------------------------------------


def test_kill_9_leaves_a_run_the_next_command_marks_lost_and_doctor_names(
    slow_sandbox, sandbox, tmp_path
):
    url = f"sqlite:///{tmp_path / 'k.db'}"
    proc = crawl(url, slow_sandbox.github_url)
    wait_for_first_page(proc, url)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL, "the crawl ended before the kill"
    stored_at_kill = profile_count(url)
    [(run_id, source, status, _, pid, host)] = runs_of(url)
    assert (source, status, pid) == ("github", "running", proc.pid) and host

    listed = runner.invoke(app, ["--db", url, "runs"])
    assert listed.exit_code == 0, listed.output
    row = table_rows(listed.output)[str(run_id)]
    assert row[2:6][0] == "github" and row[5] == "lost"
    [(_, _, status, message, _, _)] = runs_of(url)
    assert status == "lost" and f"process {proc.pid}" in message and "gone" in message

    report = runner.invoke(app, ["--db", url, "doctor", "--offline", "--json"])
    checks = {c["check"]: c for c in json.loads(report.stdout)["checks"]}
    named = checks["crawl runs"]
    assert named["status"] == "WARN"
    assert f"run #{run_id} github" in named["detail"] and "lost" in named["detail"]
    assert "started 20" in named["detail"]

    # The next crawl resumes it; the lost row stays lost, the new one ends ok.
    again = crawl(url, sandbox.github_url, "--resume")
    _, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    assert [r[2] for r in runs_of(url)] == ["lost", "ok"]
    assert 0 < stored_at_kill < profile_count(url), "the kill came mid-crawl"


def test_ctrl_c_or_sigterm_records_interrupted_prints_the_summary_and_exits_130(
    world, slow_sandbox, tmp_path
):
    urls = {sig: f"sqlite:///{tmp_path / f'{sig.name}.db'}" for sig in (SIGINT, SIGTERM)}
    procs = {sig: crawl(url, slow_sandbox.github_url) for sig, url in urls.items()}
    for sig, proc in procs.items():
        wait_for_first_page(proc, urls[sig])
        proc.send_signal(sig)  # the first Ctrl-C is enough
    for sig, proc in procs.items():
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, (sig, err)
        [(run_id, _, status, _, _, _)] = runs_of(urls[sig])
        assert status == "interrupted"
        assert f"Run #{run_id} github interrupted: stored " in out
        assert "requests" in out and "quarantined" in out and "quota spent" in out
        assert "Traceback" not in err
        assert 0 < profile_count(urls[sig]) < len(everyone(world)), "the signal came mid-crawl"


def test_sigterm_outside_scrapy_stops_the_command_like_ctrl_c():
    before = signal.getsignal(SIGTERM)
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt), sigterm_interrupts():
        os.kill(os.getpid(), SIGTERM)
        time.sleep(5)
    assert time.monotonic() - started < 4
    assert signal.getsignal(SIGTERM) == before  # restored for whatever runs next


def test_an_ok_crawl_exits_0_and_a_partial_one_3(world, sandbox, tmp_path):
    ok_url = f"sqlite:///{tmp_path / 'ok.db'}"
    partial_url = f"sqlite:///{tmp_path / 'partial.db'}"
    faults = SandboxOptions(rate_limit=1_000_000, fault_rate=0.5, fault_seed=3)
    with SandboxServer(world, faults) as faulty:
        ok = crawl(ok_url, sandbox.github_url, "--location", "India")
        part = crawl(partial_url, faulty.github_url, env={"SCOUT_HTTP_RETRIES": "0"})
        ok_out, ok_err = ok.communicate(timeout=120)
        part_out, part_err = part.communicate(timeout=120)
    assert ok.returncode == 0, ok_err
    [(run_id, _, status, _, _, _)] = runs_of(ok_url)
    assert status == "ok" and f"Run #{run_id} github ok: stored " in ok_out
    assert part.returncode == 3, part_err
    [(run_id, _, status, _, _, _)] = runs_of(partial_url)
    assert status == "partial" and f"Run #{run_id} github partial" in part_out


# -- the plumbing every crawl command shares ---------------------------------------------------


def test_exit_codes_are_fixed_per_status_and_map_back():
    assert RUN_STATUSES == ("ok", "partial", "failed", "interrupted", "lost")
    assert [exit_code(s) for s in RUN_STATUSES] == [0, 3, 4, 130, 5]
    assert exit_code("running") == 4  # never a success for a status it does not know
    for status, code in EXIT_CODES.items():
        assert status_of_exit(code) == status
    assert status_of_exit(2) == "failed"  # a user error in a scheduled job
    assert status_of_exit(-signal.SIGTERM) == "interrupted"
    assert status_of_exit(-signal.SIGKILL) == "lost"
    assert status_of_exit(None) == "failed"
    assert worst(["ok", "partial", "ok"]) == "partial"
    assert worst(["interrupted", "failed", "lost"]) == "failed"
    assert worst([]) == "ok"


def test_a_scheduled_job_takes_the_status_its_child_exit_code_says(sqlite_url):
    engine = open_database(sqlite_url)
    with session_scope(engine) as session:
        run = start_run(session, "github", {}, job_name="j")
        finish_run(session, run.id, "partial", {"errors": 2}, errors=2, message="2 pages owed")
        session.flush()
        crawls = [run]
        assert child_outcome(3, crawls, "") == ("partial", "2 pages owed", 2)
        assert child_outcome(0, crawls, "") == ("partial", None, 2)  # its row said worse
        said = "Warning: 0 candidates: 80 ranked, none of them in India"
        assert child_outcome(0, [], f"{said}\nWrote 0 candidates to s.csv") == ("ok", said, 0)
        assert child_outcome(130, crawls, "")[0] == "interrupted"
        assert child_outcome(2, [], "Error: unknown region") == (
            "failed",
            "Error: unknown region",
            1,
        )
    engine.dispose()


def _command_with_a_run(engine, raised: BaseException | None):
    with crawl_command(engine) as command:
        with session_scope(engine) as session:
            start_run(session, "kaggle", {"from": "x"})
        if raised is not None:
            raise raised
    return command


def test_crawl_command_never_leaves_its_run_running(sqlite_url, capsys):
    engine = open_database(sqlite_url)
    with pytest.raises(typer.Exit) as stopped:
        _command_with_a_run(engine, KeyboardInterrupt())
    assert stopped.value.exit_code == 130
    with pytest.raises(RuntimeError):
        _command_with_a_run(engine, RuntimeError("disk on fire\nsecond line"))
    command = _command_with_a_run(engine, None)
    with session_scope(engine) as session:
        rows = session.scalars(select(CrawlRun).order_by(CrawlRun.id)).all()
        assert [(r.status, r.message) for r in rows] == [
            ("interrupted", "stopped by Ctrl-C or SIGTERM"),
            ("failed", "disk on fire"),
            ("failed", "the crawl ended without recording how it went"),
        ]
    out = capsys.readouterr().out
    assert "Run #1 kaggle interrupted: stored 0 profiles" in out
    assert "Run #2 kaggle failed" in out
    with pytest.raises(typer.Exit) as done:
        command.exit("partial")
    assert done.value.exit_code == 3
    engine.dispose()


def test_the_summary_reads_the_standard_stats_alike_for_every_source():
    stats = {"requests": 1200, "retries": 7, "profiles_stored": 1500, "quota_spent": 1200}
    stats |= {"new": 900, "changed": 300, "unchanged": 300}
    run = CrawlRun(id=9, source="stackoverflow", status="partial", errors=2, stats=stats)
    assert summary(run) == (
        "Run #9 stackoverflow partial: stored 1,500 profiles (900 new, 300 changed, "
        "300 unchanged); 1,200 requests, 7 retries, 2 errors, 0 quarantined, quota spent 1,200 "
        "(1.00 new or changed profiles per request)"
    )
    assert stat_cells(run) == ["900", "300", "300", "1,200", "2", "1,200", "1.00"]
    # A run that spent no quota (a Meta Kaggle ingest) has no ratio, never a division by 0.
    idle = CrawlRun(id=1, source="kaggle", status="ok", errors=0, stats={})
    assert stat_cells(idle) == ["0"] * 6 + [""]
    assert summary(idle).endswith("quota spent 0")


def test_a_run_recorded_before_new_and_changed_were_told_apart_counts_all_it_stored():
    old = {"profiles_stored": 455, "quota_spent": 100}
    run = CrawlRun(id=3, source="github", status="ok", errors=0, stats=old)
    assert summary(run).endswith("(4.55 new or changed profiles per point)")
    # Once told apart, unchanged profiles bought nothing: a night of rereads is 0 per point.
    reread = CrawlRun(id=4, source="github", status="ok", errors=0, stats=old | {"unchanged": 455})
    assert summary(reread).endswith("(0.00 new or changed profiles per point)")
