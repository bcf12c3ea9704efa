"""Crawl runs and resumable cursors."""

from __future__ import annotations

import os
import signal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.clock import utcnow
from config.logging import mask_url_credentials
from storage.heartbeat import owner
from storage.models import CrawlRun, CrawlState
from storage.upsert import upsert

# Set by the scheduler for the `scout` subprocess of a job (scout/scheduler.py).
JOB_NAME_ENV = "SCOUT_JOB_NAME"

# What a finished crawl_runs row may say, and the exit code a command leaves with for it.
#   ok           every page asked for was fetched and stored
#   partial      the run ended by itself, but some pages, windows or details are still owed
#                (counted in errors); --resume or the next run fetches them again
#   failed       the run could not go on (storage refused a write, the API refused the
#                credential, a fatal API error); the cursor is on the last stored page
#   interrupted  stopped from outside (Ctrl-C, SIGTERM); --resume continues
#   lost         the process died without saying (kill -9, power cut); marked by the next
#                command that reads crawl_runs
# `running` is the only other value, while the run is alive.
RUN_STATUSES = ("ok", "partial", "failed", "interrupted", "lost")
EXIT_CODES: dict[str, int] = {
    "ok": 0,
    "partial": 3,
    "failed": 4,
    "interrupted": 130,
    "lost": 5,
}
# 2 stays the code of an error the user caused (bad flag, bad config, bad token: ScoutError).

# Counters every crawl's run stats carry under these names (missing means 0), so the run
# summary and `scout runs` read them alike for every source.
#   requests      HTTP requests sent (retries included)
#   retries       requests sent again after a 5xx, a timeout, a bad body or a partial answer
#   errors        pages, windows or detail calls given up on (what makes a run partial)
#   quarantined   records that failed validation: raw record kept, profile not written
#   quota_spent   GitHub rate-limit points, or Stack Exchange quota units (one per request)
#   profiles_stored, pages
#   new, changed, unchanged   profiles not stored before, stored with other content, and seen
#                 again as stored (storage.save.SAVE_OUTCOMES; a source may count as unchanged
#                 what it knows unchanged without fetching it: a 304, an SE `min=` absentee)
STANDARD_STATS = (
    "requests",
    "retries",
    "errors",
    "quarantined",
    "quota_spent",
    "profiles_stored",
    "pages",
    "new",
    "changed",
    "unchanged",
)


def exit_code(status: str) -> int:
    """The exit code a command leaves with after a run ended with `status`."""
    return EXIT_CODES.get(status, EXIT_CODES["failed"])


def status_of_exit(code: int | None) -> str:
    """The run status a child command's exit code stands for (the scheduler's record of a job).

    A child killed by a signal (negative code from subprocess) was interrupted (SIGINT,
    SIGTERM) or lost (SIGKILL); a user error (2), a crash (1) or no process at all is failed.
    """
    if code is None:
        return "failed"
    if code < 0:
        if -code in (signal.SIGINT, signal.SIGTERM):
            return "interrupted"
        return "lost" if -code == signal.SIGKILL else "failed"
    for status, known in EXIT_CODES.items():
        if known == code:
            return status
    return "failed"


def get_cursor(session: Session, source: str, stream: str, partition: str = "") -> Any:
    """The stored cursor of a stream partition, or None."""
    row = session.get(CrawlState, (source, stream, partition))
    return None if row is None else row.cursor


def all_cursors(session: Session, source: str, stream: str) -> dict[str, Any]:
    """Every partition's cursor of one stream."""
    rows = session.execute(
        select(CrawlState.partition, CrawlState.cursor).where(
            CrawlState.source == source, CrawlState.stream == stream
        )
    )
    return {str(partition): cursor for partition, cursor in rows}


def set_cursor(session: Session, source: str, stream: str, partition: str, cursor: Any) -> None:
    upsert(
        session,
        CrawlState,
        [
            {
                "source": source,
                "stream": stream,
                "partition": partition,
                "cursor": cursor,
                "updated_at": utcnow(),
            }
        ],
        ("source", "stream", "partition"),
    )


def clear_cursors(session: Session, source: str, stream: str) -> None:
    session.query(CrawlState).filter_by(source=source, stream=stream).delete()


def start_run(
    session: Session, source: str, args: dict[str, Any], job_name: str | None = None
) -> CrawlRun:
    # A run started by `scout schedule run` learns its job name from the scheduler's
    # environment, so every crawler's own row carries it without a flag per command.
    job_name = job_name or os.environ.get(JOB_NAME_ENV) or None
    args = mask_url_credentials(args)  # no password of an API or database URL is stored
    # The pid, host and first heartbeat let a later command tell that this process died
    # (storage/heartbeat.py); `keep_alive` renews the heartbeat while it runs.
    run = CrawlRun(
        source=source, args=args, job_name=job_name, status="running", stats={}, **owner()
    )
    session.add(run)
    session.flush()
    return run


def finish_run(
    session: Session,
    run_id: int,
    status: str,
    stats: dict[str, Any],
    errors: int = 0,
    message: str | None = None,
) -> None:
    run = session.get(CrawlRun, run_id)
    if run is None:
        return
    run.status = status
    run.stats = stats
    run.errors = errors
    run.message = message
    run.finished_at = utcnow()


def last_runs(session: Session, limit: int = 10) -> list[CrawlRun]:
    return list(session.scalars(select(CrawlRun).order_by(CrawlRun.id.desc()).limit(limit)))
