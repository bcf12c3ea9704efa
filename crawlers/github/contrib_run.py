"""Run one contributors crawl (`scout crawl github --contributors-of` / `--projects`): which
repositories, the resume state, the Scrapy process and the run's outcome.

A fresh crawl (no `--resume`) starts the named repositories' walks over and reads all their
pull requests again (their merged counts are recounted from zero); with `--resume` an
interrupted walk goes on from its last stored page and a finished one starts a new walk that
reads only the pull requests updated since.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from config.errors import ScoutError
from config.projects import ProjectsFile
from config.settings import Settings
from crawlers.github.contrib_requests import STREAM
from crawlers.github.contributors import ContributorsSpider
from crawlers.github.governor import RateGovernor
from crawlers.github.run import CrawlResult, finish, prepare, scrapy_settings
from crawlers.lifecycle import Run
from storage.db import open_database
from storage.models import CrawlState
from storage.state import all_cursors

CONTRIB_STATS = (
    "contributor_pages",
    "pull_pages",
    "detail_requests",
    "new",
    "changed",
    "unchanged",
    "contributors",
    "merged_prs",
    "dropped_bot",
    "anonymous",
    "suppressed",
)
_REPO = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}")


def repositories(named: list[str], projects: ProjectsFile | None, every: bool = True) -> list[str]:
    """The repositories to walk, each once: those named, spelled as ml_projects.toml spells
    them when listed there (names compare case-blind on GitHub), then with `every` all of
    the file's projects; a name that is not OWNER/NAME is refused."""
    listed = {name.lower(): name for name in (projects.projects if projects else {})}
    out: list[str] = []
    for name in named:
        name = name.strip().removeprefix("https://github.com/").rstrip("/")
        if not _REPO.fullmatch(name):
            raise ScoutError(f"--contributors-of {name!r}: expected a repository as OWNER/NAME")
        out.append(listed.get(name.lower(), name))
    if projects is not None and every:
        out += list(projects.projects)
    return list(dict.fromkeys(out))


def run_contributors(
    settings: Settings,
    repos: list[str],
    *,
    resume: bool = False,
    budget: int | None = None,
    job_name: str | None = None,
    on_progress: Callable[[Any], None] | None = None,
) -> CrawlResult:
    """Walk the contributors and merged pull requests of `repos`; store them."""
    engine = open_database(settings.db_url, auto_upgrade=settings.auto_upgrade)
    args: dict[str, Any] = {
        "contributors_of": repos,
        "resume": resume,
        "api_url": settings.github_api_url,
    }
    if budget is not None:
        args["budget"] = budget
    run = Run(engine, "github", args, job_name)
    with run.starting() as session:
        if not resume:
            session.query(CrawlState).filter(
                CrawlState.source == "github",
                CrawlState.stream == STREAM,
                CrawlState.partition.in_(repos),
            ).delete(synchronize_session=False)
        cursors = all_cursors(session, "github", STREAM) if resume else {}
    governor = RateGovernor(settings.github_quota_floor, settings.github_concurrency)
    process, crawler = prepare(
        scrapy_settings(settings),
        ContributorsSpider,
        settings,
        run,
        governor,
        cursors,
        repos=repos,
        api_url=settings.github_api_url,
        budget=budget,
        on_progress=on_progress,
    )
    process.start()
    return finish(run, crawler, governor, counters=CONTRIB_STATS, unit="requests and points")
