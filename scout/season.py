"""A season rehearsal: a jobs file run night after night against the sandbox's living world.

The sandbox's world changes every simulated day (sandbox.world_days). A season
serves it in-process, copies the jobs file with its URLs, paths and sizes pointed at the
sandbox, and for each day moves the world to that day (`POST /_sandbox/advance?to=N`) and runs
the real `scout schedule run --once --jobs COPY` at every fire time of the jobs that day, with
`SCOUT_NOW` set to that time (config/clock.py): the scheduler decides what is due as cron
calling it at that minute would, and hands its now to the jobs it spawns. One scheduler per
fire time, not one per day: a job that never ran is due only at a fire time after its
scheduler started, as with cron running `--once` every minute, and the stages (enrich, rank,
shortlist) must run after the crawls they follow, not beside them.

After each day it records what the day cost and gave (`DayFigures`): profiles new and
changed in the database, GitHub points and REST requests and Stack Exchange requests the
sandbox served. scout.season_check compares the database with the world's hidden truth.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
import tomllib
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, select
from typer.testing import CliRunner

from config.clock import forget_rehearsals
from config.data import default_path
from sandbox.model import SandboxOptions, World
from sandbox.server import SandboxServer
from sandbox.world import generate
from scout.jobs import load_jobs, next_fire
from storage.models import CrawlRun, Profile

TOKEN = "ghp_" + "s" * 36  # the sandbox accepts any well-formed token
EXAMPLE_JOBS = default_path("jobs.example.toml")


@dataclass(frozen=True)
class SeasonSpec:
    """What to rehearse: a world (seed, people), how many days, and the jobs file."""

    seed: int = 7
    people: int = 400
    # The simulated days run, in order (0 = the first world); a gap is a machine switched off
    # for those days: the scheduler then runs each job once, for its latest fire time.
    days: tuple[int, ...] = tuple(range(31))
    jobs_file: Path = EXAMPLE_JOBS
    # Job arguments replaced in the copy, e.g. {"github-india": {"max_users": 40}}.
    args: dict[str, dict[str, Any]] = field(default_factory=dict)
    # No limit the harness did not choose should make a season wait on the wall clock.
    options: SandboxOptions = field(
        default_factory=lambda: SandboxOptions(rate_limit=10_000_000, search_per_minute=1_000_000)
    )


@dataclass
class Tick:
    """One `scout schedule run --once`: when, on which day, how it ended and what ran."""

    at: datetime
    day: int
    exit_code: int
    seconds: float
    output: str


@dataclass
class DayFigures:
    """What one simulated day's jobs cost and gave."""

    day: int
    profiles: Counter[str]  # source -> profiles stored at the end of the day
    new: Counter[str]  # source -> profiles first stored today
    changed: Counter[str]  # source -> stored profiles whose content changed today
    last_seen: dict[str, datetime]  # GitHub external id -> last_seen at the end of the day
    graphql_points: int
    rest_billed: int  # REST core requests that were not 304s
    se_requests: int
    ticks: list[Tick]

    @property
    def points(self) -> int:
        return self.graphql_points + self.rest_billed


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"no TOML for {type(value).__name__}")


def write_jobs(source: Path, target: Path, sandbox: SandboxServer, args: dict[str, Any]) -> Path:
    """A copy of the jobs file with `args` merged into its jobs' arguments and the Kaggle
    download pointed at the sandbox (other APIs are reached through settings in the env)."""
    spec = tomllib.loads(source.read_text(encoding="utf-8"))
    lines = [f"timezone = {_toml_value(spec.get('timezone', 'UTC'))}", ""]
    for name, job in spec.get("jobs", {}).items():
        job = dict(job)
        merged = dict(job.get("args") or {})
        if job["source"] == "kaggle" and merged.get("download"):
            merged["api_url"] = sandbox.kaggle_url
        merged.update(args.get(name, {}))
        job["args"] = merged
        lines.append(f"[jobs.{name}]")
        lines += [f"{key} = {_toml_value(value)}" for key, value in job.items()]
        lines.append("")
    target.write_text("\n".join(lines), encoding="utf-8")
    return target


def fire_times(jobs_file: Path, start: datetime, end: datetime) -> list[datetime]:
    """Every instant in [start, end) at which some enabled job of the file fires."""
    times: set[datetime] = set()
    for job in load_jobs(jobs_file):
        fire = next_fire(job.trigger, start - timedelta(microseconds=1))
        while fire is not None and fire < end:
            times.add(fire)
            fire = next_fire(job.trigger, fire)
    return sorted(times)


class Season:
    """Runs a `SeasonSpec` in `workdir` (database, jobs copy, downloads, shortlists)."""

    def __init__(self, spec: SeasonSpec, workdir: Path, world: World | None = None) -> None:
        self.spec = spec
        self.workdir = workdir
        self.world = world or generate(spec.seed, spec.people)
        self.db_url = f"sqlite:///{workdir / 'season.db'}"
        self.server = SandboxServer(self.world, spec.options)
        self.jobs_path = workdir / "jobs.toml"
        self.days: list[DayFigures] = []
        self.seconds = 0.0
        self._engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = create_engine(self.db_url)
        return self._engine

    def env(self, now: datetime) -> dict[str, str | None]:
        """The scheduler's environment (its jobs inherit it): the sandbox's URLs, a token, the
        database, SCOUT_NOW; no other setting or secret of the caller's (None unsets it)."""
        mine = ("GITHUB_TOKEN", "STACKEXCHANGE_KEY", "KAGGLE_USERNAME", "KAGGLE_KEY")
        env: dict[str, str | None] = {
            k: None for k in os.environ if k.startswith("SCOUT_") or k in mine
        }
        env.update(
            SCOUT_DB_URL=self.db_url,
            SCOUT_GITHUB_API_URL=self.server.github_url,
            SCOUT_STACKEXCHANGE_API_URL=self.server.stackexchange_url,
            SCOUT_NOW=now.isoformat(),
            GITHUB_TOKEN=TOKEN,
            # A sourcer's Stack Exchange key: 10,000 requests a day instead of the 300 an IP
            # gets without one, which the weekly job's answers discovery would run out of.
            STACKEXCHANGE_KEY="sandbox-se-key",
            KAGGLE_USERNAME="sandbox",
            KAGGLE_KEY="sandbox-key",
        )
        return env

    def world_on(self, day: int) -> World:
        """The world the sandbox served on `day` (its truth is `world.truth`)."""
        return self.server.timeline.at(day)

    def run(self, progress: Any = None) -> list[DayFigures]:
        """Every day 0..days: advance the sandbox, run each fire time, note the figures."""
        forget_rehearsals()  # an earlier season in this process rehearsed the same dates
        began = time.monotonic()
        with self.server:
            write_jobs(self.spec.jobs_file, self.jobs_path, self.server, self.spec.args)
            profiles: dict[tuple[str, str], str | None] = {}
            for day in self.spec.days:
                now = self._advance(day)
                stats = self._sandbox_stats()
                ticks = [
                    self._tick(at, day)
                    for at in fire_times(self.jobs_path, now, now + timedelta(days=1))
                ]
                after = self._sandbox_stats()
                figures = self._figures(day, profiles, stats, after, ticks)
                self.days.append(figures)
                if progress is not None:
                    progress(figures)
        self.seconds = time.monotonic() - began
        return self.days

    def _advance(self, day: int) -> datetime:
        url = f"{self.server.base_url}/_sandbox/advance?to={day}"
        with urllib.request.urlopen(urllib.request.Request(url, method="POST")) as answer:
            info = json.load(answer)
        if info["day"] != day:
            raise RuntimeError(f"the sandbox moved to day {info['day']}, not {day}")
        return datetime.fromisoformat(info["now"])

    def _sandbox_stats(self) -> dict[str, int]:
        with urllib.request.urlopen(self.server.base_url + "/_sandbox/stats") as answer:
            return dict(json.load(answer))

    def _tick(self, at: datetime, day: int) -> Tick:
        """`scout schedule run --once --jobs COPY` at `at`. The scheduler runs in this process
        (it is the CLI's own command; its start-up would double a season's time), its jobs in
        their own processes as always."""
        import scout.cli  # noqa: F401  (registers every command on the app)
        from scout.app import app

        args = ["schedule", "run", "--once", "--jobs", str(self.jobs_path)]
        began = time.monotonic()
        with contextlib.chdir(self.workdir):
            done = CliRunner().invoke(app, args, env=self.env(at))
        seconds = round(time.monotonic() - began, 2)
        return Tick(at.astimezone(UTC), day, done.exit_code, seconds, done.output.strip())

    def _figures(
        self,
        day: int,
        seen: dict[tuple[str, str], str | None],
        before: dict[str, int],
        after: dict[str, int],
        ticks: list[Tick],
    ) -> DayFigures:
        def spent(key: str) -> int:
            return after.get(key, 0) - before.get(key, 0)

        profiles: Counter[str] = Counter()
        new: Counter[str] = Counter()
        changed: Counter[str] = Counter()
        last_seen: dict[str, datetime] = {}
        columns = (Profile.source, Profile.external_id, Profile.content_sha, Profile.last_seen)
        with self.engine.connect() as conn:
            for source, external_id, sha, seen_at in conn.execute(select(*columns)):
                key = (str(source), str(external_id))
                if source == "github":
                    last_seen[key[1]] = seen_at
                profiles[key[0]] += 1
                if key not in seen:
                    new[key[0]] += 1
                elif seen[key] != sha:
                    changed[key[0]] += 1
                seen[key] = sha
        rest = spent("github.requests") - spent("github.graphql") - spent("github.304")
        rest -= spent("github.rest./rate_limit")
        return DayFigures(
            day=day,
            profiles=profiles,
            new=new,
            changed=changed,
            last_seen=last_seen,
            graphql_points=spent("github.graphql.points"),
            rest_billed=rest,
            se_requests=spent("stackexchange.requests"),
            ticks=ticks,
        )

    def runs_by_status(self) -> Counter[str]:
        """crawl_runs rows by (source, status): the scheduler's own rows are source schedule."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(CrawlRun.source, CrawlRun.status))
            return Counter(f"{source}:{status}" for source, status in rows)
