"""Running Stack Overflow crawls: the bulk crawl (Scrapy, one per process: Twisted's reactor
cannot restart; the first Ctrl-C / SIGTERM turned into an `interrupted` run) and the
one-person lookup (httpx), both recorded through crawlers/lifecycle.Run."""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import httpx
from sqlalchemy import Engine

from config.clock import utcnow
from config.errors import ScoutError, StorageFailure
from config.settings import Settings
from config.sites import SOURCE
from crawlers.lifecycle import Run
from crawlers.page_item import PageItem
from crawlers.pipelines import (
    ITEM_PIPELINES,
    LocationStep,
    ParseStep,
    RawRecordStep,
    StoreStep,
    SuppressionStep,
    storage_failed,
)
from crawlers.process import crawler_process
from crawlers.stackexchange.client import (
    BudgetStop,
    QuotaStop,
    RequestFailed,
    StackExchangeClient,
    Throttle,
    make_client,
)
from crawlers.stackexchange.plan import Crawl, make_rules
from crawlers.stackexchange.spider import CONCURRENCY, StackOverflowSpider
from storage.state import EXIT_CODES, STANDARD_STATS


@dataclass
class CrawlResult:
    status: str  # one of storage.state.RUN_STATUSES
    message: str | None
    stats: dict[str, Any]


def run_crawl(
    engine: Engine,
    settings: Settings,
    tags: list[str],
    period: str,
    depth: int,
    progress: Callable[[dict[str, Any]], None] | None = None,
    transport: httpx.BaseTransport | None = None,
    *,
    discover: str = "both",
    min_score: int = 1,
    budget: int | None = None,
) -> CrawlResult:
    """One crawl run, resumed from crawl_state; the spider does the bulk of the requests.

    The status tells the truth: ok only when everything asked for was fetched and stored, or
    when the run stopped cleanly at its `budget` of requests (the message says so; the next
    run continues where it stopped); partial when requests were given up or the quota floor
    stopped the run; interrupted on Ctrl-C / SIGTERM; failed (and the error raised) on a
    fatal API answer or a failed write.
    """
    crawl = Crawl(
        engine,
        settings,
        tags,
        period,
        depth,
        discover=discover,
        min_score=min_score,
        budget=budget,
    )
    crawl.begin()
    throttle = Throttle(settings.stackexchange_max_rps, settings.stackexchange_quota_floor)
    client = make_client(settings, transport, throttle=throttle)
    try:
        filter_name = client.use_filter()
    except QuotaStop as stop:
        return _end(crawl, "partial", str(stop), client, None, throttle)
    except KeyboardInterrupt:
        return _end(crawl, "interrupted", "interrupted", client, None, throttle)
    except Exception:
        # Any other error creating the filter (an API or storage error): the run is recorded
        # failed with what it was doing, and the error goes on to the command (re-raised).
        crawl.finish("failed", "could not create the response filter", _stats(crawl, client))
        raise
    finally:
        client.close()
    crawl.spent_before = client.requests

    def report(spider: Any) -> None:
        if progress is not None:
            progress(_stats(crawl, client, spider, throttle))

    spider = run_spider(crawl, throttle, filter_name, report)
    refused = storage_failed(spider)
    if spider.fatal is None and refused is not None:
        # The shared StoreStep stored nothing of the refused page and closed the spider.
        spider.fatal = StorageFailure(refused)
    if spider.fatal is not None:
        crawl.finish("failed", spider.fatal.message, _stats(crawl, client, spider, throttle))
        raise spider.fatal
    if spider.interrupted:
        return _end(crawl, "interrupted", "interrupted", client, spider, throttle)
    errors = crawl.stats["errors"] + client.failed
    if isinstance(spider.stop, BudgetStop):
        said = str(spider.stop)
        if errors:
            said += f"; requests given up: {errors} (see the log)"
        return _end(crawl, "partial" if errors else "ok", said, client, spider, throttle)
    if spider.stop is not None:
        return _end(crawl, "partial", str(spider.stop), client, spider, throttle)
    if errors:
        return _end(
            crawl, "partial", f"requests given up: {errors} (see the log)", client, spider, throttle
        )
    return _end(crawl, "ok", None, client, spider, throttle)


def _stats(
    crawl: Crawl, client: StackExchangeClient, spider: Any = None, throttle: Throttle | None = None
) -> dict[str, Any]:
    """The run stats: the spider's and the client's counts, STANDARD_STATS included."""
    requests = client.requests + (spider.requests if spider is not None else 0)
    users_requests = crawl.stats.get("users_requests", 0)
    out: dict[str, Any] = {name: 0 for name in STANDARD_STATS}
    out.update(crawl.stats)
    out.update(
        requests=requests,
        retries=crawl.stats["retries"] + client.retries,
        errors=crawl.stats["errors"] + client.failed,
        # Stack Exchange charges one quota unit per request.
        quota_spent=requests,
        quota_remaining=(throttle or client.throttle).quota_remaining,
        backoffs=(throttle or client.throttle).backoffs_seen,
        profiles_per_users_request=round(crawl.stats.get("users_returned", 0) / users_requests, 1)
        if users_requests
        else 0.0,
    )
    return out


def _end(
    crawl: Crawl,
    status: str,
    message: str | None,
    client: StackExchangeClient,
    spider: Any,
    throttle: Throttle,
) -> CrawlResult:
    stats = crawl.finish(status, message, _stats(crawl, client, spider, throttle))
    return CrawlResult(status, message, stats)


def lookup_user(
    engine: Engine,
    settings: Settings,
    user_id: int,
    transport: httpx.BaseTransport | None = None,
) -> tuple[str, dict[str, Any]]:
    """Fetch one user (profile, tags, top answer tags) and store it through the same steps."""
    site = settings.stackexchange_site
    with make_client(settings, transport) as client:
        client.use_filter()
        try:
            users = client.get("/users/{ids}", f"/users/{user_id}").items
        except RequestFailed as failed:
            raise ScoutError(
                f"Stack Exchange did not answer for user {user_id} ({failed}); try again later",
                EXIT_CODES["failed"],
            ) from None
        tags: list[dict[str, Any]] = []
        top: list[dict[str, Any]] | None = None
        if users:
            try:
                for page in client.pages("/users/{ids}/tags", f"/users/{user_id}/tags"):
                    tags.extend(page.items)
                top = client.get(
                    "/users/{id}/top-answer-tags",
                    f"/users/{user_id}/top-answer-tags",
                    {"pagesize": 100},
                ).items
            except RequestFailed:
                top = None  # counted in client.failed: the profile is stored, tags kept
        requests, quota = client.requests, client.throttle.quota_remaining
        # A detail call given up (or a tag listing cut short): the profile is stored, its
        # stored tags are left as they were, and the run says partial.
        given_up = client.failed
        counts = {"retries": client.retries, "errors": given_up, "quota_spent": requests}
    stats: Counter[str] = Counter()
    ctx = SimpleNamespace(
        engine=engine,
        source=SOURCE,
        run_id=None,
        run_stats=stats,
        seen_ids=set(),
        on_page_stored=lambda item: None,
    )
    run = Run(engine, SOURCE, {"lookup": user_id, "site": site})
    ctx.run_id = run.start()
    records: list[dict[str, Any]] = [
        {"user": u, "tag_scores": {}, "tags": tags, "top_answer_tags": top} for u in users
    ]
    for record in records:
        if given_up:
            record["incomplete"] = True
    item = PageItem(
        make_rules(site),
        "lookup",
        f"{site}:{user_id}",
        {"at": utcnow().isoformat()},
        utcnow(),
        records,
    )
    crawler = SimpleNamespace(spider=ctx)
    suppression = SuppressionStep(crawler)
    suppression.open_spider()
    for step in (
        suppression,
        RawRecordStep(crawler),
        ParseStep(crawler),
        LocationStep(crawler),
        StoreStep(crawler),
    ):
        item = step.process_item(item)
    result: dict[str, Any] = {name: 0 for name in STANDARD_STATS}
    result.update(stats, **counts, requests=requests, quota_remaining=quota)
    run.finish("partial" if given_up else "ok", result, errors=given_up)
    if stats.get("suppressed"):
        return "suppressed", result
    if not item.profiles:
        return "missing", result
    return "stored", result


def spider_settings(settings: Any) -> dict[str, Any]:
    return {
        "ITEM_PIPELINES": ITEM_PIPELINES,
        "DOWNLOADER_MIDDLEWARES": {
            # Next to the downloader: answers reach it before any middleware that may raise.
            "crawlers.stackexchange.middlewares.ThrottleMiddleware": 950,
            "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
        },
        "HTTPERROR_ALLOW_ALL": True,
        "ROBOTSTXT_OBEY": False,  # an API, not HTML pages
        "CONCURRENT_REQUESTS": CONCURRENCY,
        "CONCURRENT_REQUESTS_PER_DOMAIN": CONCURRENCY,
        "DOWNLOAD_DELAY": 0,
        "DOWNLOAD_TIMEOUT": settings.http_timeout,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_ENABLED": False,
        "LOG_FORMATTER": "crawlers.stackexchange.middlewares.QuietLogFormatter",
        "USER_AGENT": "talent-scout (+stackexchange)",
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
    }


def run_spider(
    crawl: Crawl,
    throttle: Throttle,
    filter_name: str,
    progress: Callable[[StackOverflowSpider], None] | None = None,
) -> StackOverflowSpider:
    """Run the crawl in this process (once: the reactor cannot restart) and return the spider."""
    process = crawler_process(spider_settings(crawl.settings))
    crawler = process.create_crawler(StackOverflowSpider)
    process.crawl(
        crawler, crawl=crawl, throttle=throttle, filter_name=filter_name, progress=progress
    )
    from twisted.internet import reactor

    # Scrapy installs its shutdown handlers once the reactor runs; wrap them then, so the
    # first Ctrl-C / SIGTERM also cuts every wait short and the run ends `interrupted`.
    reactor.callWhenRunning(reactor.callLater, 0, _hook_shutdown, crawler)
    process.start()
    spider = crawler.spider
    assert isinstance(spider, StackOverflowSpider)
    return spider


def _hook_shutdown(crawler: Any) -> None:
    loop = asyncio.get_event_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        previous = signal.getsignal(signum)

        def handler(num: int, frame: Any, previous: Any = previous) -> None:
            spider = crawler.spider
            if isinstance(spider, StackOverflowSpider):
                loop.call_soon_threadsafe(spider.interrupt)
                spider.interrupted = True
            if callable(previous):
                previous(num, frame)

        signal.signal(signum, handler)
