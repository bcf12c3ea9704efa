"""`scout doctor`: is everything a crawl needs in place? One table, exit 1 on any FAIL."""

from __future__ import annotations

import json

import typer
from rich.table import Table

from config.errors import ScoutError
from scout.app import app, console, get_state
from scout.doctor import run_checks
from scout.doctor_local import Check, worst

STYLES = {"OK": "green", "WARN": "yellow", "FAIL": "bold red"}


@app.command()
def doctor(
    as_json: bool = typer.Option(False, "--json", help="Machine-readable results on stdout."),
    offline: bool = typer.Option(
        False, "--offline", help="Skip network calls: credentials are only checked for presence."
    ),
    timeout: float = typer.Option(5.0, "--timeout", min=0.1, help="Seconds per network check."),
    kaggle_api_url: str | None = typer.Option(
        None,
        "--kaggle-api-url",
        envvar="SCOUT_KAGGLE_API_URL",
        help="Kaggle API root to check against (the sandbox: http://127.0.0.1:8765/kaggle).",
    ),
) -> None:
    """Check the database, credentials, Redis and config files; exit 1 if any check fails.

    The database: reachable, schema at head, behind or newer (nothing is upgraded). Credentials:
    GITHUB_TOKEN through GET /rate_limit (free), STACKEXCHANGE_KEY through one /users call,
    Kaggle username and key through the dataset file list; each row names the URL it called,
    never the secret. Redis (when redis_url is set): PING. Config files: each parses and
    validates. Crawl runs: runs whose process died are marked lost, and those of the last 7 days
    are named (id, source, job, start), with any running row whose heartbeat stopped (a hung
    crawl). WARN rows (an unset token, an older schema that will be upgraded, a lost run) do
    not fail.

    \b
    Example:
      scout doctor
      scout doctor --json | jq '.checks[] | select(.status != "OK")'
      GITHUB_TOKEN=bad SCOUT_GITHUB_API_URL=http://127.0.0.1:8765/github scout doctor
    """
    state = get_state()
    try:
        loaded = state.loaded()
    except ScoutError as exc:
        # Without settings nothing else can be checked; say so in the same report form.
        checks = [Check("settings", "FAIL", exc.message, "scout.toml / SCOUT_* environment")]
    else:
        checks = run_checks(
            loaded,
            network=not offline,
            timeout=timeout,
            kaggle_api_url=kaggle_api_url,
            commands=typer.main.get_command(app),  # type: ignore[arg-type]  # a Group: the app
        )
    overall = worst(checks)
    if as_json:
        report = {"status": overall, "checks": [c.as_dict() for c in checks]}
        typer.echo(json.dumps(report, indent=2))
    else:
        table = Table(title="scout doctor")
        table.add_column("check", no_wrap=True)
        table.add_column("status", no_wrap=True)
        table.add_column("detail")
        table.add_column("where", overflow="fold")
        for check in checks:
            status = f"[{STYLES[check.status]}]{check.status}[/]"
            table.add_row(check.name, status, check.detail, check.target)
        out = console()
        out.print(table)
        fails = sum(c.status == "FAIL" for c in checks)
        warns = sum(c.status == "WARN" for c in checks)
        out.print(f"{fails} failed, {warns} warning(s), {len(checks) - fails - warns} OK")
    if overall == "FAIL":
        raise typer.Exit(1)
