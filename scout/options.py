"""Option values a user types, made canonical while the command line is parsed.

Each is a click callback: `--region "Eastern Europe"` reaches the command as `eastern_europe`,
and an unknown value is one line naming the option (exit 2). A jobs file's arguments are parsed
by the same command line when it is loaded (scout.jobs.check_arguments), so a job with
`region = "nowhere"` fails then, naming the file, the job and the key, not at 7 a.m.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import click

from config.errors import ConfigError, ScoutError
from scout.app import get_state

T = TypeVar("T")


class OptionValueError(ScoutError):
    """An option's value refused: `--region: unknown region 'mars'; known regions: ...`."""

    def __init__(self, param: click.Parameter, reason: str) -> None:
        self.option = max(param.opts, key=len) if param.opts else str(param.name)
        self.key = str(param.name)  # the jobs file's key for it: min_score for --min-score
        self.reason = reason
        super().__init__(f"{self.option}: {reason}")


def checked(make: Callable[[Any], T]) -> Callable[[click.Context, click.Parameter, Any], Any]:
    """A click callback: None passes (the option was not given); anything else goes through
    `make`, whose ScoutError becomes an OptionValueError naming the option (a ConfigError,
    a data file's fault, keeps naming the file)."""

    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        if value is None:
            return None
        try:
            return make(value)
        except ConfigError:
            raise  # a broken regions.toml or skills.toml: its own message, naming the file
        except ScoutError as exc:
            raise OptionValueError(param, exc.message) from exc

    return callback


def _region(value: str) -> str:
    from config.regions import resolve_region

    return resolve_region(value, get_state().settings.regions_file)


def _skill(value: str) -> str:
    from config.skills import load_skills, skill_key

    return skill_key(value, load_skills(get_state().settings.skills_file))


def _country(value: str) -> str:
    from enrich.location.countries import country_code

    return country_code(value)


def _source(value: str) -> str:
    from scoring.filters import source_name

    return source_name(value)


def _count(value: int) -> int:
    if value < 0:
        raise ScoutError(f"{value} is negative: give how many (0: all)")
    return value


def _date(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    except ValueError as exc:
        raise ScoutError(f"{value!r} is not a date like 2025-01-31") from exc


region = checked(_region)
skill = checked(_skill)
country = checked(_country)
source = checked(_source)
count = checked(_count)
date = checked(_date)
