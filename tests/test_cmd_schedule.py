"""`scout schedule list|run` and `scout runs` as a sourcer uses them."""

from __future__ import annotations

from datetime import UTC, datetime

from helpers import invoke
from typer.testing import CliRunner

from scout.jobs import next_fire, parse_cron

runner = CliRunner()

JOBS = """
[jobs.refresh]
source = "github-refresh"
cron = "0 0 1 1 *"
args = { stale_days = 0 }

[jobs.backwards]
source = "github"
cron = "30 6 * * mon-fri"
timezone = "Europe/Warsaw"
# Valid option by option, so it loads; the crawl itself refuses the backwards dates (exit 2).
args = { region = "india", created_since = "2030-01-01", created_until = "2020-01-01" }

[jobs.parked]
source = "rank"
cron = "@daily"
enabled = false
"""


def scout(db_url, *args):
    return invoke(*args, db=db_url)


def table_rows(output: str) -> dict[str, list[str]]:
    """A rich table's rows by first cell; wrapped cells are joined back with spaces."""
    rows: dict[str, list[str]] = {}
    last: list[str] = []
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.split("│")[1:-1]]
        if not cells:
            continue
        if cells[0]:
            last = rows[cells[0]] = cells
        elif last:
            last[:] = [f"{a} {b}".strip() for a, b in zip(last, cells, strict=True)]
    return rows


def test_list_run_and_runs(sqlite_url, tmp_path):
    (tmp_path / "jobs.toml").write_text(JOBS)  # ./jobs.toml is the default jobs file
    now = datetime.now(UTC)
    listed = scout(sqlite_url, "schedule", "list")
    assert listed.exit_code == 0, listed.output
    rows = table_rows(listed.output)
    refresh_next = next_fire(parse_cron("0 0 1 1 *"), now).strftime("%Y-%m-%d %H:%M")
    assert rows["refresh"][1:5] == ["github-refresh", "0 0 1 1 *", refresh_next, "never"]
    assert "scout refresh github --stale-days 0" in rows["refresh"][6]
    assert rows["backwards"][2] == "30 6 * * mon-fri (Europe/Warsaw)"
    assert rows["parked"][5] == "disabled"

    ran = scout(
        sqlite_url, "schedule", "run", "--once", "--force", "--job", "refresh", "--job", "backwards"
    )
    assert ran.exit_code == 4, ran.output  # one job failed: the worst run's exit code
    ran_rows = table_rows(ran.output)
    assert ran_rows["1"][1:5] == ["refresh", ran_rows["1"][2], "ok", "0"]
    assert ran_rows["2"][1] == "backwards" and ran_rows["2"][3:5] == ["failed", "2"]
    assert "--created-since 2030-01-01 is after --created-until 2020-01-01" in ran.output

    history = scout(sqlite_url, "runs")
    assert history.exit_code == 0, history.output
    by_id = table_rows(history.output)
    assert by_id["1"][1:3] == ["refresh", "schedule"] and by_id["1"][5] == "ok"
    assert by_id["2"][1:3] == ["backwards", "schedule"] and by_id["2"][5] == "failed"
    # errors is the 5th of the count columns; fire time and exit code lead the message
    assert by_id["2"][6 + 4] == "1"
    assert "\n#2 failed: fire " in history.output and "; exit 2; " in history.output
    # the crawl's own row carries the job's name
    assert ["refresh", "github"] in [row[1:3] for row in by_id.values()]

    one = table_rows(scout(sqlite_url, "runs", "--job", "refresh", "--limit", "1").output)
    assert list(one) == [max(k for k, v in by_id.items() if v[1] == "refresh")]
    assert "No runs of job 'nosuch' yet." in scout(sqlite_url, "runs", "--job", "nosuch").output

    again = table_rows(scout(sqlite_url, "schedule", "list").output)
    assert again["refresh"][4].endswith(" ok") and again["backwards"][4].endswith(" failed")


def test_bad_input_is_one_message_and_exit_2(sqlite_url, tmp_path):
    jobs = tmp_path / "jobs.toml"
    jobs.write_text(JOBS)
    cases = [
        (
            ["schedule", "run", "--once", "--job", "nosuch"],
            "Error: jobs.toml: no job named 'nosuch' (jobs: refresh, backwards)",
        ),
        (["schedule", "run", "--force"], "--force runs jobs now and exits: use it with --once"),
        (["schedule", "list", "--jobs", "missing.toml"], "jobs file missing.toml not found"),
    ]
    bad = tmp_path / "bad.toml"
    bad.write_text('[jobs.nightly]\nsource = "github"\ncron = "0 25 * * *"\n')
    cases.append((["schedule", "list", "--jobs", str(bad)], f"{bad}: jobs.nightly.cron: invalid"))
    typo = tmp_path / "typo.toml"
    typo.write_text('[jobs.so]\nsource = "stackoverflow"\ncron = "@daily"\nargs = { tags = "x" }\n')
    cases.append(
        (
            ["schedule", "run", "--jobs", str(typo)],
            "job 'so': args.tags: `scout crawl stackoverflow` has no option --tags (its options: ",
        )
    )
    for args, message in cases:
        result = scout(sqlite_url, *args)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output, (args, result.output)
        assert "Traceback" not in result.output


def test_a_job_with_a_value_its_command_refuses_stops_every_schedule_command(sqlite_url, tmp_path):
    (tmp_path / "jobs.toml").write_text(JOBS.replace('region = "india"', 'region = "atlantis"'))
    for args in (["schedule", "list"], ["schedule", "run", "--once", "--force"]):
        result = scout(sqlite_url, *args)
        assert result.exit_code == 2, result.output
        assert result.output.strip().splitlines() == [
            "Error: jobs.toml: job 'backwards': args.region: unknown region 'atlantis'; known "
            "regions: Eastern Europe (eastern_europe), India, Latin America (latin_america)"
        ]
    assert "No runs yet." in scout(sqlite_url, "runs").output  # nothing ran
