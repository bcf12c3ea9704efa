"""The GitHub downloader middlewares: the rate governor (wait before, learn after, never fail)
and, for distributed crawls, the token added back to requests that rested in Redis."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response

from crawlers.github.governor import GRAPHQL, RateGovernor

log = logging.getLogger(__name__)


class GovernorMiddleware:
    """Sleeps (without blocking the reactor) while the governor says so; re-queues requests
    that hit a primary or secondary limit instead of letting them fail."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> GovernorMiddleware:
        return cls(crawler)

    @property
    def governor(self) -> RateGovernor:
        return self.crawler.spider.governor

    async def process_request(self, request: Request) -> None:
        resource = request.meta.get("resource", GRAPHQL)
        cost = int(request.meta.get("cost", 1))
        while True:
            delay = self.governor.delay(resource, cost)
            if delay <= 0:
                break
            self.governor.waits += 1
            self.governor.waited_s += delay
            log.warning("GitHub quota low: waiting %.0fs for the rate-limit window to reset", delay)
            notify = getattr(self.crawler.spider, "on_wait", None)
            if notify is not None:
                notify(delay)
            await asyncio.sleep(delay)
        self.governor.spend(resource, cost)
        # Every request sent, retries included (the run's `requests`).
        run_stats = getattr(self.crawler.spider, "run_stats", None)
        if run_stats is not None:
            run_stats["requests"] += 1

    def process_response(self, request: Request, response: Response) -> Request | Response:
        headers = response.headers
        governor = self.governor
        quota = governor.observe_headers(headers, request.meta.get("resource", GRAPHQL))
        if response.status not in (403, 429):
            return response
        retry_after = headers.get(b"Retry-After")
        if retry_after is not None:
            wait = governor.observe_secondary(float(retry_after.decode() or 60))
            log.warning("GitHub secondary rate limit: retrying in %.0fs", wait)
        elif quota is not None and quota.remaining == 0:
            resource = request.meta.get("resource", GRAPHQL)
            wait = governor.observe_exhausted(resource, quota.reset)
            log.warning("GitHub primary rate limit reached: retrying in %.0fs", wait)
        else:
            return response  # a real 403 (forbidden): the callback reports it
        self.crawler.stats.inc_value("github/rate_limited")
        retry = request.replace(dont_filter=True)
        retry.meta.pop("json", None)
        return retry


class AuthHeaderMiddleware:
    """Adds the token right before download: requests rest in Redis without it."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AuthHeaderMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        token = getattr(self.crawler.spider, "token", None)
        if token and b"Authorization" not in request.headers:
            request.headers[b"Authorization"] = f"bearer {token}"
