"""The scheduler: each fire time runs once across schedulers, missed runs coalesce, leases hold.

Jobs run the real `scout refresh github --stale-days 0` (cheap: an empty database has nothing
to refresh, so it makes no request) as subprocesses; the clock is the test's.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from scout.jobs import load_jobs
from scout.schedule_ledger import SCHEDULE_SOURCE, fire_time_of
from scout.scheduler import Scheduler
from storage.db import open_database, session_scope
from storage.locks import acquire_lease, release_lease
from storage.models import CrawlRun

T0 = datetime(2025, 3, 3, 10, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def jobs_file(tmp_path: Path, *jobs: tuple[str, str]) -> Path:
    text = "".join(
        f'[jobs.{name}]\nsource = "github-refresh"\ncron = "{cron}"\nargs = {{ stale_days = 0 }}\n'
        for name, cron in jobs
    )
    path = tmp_path / "jobs.toml"
    path.write_text(text)
    return path


def make_scheduler(db_url, path, clock, holder, lease=timedelta(seconds=60)):
    return Scheduler(
        open_database(db_url),
        load_jobs(path),
        env={**os.environ, "SCOUT_DB_URL": db_url},
        clock=clock,
        holder=holder,
        lease=lease,
    )


def runs(db_url) -> list[CrawlRun]:
    engine = open_database(db_url)
    with session_scope(engine) as session:
        rows = list(session.scalars(select(CrawlRun).order_by(CrawlRun.id)))
    engine.dispose()
    return rows


def together(function, schedulers) -> None:
    """Call function(scheduler) in one thread per scheduler, all released at once."""
    barrier = threading.Barrier(len(schedulers))

    def start(scheduler: Scheduler) -> None:
        barrier.wait()
        function(scheduler)

    threads = [threading.Thread(target=start, args=(s,)) for s in schedulers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def claimed(rows) -> Counter[tuple[str, datetime]]:
    return Counter((r.job_name, fire_time_of(r)) for r in rows if r.source == SCHEDULE_SOURCE)


def test_two_schedulers_run_each_due_job_exactly_once(db_url, tmp_path):
    """The done-when item: two schedulers on one database, every fire time run once."""
    path = jobs_file(tmp_path, ("every5", "*/5 * * * *"), ("hourly", "0 * * * *"))
    clock = Clock(T0)
    schedulers = [make_scheduler(db_url, path, clock, holder) for holder in ("A", "B")]
    outcomes = []
    clock.now = T0 + timedelta(seconds=20)  # both see both jobs due for 10:00
    together(lambda scheduler: outcomes.extend(scheduler.run_once()), schedulers)
    expected = {("every5", T0), ("hourly", T0)}
    assert sorted((o.job, o.fire_time) for o in outcomes) == sorted(expected)
    assert {o.status for o in outcomes} == {"ok"}
    # a minute later, still inside 10:00's slot: nothing is due again for either
    clock.now = T0 + timedelta(minutes=1)
    together(lambda scheduler: outcomes.extend(scheduler.run_once()), schedulers)
    assert len(outcomes) == 2
    rows = runs(db_url)
    assert claimed(rows) == Counter(expected)
    # each fire time started one real `scout refresh github`, whose own row has the job name
    crawls = Counter(r.job_name for r in rows if r.source == "github")
    assert crawls == Counter({"every5": 1, "hourly": 1})
    for scheduler in schedulers:
        scheduler.engine.dispose()


def test_racing_claims_give_each_fire_time_to_one_scheduler(db_url, tmp_path):
    path = jobs_file(tmp_path, ("a", "* * * * *"), ("b", "* * * * *"), ("c", "*/2 * * * *"))
    clock = Clock(T0)
    schedulers = [make_scheduler(db_url, path, clock, f"s{i}") for i in range(3)]
    wins: list[tuple[str, datetime]] = []
    for minute in range(8):
        clock.now = T0 + timedelta(minutes=minute, seconds=1)

        def race(scheduler: Scheduler) -> None:
            due = scheduler.due(clock.now)
            for job, fire in due:
                if scheduler.claim(job, fire) is not None:
                    wins.append((job.name, fire))
                    # the run is over at once: the lease is free again for a scheduler
                    # that saw the job due before this claim
                    with session_scope(scheduler.engine) as session:
                        release_lease(session, job.name, scheduler.holder)

        together(race, schedulers)
    expected = [("a", m) for m in range(8)] + [("b", m) for m in range(8)]
    expected += [("c", m) for m in range(0, 8, 2)]
    assert sorted(wins) == sorted((n, T0 + timedelta(minutes=m)) for n, m in expected)
    assert claimed(runs(db_url)) == Counter(wins)
    for scheduler in schedulers:
        scheduler.engine.dispose()


def test_a_missed_job_runs_once_after_downtime(sqlite_url, tmp_path):
    path = jobs_file(tmp_path, ("nightly", "0 2 * * *"))
    day1 = datetime(2025, 3, 1, 2, 0, tzinfo=UTC)
    before = make_scheduler(sqlite_url, path, Clock(day1), "before")
    job = before.jobs["nightly"]
    assert before.claim(job, day1) is not None  # the last run before the downtime
    with session_scope(before.engine) as session:
        release_lease(session, "nightly", "before")
    # three nights later: 02:00 on days 2, 3 and 4 were missed
    clock = Clock(datetime(2025, 3, 4, 10, 0, tzinfo=UTC))
    after = make_scheduler(sqlite_url, path, clock, "after")
    outcomes = after.run_once()
    assert [(o.job, o.fire_time, o.status) for o in outcomes] == [
        ("nightly", datetime(2025, 3, 4, 2, 0, tzinfo=UTC), "ok")
    ]
    assert after.run_once() == []
    clock.now = datetime(2025, 3, 5, 2, 0, 30, tzinfo=UTC)
    assert [(j.name, fire) for j, fire in after.due(clock.now)] == [
        ("nightly", datetime(2025, 3, 5, 2, 0, tzinfo=UTC))
    ]


def test_a_live_lease_blocks_and_an_expired_one_is_taken_over(db_url, tmp_path):
    path = jobs_file(tmp_path, ("every5", "*/5 * * * *"))
    clock = Clock(T0)
    first = make_scheduler(db_url, path, clock, "first")
    job = first.jobs["every5"]
    stale_run = first.claim(job, T0)  # its 10:00 run is still going at 10:05...
    assert stale_run is not None
    with session_scope(first.engine) as session:  # ...and it renews its lease (60 s)
        assert acquire_lease(session, "every5", "first", T0 + timedelta(minutes=5), first.lease)
    second = make_scheduler(db_url, path, clock, "second", lease=timedelta(minutes=2))
    clock.now = T0 + timedelta(minutes=5, seconds=10)
    assert [(j.name, fire) for j, fire in second.due(clock.now)] == [
        ("every5", T0 + timedelta(minutes=5))
    ]
    assert second.run_once() == []  # the holder is alive: 10:05 waits
    assert claimed(runs(db_url)) == Counter({("every5", T0): 1})
    # the first scheduler dies; once its lease has expired, 10:05 is taken over
    clock.now = T0 + timedelta(minutes=6, seconds=30)
    run_id = second.claim(job, T0 + timedelta(minutes=5))
    assert run_id is not None
    rows = {r.id: r for r in runs(db_url)}
    assert rows[stale_run].status == "lost" and "first" in rows[stale_run].message
    assert rows[run_id].status == "running" and rows[run_id].args["holder"] == "second"
    # a third scheduler finds 10:05 claimed and its lease held: it runs nothing
    third = make_scheduler(db_url, path, clock, "third")
    assert third.claim(job, T0 + timedelta(minutes=5)) is None
    for scheduler in (first, second, third):
        scheduler.engine.dispose()


def test_on_a_rehearsal_clock_jobs_run_at_the_schedulers_now(sqlite_url, tmp_path, monkeypatch):
    """With SCOUT_NOW set, a job's own times (its crawl run, what is stale) are the scheduler's
    simulated now, not the instant the scheduler was started at or the wall clock."""
    monkeypatch.setenv("SCOUT_NOW", "2025-03-01T00:00:00Z")
    path = jobs_file(tmp_path, ("nightly", "0 2 * * *"))
    clock = Clock(datetime(2025, 3, 4, 2, 0, 5, tzinfo=UTC))
    scheduler = make_scheduler(sqlite_url, path, clock, "rehearsal")
    scheduler.env["SCOUT_NOW"] = "2025-03-01T00:00:00Z"
    assert [o.status for o in scheduler.run_once()] == ["ok"]
    crawl = [r for r in runs(sqlite_url) if r.source == "github"]
    assert len(crawl) == 1
    assert abs(crawl[0].started_at - clock.now) < timedelta(minutes=1)


def test_a_shortlist_job_that_matched_nobody_is_ok_but_says_so(sqlite_url, tmp_path):
    out = tmp_path / "weekly.csv"
    path = tmp_path / "jobs.toml"
    path.write_text(
        '[jobs.weekly]\nsource = "shortlist"\ncron = "0 7 * * mon"\n'
        f'args = {{ region = "eastern-europe", skill = "mlops", output = "{out}" }}\n'
    )
    scheduler = make_scheduler(sqlite_url, path, Clock(T0), "one")
    [outcome] = scheduler.run_once(force=True)
    scheduler.engine.dispose()
    assert outcome.status == "ok" and outcome.exit_code == 0  # a valid query, nobody yet
    assert out.read_text(encoding="utf-8-sig").startswith("rank,score,name")  # the header alone
    said = "Warning: 0 candidates: nobody is scored yet"
    assert outcome.message is not None and outcome.message.startswith(said), outcome.message
    [row] = [r for r in runs(sqlite_url) if r.source == SCHEDULE_SOURCE]
    assert row.status == "ok" and row.message == outcome.message  # what `scout runs` shows
