"""Jobs files: cron read as cron means it, arguments as command lines, one message per mistake."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import typer.main

from config.data import default_path
from config.errors import ConfigError
from scout.cli import app
from scout.jobs import (
    check_arguments,
    jobs_path,
    latest_fire,
    load_jobs,
    next_fire,
    parse_cron,
    select_jobs,
    to_argv,
)

MONDAY = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)  # 2024-01-01 was a Monday


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "jobs.toml"
    path.write_text(text)
    return path


def fires(expression: str, start: datetime, count: int, zone: str = "UTC") -> list[datetime]:
    trigger = parse_cron(expression, zone)
    out, now = [], start
    for _ in range(count):
        now = next_fire(trigger, now)
        out.append(now)
    return out


def test_weekday_numbers_follow_cron_not_apscheduler():
    # cron: 0 and 7 are Sunday, 1 is Monday (APScheduler 3 alone would read 0 as Monday)
    assert {f.strftime("%a") for f in fires("0 9 * * 0", MONDAY, 3)} == {"Sun"}
    assert {f.strftime("%a") for f in fires("0 9 * * 7", MONDAY, 3)} == {"Sun"}
    assert [f.strftime("%a") for f in fires("0 9 * * 1-5", MONDAY, 6)] == [
        "Tue",
        "Wed",
        "Thu",
        "Fri",
        "Mon",
        "Tue",
    ]
    assert [f.strftime("%a") for f in fires("0 9 * * */3", MONDAY, 3)] == ["Wed", "Sat", "Sun"]


def test_day_of_month_and_weekday_match_either_like_cron():
    days = [f.day for f in fires("0 0 13 * fri", datetime(2024, 9, 1, tzinfo=UTC), 6)]
    # Fridays of September 2024 (6, 13, 20, 27) and the 13th of each month
    assert days == [6, 13, 20, 27, 4, 11]


def test_timezone_and_macros():
    warsaw = fires("0 7 * * *", datetime(2024, 7, 1, tzinfo=UTC), 1, "Europe/Warsaw")[0]
    assert warsaw.astimezone(UTC).hour == 5  # 07:00 CEST
    assert fires("@hourly", datetime(2024, 1, 1, 10, 30, tzinfo=UTC), 2)[1].hour == 12


def test_latest_fire_is_the_last_one_at_or_before_now():
    every5 = parse_cron("*/5 * * * *")
    assert latest_fire(every5, datetime(2024, 1, 1, 10, 7, tzinfo=UTC)).minute == 5
    assert latest_fire(every5, datetime(2024, 1, 1, 10, 5, tzinfo=UTC)).minute == 5
    leap = latest_fire(parse_cron("0 0 29 2 *"), datetime(2027, 1, 1, tzinfo=UTC))
    assert leap == datetime(2024, 2, 29, tzinfo=UTC)


def test_table_arguments_become_options():
    argv = to_argv({"region": "india", "max_users": 50, "tag": ["a", "b"], "resume": True})
    assert argv == [
        "--region",
        "india",
        "--max-users",
        "50",
        "--tag",
        "a",
        "--tag",
        "b",
        "--resume",
    ]
    assert to_argv({"resume": False}) == []
    assert to_argv(["--location", "São Paulo"]) == ["--location", "São Paulo"]


def test_example_file_loads_and_every_job_parses_with_the_real_cli():
    path = default_path("jobs.example.toml")
    jobs = load_jobs(path, include_disabled=True)
    assert {job.source for job in jobs} >= {"github", "stackoverflow", "kaggle", "enrich", "rank"}
    check_arguments(jobs, typer.main.get_command(app), path)
    india = next(job for job in jobs if job.name == "github-india")
    assert india.command[:2] == ("crawl", "github") and "--resume" in india.command
    assert [job.name for job in load_jobs(path)] == [j.name for j in jobs if j.enabled]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '[jobs.nightly]\nsource = "github"\ncron = "61 * * * *"\n',
            "jobs.nightly.cron: invalid cron expression '61 * * * *'",
        ),
        (
            '[jobs.nightly]\nsource = "github"\ncron = "0 2 * *"\n',
            "expected 5 fields",
        ),
        (
            '[jobs.nightly]\nsource = "gitlab"\ncron = "0 2 * * *"\n',
            "jobs.nightly.source: unknown source 'gitlab' (one of: github,",
        ),
        (
            '[jobs.nightly]\nsource = "github"\ncron = "0 2 * * *"\ntimezone = "Mars/Base"\n',
            "jobs.nightly.timezone: unknown time zone 'Mars/Base'",
        ),
        ('[jobs.nightly]\nsource = "github"\n', "jobs.nightly.cron: Field required"),
        ("[jobs.nightly\n", "not valid TOML"),
    ],
)
def test_bad_jobs_files_name_the_file_and_job(tmp_path, text, expected):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_jobs(path)
    assert str(path) in caught.value.message
    assert expected in caught.value.message


def test_arguments_the_command_does_not_take_fail_at_load_time(tmp_path):
    path = write(
        tmp_path,
        '[jobs.india]\nsource = "github"\ncron = "0 2 * * *"\nargs = { regoin = "india" }\n',
    )
    with pytest.raises(ConfigError) as caught:
        check_arguments(load_jobs(path), typer.main.get_command(app), path)
    message = caught.value.message
    assert str(path) in message and "job 'india'" in message and "--regoin" in message


def test_unknown_job_and_missing_file(tmp_path):
    path = write(tmp_path, '[jobs.india]\nsource = "rank"\ncron = "@daily"\n')
    with pytest.raises(ConfigError, match=r"no job named 'nosuch' \(jobs: india\)"):
        select_jobs(load_jobs(path), ["nosuch"], path)
    with pytest.raises(ConfigError, match=r"jobs file .*missing.toml not found"):
        jobs_path(tmp_path / "missing.toml", None)
    # without --jobs: the setting, then ./jobs.toml (the tests run in tmp_path)
    assert jobs_path(None, None) == Path("jobs.toml")
    assert next_fire(load_jobs(path)[0].trigger, MONDAY) - MONDAY == timedelta(hours=12)


SHORTLIST_JOB = '[jobs.weekly]\nsource = "shortlist"\ncron = "0 7 * * mon"\nargs = {{ {args} }}\n'


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            'region = "nowhere", output = "s.csv"',
            "job 'weekly': args.region: unknown region 'nowhere'; known regions: "
            "Eastern Europe (eastern_europe), India, Latin America (latin_america)",
        ),
        ('skill = "blockchain", output = "s.csv"', "args.skill: unknown skill 'blockchain'"),
        ('source = "gitlab", output = "s.csv"', "args.source: unknown source 'gitlab'"),
        ('country = "Narnia", output = "s.csv"', "args.country: unknown country 'Narnia'"),
        ("top = -5, output = 's.csv'", "args.top: -5 is negative"),
        ('active_since = "May", output = "s.csv"', "args.active_since: 'May' is not a date"),
        (
            'regoin = "india", output = "s.csv"',
            "args.regoin: `scout shortlist` has no option --regoin (its options: active_since,",
        ),
        ('region = ["india", "eastern-europe"], output = "s.csv"', "args.region: takes one value"),
        ('exclude_contacted = "yes", output = "s.csv"', "args.exclude_contacted: a switch: true"),
        ('top = true, output = "s.csv"', "args.top: needs a value (integer), not True"),
        ('top = "fifty", output = "s.csv"', "'fifty' is not a valid integer"),
    ],
)
def test_job_values_are_checked_when_the_file_is_loaded(tmp_path, args, expected):
    path = write(tmp_path, SHORTLIST_JOB.format(args=args))
    with pytest.raises(ConfigError) as caught:
        check_arguments(load_jobs(path), typer.main.get_command(app), path)
    message = caught.value.message
    assert message.startswith(f"{path}: job 'weekly': "), message
    assert expected in message and "\n" not in message


def test_values_a_user_types_pass_and_a_word_list_is_checked_too(tmp_path):
    ok = 'region = "Eastern Europe", skill = "MLOps", country = "Polska", top = 0, output = "s.csv"'
    path = write(tmp_path, SHORTLIST_JOB.format(args=ok))
    check_arguments(load_jobs(path), typer.main.get_command(app), path)
    path = write(
        tmp_path,
        '[jobs.india]\nsource = "github"\ncron = "0 2 * * *"\nargs = ["--region", "Indai"]\n',
    )
    with pytest.raises(ConfigError, match=r"job 'india': `scout crawl github --region Indai`: "):
        check_arguments(load_jobs(path), typer.main.get_command(app), path)
