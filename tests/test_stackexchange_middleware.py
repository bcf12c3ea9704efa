"""ThrottleMiddleware: whatever an answer's body does, the method lock is free afterwards and
the answer is marked bad (the spider retries and counts it)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from crawlers.stackexchange.client import BudgetStop, Throttle
from crawlers.stackexchange.middleware import LockTimeout, ThrottleMiddleware


def fake_spider(lock_wait_s=1.0, budget=None):
    async def pause(seconds):
        return None

    return SimpleNamespace(
        throttle=Throttle(1000, 0),
        interrupted=False,
        lock_wait_s=lock_wait_s,
        requests=0,
        stop=None,
        pause=pause,
        budget_left=budget,
        crawl=SimpleNamespace(budget=budget),
    )


def request_for(spider, starter=False):
    meta = {"se_method": "/m", "se_spider": spider, "se_starter": starter}
    return Request("http://127.0.0.1/x", meta=meta)


def test_middleware_releases_the_method_lock_whatever_the_answer():
    async def scenario():
        spider = fake_spider()
        middleware = ThrottleMiddleware()
        outcomes = []
        bodies = [b"\x1f\x8b\x08garbage", b'{"items": [], "quota_remaining": "x"}', b"[" * 10**5]
        for body in bodies:
            request = request_for(spider)
            await middleware.process_request(request)
            middleware.process_response(request, Response(request.url, body=body))
            outcomes.append(request.meta["se_wrapper"] is None and request.meta["se_problem"])
        failed = request_for(spider)
        await middleware.process_request(failed)
        middleware.process_exception(failed, TimeoutError())
        return outcomes, middleware._locks["/m"].locked(), spider.requests

    outcomes, locked, requests = asyncio.run(scenario())
    assert all(outcomes) and not locked and requests == 4


def test_a_turn_that_never_comes_is_a_bounded_wait():
    async def scenario():
        spider = fake_spider(lock_wait_s=0.05)
        middleware = ThrottleMiddleware()
        await middleware.process_request(request_for(spider))  # never answered
        with pytest.raises(LockTimeout):
            await middleware.process_request(request_for(spider))
        spider.interrupted = True
        with pytest.raises(IgnoreRequest):
            await middleware.process_request(request_for(spider))

    asyncio.run(asyncio.wait_for(scenario(), 5))


def test_a_budget_is_never_exceeded_and_new_work_leaves_a_reserve_to_work_started():
    async def scenario():
        spider = fake_spider(budget=100)  # a reserve of 10 for work already started
        middleware = ThrottleMiddleware()
        sent = {"starter": 0, "continuation": 0}
        for kind in ("starter", "continuation"):
            while True:
                request = request_for(spider, starter=kind == "starter")
                try:
                    await middleware.process_request(request)
                except IgnoreRequest:
                    break
                middleware.process_exception(request, TimeoutError())  # frees the method
                sent[kind] += 1
        return sent, spider

    sent, spider = asyncio.run(scenario())
    assert sent == {"starter": 90, "continuation": 10} and spider.requests == 100
    assert isinstance(spider.stop, BudgetStop) and "100 requests" in str(spider.stop)
