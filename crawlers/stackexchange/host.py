"""What the answer walk (walk.py) and the profile fetch (profiles.py) use of the spider that
drives them (spider.py): declared here, so those modules need not import the spider, which
imports them."""

from __future__ import annotations

from collections import Counter
from typing import Any, Protocol

import scrapy
from scrapy.http import Response

from config.errors import ScoutError
from crawlers.stackexchange.budget import Budget, Reservation
from crawlers.stackexchange.client import QuotaStop
from crawlers.stackexchange.plan import Batch, Crawl


class SpiderHost(Protocol):
    """The Stack Overflow spider as its helpers see it."""

    crawl: Crawl
    budget: Budget | None
    run_stats: Counter[str]
    stop: QuotaStop | None
    fatal: ScoutError | None
    interrupted: bool

    def request(
        self,
        method: str,
        path: str,
        params: dict[str, Any],
        callback: Any,
        priority: int = 0,
        unit: Reservation | None = None,
        cost: int | None = None,
        **cb: Any,
    ) -> scrapy.Request: ...

    def users_request(self, batch: Batch) -> scrapy.Request: ...

    def free_unit(self, unit: Reservation | None) -> None: ...

    def schedule(self, request: scrapy.Request) -> None: ...

    def answer(self, response: Response) -> dict[str, Any] | scrapy.Request | None: ...

    def report(self) -> None: ...
