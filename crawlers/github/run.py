"""Run one GitHub search crawl, single or as one worker of a distributed crawl: Scrapy
settings, resume state and the crawl run record (crawlers/lifecycle.py, the same for both).

The Twisted reactor cannot be restarted inside one process, so `run_search` may be called once
per process; the CLI runs one crawl per `scout crawl github` and tests start the CLI as a
subprocess.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import redis
from scrapy import Spider
from scrapy.crawler import Crawler, CrawlerProcess
from sqlalchemy import Engine, or_

from config.errors import ScoutError
from config.settings import Settings
from crawlers.github.coordination import Coordination, connect, crawl_key, safe_url
from crawlers.github.detail import Budget
from crawlers.github.distributed import DistributedSearchSpider, redis_settings
from crawlers.github.governor import RateGovernor
from crawlers.github.governor_redis import RedisQuotaStore, SharedRateGovernor, credential_id
from crawlers.github.query import REWALK_DAYS, SearchPlan
from crawlers.github.spider import GitHubSearchSpider
from crawlers.github.windows import STREAM
from crawlers.lifecycle import Run
from crawlers.pipelines import ITEM_PIPELINES
from crawlers.process import crawler_process
from storage.db import open_database
from storage.models import CrawlState
from storage.state import STANDARD_STATS, all_cursors

# The GitHub run's own counters besides storage.state.STANDARD_STATS (missing means 0).
GITHUB_STATS = (
    "discovery_pages",
    "detail_requests",
    "new",
    "changed",
    "unchanged",
    "dropped_org",
    "dropped_bot",
    "suppressed",
    "windows_counted",
    "windows_rewalked",
    "windows_rechecked",
)
USER_AGENT = "talent-scout/0.1 (open-source ML talent search; GitHub API client)"


def scrapy_settings(settings: Settings) -> dict[str, Any]:
    """Every Scrapy setting that matters, explicit rather than inherited from defaults."""
    return {
        # An API, not HTML pages: robots.txt addresses web crawlers of pages, while API use is
        # governed by the API's terms and rate limits, which the governor enforces.
        "ROBOTSTXT_OBEY": False,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "USER_AGENT": USER_AGENT,
        "DOWNLOAD_TIMEOUT": settings.http_timeout,
        # Scrapy's own retry retries at once; ours backs off (crawlers/middlewares.py).
        "RETRY_ENABLED": False,
        "RETRY_TIMES": settings.http_retries,
        "RETRY_BACKOFF_BASE": 0.5,
        "RETRY_BACKOFF_MAX": 30.0,
        "CONCURRENT_REQUESTS": settings.github_concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": settings.github_concurrency,
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "HTTPCACHE_ENABLED": False,
        "DOWNLOADER_MIDDLEWARES": {
            "crawlers.middlewares.BackoffRetryMiddleware": 560,
            # Closest to the downloader: waits right before sending, sees responses first.
            "crawlers.github.middlewares.GovernorMiddleware": 950,
        },
        "ITEM_PIPELINES": ITEM_PIPELINES,
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
        "LOG_LEVEL": "WARNING",
        "LOG_INSTALL_ROOT_HANDLER": False,  # our redacting handler (config/logging.py) is used
        "LOGSTATS_INTERVAL": 0,
        "STATS_DUMP": False,
    }


@dataclass
class CrawlResult:
    run_id: int
    status: str
    stats: dict[str, int] = field(default_factory=dict)
    truncated: list[str] = field(default_factory=list)
    message: str | None = None


def clear_plan_cursors(session: Any, plan: SearchPlan) -> None:
    """A fresh (not --resume) crawl starts its windows over; other crawls' cursors stay."""
    prefixes = [f"{base} created:" for base in plan.base_queries()]
    # a region's generated terms are a thousand queries: SQLite's expression depth is 1,000
    for start in range(0, len(prefixes), 200):
        chunk = prefixes[start : start + 200]
        session.query(CrawlState).filter(
            CrawlState.source == "github",
            CrawlState.stream == STREAM,
            or_(*[CrawlState.partition.startswith(p, autoescape=True) for p in chunk]),
        ).delete(synchronize_session=False)


def plan_args(
    plan: SearchPlan,
    settings: Settings,
    resume: bool,
    max_users: int | None,
    budget: int | None = None,
    rewalk_days: int | None = None,
) -> dict[str, Any]:
    """What a crawl_runs row records about the crawl (never the token)."""
    args = {
        k: (v.isoformat() if hasattr(v, "isoformat") else v)
        for k, v in dataclasses.asdict(plan).items()
    }
    args.update(resume=resume, max_users=max_users, api_url=settings.github_api_url)
    if budget is not None:
        args["budget"] = budget
    if resume and rewalk_days is not None:
        args["rewalk_days"] = rewalk_days
    return args


class Outcome(Protocol):
    """What `outcome` reads of a GitHub spider (search or contributors)."""

    run_stats: Counter[str]
    storage_failure: str | None
    fatal: str | None
    budget: Budget


def outcome(
    spider: Outcome,
    crawler: Crawler,
    governor: RateGovernor,
    counters: tuple[str, ...] = GITHUB_STATS,
    unit: str = "points",
) -> tuple[str, str | None, dict[str, int]]:
    """The run's status (storage.state.RUN_STATUSES), message and stats once Scrapy stopped.

    ok only if every page asked for was fetched and stored; failed on a storage failure or a
    fatal API answer; interrupted when stopped from outside (Ctrl-C, SIGTERM: Scrapy's
    "shutdown"); partial when pages or windows were given up (errors), even if all were.
    A run stopped by --budget is ok: it did what it was asked (spend at most N points), every
    page it asked for is stored and its cursors say where the next run goes on (the message
    says the budget was reached).
    """
    reason = crawler.stats.get_value("finish_reason") if crawler.stats else None
    stats = {k: int(v) for k, v in spider.run_stats.items()}
    for key in (*STANDARD_STATS, *counters):
        stats.setdefault(key, 0)
    stats["quota_waits"] = governor.waits
    if spider.storage_failure:
        return "failed", f"{spider.storage_failure}; --resume continues from there", stats
    if spider.fatal:
        return "failed", spider.fatal, stats
    if reason not in (None, "finished"):
        return "interrupted", f"stopped ({reason}); --resume continues", stats
    if stats["errors"]:
        return "partial", f"{stats['errors']} page(s) skipped; --resume retries them", stats
    if spider.budget.reached:
        spent = stats["quota_spent"]
        return (
            "ok",
            f"budget reached: {spent:,} of {spider.budget.limit:,} {unit} spent; "
            + ("the next run with --resume continues"),
            stats,
        )
    return "ok", None, stats


def run_search(
    settings: Settings,
    plan: SearchPlan,
    *,
    resume: bool = False,
    max_users: int | None = None,
    on_progress: Callable[[GitHubSearchSpider], None] | None = None,
    job_name: str | None = None,
    distributed: str | None = None,
    budget: int | None = None,
    rewalk_days: int | None = REWALK_DAYS,
) -> CrawlResult:
    """Crawl GitHub user search for `plan`; store profiles; return the run's outcome.

    With `resume`, a done window whose last walk is `rewalk_days` or more days old is walked
    again (discovery pages: details only for new or changed users); None never re-walks.
    With `distributed` (a Redis URL) this process is one worker of a crawl shared through
    Redis (crawlers/github/distributed.py).
    """
    if distributed:
        if budget is not None:
            raise ScoutError(
                "--budget cannot be combined with --distributed: each worker counts only its "
                "own points; give each worker's token its own budget instead"
            )
        if max_users:
            raise ScoutError(
                "--max-users cannot be combined with --distributed: each worker counts only "
                "what it stored; stop the workers instead"
            )
        return run_worker(
            settings,
            plan,
            distributed,
            resume=resume,
            on_progress=on_progress,
            job_name=job_name,
            rewalk_days=rewalk_days,
        )
    engine = open_database(settings.db_url, auto_upgrade=settings.auto_upgrade)
    args = plan_args(plan, settings, resume, max_users, budget, rewalk_days)
    run, cursors = start(engine, plan, args, job_name, reset=not resume, read=resume)
    governor = RateGovernor(settings.github_quota_floor, settings.github_concurrency)
    process, crawler = prepare(
        scrapy_settings(settings),
        GitHubSearchSpider,
        settings,
        run,
        governor,
        cursors,
        plan=plan,
        rewalk_days=rewalk_days if resume else None,
        max_users=max_users,
        on_progress=on_progress,
        budget=budget,
    )
    process.start()
    return finish(run, crawler, governor)


def run_worker(
    settings: Settings,
    plan: SearchPlan,
    url: str,
    *,
    resume: bool = False,
    on_progress: Callable[[GitHubSearchSpider], None] | None = None,
    job_name: str | None = None,
    rewalk_days: int | None = None,
) -> CrawlResult:
    """Run this process as one worker of the distributed crawl of `plan` (one crawl_runs row)."""
    client = connect(url)
    api_url = settings.github_api_url
    key = crawl_key(plan, api_url)
    worker = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    coordination = Coordination(client, key, worker, url)
    engine = open_database(settings.db_url, auto_upgrade=settings.auto_upgrade)
    token = settings.github_token.get_secret_value() if settings.github_token else None
    try:
        seeder = coordination.join()
    except redis.RedisError as exc:
        raise ScoutError(f"cannot reach Redis at {safe_url(url)}: {exc}") from exc
    args = plan_args(plan, settings, resume, None, rewalk_days=rewalk_days)
    args.update(
        distributed=safe_url(url), crawl_key=key, worker=worker, seeder=seeder, api_url=api_url
    )
    # Only the worker that seeds the shared queue starts from the cursors.
    run, cursors = start(engine, plan, args, job_name, reset=seeder and not resume, read=seeder)
    store = RedisQuotaStore(client, credential_id(api_url, token), on_unavailable=coordination.lose)
    governor = SharedRateGovernor(store, settings.github_quota_floor, settings.github_concurrency)
    scrapy = scrapy_settings(settings)
    scrapy["DOWNLOADER_MIDDLEWARES"] = {
        **scrapy["DOWNLOADER_MIDDLEWARES"],
        "crawlers.github.middlewares.AuthHeaderMiddleware": 100,
    }
    scrapy.update(redis_settings(url, coordination))
    process, crawler = prepare(
        scrapy,
        DistributedSearchSpider,
        settings,
        run,
        governor,
        cursors,
        plan=plan,
        rewalk_days=rewalk_days if resume else None,
        on_progress=on_progress,
        coordination=coordination,
        seeder=seeder,
    )
    try:
        process.start()
    finally:
        if coordination.lost is None:
            with coordination.guard():
                coordination.leave()
    try:
        return finish(run, crawler, governor, lost=coordination.lost)
    finally:
        client.close()


def start(
    engine: Engine,
    plan: SearchPlan,
    args: dict[str, Any],
    job_name: str | None,
    *,
    reset: bool,
    read: bool,
) -> tuple[Run, dict[str, Any]]:
    """The run's row, started after the plan's windows were started over (`reset`, a fresh
    crawl), and the cursors the crawl goes on from (`read`; none: every window from the start)."""
    run = Run(engine, "github", args, job_name)
    with run.starting() as session:
        if reset:
            clear_plan_cursors(session, plan)
        cursors = all_cursors(session, "github", STREAM) if read else {}
    return run, cursors


def prepare(
    scrapy: dict[str, Any],
    spider: type[Spider],
    settings: Settings,
    run: Run,
    governor: RateGovernor,
    cursors: dict[str, Any],
    **spider_args: Any,
) -> tuple[CrawlerProcess, Crawler]:
    """The Scrapy process and the crawler of `spider`, given what a single crawl and a worker
    alike give it; `spider_args` are the rest (plan, rewalk_days, the worker's coordination)."""
    process = crawler_process(scrapy)
    crawler = process.create_crawler(spider)
    process.crawl(
        crawler,
        engine=run.engine,
        graphql_url=settings.github_graphql_url,
        token=settings.github_token.get_secret_value() if settings.github_token else None,
        governor=governor,
        run_id=run.run_id,
        cursors=cursors,
        **spider_args,
    )
    return process, crawler


def finish(
    run: Run,
    crawler: Crawler,
    governor: RateGovernor,
    lost: str | None = None,
    counters: tuple[str, ...] = GITHUB_STATS,
    unit: str = "points",
) -> CrawlResult:
    """Record the outcome once Scrapy stopped; a fatal API answer, or a worker that lost Redis
    (`lost`), is raised as one message after the run is recorded."""
    spider: GitHubSearchSpider = crawler.spider  # type: ignore[assignment]
    status, message, stats = outcome(spider, crawler, governor, counters, unit)
    if lost is not None and not spider.fatal and not spider.storage_failure:
        status, message = "interrupted", lost
    run.finish(status, stats, message, errors=stats["errors"])
    run.engine.dispose()
    if spider.fatal and not spider.storage_failure:
        raise ScoutError(spider.fatal, exit_code=spider.fatal_exit)
    if lost is not None:
        raise ScoutError(lost)
    return CrawlResult(run.run_id, status, stats, list(spider.truncated), message)
