"""Profiles for the Stack Overflow spider: 100 ids a `/users/{ids}` call, then their tags
(`/users/{ids}/tags`, every page) and, for the shortlist, `/users/{id}/top-answer-tags`; the
batch becomes one PageItem for the shared pipeline steps. The same for the top answerers and
for the answerers found by crawlers/stackexchange/discover.py (`Batch.kind`)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import scrapy
from scrapy.http import Response

from crawlers.page_item import PageItem
from crawlers.stackexchange.answers import PageGuard
from crawlers.stackexchange.budget import Reservation
from crawlers.stackexchange.client import ids_path
from crawlers.stackexchange.host import SpiderHost
from crawlers.stackexchange.plan import Batch

log = logging.getLogger(__name__)

# Scrapy sends higher priorities first: work already started, then profiles, then discovery.
CONTINUE_PRIORITY = 20
PROFILE_PRIORITY = 10


def user_id_of(user: dict[str, Any]) -> int | None:
    """A user object's numeric id, None when it has none that is a number."""
    value = user.get("user_id")
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    try:
        return int(value)
    except ValueError:
        return None


class ProfileFetch:
    def __init__(self, spider: SpiderHost) -> None:
        self.spider = spider
        self.shortlist = spider.crawl.shortlist()

    def users_request(self, batch: Batch, priority: int = PROFILE_PRIORITY) -> scrapy.Request:
        spider = self.spider
        params: dict[str, Any] = {"pagesize": 100}
        if batch.since is not None:
            params.update(sort="modified", min=batch.since)
        shortlisted = sum(1 for uid in batch.ids if uid in self.shortlist)
        budget = spider.budget
        return spider.request(
            "/users/{ids}",
            f"/users/{ids_path(batch.ids)}",
            params,
            self.on_users,
            priority=priority,
            unit=Reservation(),
            cost=budget.profiles_cost(len(batch.ids), shortlisted) if budget else 1,
            batch=batch,
        )

    def top_answerer_batches(self) -> Iterator[scrapy.Request]:
        self.shortlist = self.spider.crawl.shortlist()
        for batch in self.spider.crawl.batches():
            yield self.users_request(batch)

    def on_users(self, response: Response, batch: Batch) -> Iterator[Any]:
        spider = self.spider
        got = spider.answer(response)
        unit = response.meta.get("se_unit")
        if not isinstance(got, dict):
            if got is not None:
                yield got
            else:
                spider.free_unit(unit)
            return
        users = list(got["items"])
        acc: dict[str, Any] = {
            "users": users,
            "tags": [],
            "top": {},
            "pending": 0,
            "incomplete": set(),
            "guard": PageGuard(),
            "unit": unit,
        }
        spider.run_stats["users_requests"] += 1
        spider.run_stats["users_returned"] += len(users)
        ids = sorted({uid for uid in (user_id_of(u) for u in users) if uid is not None})
        if not ids:
            yield self._batch_done(batch, acc)
            return
        yield self.tags_request(batch, ids, acc, 1)

    def tags_request(
        self, batch: Batch, ids: list[int], acc: dict[str, Any], page: int
    ) -> scrapy.Request:
        return self.spider.request(
            "/users/{ids}/tags",
            f"/users/{ids_path(ids)}/tags",
            {"page": page, "pagesize": 100},
            self.on_tags,
            priority=CONTINUE_PRIORITY,
            unit=acc["unit"],
            batch=batch,
            ids=ids,
            acc=acc,
            page=page,
        )

    def on_tags(
        self, response: Response, batch: Batch, ids: list[int], acc: dict[str, Any], page: int
    ) -> Iterator[Any]:
        spider = self.spider
        got = spider.answer(response)
        if not isinstance(got, dict):
            if got is not None:
                yield got
            else:
                spider.free_unit(acc["unit"])
            return
        acc["tags"].extend(got["items"])
        guard: PageGuard = acc["guard"]
        if guard.more(got):
            yield self.tags_request(batch, ids, acc, page + 1)
            return
        if spider.budget is not None:
            spider.budget.saw_tags(len(ids), len(acc["tags"]))
        if guard.stopped:
            # The server kept saying has_more: these users' tags may be cut short.
            spider.run_stats["errors"] += 1
            log.warning("stopped listing /users/{ids}/tags after %s", guard.stopped)
            acc["incomplete"].update(ids)
        deep = [i for i in ids if i in self.shortlist]
        if not deep:
            yield self._batch_done(batch, acc)
            return
        acc["pending"] = len(deep)
        for uid in deep:
            yield spider.request(
                "/users/{id}/top-answer-tags",
                f"/users/{uid}/top-answer-tags",
                {"pagesize": 100},
                self.on_top_tags,
                priority=CONTINUE_PRIORITY,
                unit=acc["unit"],
                batch=batch,
                uid=uid,
                acc=acc,
            )

    def on_top_tags(
        self, response: Response, batch: Batch, uid: int, acc: dict[str, Any]
    ) -> Iterator[Any]:
        got = self.spider.answer(response)
        if isinstance(got, scrapy.Request):
            yield got
            return
        if got is not None:
            acc["top"][uid] = list(got["items"])
            self.spider.run_stats["top_answer_tags_requests"] += 1
        else:
            # Given up: the profile is stored without touching its tags and stays owed.
            acc["incomplete"].add(uid)
        acc["pending"] -= 1
        if acc["pending"] == 0:
            yield self._batch_done(batch, acc)

    def _batch_done(self, batch: Batch, acc: dict[str, Any]) -> PageItem:
        self.spider.free_unit(acc["unit"])
        return self.spider.crawl.batch_item(
            batch, acc["users"], acc["tags"], acc["top"], incomplete=acc["incomplete"]
        )
