"""Distributed GitHub search: one crawl shared by workers on several machines through Redis.

`scout crawl github ... --distributed redis://host:6379/0` runs the same spider with scrapy-redis:
the request queue (and dupefilter) live in Redis under a key derived from the query, so every
worker started with the same query and API joins the same crawl; profiles, cursors and runs go
to the one shared database (PostgreSQL). The Redis side (keys, Lua scripts, the protocol of
seeding, taking, finishing and leaving, the shared queue and scheduler) is in
crawlers/github/coordination.py; this module is the worker's spider and its scrapy-redis
settings; crawlers/github/run.py runs a worker (run_worker) through the same run lifecycle as a
single crawl.

- Finishing: when its engine is idle, a worker asks Redis whether the whole crawl is drained;
  if so, under a lock it reads the plan's cursors from the database: windows neither done nor
  skipped after retries mean requests were lost with a stopped worker, and they are queued
  again; otherwise the crawl is finished and the worker stops.
- Redis lost mid-crawl: the worker stops taking requests, lets in-flight pages finish storing,
  marks its run interrupted and exits with one message. Requests in a surviving Redis are kept
  for a restart; with a new or emptied Redis, `--resume` re-seeds from the database cursors.
  Profiles are upserts, so nothing is lost or duplicated either way.

Requests rest in Redis without the Authorization header: AuthHeaderMiddleware
(crawlers/github/middlewares.py) adds the token back just before download.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from sqlalchemy import select
from twisted.internet import task

from config.clock import utcnow
from crawlers.github.coordination import HEARTBEAT_S, Coordination, RequestCodec
from crawlers.github.query import Window
from crawlers.github.spider import GitHubSearchSpider
from crawlers.github.windows import STREAM
from storage.db import session_scope
from storage.models import CrawlRun
from storage.state import all_cursors

log = logging.getLogger(__name__)


class DistributedSearchSpider(GitHubSearchSpider):
    """The search spider as one worker of a shared crawl."""

    name = "github_search_distributed"

    def __init__(self, *, coordination: Coordination, seeder: bool, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.coordination = coordination
        self.seeder = seeder
        self._beat: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> DistributedSearchSpider:
        spider: DistributedSearchSpider = super().from_crawler(crawler, *args, **kwargs)
        spider.coordination.crawler = crawler
        crawler.signals.connect(spider.on_idle, signal=signals.spider_idle)
        crawler.signals.connect(spider.on_opened, signal=signals.spider_opened)
        crawler.signals.connect(spider.on_closed, signal=signals.spider_closed)
        return spider

    async def start(self) -> AsyncIterator[Any]:
        if self.seeder:
            async for request in super().start():
                yield request

    def on_opened(self) -> None:
        self._beat = task.LoopingCall(self._heartbeat)
        self._beat.start(HEARTBEAT_S, now=True)

    def on_closed(self) -> None:
        if self._beat is not None and self._beat.running:
            self._beat.stop()

    def _heartbeat(self) -> None:
        coordination = self.coordination
        if coordination.lost is not None:
            return
        with coordination.guard():
            coordination.heartbeat()
        # An idle Scrapy engine looks at its scheduler only every 5 s; look every HEARTBEAT_S so an
        # idle worker picks up what other workers queue (and notices the end) promptly.
        slot = getattr(self.crawler.engine, "_slot", None)
        nextcall = getattr(slot, "nextcall", None)
        if nextcall is not None:
            nextcall.schedule()

    def on_idle(self) -> None:
        """Keep the worker open until the whole crawl, not just its share, is done."""
        coordination = self.coordination
        if coordination.lost is not None:
            return
        with coordination.guard():
            if not coordination.drained() or not coordination.lock():
                raise DontCloseSpider
            try:
                if not coordination.drained():
                    raise DontCloseSpider
                self.close_dead_runs()
                missing = self.lost_requests(coordination.skipped())
                if missing:
                    log.warning("re-queued %d request(s) a stopped worker had taken", len(missing))
                    for request in missing:
                        self.crawler.engine.crawl(request)
                    raise DontCloseSpider
            finally:
                coordination.unlock()
        if coordination.lost is not None:
            raise DontCloseSpider  # the close scheduled by lose() gives the reason

    def close_dead_runs(self) -> None:
        """Mark the runs of workers of this crawl that died without a word (kill -9, power) as
        lost, so `scout runs` does not show them running forever."""
        coordination = self.coordination
        with session_scope(self.engine) as session:
            running = session.scalars(
                select(CrawlRun).where(CrawlRun.source == "github", CrawlRun.status == "running")
            ).all()
            for run in running:
                args = run.args if isinstance(run.args, dict) else {}
                worker = args.get("worker")
                mine = worker in (None, coordination.worker)
                if args.get("crawl_key") != coordination.key or mine:
                    continue
                if coordination.client.exists(coordination.alive_prefix + str(worker)):
                    continue
                run.status = "lost"
                run.finished_at = utcnow()
                run.message = (
                    f"worker {worker} stopped without finishing (killed?); "
                    f"worker {coordination.worker} queued again what it had taken"
                )

    def lost_requests(self, skipped: set[str]) -> list[Request]:
        """What the plan still needs, per the database, except windows skipped after retries."""
        with session_scope(self.engine) as session:
            self.cursors = all_cursors(session, self.source, STREAM)
        # A lost request may be the details of a page this worker discovered (any worker takes
        # any request): its users are claimed here but were never stored, and the page asked
        # again must detail them, not skip them as already claimed (a page of 99 people was
        # lost so, its cursor done). Claims only save a repeat detail; forget them all.
        self.claimed.clear()
        due = (
            request
            for root in self.plan.roots()
            for request in self.window_requests(root)
            if request.meta["window"].partition not in skipped
        )
        return list(self.batched(due))

    def given_up(self, window: Window) -> None:
        # Other workers must not mistake a skipped (or still partial) page for a lost one and
        # retry it forever.
        with self.coordination.guard():
            self.coordination.mark_skipped(window.partition)


def redis_settings(url: str, coordination: Coordination) -> dict[str, Any]:
    """The scrapy-redis settings of one worker: shared queue and dupefilter, kept on close."""
    return {
        "SCHEDULER": "crawlers.github.coordination.SharedScheduler",
        "SCHEDULER_QUEUE_CLASS": "crawlers.github.coordination.CountedQueue",
        "SCHEDULER_QUEUE_KEY": coordination.queue_key,
        # Every request is dont_filter (a window's next request comes from exactly one
        # callback, and a lost one must be allowed again), so the dupefilter never drops one;
        # it is named per crawl so it never mixes with another's.
        "SCHEDULER_DUPEFILTER_KEY": coordination.dupefilter_key,
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_SERIALIZER": RequestCodec,
        # Never flush the shared queue when one worker stops.
        "SCHEDULER_PERSIST": True,
        "SCHEDULER_FLUSH_ON_START": False,
        "REDIS_URL": url,
        "REDIS_PARAMS": {"socket_connect_timeout": 5, "socket_timeout": 10},
    }
