"""`scout crawl github`: discover GitHub users by search; the settings every GitHub command uses."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from config.clock import utcnow
from config.errors import ScoutError
from config.settings import Settings
from crawlers.github.query import REWALK_DAYS
from scout import options
from scout.app import console, err_console, get_state
from scout.cmd_crawl import crawl_app
from scout.runs import count, crawl_command

API_URL_HELP = (
    "GitHub API root (GitHub Enterprise: https://HOST/api/v3; default SCOUT_GITHUB_API_URL)."
)


def github_settings(api_url: str | None) -> Settings:
    """The settings with --api-url applied; says on stderr when no token is set."""
    settings = get_state().loaded(github_api_url=api_url).settings
    if settings.github_token is None:
        err_console().print(
            "No GITHUB_TOKEN set: running at GitHub's anonymous rate limit "
            "(github.com's GraphQL search needs a token)."
        )
    return settings


def _reset_in(reset: float | None) -> str:
    if reset is None:
        return "?"
    seconds = max(0, int(reset - time.time()))
    return f"{seconds // 60}m{seconds % 60:02d}s"


@crawl_app.command("github")
def crawl_github(
    region: str | None = typer.Option(
        None,
        callback=options.region,
        help="A region of regions.toml by name or key: 'Eastern Europe', eastern-europe, india.",
    ),
    location: list[str] = typer.Option(
        [], "--location", help="A location search term (repeatable), e.g. Bengaluru."
    ),
    exclude: list[str] = typer.Option(
        [], "--exclude", help="A location to leave out (repeatable), e.g. Indiana."
    ),
    language: str | None = typer.Option(None, help="Users whose repositories use a language."),
    min_followers: int | None = typer.Option(None, min=0, help="At least this many followers."),
    created_since: datetime | None = typer.Option(
        None, formats=["%Y-%m-%d"], help="Accounts created on or after this day."
    ),
    created_until: datetime | None = typer.Option(
        None, formats=["%Y-%m-%d"], help="Accounts created on or before this day."
    ),
    max_users: int | None = typer.Option(
        None, min=1, help="Stop after storing this many new or changed profiles."
    ),
    budget: int | None = typer.Option(
        None,
        min=1,
        help="Stop cleanly before spending more than this many GraphQL points; --resume continues.",
    ),
    resume: bool = typer.Option(False, "--resume", help="Continue the last crawl of this query."),
    rewalk_days: int = typer.Option(
        REWALK_DAYS,
        "--rewalk-days",
        min=0,
        help="With --resume, walk a finished window again once its last walk is this many "
        "days old, to find older accounts that came into the query since (moved into the "
        "region, a first repository in the language); costs discovery pages only, 1 point "
        "per 100 users. 0 = every run.",
    ),
    api_url: str | None = typer.Option(None, "--api-url", help=API_URL_HELP),
    contributors_of: list[str] = typer.Option(
        [],
        "--contributors-of",
        metavar="OWNER/NAME",
        help="Crawl the contributors (commits, merged pull requests) of this repository "
        "instead of searching (repeatable), whatever their location.",
    ),
    projects: bool = typer.Option(
        False, "--projects", help="Crawl the contributors of every project of ml_projects.toml."
    ),
    distributed: str | None = typer.Option(
        None,
        "--distributed",
        metavar="REDIS_URL",
        help="Be one worker of a crawl shared through Redis (start the same command on "
        "several machines against one database), e.g. redis://host:6379/0.",
    ),
) -> None:
    """Discover GitHub users through GraphQL search and store them with their top repositories.

    Searches past the 1,000-result cap by splitting on account creation date; `--resume`
    continues from the last stored page after a crash or Ctrl-C.

    \b
    Example:
      scout crawl github --region eastern-europe --language python --max-users 20000
      scout crawl github --location Bengaluru --location Bangalore --min-followers 10
      scout crawl github --created-since 2024-01-01 --resume
      scout crawl github --region india --budget 4000 --resume
      scout crawl github --contributors-of mlflow/mlflow
      scout crawl github --projects --resume
      scout --db postgresql+psycopg://scout@db/scout crawl github --region india \\
          --distributed redis://redis-host:6379/0
    """
    from crawlers.github.query import GITHUB_EPOCH, SearchPlan
    from crawlers.github.run import run_search
    from enrich.location.region_terms import region_search_terms

    settings = github_settings(api_url)
    if contributors_of or projects:
        from scout.cmd_github_contrib import crawl_contributors

        if region or location or exclude or language or min_followers or distributed:
            raise ScoutError(
                "--contributors-of / --projects crawl repositories, not a search: leave out "
                "--region, --location, --exclude, --language, --min-followers, --distributed"
            )
        crawl_contributors(settings, contributors_of, projects, resume, budget)
        return
    locations, excluded = list(location), list(exclude)
    if region:
        terms = region_search_terms(region, settings.regions_file)
        locations += terms.texts()
        excluded += terms.exclude
    start = created_since.date() if created_since else GITHUB_EPOCH
    end = created_until.date() if created_until else utcnow().date()
    if start > end:
        raise ScoutError(f"--created-since {start} is after --created-until {end}")
    plan = SearchPlan(
        locations=tuple(dict.fromkeys(locations)),
        exclude=tuple(dict.fromkeys(excluded)),
        language=language,
        min_followers=min_followers,
        created_from=start,
        created_to=end,
    )
    progress = Progress(
        SpinnerColumn(),
        TextColumn("[bold]GitHub[/bold] {task.fields[pages]} pages"),
        TextColumn("{task.completed:,.0f} users stored"),
        TextColumn("quota {task.fields[quota]}"),
        TextColumn("reset in {task.fields[reset]}"),
        TextColumn("{task.fields[note]}"),
        TimeElapsedColumn(),
        console=err_console(),
        transient=False,
    )
    task = progress.add_task("crawl", total=max_users, pages=0, quota="?", reset="?", note="")

    def on_progress(spider: Any) -> None:
        quota = spider.governor.snapshot("graphql")
        note = f"waiting {spider.wait_s:.0f}s for quota" if spider.wait_s else ""
        spider.wait_s = 0.0
        progress.update(
            task,
            completed=spider.run_stats["profiles_stored"],
            pages=spider.run_stats["pages"],
            quota="?" if quota.remaining is None else f"{max(0, quota.remaining):,}",
            reset=_reset_in(quota.reset),
            note=note,
        )

    with crawl_command(get_state().engine()) as command, progress:
        result = run_search(
            settings,
            plan,
            resume=resume,
            max_users=max_users,
            on_progress=on_progress,
            distributed=distributed,
            budget=budget,
            rewalk_days=rewalk_days,
        )
    stats = result.stats
    out = console()
    out.print(
        f"{count(stats, 'new'):,} new, {count(stats, 'changed'):,} changed, "
        f"{count(stats, 'unchanged'):,} unchanged; {count(stats, 'discovery_pages'):,} "
        f"discovery pages, {count(stats, 'detail_requests'):,} detail requests"
    )
    out.print(
        f"{count(stats, 'pages'):,} pages; dropped {count(stats, 'dropped_org')} organisations, "
        f"{count(stats, 'dropped_bot')} bots, {count(stats, 'dropped_excluded_location')} "
        f"excluded locations, {count(stats, 'suppressed')} suppressed"
    )
    if result.message:
        out.print(result.message)
    for query in result.truncated:
        out.print(f"Warning: one day holds more than 1,000 accounts; only 1,000 seen: {query}")
    command.exit(result.status)
