"""ThrottleMiddleware: whatever an answer's body does, the method lock is free afterwards and
the answer is marked bad (the spider retries and counts it)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from crawlers.stackexchange.budget import Budget, Reservation
from crawlers.stackexchange.client import BudgetStop, Throttle
from crawlers.stackexchange.middlewares import LockTimeout, ThrottleMiddleware


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
        budget=None if budget is None else Budget(budget),
    )


def request_for(spider, unit=None, cost=None):
    meta = {
        "se_method": "/m",
        "se_spider": spider,
        "se_unit": unit,
        "se_starter": cost is not None,
        "se_cost": cost,
    }
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


def test_a_budget_is_never_exceeded_and_work_started_keeps_what_it_set_aside():
    async def scenario():
        spider = fake_spider(budget=20)
        middleware = ThrottleMiddleware()

        async def send(unit=None, cost=None):
            request = request_for(spider, unit, cost)
            try:
                await middleware.process_request(request)
            except IgnoreRequest:
                return False
            middleware.process_exception(request, TimeoutError())  # frees the method
            return True

        first, second, third = Reservation(), Reservation(), Reservation()
        assert await send(first, cost=8) and await send(second, cost=8)  # 16 of 20 promised
        assert not await send(third, cost=8)  # would break a promise: refused, nothing sent
        assert isinstance(spider.stop, BudgetStop) and "20 requests" in str(spider.stop)
        for _ in range(7):  # the units started go on, within what they set aside
            assert await send(first) and await send(second)
        spider.budget.release(first)  # done: nothing left over here
        assert await send() and await send() and await send() and await send()
        assert not await send(second) and not await send()  # the ceiling
        return spider.requests

    assert asyncio.run(scenario()) == 20


def test_what_a_unit_does_not_use_is_free_again():
    budget = Budget(10)
    unit = Reservation()
    assert budget.admit({"se_starter": True, "se_cost": 9, "se_unit": unit})
    assert not budget.admit({"se_starter": True, "se_cost": 2, "se_unit": Reservation()})
    budget.release(unit)  # it needed one request of its nine
    assert budget.admit({"se_starter": True, "se_cost": 9, "se_unit": Reservation()})
    assert budget.sent == 2 and budget.held == 8
    assert budget.profiles_cost(100, 3) == 1 + 12 + 3  # 8 tag rows a profile, half again
    budget.saw_tags(100, 300)
    assert budget.profiles_cost(100, 0) == 1 + 5 and budget.questions_cost() == 4
