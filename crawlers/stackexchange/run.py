"""Running the Stack Overflow spider: Scrapy settings, one process per crawl (Twisted's
reactor cannot restart), and the first Ctrl-C / SIGTERM turned into an `interrupted` run."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from typing import Any

from crawlers.pipelines import ITEM_PIPELINES
from crawlers.process import crawler_process
from crawlers.stackexchange.client import Throttle
from crawlers.stackexchange.pipeline import Crawl
from crawlers.stackexchange.spider import CONCURRENCY, StackOverflowSpider


def spider_settings(settings: Any) -> dict[str, Any]:
    return {
        "ITEM_PIPELINES": ITEM_PIPELINES,
        "DOWNLOADER_MIDDLEWARES": {
            # Next to the downloader: answers reach it before any middleware that may raise.
            "crawlers.stackexchange.middleware.ThrottleMiddleware": 950,
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
        "LOG_FORMATTER": "crawlers.stackexchange.middleware.QuietLogFormatter",
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
