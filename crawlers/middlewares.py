"""Downloader middlewares shared by the crawlers."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import orjson
from scrapy import Request
from scrapy.http import Response

log = logging.getLogger(__name__)

RETRY_STATUSES = {500, 502, 503, 504, 520, 522, 524}


class BackoffRetryMiddleware:
    """Retries 5xx answers, timeouts and 200s whose body is not JSON, with exponential backoff.

    Scrapy's RetryMiddleware retries at once; an API that is struggling deserves a pause, so
    this one waits `RETRY_BACKOFF_BASE * 2**n` seconds (capped) before trying again. A JSON API
    answering 200 with an HTML page or a cut-off body is a fault too, not data. Parsed JSON is
    left in `response.meta["json"]` so callbacks do not parse twice. After the last retry the
    response goes on to the callback, which counts the page as skipped.

    Each retry is counted in the spider's `run_stats["retries"]` and logged at INFO (URL only;
    tokens travel in headers). A callback that wants a request sent again after a pause (a
    partial answer) puts the pause in `meta["retry_delay"]`; it is waited here, before sending.
    """

    def __init__(self, crawler: Any) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.max_retries = settings.getint("RETRY_TIMES", 3)
        self.base = settings.getfloat("RETRY_BACKOFF_BASE", 0.5)
        self.cap = settings.getfloat("RETRY_BACKOFF_MAX", 30.0)

    @classmethod
    def from_crawler(cls, crawler: Any) -> BackoffRetryMiddleware:
        return cls(crawler)

    async def _retry(self, request: Request, reason: str) -> Request | None:
        tries = int(request.meta.get("backoff_retries", 0))
        stats = self.crawler.stats
        if tries >= self.max_retries:
            stats.inc_value("backoff_retry/max_reached")
            log.warning("giving up on %s after %d retries (%s)", request.url, tries, reason)
            return None
        delay = min(self.cap, self.base * 2**tries)
        stats.inc_value("backoff_retry/count")
        run_stats = getattr(self.crawler.spider, "run_stats", None)
        if run_stats is not None:
            run_stats["retries"] += 1
        log.info("retrying %s in %.1fs (%s), retry %d", request.url, delay, reason, tries + 1)
        await asyncio.sleep(delay)
        retry = request.replace(dont_filter=True)
        retry.meta["backoff_retries"] = tries + 1
        retry.meta.pop("json", None)
        return retry

    async def process_request(self, request: Request) -> None:
        delay = request.meta.pop("retry_delay", None)
        if isinstance(delay, int | float) and delay > 0:
            await asyncio.sleep(min(float(delay), self.cap))

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        reason = None
        if response.status in RETRY_STATUSES:
            reason = f"HTTP {response.status}"
        elif response.status == 200 and request.meta.get("expect_json", True):
            try:
                request.meta["json"] = orjson.loads(response.body)
            except orjson.JSONDecodeError:
                reason = "body is not JSON"
        if reason is None:
            return response
        retry = await self._retry(request, reason)
        if retry is None:
            request.meta["failure"] = reason
            return response
        return retry

    async def process_exception(self, request: Request, exception: Exception) -> Request | None:
        reason = type(exception).__name__
        retry = await self._retry(request, reason)
        if retry is None:
            request.meta["failure"] = reason
        return retry
