"""Running a PyPI crawl: one Scrapy process, recorded through crawlers/lifecycle.Run.

A walk is the set of projects one crawl asks for (stream "walk", partition "all":
{id, done}). A run without --resume starts a new walk, asking every project again (each
costs a conditional request; an unchanged one nothing more). With --resume, an unfinished
walk goes on: projects already answered in it are not asked again (their cursor names the
walk), only followed through `requires_dist`. The walk is done when a run ends ok.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from config.clock import utcnow
from config.errors import StorageFailure
from crawlers.lifecycle import Run
from crawlers.pipelines import ITEM_PIPELINES, storage_failed
from crawlers.process import crawler_process
from crawlers.pypi.client import USER_AGENT, PypiOptions
from crawlers.pypi.parse import SOURCE
from crawlers.pypi.spider import STREAM, PypiSpider
from storage.state import STANDARD_STATS, all_cursors, get_cursor, set_cursor

WALK = ("walk", "all")


@dataclass
class CrawlResult:
    run_id: int
    status: str  # one of storage.state.RUN_STATUSES
    message: str | None
    stats: dict[str, Any]


def scrapy_settings(options: PypiOptions, timeout: float, retries: int) -> dict[str, Any]:
    return {
        "ROBOTSTXT_OBEY": False,  # an API, governed by its own terms (be gentle), not robots
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "USER_AGENT": USER_AGENT,
        "DOWNLOAD_TIMEOUT": timeout,
        "RETRY_ENABLED": False,
        "RETRY_TIMES": retries,
        "RETRY_BACKOFF_BASE": 0.5,
        "RETRY_BACKOFF_MAX": 30.0,
        "CONCURRENT_REQUESTS": options.concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": options.concurrency,
        "DOWNLOAD_DELAY": 1.0 / options.rate,
        "DOWNLOAD_DELAY_JITTER": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "HTTPCACHE_ENABLED": False,
        "HTTPERROR_ALLOW_ALL": True,
        "DOWNLOADER_MIDDLEWARES": {
            "crawlers.middlewares.BackoffRetryMiddleware": 560,
            "crawlers.pypi.middlewares.RequestCounter": 950,
        },
        "ITEM_PIPELINES": ITEM_PIPELINES,
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
        "LOG_LEVEL": "WARNING",
        "LOGSTATS_INTERVAL": 0,
        "STATS_DUMP": False,
    }


def run_crawl(
    engine: Engine,
    options: PypiOptions,
    listed: list[str],
    *,
    resume: bool = False,
    timeout: float = 30.0,
    retries: int = 3,
    progress: Callable[[PypiSpider], None] | None = None,
) -> CrawlResult:
    """Crawl `listed` projects (normalised names) and what they lead to; the run's outcome."""
    run = Run(
        engine,
        SOURCE,
        {
            "packages": len(listed),
            "resume": resume,
            "api_url": options.api_url,
            "max_packages": options.max_packages,
            "depth": options.depth,
        },
    )
    with run.starting() as session:
        walk = get_cursor(session, SOURCE, *WALK)
        if resume and isinstance(walk, dict) and not walk.get("done") and walk.get("id"):
            walk_id = str(walk["id"])
        else:
            walk_id = utcnow().isoformat()
            set_cursor(session, SOURCE, *WALK, {"id": walk_id, "done": False})
        cursors = all_cursors(session, SOURCE, STREAM)
        run.args["walk"] = walk_id
    process = crawler_process(scrapy_settings(options, timeout, retries))
    crawler = process.create_crawler(PypiSpider)
    process.crawl(
        crawler,
        engine=engine,
        run_id=run.run_id,
        options=options,
        listed=listed,
        walk=walk_id,
        cursors=cursors,
        progress=progress,
    )
    process.start()
    spider = crawler.spider
    assert isinstance(spider, PypiSpider)
    stats: dict[str, Any] = {name: 0 for name in STANDARD_STATS}
    stats.update(spider.run_stats)
    # PyPI has no quota: a request is the unit its operators ask us to spare.
    stats["quota_spent"] = stats["requests"]
    status, message = outcome(spider, crawler.stats.get_value("finish_reason"))
    with run.finishing(status, stats, message) as session:
        if status == "ok":
            set_cursor(session, SOURCE, *WALK, {"id": walk_id, "done": True})
    if status == "failed":
        raise StorageFailure(message or "storage failed")
    return CrawlResult(run.run_id, status, message, stats)


def outcome(spider: PypiSpider, finish_reason: str | None) -> tuple[str, str | None]:
    """failed on a storage failure; interrupted when stopped from outside; partial when a
    project was given up or quarantined (the next run asks again); else ok."""
    refused = storage_failed(spider)
    if refused is not None:
        return "failed", refused
    if finish_reason == "shutdown":
        return "interrupted", "interrupted; --resume continues the walk"
    stats = spider.run_stats
    said = []
    if stats["errors"]:
        said.append(f"projects given up: {stats['errors']}")
    if stats["quarantined"]:
        said.append(f"projects quarantined: {stats['quarantined']}")
    if said:
        return "partial", "; ".join(said) + " (see the log); --resume asks for them again"
    if stats["packages_left_out"]:
        return "ok", f"--max-packages reached: {stats['packages_left_out']} projects left out"
    return "ok", None
