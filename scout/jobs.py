"""Scheduled jobs: the jobs TOML file, cron expressions and the `scout` command each job runs.

A job is a name, a source (which `scout` command), its arguments and a standard 5-field cron
expression. Cron is read as cron means it (0 and 7 are Sunday; a restricted day-of-month and
day-of-week match either), not as APScheduler 3.x reads it (0 is Monday, both must match);
APScheduler's CronTrigger does the calendar arithmetic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger
from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from config.data import load_toml_model
from config.errors import ConfigError, ScoutError
from scout.options import OptionValueError

# source -> the `scout` command it runs. Crawls are sources; so are the stages a sourcer
# chains after them (enrich, rank, shortlist) and housekeeping.
SOURCES: dict[str, tuple[str, ...]] = {
    "github": ("crawl", "github"),
    "stackoverflow": ("crawl", "stackoverflow"),
    "kaggle": ("crawl", "kaggle"),
    "huggingface": ("crawl", "huggingface"),
    "pypi": ("crawl", "pypi"),
    "github-refresh": ("refresh", "github"),
    "enrich": ("enrich",),
    "rank": ("rank",),
    "shortlist": ("shortlist",),
    "purge": ("purge",),
}
MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$")
ArgValue = str | int | float | bool | list[str | int | float]


def _day(token: str) -> int:
    if token.isdigit() and int(token) <= 7:
        return int(token)
    if token in DAY_NAMES:
        return DAY_NAMES.index(token)
    raise ValueError(f"day of week {token!r} is not 0-7 or sun-sat")


def cron_days_of_week(field: str) -> str:
    """A cron day-of-week field (0 or 7 = Sunday) as APScheduler day names."""
    if field in ("*", "?"):
        return "*"
    days: set[int] = set()
    for item in field.lower().split(","):
        part, slash, step_text = item.partition("/")
        if slash and not (step_text.isdigit() and int(step_text) > 0):
            raise ValueError(f"step {step_text!r} in day of week is not a positive number")
        step = int(step_text) if slash else 1
        if part == "*":
            low, high = 0, 6
        elif "-" in part:
            first, last = part.split("-", 1)
            low, high = _day(first), _day(last)
        else:
            low = _day(part)
            high = 6 if slash else low
        if low > high:
            raise ValueError(f"day-of-week range {part!r} runs backwards")
        days.update(day % 7 for day in range(low, high + 1, step))
    return ",".join(DAY_NAMES[day] for day in sorted(days))


def parse_cron(expression: str, timezone: str = "UTC") -> BaseTrigger:
    """A trigger for a 5-field cron expression (or @daily etc.) in `timezone`; ValueError if bad."""
    expression = MACROS.get(expression.strip().lower(), expression)
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(f"expected 5 fields (minute hour day month weekday), got {len(fields)}")
    minute, hour, day, month, weekday = fields
    zone = ZoneInfo(timezone)
    days = cron_days_of_week(weekday)

    def trigger(day_field: str, weekday_field: str) -> CronTrigger:
        return CronTrigger(
            minute=minute,
            hour=hour,
            day=day_field,
            month=month,
            day_of_week=weekday_field,
            timezone=zone,
        )

    if not day.startswith("*") and not weekday.startswith("*"):
        # Cron runs when either the day of month or the day of week matches.
        return OrTrigger([trigger(day, "*"), trigger("*", days)])
    return trigger(day, days)


def latest_fire(trigger: BaseTrigger, now: datetime) -> datetime | None:
    """The last fire time at or before `now` (None if there was none in ~8 years)."""
    span = timedelta(seconds=1)
    while span < timedelta(days=3000):
        fire: datetime | None = trigger.get_next_fire_time(None, now - span)
        if fire is not None and fire <= now:
            while True:
                after: datetime | None = trigger.get_next_fire_time(
                    None, fire + timedelta(microseconds=1)
                )
                if after is None or after > now:
                    return fire
                fire = after
        span *= 2
    return None


def next_fire(trigger: BaseTrigger, now: datetime) -> datetime | None:
    """The first fire time strictly after `now`."""
    fire: datetime | None = trigger.get_next_fire_time(None, now + timedelta(microseconds=1))
    return fire


def to_argv(args: dict[str, ArgValue] | list[str]) -> list[str]:
    """Job arguments as command-line words.

    A list is passed as written. A table becomes options: `max_users = 20` is
    `--max-users 20`, a list repeats the option, `true` adds a switch (`resume = true` is
    `--resume`) and `false` leaves it out.
    """
    if isinstance(args, list):
        return [str(word) for word in args]
    argv: list[str] = []
    for key, value in args.items():
        option = "--" + key.replace("_", "-")
        if isinstance(value, bool):
            if value:
                argv.append(option)
        elif isinstance(value, list):
            for item in value:
                argv += [option, str(item)]
        else:
            argv += [option, str(value)]
    return argv


class JobSpec(BaseModel):
    """One `[jobs.NAME]` table of the jobs file."""

    model_config = ConfigDict(extra="forbid")

    source: str
    cron: str
    args: dict[str, ArgValue] | list[str] = Field(default_factory=dict)
    timezone: str | None = None
    description: str = ""
    enabled: bool = True

    @field_validator("source")
    @classmethod
    def _known_source(cls, value: str) -> str:
        if value not in SOURCES:
            raise PydanticCustomError(
                "source",
                "unknown source {source} (one of: {known})",
                {"source": repr(value), "known": ", ".join(SOURCES)},
            )
        return value

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, value: str) -> str:
        try:
            parse_cron(value)
        except ValueError as exc:
            raise PydanticCustomError(
                "cron",
                "invalid cron expression {cron}: {reason}",
                {"cron": repr(value), "reason": str(exc)},
            ) from exc
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        return None if value is None else _zone(value)


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise PydanticCustomError(
            "timezone",
            "unknown time zone {zone} (an IANA name such as Europe/Warsaw)",
            {"zone": repr(value)},
        ) from exc
    return value


class JobsFile(BaseModel):
    """The jobs file: a default time zone and one table per job."""

    model_config = ConfigDict(extra="forbid")

    timezone: str = "UTC"
    jobs: dict[str, JobSpec] = Field(default_factory=dict)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return _zone(value)

    @field_validator("jobs")
    @classmethod
    def _valid_names(cls, value: dict[str, JobSpec]) -> dict[str, JobSpec]:
        for name in value:
            if not NAME_RE.match(name):
                raise PydanticCustomError(
                    "job_name",
                    "job name {name}: use letters, digits, '-', '_' or '.'",
                    {"name": repr(name)},
                )
        return value


@dataclass(frozen=True)
class Job:
    """A job ready to schedule: its trigger and the `scout` command line it runs."""

    name: str
    source: str
    cron: str
    timezone: str
    command: tuple[str, ...]
    trigger: BaseTrigger
    description: str = ""
    enabled: bool = True
    args: dict[str, ArgValue] | list[str] = field(default_factory=dict)  # as written

    @property
    def command_line(self) -> str:
        return "scout " + " ".join(_quote(word) for word in self.command)


def _quote(word: str) -> str:
    return word if word and re.fullmatch(r"[\w@%+=:,./-]+", word) else repr(word)


def load_jobs(path: Path, include_disabled: bool = False) -> list[Job]:
    """Read and check a jobs file; any mistake is a ConfigError naming the file and job."""
    spec = load_toml_model(path, JobsFile)
    jobs = []
    for name, job in spec.jobs.items():
        if not job.enabled and not include_disabled:
            continue
        zone = job.timezone or spec.timezone
        jobs.append(
            Job(
                name=name,
                source=job.source,
                cron=job.cron,
                timezone=zone,
                command=(*SOURCES[job.source], *to_argv(job.args)),
                trigger=parse_cron(job.cron, zone),
                description=job.description,
                enabled=job.enabled,
                args=job.args,
            )
        )
    return jobs


def jobs_path(given: Path | None, configured: Path | None) -> Path:
    """The jobs file: --jobs, else the jobs_file setting, else ./jobs.toml."""
    path = given or configured or Path("jobs.toml")
    if not path.exists():
        raise ConfigError(
            f"jobs file {path} not found: pass --jobs FILE or set jobs_file in scout.toml "
            "(config/jobs.example.toml shows the form)"
        )
    return path


def select_jobs(jobs: list[Job], names: list[str], path: Path) -> list[Job]:
    """The jobs named (all when none are); an unknown name is a ConfigError."""
    if not names:
        return jobs
    known = {job.name: job for job in jobs}
    unknown = [name for name in names if name not in known]
    if unknown:
        listed = ", ".join(known) or "none"
        raise ConfigError(f"{path}: no job named {unknown[0]!r} (jobs: {listed})")
    return [known[name] for name in dict.fromkeys(names)]


def _check_table(job: Job, command: click.Command, where: str) -> None:
    """A table of arguments against the command's options: each key an option, a switch given
    true or false, a list only where the option repeats; the message names the key."""
    if not isinstance(job.args, dict):
        return  # words as written: the command line parser below judges them
    options = {p.name: p for p in command.params if isinstance(p, click.Option) and p.name}
    options.pop("help", None)
    for key, value in job.args.items():
        param = options.get(key.replace("-", "_"))
        at = f"{where}: args.{key}"
        if param is None:
            known = ", ".join(sorted(options))
            raise ConfigError(
                f"{at}: `scout {' '.join(SOURCES[job.source])}` has no option "
                f"--{key.replace('_', '-')} (its options: {known})"
            )
        if param.is_flag and not isinstance(value, bool):
            raise ConfigError(f"{at}: a switch: true or false, not {value!r}")
        if isinstance(value, bool) and not param.is_flag:
            raise ConfigError(f"{at}: needs a value ({param.type.name}), not {value}")
        if isinstance(value, list) and not param.multiple:
            raise ConfigError(f"{at}: takes one value, not a list")


def check_arguments(jobs: list[Job], root: click.Group, path: Path) -> None:
    """Parse every job's command line with the real CLI, so a typo fails now, not at 2 a.m.:
    option names, value types and the values themselves (a region, skill, source or country
    the option refuses, a negative count), each message naming the file, the job and the key."""
    for job in jobs:
        group: click.Command = root
        parent = click.Context(root, info_name="scout")
        words = list(job.command)
        depth = len(SOURCES[job.source])
        where = f"{path}: job {job.name!r}"
        for word in words[:depth]:
            sub = group.get_command(parent, word) if isinstance(group, click.Group) else None
            if sub is None:
                raise ConfigError(
                    f"{where}: this scout has no `{' '.join(words[:depth])}` "
                    f"command for source {job.source!r}"
                )
            group = sub
        _check_table(job, group, where)
        try:
            context: Any = group.make_context(words[depth - 1], words[depth:], parent=parent)
            context.close()
        except click.ClickException as exc:
            raise ConfigError(f"{where}: `{job.command_line}`: {exc.format_message()}") from exc
        except OptionValueError as exc:  # an option's own check of its value
            at = f"args.{exc.key}" if isinstance(job.args, dict) else f"`{job.command_line}`"
            raise ConfigError(f"{where}: {at}: {exc.reason}") from exc
        except ScoutError as exc:
            raise ConfigError(f"{where}: `{job.command_line}`: {exc.message}") from exc
