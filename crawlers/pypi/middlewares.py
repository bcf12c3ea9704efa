"""The Scrapy side of the PyPI crawl's accounting: every answer is one request.

Pacing is Scrapy's own DOWNLOAD_DELAY (1 / SCOUT_PYPI_RATE seconds between requests, not
randomised) with few requests in flight (crawlers/pypi/run.py); PyPI has no quota to read.
This middleware sits next to the downloader, so retries and redirects count too.
"""

from __future__ import annotations

from typing import Any

from scrapy import Request
from scrapy.http import Response


class RequestCounter:
    """Counts each answer (or failure to get one) in the spider's `run_stats["requests"]`."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> RequestCounter:
        return cls(crawler)

    def _count(self) -> None:
        stats = getattr(self.crawler.spider, "run_stats", None)
        if stats is not None:
            stats["requests"] += 1

    def process_response(self, request: Request, response: Response) -> Response:
        self._count()
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        self._count()
        return None
