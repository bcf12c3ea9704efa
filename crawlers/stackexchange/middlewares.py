"""The Scrapy side of the Stack Overflow crawl's pacing and logging.

`ThrottleMiddleware` runs each API method one request at a time behind the shared `Throttle`
(backoff, rps, quota floor); `QuietLogFormatter` keeps Scrapy's error lines from printing pages
(personal fields) or URLs (the app key). The spider is read duck-typed from request.meta
(`se_spider`), so this module does not import it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.logformatter import LogFormatter

from crawlers.stackexchange.answers import BadAnswer, read_wrapper
from crawlers.stackexchange.client import BudgetStop, QuotaStop

log = logging.getLogger(__name__)


class ThrottleMiddleware:
    """One request in flight per method, after its backoff and the rps slot; none below the
    quota floor.

    A `backoff` is only known once a response arrives, and any request of that method already
    on the wire would then break it; so each method is called one at a time (different
    methods still overlap). The lock is held from here until the answer or the failure, and
    released whatever happens: no answer, however broken, may leave it held. It sits next to
    the downloader (after HttpCompressionMiddleware), so a body that fails to decompress there
    has already released it. Every wait is bounded and cut short by Ctrl-C.
    """

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}

    async def process_request(self, request: scrapy.Request) -> None:
        method = request.meta.get("se_method")
        spider = request.meta.get("se_spider")
        if method is None or spider is None:
            return None
        if spider.interrupted:
            raise IgnoreRequest("interrupted")
        lock = self._locks.setdefault(method, asyncio.Lock())
        try:
            await asyncio.wait_for(lock.acquire(), spider.lock_wait_s)
        except TimeoutError:
            log.error("%s: no turn within %.0fs; retried", method, spider.lock_wait_s)
            raise LockTimeout(method) from None
        request.meta["se_lock"] = lock
        try:
            try:
                spider.throttle.check_quota()
            except QuotaStop as stop:
                spider.stop = spider.stop or stop
                raise IgnoreRequest("quota floor") from None
            wait = spider.throttle.reserve(method) + float(request.meta.get("se_delay", 0.0))
            await spider.pause(wait)
            if spider.interrupted:
                raise IgnoreRequest("interrupted")
            within_budget(spider, request)
        except BaseException:
            release(request)
            raise
        spider.requests += 1
        return None

    def process_response(self, request: scrapy.Request, response: Response) -> Response:
        # Learn the backoff before the next call of this method may go: the callback runs
        # only after the lock is free, which is too late.
        try:
            spider = request.meta.get("se_spider")
            if spider is not None:
                request.meta["se_wrapper"] = None
                try:
                    wrapper = read_wrapper(response.status, response.body)
                    spider.throttle.observe(request.meta["se_method"], wrapper)
                except Exception as exc:  # whatever the body does, the answer is just "bad"
                    problem = str(exc) if isinstance(exc, BadAnswer) else type(exc).__name__
                    request.meta["se_problem"] = problem
                else:
                    request.meta["se_wrapper"] = wrapper
        finally:
            release(request)
        return response

    def process_exception(self, request: scrapy.Request, exception: Exception) -> None:
        release(request)
        return None


def within_budget(spider: Any, request: scrapy.Request) -> None:
    """IgnoreRequest (and the spider's `stop` set) when the run's budget cannot carry the
    request (crawlers/stackexchange/budget.py)."""
    budget = spider.budget
    if budget is None or budget.admit(request.meta):
        return
    if spider.stop is None:
        spider.stop = BudgetStop(f"the budget of {budget.total:,} requests is reached", None)
    raise IgnoreRequest("budget")


class LockTimeout(Exception):
    """A method's turn did not come within the bound: the request is retried (counted)."""


def release(request: scrapy.Request) -> None:
    """Free the method lock this request holds, if it still holds it (idempotent)."""
    lock = request.meta.pop("se_lock", None)
    if lock is not None and lock.locked():
        lock.release()


def reason(error: BaseException) -> str:
    """The database's own first line (no SQL, no parameters: they carry personal fields)."""
    orig = getattr(error, "orig", None) or error
    first = (str(orig).splitlines() or [""])[0][:200]
    return f"{type(orig).__name__}: {first}" if first else type(orig).__name__


class QuietLogFormatter(LogFormatter):
    """Scrapy's error lines print the whole item (names, locations) or the request URL (the
    app key is a query parameter): both stay out of the log. The spider logs these failures
    itself, by method and source only."""

    def item_error(self, item: Any, exception: Any, response: Any, spider: Any) -> Any:
        return {"level": logging.DEBUG, "msg": "item error", "args": {}}

    def spider_error(self, failure: Any, request: Any, response: Any, spider: Any) -> Any:
        return {"level": logging.DEBUG, "msg": "spider error", "args": {}}

    def download_error(self, failure: Any, request: Any, spider: Any, errmsg: Any = None) -> Any:
        return {"level": logging.DEBUG, "msg": "download error", "args": {}}
