"""`scout schedule list|run` and `scout runs`: scheduled jobs and the history of every run."""

from __future__ import annotations

import os
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType

import typer
import typer.main
from rich.table import Table

from config.errors import ScoutError
from scout.app import app, console, err_console, get_state, make_typer
from scout.jobs import Job, check_arguments, jobs_path, load_jobs, select_jobs
from scout.runs import mark_lost, runs_table, worst
from scout.schedule_ledger import SCHEDULE_SOURCE, fire_time_of, run_history
from scout.scheduler import Scheduler
from storage.db import session_scope
from storage.heartbeat import keep_alive
from storage.models import CrawlRun
from storage.state import exit_code

schedule_app = make_typer("Scheduled jobs: crawls and stages run on cron schedules.")
app.add_typer(schedule_app, name="schedule")

JOBS_HELP = "Jobs file (default: the jobs_file setting, else ./jobs.toml)."
TIME = "%Y-%m-%d %H:%M"


def _when(value: datetime | None, seconds: bool = False) -> str:
    if value is None:
        return ""
    return value.astimezone(UTC).strftime(TIME + (":%S" if seconds else ""))


def _jobs(jobs_file: Path | None, names: list[str], include_disabled: bool = False) -> list[Job]:
    path = jobs_path(jobs_file, get_state().settings.jobs_file)
    jobs = select_jobs(load_jobs(path, include_disabled=include_disabled), names, path)
    check_arguments(jobs, typer.main.get_command(app), path)  # type: ignore[arg-type]
    return jobs


def _child_env() -> dict[str, str]:
    """The environment of job subprocesses: ours, plus the settings given as flags here, so a
    job uses the same database and config as `scout --db ... schedule run`."""
    loaded = get_state().loaded()
    env = dict(os.environ)
    if loaded.config_file is not None:
        env["SCOUT_CONFIG"] = str(loaded.config_file.resolve())
    for key, source in loaded.sources.items():
        if source == "flag":
            value = getattr(loaded.settings, key)
            text = str(value).lower() if isinstance(value, bool) else str(value)
            env[f"SCOUT_{key.upper()}"] = text
    return env


def _scheduler(jobs: list[Job], lease: float) -> Scheduler:
    state = get_state()
    mark_lost(state.engine())
    return Scheduler(
        state.engine(),
        jobs,
        env=_child_env(),
        secrets=state.settings.secret_values(),
        lease=timedelta(seconds=lease),
    )


@schedule_app.command("list")
def schedule_list(
    jobs_file: Path | None = typer.Option(None, "--jobs", help=JOBS_HELP),
) -> None:
    """Show every job with its schedule, command, last run and next run.

    \b
    Example:
      scout schedule list --jobs config/jobs.example.toml
    """
    jobs = _jobs(jobs_file, [], include_disabled=True)
    if not jobs:
        console().print("No jobs in the jobs file.")
        return
    rows = {s.job.name: s for s in _scheduler([j for j in jobs if j.enabled], 120).status()}
    table = Table(title="Scheduled jobs (times in UTC)")
    for column in ("job", "source", "cron", "next run", "last run", "now"):
        table.add_column(column, no_wrap=True)
    table.add_column("command", overflow="fold")
    for job in jobs:
        row = rows.get(job.name)
        cron = job.cron if job.timezone == "UTC" else f"{job.cron} ({job.timezone})"
        if row is None:
            table.add_row(job.name, job.source, cron, "", "", "disabled", job.command_line)
            continue
        now = ""
        if row.holder:
            now = f"running on {row.holder}"
        elif row.due:
            now = f"due: {_when(row.due)}"
        last = f"{_when(row.last_started)} {row.last_status}" if row.last_started else "never"
        table.add_row(job.name, job.source, cron, _when(row.next_fire), last, now, job.command_line)
    console().print(table)


@schedule_app.command("run")
def schedule_run(
    jobs_file: Path | None = typer.Option(None, "--jobs", help=JOBS_HELP),
    job: list[str] = typer.Option([], "--job", help="Only this job (repeatable)."),
    once: bool = typer.Option(
        False, "--once", help="Run what is due now, wait for it and exit (for cron/systemd)."
    ),
    force: bool = typer.Option(
        False, "--force", help="With --once: run the selected jobs now even if not due."
    ),
    poll: float = typer.Option(30.0, min=1, help="Seconds between checks for due jobs."),
    lease: float = typer.Option(
        120.0, min=3, help="Seconds a job's lease lasts unless renewed (renewed every third)."
    ),
) -> None:
    """Run due jobs, each as a `scout` subprocess, once per fire time across all schedulers.

    Without --once it keeps running (Ctrl-C or SIGTERM stops it and its jobs). Missed fire
    times after downtime run once. Any number of schedulers may share one database. With
    --once it exits with the code of the worst job run (0 only if every job ended ok).

    \b
    Example:
      scout schedule run --jobs jobs.toml
      scout schedule run --once --jobs jobs.toml
      scout schedule run --once --force --job github-india --jobs jobs.toml
    """
    if force and not once:
        raise ScoutError("--force runs jobs now and exits: use it with --once")
    jobs = _jobs(jobs_file, job)
    if not jobs:
        raise ScoutError("no enabled jobs to run")
    scheduler = _scheduler(jobs, lease)
    # The "schedule" rows this process claims are kept alive like a crawl's own rows.
    with keep_alive(scheduler.engine):
        _schedule_run(scheduler, once, force, poll, len(jobs))


def _schedule_run(scheduler: Scheduler, once: bool, force: bool, poll: float, jobs: int) -> None:
    if once:
        outcomes = scheduler.run_once(force=force)
        if not outcomes:
            console().print("Nothing due.")
            return
        table = Table(title="Job runs")
        for column in ("run", "job", "fire time", "status", "exit code", "message"):
            table.add_column(column)
        for outcome in outcomes:
            table.add_row(
                str(outcome.run_id),
                outcome.job,
                _when(outcome.fire_time),
                outcome.status,
                "" if outcome.exit_code is None else str(outcome.exit_code),
                (outcome.message or "").splitlines()[-1] if outcome.message else "",
            )
        console().print(table)
        # The code of the worst job run: 0 only when every job ended ok.
        raise typer.Exit(exit_code(worst(o.status for o in outcomes)))

    def on_signal(signum: int, frame: FrameType | None) -> None:
        scheduler.stop()

    signal.signal(signal.SIGTERM, on_signal)
    err_console().print(f"Scheduler {scheduler.holder}: {jobs} job(s); Ctrl-C or SIGTERM stops it.")
    try:
        scheduler.serve(poll=poll)
    except KeyboardInterrupt:
        scheduler.stop()
        scheduler.wait()


def _note(run: CrawlRun) -> str:
    """The message column: a job run's fire time and exit code, then the last message line."""
    parts = []
    if run.source == SCHEDULE_SOURCE:
        fire = fire_time_of(run)
        if fire is not None:
            parts.append(f"fire {_when(fire)}")
        code = (run.stats or {}).get("exit_code")
        if code is not None:
            parts.append(f"exit {code}")
    message = (run.message or "").strip().splitlines()
    if message:
        parts.append(message[-1])
    return "; ".join(parts)


@app.command("runs")
def runs(
    job: str | None = typer.Option(None, "--job", help="Only runs of this job."),
    limit: int = typer.Option(20, "--limit", min=1, help="How many runs, newest first."),
) -> None:
    """Show the history of crawl and job runs: when, how long, how it ended, what it counted.

    A scheduled job has a row of source `schedule` (its fire time and exit code) and the
    crawl's own row, both under the job's name. A run whose process died (kill -9, power cut)
    is marked `lost` first: its process is gone from this host, or its heartbeat stopped.

    \b
    Example:
      scout runs --job github-india --limit 10
    """
    engine = get_state().engine()
    mark_lost(engine)
    with session_scope(engine) as session:
        history = run_history(session, job, limit)
    if not history:
        console().print(f"No runs of job {job!r} yet." if job else "No runs yet.")
        return
    table = runs_table("Runs (times in UTC)", history)
    notes = [f"#{run.id} {run.status}: {note}" for run in history if (note := _note(run))]
    out = console()
    out.print(table)
    # Messages under the table: a column would leave the counts no room.
    for note in notes:
        out.print(note)
