"""What every crawl command does around its crawl, whatever the source.

Before: runs whose process died are marked `lost`. During: this process's running rows get a
heartbeat, and SIGTERM stops the command like Ctrl-C. After: one summary line per run in the
same words for every source (profiles stored, new, changed and unchanged, requests, retries,
errors, quarantined, quota spent, new or changed profiles per unit of quota), and the command
exits with the code of the run's status (storage.state.EXIT_CODES). A run the crawler left
`running` (an exception on its way out) is closed as interrupted or failed, never left for the
heartbeat to find.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC
from types import FrameType
from typing import Any, NoReturn

import typer
from rich.table import Table
from sqlalchemy import Engine, func, select, update

from config.clock import utcnow
from scout.app import console
from storage.db import session_scope
from storage.heartbeat import keep_alive, mark_lost_runs, this_host
from storage.models import CrawlRun
from storage.save import SAVE_OUTCOMES
from storage.state import exit_code, status_of_exit

# From harmless to worst: what a command that ran several runs reports.
SEVERITY = ("ok", "partial", "interrupted", "lost", "failed")


def count(stats: dict[str, Any] | None, key: str) -> int:
    """A numeric stat, 0 when missing or not a number."""
    value = (stats or {}).get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0
    return int(value)


def run_errors(run: CrawlRun) -> int:
    return max(run.errors or 0, count(run.stats, "errors"))


# What one unit of a source's quota_spent is.
QUOTA_UNIT = {
    "github": "point",
    "stackoverflow": "request",
    "huggingface": "request",
    "pypi": "request",
}


def fresh(run: CrawlRun) -> int:
    """Profiles the run stored new or changed (all it stored, for runs recorded before it
    told them apart): what its quota bought."""
    stats = run.stats or {}
    if any(key in stats for key in SAVE_OUTCOMES):
        return count(stats, "new") + count(stats, "changed")
    return count(stats, "profiles_stored")


def per_quota(run: CrawlRun) -> float | None:
    """New and changed profiles per unit of quota spent (None when the run spent none)."""
    spent = count(run.stats, "quota_spent")
    return fresh(run) / spent if spent else None


def summary(run: CrawlRun) -> str:
    """The one line every crawl prints about its run (and `scout runs` shows in columns)."""
    stats = run.stats or {}
    line = (
        f"Run #{run.id} {run.source} {run.status}: "
        f"stored {count(stats, 'profiles_stored'):,} profiles "
        f"({count(stats, 'new'):,} new, {count(stats, 'changed'):,} changed, "
        f"{count(stats, 'unchanged'):,} unchanged); "
        f"{count(stats, 'requests'):,} requests, {count(stats, 'retries'):,} retries, "
        f"{run_errors(run):,} errors, {count(stats, 'quarantined'):,} quarantined, "
        f"quota spent {count(stats, 'quota_spent'):,}"
    )
    ratio = per_quota(run)
    if ratio is not None:
        unit = QUOTA_UNIT.get(run.source, "unit")
        line += f" ({ratio:,.2f} new or changed profiles per {unit})"
    return line


def worst(statuses: Iterable[str]) -> str:
    """The most serious status; unknown ones count as failed."""
    rank = {status: i for i, status in enumerate(SEVERITY)}
    return max(statuses, key=lambda s: rank.get(s, len(SEVERITY)), default="ok")


def mark_lost(engine: Engine) -> list[int]:
    """Mark the runs whose process died; their ids (for commands that read crawl_runs)."""
    with session_scope(engine) as session:
        return [run.id for run in mark_lost_runs(session)]


class CrawlCommand:
    """The runs this command started (rows after `first` owned by this process)."""

    def __init__(self, engine: Engine, first: int) -> None:
        self.engine = engine
        self.first = first

    def _mine(self) -> Any:
        return (
            CrawlRun.id > self.first,
            CrawlRun.pid == os.getpid(),
            CrawlRun.host == this_host(),
        )

    def runs(self) -> list[CrawlRun]:
        with session_scope(self.engine) as session:
            rows = list(session.scalars(select(CrawlRun).where(*self._mine())))
            session.expunge_all()
        return sorted(rows, key=lambda run: run.id)

    def close_open(self, status: str, message: str) -> None:
        """Record how runs the crawler left `running` ended."""
        with session_scope(self.engine) as session:
            session.execute(
                update(CrawlRun)
                .where(*self._mine(), CrawlRun.status == "running")
                .values(status=status, finished_at=utcnow(), message=message)
            )

    def report(self) -> str:
        """Print each run's summary; the worst status among them."""
        runs = self.runs()
        out = console()
        for run in runs:
            out.print(summary(run), soft_wrap=True)  # one line, however long
        return worst(run.status for run in runs)

    def exit(self, status: str | None = None) -> NoReturn:
        """Print the summaries and leave with the exit code of `status` (default: the runs')."""
        found = self.report()
        raise typer.Exit(exit_code(status or found))


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@contextmanager
def sigterm_interrupts() -> Iterator[None]:
    """SIGTERM stops the command like Ctrl-C (Scrapy installs its own handlers while it runs)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def crawl_command(engine: Engine) -> Iterator[CrawlCommand]:
    """Around one crawl command: lost runs marked, a heartbeat, no run left `running`.

    Ctrl-C (or SIGTERM) outside Scrapy's own handling ends the command with exit 130 after the
    summary; any other exception is recorded as a failed run and goes on to the CLI's handler.
    """
    with session_scope(engine) as session:
        mark_lost_runs(session)
        first = session.scalar(select(func.max(CrawlRun.id))) or 0
    command = CrawlCommand(engine, first)
    try:
        with sigterm_interrupts(), keep_alive(engine):
            yield command
    except KeyboardInterrupt:
        command.close_open("interrupted", "stopped by Ctrl-C or SIGTERM")
        command.report()
        raise typer.Exit(exit_code("interrupted")) from None
    except typer.Exit:
        raise
    except BaseException as exc:
        text = str(exc).strip().splitlines()
        command.close_open("failed", (text[0] if text else type(exc).__name__)[:500])
        command.report()
        raise
    command.close_open("failed", "the crawl ended without recording how it went")


# The standard counts as table columns: (header, stats key); errors come from the row. What a
# run stored (new + changed + same), its retries and quarantined records are in its summary
# line: 140 columns hold no more.
STAT_COLUMNS = (
    ("new", "new"),
    ("changed", "changed"),
    ("same", "unchanged"),
    ("requests", "requests"),
    ("errors", "errors"),
    ("quota", "quota_spent"),
)


def stat_cells(run: CrawlRun) -> list[str]:
    """The STAT_COLUMNS cells of one run, missing counts as 0, then new or changed profiles
    per quota unit."""
    ratio = per_quota(run)
    return [
        *(
            f"{run_errors(run):,}" if key == "errors" else f"{count(run.stats, key):,}"
            for _, key in STAT_COLUMNS
        ),
        "" if ratio is None else f"{ratio:,.2f}",
    ]


# A line a command prints when it ended well but someone should look (a shortlist that matched
# nobody): a scheduled run keeps the last one as its message, so `scout runs` shows it.
WARNING_PREFIX = "Warning: "


def child_outcome(
    code: int | None, crawls: list[CrawlRun], output: str
) -> tuple[str, str | None, int]:
    """A scheduled job's status, message and errors from its `scout` child's exit code (which
    says how the child's run ended, storage.state.EXIT_CODES) and the child's own rows."""
    errors = sum(crawl.errors for crawl in crawls)
    status = status_of_exit(code)
    if status == "ok":
        worse = [c.status for c in crawls if c.status not in ("ok", "running")]
        warned = [line for line in output.splitlines() if line.startswith(WARNING_PREFIX)]
        return (worse[-1] if worse else "ok"), (warned[-1] if warned else None), errors
    if status == "failed":
        return status, output[-2000:] or f"exit code {code}", max(errors, 1)
    said = [c.message for c in crawls if c.message]
    return status, said[-1] if said else f"exit code {code}", errors


def took(run: CrawlRun) -> str:
    """How long a finished run took: 42s, 3m05s, 2h10m ("" while it runs)."""
    if run.finished_at is None:
        return ""
    seconds = max(0, int((run.finished_at - run.started_at).total_seconds()))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def runs_table(title: str, runs: Iterable[CrawlRun]) -> Table:
    """The table of runs `scout runs` and `scout status` show: who, when, how it ended, and
    the standard counts (times in UTC)."""
    table = Table(title=title)
    numbers = [*(header for header, _ in STAT_COLUMNS), "per quota"]
    for column in ("id", "job", "source", "started", "took", "status", *numbers):
        table.add_column(
            column,
            justify="right" if column in ("id", *numbers) else "left",
            no_wrap=column != "job",
        )
    for run in runs:
        table.add_row(
            str(run.id),
            run.job_name or "",
            run.source,
            run.started_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
            took(run),
            run.status,
            *stat_cells(run),
        )
    return table
