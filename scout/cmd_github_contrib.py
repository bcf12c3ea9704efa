"""`scout crawl github --contributors-of OWNER/NAME` / `--projects`: the contributors of the
field's major repositories (crawlers/github/contributors.py), whatever their location."""

from __future__ import annotations

from config.projects import load_projects
from config.settings import Settings
from scout.app import console, get_state
from scout.runs import count, crawl_command


def crawl_contributors(
    settings: Settings, named: list[str], projects: bool, resume: bool, budget: int | None
) -> None:
    """Walk the repositories named (and every project of ml_projects.toml with `projects`)."""
    from crawlers.github.contrib_run import repositories, run_contributors

    listed = load_projects(skills=None) if projects or named else None
    repos = repositories(named, listed if projects else None)
    if not projects and listed is not None:  # spelled as the config spells a listed project
        repos = [next((p for p in listed.projects if p.lower() == r.lower()), r) for r in repos]
    with crawl_command(get_state().engine()) as command:
        result = run_contributors(settings, repos, resume=resume, budget=budget)
    stats = result.stats
    out = console()
    out.print(
        f"{len(repos)} repositories: {count(stats, 'contributors'):,} contributor rows, "
        f"{count(stats, 'merged_prs'):,} merged pull requests counted; "
        f"{count(stats, 'new'):,} new, {count(stats, 'changed'):,} changed, "
        f"{count(stats, 'unchanged'):,} unchanged profiles"
    )
    out.print(
        f"{count(stats, 'contributor_pages'):,} contributor pages, "
        f"{count(stats, 'pull_pages'):,} pull pages, {count(stats, 'detail_requests'):,} detail "
        f"requests; skipped {count(stats, 'dropped_bot')} bots, "
        f"{count(stats, 'anonymous')} anonymous, {count(stats, 'suppressed')} suppressed"
    )
    if result.message:
        out.print(result.message)
    command.exit(result.status)
