"""`scout crawl pypi`: maintainers of ML/MLOps packages from PyPI's JSON API."""

from __future__ import annotations

from typing import Any

import typer

from scout.app import console, get_state, spinner
from scout.cmd_crawl import crawl_app
from scout.runs import count, crawl_command


@crawl_app.command("pypi")
def crawl_pypi(
    package: list[str] = typer.Option(
        None, "--package", help="Another project to read (repeatable), besides ml_projects.toml's."
    ),
    resume: bool = typer.Option(
        False, "--resume", help="Go on with the last unfinished walk instead of starting anew."
    ),
    api_url: str | None = typer.Option(
        None, "--api-url", help="PyPI root (overrides SCOUT_PYPI_API_URL; default pypi.org)."
    ),
    max_packages: int | None = typer.Option(
        None, "--max-packages", min=1, help="Projects asked for in one walk (default 500)."
    ),
    depth: int | None = typer.Option(
        None, "--depth", min=0, max=5, help="requires_dist hops from the listed projects."
    ),
    rate: float | None = typer.Option(
        None, "--rate", min=0.1, max=1000, help="Requests a second at most (default 2: be gentle)."
    ),
) -> None:
    """Read the owners and maintainers of ML/MLOps projects on PyPI.

    Asks `/pypi/{project}/json` for each project of ml_projects.toml's [packages] and each
    --package, then for the projects they require (requires_dist) that classifiers or
    keywords mark ML. Each user with a role becomes a `pypi` profile listing their packages,
    releases and the GitHub repository each names. A project whose ETag or last_serial did
    not move costs one conditional request and nothing more.

    \b
    Example:
      scout crawl pypi
      scout crawl pypi --package lightning --package optuna --max-packages 200
      scout crawl pypi --api-url http://127.0.0.1:8765/pypi --resume
    """
    from config.projects import load_projects
    from crawlers.pypi.client import PypiOptions, package_name
    from crawlers.pypi.run import run_crawl

    typed = [package_name(p) for p in package or []]
    state = get_state()
    settings = state.settings
    given: dict[str, Any] = {
        "api_url": api_url,
        "max_packages": max_packages,
        "depth": depth,
        "rate": rate,
    }
    options = PypiOptions().model_copy(update={k: v for k, v in given.items() if v is not None})
    listed = list(dict.fromkeys([*load_projects().packages, *typed]))
    engine = state.engine()
    with (
        crawl_command(engine) as command,
        spinner() as bar,
    ):
        task = bar.add_task(f"PyPI: {len(listed)} projects listed", total=None)

        def progress(spider: Any) -> None:
            stats = spider.run_stats
            bar.update(
                task,
                description=f"PyPI: {stats['pages']} projects, {stats['profiles_stored']} "
                f"profiles, {stats['requests']} requests",
            )

        result = run_crawl(
            engine,
            options,
            listed,
            resume=resume,
            timeout=settings.http_timeout,
            retries=settings.http_retries,
            progress=progress,
        )
    stats = result.stats
    console().print(
        f"PyPI: {count(stats, 'packages_changed')} projects new or changed, "
        f"{count(stats, 'packages_unchanged') + count(stats, 'packages_not_modified')} "
        f"unchanged, {count(stats, 'packages_not_ml')} not ML, "
        f"{count(stats, 'packages_missing')} missing, "
        f"{count(stats, 'packages_discovered')} found through requires_dist, "
        f"suppressed {count(stats, 'suppressed')}"
    )
    if result.message:
        console().print(f"Note: {result.message}")
    command.exit(result.status)
