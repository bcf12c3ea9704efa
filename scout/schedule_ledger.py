"""The schedule's ledger in crawl_runs: what each job claimed, what is due, how a run ended."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from apscheduler.triggers.base import BaseTrigger
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scout.jobs import Job, latest_fire
from scout.runs import child_outcome
from storage.heartbeat import mark_lost_runs, owner
from storage.models import CrawlRun

SCHEDULE_SOURCE = "schedule"


def fire_time_of(run: CrawlRun) -> datetime | None:
    value = (run.args or {}).get("fire_time")
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def last_claims(session: Session, names: Iterable[str]) -> dict[str, CrawlRun]:
    """Each job's latest "schedule" row: claims are serialised per job, so the newest id holds
    the latest fire time."""
    newest = (
        select(func.max(CrawlRun.id))
        .where(CrawlRun.source == SCHEDULE_SOURCE, CrawlRun.job_name.in_(list(names)))
        .group_by(CrawlRun.job_name)
    )
    rows = session.scalars(select(CrawlRun).where(CrawlRun.id.in_(newest)))
    return {str(row.job_name): row for row in rows}


def due_fire(
    trigger: BaseTrigger, last: datetime | None, now: datetime, not_before: datetime
) -> datetime | None:
    """The fire time to run now, if any: the latest one at or before `now` that is later than
    the last claimed fire time (or, never claimed, not earlier than `not_before`)."""
    fire = latest_fire(trigger, now)
    if fire is None:
        return None
    if last is None:
        return fire if fire >= not_before else None
    return fire if fire > last else None


def run_history(session: Session, job: str | None = None, limit: int = 20) -> list[CrawlRun]:
    """Newest runs first, optionally of one job (its schedule rows and its crawls' rows)."""
    query = select(CrawlRun).order_by(CrawlRun.id.desc()).limit(limit)
    if job is not None:
        query = query.where(CrawlRun.job_name == job)
    return list(session.scalars(query))


def claim_fire(
    session: Session, job: Job, fire: datetime, holder: str, now: datetime, *, forced: bool
) -> int | None:
    """Under the job's lease: record the run of `fire` (its "schedule" row, running) and give
    its id; None when that fire time is already claimed (and not `forced`)."""
    last = last_claims(session, [job.name]).get(job.name)
    last_fire = fire_time_of(last) if last else None
    if not forced and last_fire is not None and last_fire >= fire:
        return None
    if last is not None and last.status == "running":
        # Its scheduler let the lease expire: it died (or hung) mid-run. The same
        # words as storage.heartbeat.mark_lost_runs, which finds it first when it can.
        last.status = "lost"
        last.finished_at = now
        last.message = (
            f"scheduler {last.args.get('holder')} stopped renewing its lease; "
            "marked lost. The next fire time runs the job again"
        )
    run = CrawlRun(
        source=SCHEDULE_SOURCE,
        job_name=job.name,
        args={
            "source": job.source,
            "command": list(job.command),
            "fire_time": fire.isoformat(),
            "holder": holder,
            "forced": forced,
        },
        started_at=now,
        status="running",
        stats={},
        **owner(),
    )
    session.add(run)
    session.flush()
    return run.id


def record_end(
    session: Session,
    job_name: str,
    run_id: int,
    code: int | None,
    output: str,
    stats: dict[str, Any],
    now: datetime,
    lease_lost: bool,
    stopped: bool,
) -> tuple[str, str | None]:
    """Finish the "schedule" row `run_id`: its status and message (returned), its errors, and
    `stats` plus the counts of the job's own crawl rows since."""
    message: str | None = None
    # A child killed outright left its own row running: lost, before it is read.
    mark_lost_runs(session)
    crawls = list(
        session.scalars(
            select(CrawlRun)
            .where(
                CrawlRun.job_name == job_name,
                CrawlRun.source != SCHEDULE_SOURCE,
                CrawlRun.id > run_id,
            )
            .order_by(CrawlRun.id)
        )
    )
    stats["runs"] = [crawl.id for crawl in crawls]
    for crawl in crawls:
        for key, value in (crawl.stats or {}).items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                stats[key] = stats.get(key, 0) + value
    if lease_lost:
        status, message = "lost", "another scheduler took over the lease; job stopped"
        errors = sum(crawl.errors for crawl in crawls)
    elif stopped and code != 0:
        status, message = "interrupted", "the scheduler was stopped"
        errors = sum(crawl.errors for crawl in crawls)
    else:
        status, message, errors = child_outcome(code, crawls, output)
    run = session.get(CrawlRun, run_id)
    if run is not None:
        run.status = status
        run.stats = stats
        run.errors = errors
        run.message = message
        run.finished_at = now
    return status, message
