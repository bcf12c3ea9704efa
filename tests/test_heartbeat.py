"""Which `running` rows are lost, which are alive, and the heartbeat that tells them apart."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import psutil
import pytest
from sqlalchemy import select

from config.clock import utcnow
from storage.db import open_database, session_scope
from storage.heartbeat import (
    STALE_AFTER,
    beat,
    keep_alive,
    mark_lost_runs,
    stale_runs,
    this_host,
)
from storage.models import CrawlRun
from storage.state import finish_run, start_run


@pytest.fixture
def engine(db_url):
    engine = open_database(db_url)
    yield engine
    engine.dispose()


def dead_pid() -> int:
    """The pid of a process that has ended."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def add_run(engine, **columns) -> int:
    """A running github row with the given owner columns."""
    with session_scope(engine) as session:
        run = start_run(session, "github", {"n": 1}, job_name="nightly")
        for key, value in columns.items():
            setattr(run, key, value)
        session.flush()
        return run.id


def statuses(engine) -> dict[int, tuple[str, str | None]]:
    with session_scope(engine) as session:
        rows = session.scalars(select(CrawlRun)).all()
        return {r.id: (r.status, r.message) for r in rows}


def test_start_run_records_this_process_and_a_first_heartbeat(engine):
    before = utcnow()
    run_id = add_run(engine)
    with session_scope(engine) as session:
        run = session.get(CrawlRun, run_id)
        assert run is not None
        assert (run.pid, run.host, run.status) == (os.getpid(), this_host(), "running")
        assert run.heartbeat_at is not None and run.heartbeat_at >= before


def test_dead_or_silent_processes_are_lost_and_live_ones_are_not(engine):
    old = utcnow() - STALE_AFTER - timedelta(seconds=5)
    gone = dead_pid()
    alive = add_run(engine)
    killed = add_run(engine, pid=gone)
    # a pid now held by a process younger than the run's last heartbeat: another program
    reused = add_run(engine, heartbeat_at=old - timedelta(days=30))
    silent_elsewhere = add_run(engine, host="worker-7", pid=4242, heartbeat_at=old)
    beating_elsewhere = add_run(engine, host="worker-8", pid=4242)
    legacy = add_run(engine, host=None, pid=None, heartbeat_at=None, started_at=old)
    finished = add_run(engine, pid=gone)
    with session_scope(engine) as session:
        finish_run(session, finished, "ok", {})

    with session_scope(engine) as session:
        marked = {run.id for run in mark_lost_runs(session)}
    assert marked == {killed, reused, silent_elsewhere, legacy}
    rows = statuses(engine)
    assert rows[alive] == ("running", None)
    assert rows[beating_elsewhere][0] == "running"
    assert rows[finished][0] == "ok"
    assert f"process {gone} on {this_host()} is gone" in (rows[killed][1] or "")
    assert "no heartbeat from process 4242 on worker-7 since" in (rows[silent_elsewhere][1] or "")
    assert "no heartbeat from its process" in (rows[legacy][1] or "")
    assert all("--resume" in (rows[i][1] or "") for i in marked)
    with session_scope(engine) as session:
        assert mark_lost_runs(session) == []  # marking is done once
        lost = session.get(CrawlRun, killed)
        assert lost is not None and lost.finished_at is not None


def test_a_live_process_with_a_stale_heartbeat_is_stuck_not_lost(engine):
    born = datetime.fromtimestamp(psutil.Process().create_time(), UTC)
    hung = add_run(engine, heartbeat_at=born + timedelta(seconds=1))
    later = born + STALE_AFTER + timedelta(seconds=5)  # this process still runs, silent
    fresh = add_run(engine, heartbeat_at=later)
    with session_scope(engine) as session:
        assert mark_lost_runs(session, now=later) == []
        assert [run.id for run in stale_runs(session, now=later)] == [hung]
    assert statuses(engine)[fresh][0] == "running"


def test_keep_alive_renews_only_this_process_running_rows(engine):
    long_ago = utcnow() - timedelta(hours=1)
    mine = add_run(engine, heartbeat_at=long_ago)
    other = add_run(engine, pid=os.getpid() + 1_000_000, heartbeat_at=long_ago)
    done = add_run(engine, heartbeat_at=long_ago)
    with session_scope(engine) as session:
        finish_run(session, done, "ok", {})
    with keep_alive(engine, interval=0.05):
        time.sleep(0.5)
    with session_scope(engine) as session:
        beats = {r.id: r.heartbeat_at for r in session.scalars(select(CrawlRun))}
    assert beats[mine] > utcnow() - timedelta(seconds=5)
    assert beats[other] == long_ago and beats[done] == long_ago
    with session_scope(engine) as session:
        assert beat(session) == 1


@pytest.mark.parametrize("now", ["2026-06-02T01:00:00Z", "2031-01-01T00:00:00Z"])
def test_a_live_run_of_a_rehearsal_is_not_lost(engine, monkeypatch, now):
    # Under SCOUT_NOW the heartbeat is on the rehearsal clock, the process start on the
    # system's: a run started at a simulated time before (or after) the process's real start
    # is still this live process's, not another program's that got its pid.
    monkeypatch.setenv("SCOUT_NOW", now)
    alive = add_run(engine)
    gone = add_run(engine, pid=dead_pid())
    with session_scope(engine) as session:
        assert [run.id for run in mark_lost_runs(session)] == [gone]
    assert statuses(engine)[alive] == ("running", None)
