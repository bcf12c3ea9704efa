"""The Scrapy side of discovery by answers (crawlers/stackexchange/discover.py holds the state).

One unit at a time: a questions page of the tag whose turn it is, then the answers of its
answered questions (100 ids a call, every page), then the unit is committed and the next one
asked. Answerers go to profile batches of 100 as soon as 100 wait (the rest when the walk
ends); when PENDING_CAP answerers wait, the walk pauses until a batch is stored, so discovery
never runs far ahead of what the budget can profile. Profile batches ask before discovery
(higher priority), for the same reason.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import scrapy
from scrapy.exceptions import CloseSpider
from scrapy.http import Response
from sqlalchemy.exc import SQLAlchemyError

from config.errors import StorageFailure
from crawlers.page_item import PageItem
from crawlers.stackexchange.answers import PageGuard
from crawlers.stackexchange.budget import Reservation
from crawlers.stackexchange.client import ids_path
from crawlers.stackexchange.discover import PENDING_CAP, AnswerDiscovery, TagWalk, Unit
from crawlers.stackexchange.host import SpiderHost
from crawlers.stackexchange.middlewares import reason
from crawlers.stackexchange.plan import Batch
from crawlers.stackexchange.profiles import CONTINUE_PRIORITY

log = logging.getLogger(__name__)


class AnswerWalk:
    def __init__(self, spider: SpiderHost, discovery: AnswerDiscovery) -> None:
        self.spider = spider
        self.discovery = discovery
        self.parked = False

    def start(self) -> Iterator[scrapy.Request]:
        """Answerers left pending by an earlier run first, then the walk."""
        yield from self.batches()
        yield from self.step()

    def step(self) -> Iterator[scrapy.Request]:
        """The next questions page; or a pause while too many answerers wait; or the end."""
        spider, disc = self.spider, self.discovery
        if spider.stop is not None or spider.interrupted or spider.fatal is not None:
            return
        if disc.free() >= PENDING_CAP and disc.in_flight:
            self.parked = True
            return
        walk = disc.next_walk()
        if walk is None:  # every tag caught up (or resting): the last, smaller batch too
            yield from self.batches(everything=True)
            return
        yield spider.request(
            "/questions",
            "/questions",
            disc.questions_params(walk),
            self.on_questions,
            unit=Reservation(),
            cost=spider.budget.questions_cost() if spider.budget else 1,
            walk=walk,
        )

    def batches(self, everything: bool = False) -> Iterator[scrapy.Request]:
        for ids in self.discovery.take_batches(everything):
            yield self.spider.users_request(Batch(ids, kind="answers"))

    def batch_stored(self, item: PageItem) -> None:
        """A page of profiles was stored: settle its answerers, wake a paused walk."""
        self.discovery.stored(item)
        if self.parked and self.discovery.free() < PENDING_CAP:
            self.parked = False
            for request in self.step():
                self.spider.schedule(request)

    # -- answers -------------------------------------------------------------------------

    def on_questions(self, response: Response, walk: TagWalk) -> Iterator[Any]:
        got = self.spider.answer(response)
        if isinstance(got, scrapy.Request):
            yield got
            return
        reservation = response.meta.get("se_unit")
        if got is None:  # given up (counted): the tag rests until the next run
            self.spider.free_unit(reservation)
            self.discovery.give_up(walk)
            yield from self.step()
            return
        unit = self.discovery.read_questions(walk, got)
        unit.reservation = reservation
        if not unit.question_ids:
            yield from self.commit(unit)
            return
        yield self.answers_request(unit, 1, PageGuard())

    def answers_request(self, unit: Unit, page: int, guard: PageGuard) -> scrapy.Request:
        ids = unit.question_ids
        return self.spider.request(
            "/questions/{ids}/answers",
            f"/questions/{ids_path(ids)}/answers",
            self.discovery.answers_params(page),
            self.on_answers,
            priority=CONTINUE_PRIORITY,
            unit=unit.reservation,
            work=unit,
            page=page,
            guard=guard,
        )

    def on_answers(
        self, response: Response, work: Unit, page: int, guard: PageGuard
    ) -> Iterator[Any]:
        unit = work
        got = self.spider.answer(response)
        if isinstance(got, scrapy.Request):
            yield got
            return
        if got is None:  # given up (counted): the unit is asked again by the next run
            self.spider.free_unit(unit.reservation)
            self.discovery.give_up(unit.walk)
            yield from self.step()
            return
        self.discovery.read_answers(unit, got)
        if guard.more(got):
            yield self.answers_request(unit, page + 1, guard)
            return
        if guard.stopped:
            # The server kept saying has_more: the answers may be cut short; ask again later.
            unit.quarantined += 1
            log.warning("stopped listing /questions/{ids}/answers after %s", guard.stopped)
        if self.spider.budget is not None:
            self.spider.budget.saw_answer_pages(page)
        yield from self.commit(unit)

    def commit(self, unit: Unit) -> Iterator[scrapy.Request]:
        spider = self.spider
        spider.free_unit(unit.reservation)
        try:
            self.discovery.commit(unit)
        except SQLAlchemyError as exc:
            # Neither the answerers nor the position were written: stop, the next run asks again.
            spider.fatal = StorageFailure(
                f"storing the answers discovery of tag {unit.walk.tag} failed: {reason(exc)}"
            )
            log.error("%s; the crawl stops", spider.fatal.message)
            raise CloseSpider("storage") from None
        spider.report()
        yield from self.batches()
        yield from self.step()
