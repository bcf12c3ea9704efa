"""Distributed GitHub search: one crawl shared by workers on several machines through Redis.

`scout crawl github ... --distributed redis://host:6379/0` runs the same spider with scrapy-redis:
the request queue (and dupefilter) live in Redis under a key derived from the query, so every
worker started with the same query and API joins the same crawl; profiles, cursors and runs go
to the one shared database (PostgreSQL). The Redis side (keys, Lua scripts, the protocol of
seeding, taking, finishing and leaving, the shared queue and scheduler) is in
crawlers/github/coordination.py; this module is the worker: the spider, its downloader
middleware, the scrapy-redis settings and run_worker.

- Finishing: when its engine is idle, a worker asks Redis whether the whole crawl is drained;
  if so, under a lock it reads the plan's cursors from the database: windows neither done nor
  skipped after retries mean requests were lost with a stopped worker, and they are queued
  again; otherwise the crawl is finished and the worker stops.
- Redis lost mid-crawl: the worker stops taking requests, lets in-flight pages finish storing,
  marks its run interrupted and exits with one message. Requests in a surviving Redis are kept
  for a restart; with a new or emptied Redis, `--resume` re-seeds from the database cursors.
  Profiles are upserts, so nothing is lost or duplicated either way.

Requests rest in Redis without the Authorization header: AuthHeaderMiddleware adds the token
back just before download.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import redis
from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from sqlalchemy import select
from twisted.internet import task

from config.clock import utcnow
from config.errors import ScoutError
from config.settings import Settings

# The Redis layer moved to coordination.py; `X as X` re-exports its names so that imports (and
# Scrapy dotted paths) naming crawlers.github.distributed keep working.
from crawlers.github.coordination import ALIVE_TTL_S as ALIVE_TTL_S
from crawlers.github.coordination import HEARTBEAT_S as HEARTBEAT_S
from crawlers.github.coordination import KEY_ROOT as KEY_ROOT
from crawlers.github.coordination import Coordination as Coordination
from crawlers.github.coordination import CountedQueue as CountedQueue
from crawlers.github.coordination import RequestCodec as RequestCodec
from crawlers.github.coordination import SharedScheduler as SharedScheduler
from crawlers.github.coordination import connect as connect
from crawlers.github.coordination import crawl_key as crawl_key
from crawlers.github.coordination import safe_url as safe_url
from crawlers.github.crawl import (
    CrawlResult,
    clear_plan_cursors,
    outcome,
    plan_args,
    scrapy_settings,
)
from crawlers.github.governor_redis import RedisQuotaStore, SharedRateGovernor, credential_id
from crawlers.github.query import SearchPlan, Window
from crawlers.github.spider import STREAM, GitHubSearchSpider
from crawlers.process import crawler_process
from storage.db import open_database, session_scope
from storage.models import CrawlRun
from storage.state import all_cursors, finish_run, start_run

log = logging.getLogger(__name__)


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
        return [
            request
            for root in self.plan.roots()
            for request in self.window_requests(root)
            if request.meta["window"].partition not in skipped
        ]

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


def run_worker(
    settings: Settings,
    plan: SearchPlan,
    url: str,
    *,
    resume: bool = False,
    on_progress: Callable[[GitHubSearchSpider], None] | None = None,
    job_name: str | None = None,
    rewalk_days: int | None = None,
) -> CrawlResult:
    """Run this process as one worker of the distributed crawl of `plan` (one crawl_runs row)."""
    client = connect(url)
    api_url = settings.github_api_url
    key = crawl_key(plan, api_url)
    worker = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    coordination = Coordination(client, key, worker, url)
    engine = open_database(settings.db_url, auto_upgrade=settings.auto_upgrade)
    token = settings.github_token.get_secret_value() if settings.github_token else None
    try:
        seeder = coordination.join()
    except redis.RedisError as exc:
        raise ScoutError(f"cannot reach Redis at {safe_url(url)}: {exc}") from exc
    args = plan_args(plan, settings, resume, None, rewalk_days=rewalk_days)
    args.update(
        distributed=safe_url(url), crawl_key=key, worker=worker, seeder=seeder, api_url=api_url
    )
    with session_scope(engine) as session:
        if seeder and not resume:
            clear_plan_cursors(session, plan)
        cursors = all_cursors(session, "github", STREAM) if seeder else {}
        run_id = start_run(session, "github", args, job_name=job_name).id
    store = RedisQuotaStore(client, credential_id(api_url, token), on_unavailable=coordination.lose)
    governor = SharedRateGovernor(store, settings.github_quota_floor, settings.github_concurrency)
    scrapy = scrapy_settings(settings)
    scrapy["DOWNLOADER_MIDDLEWARES"] = {
        **scrapy["DOWNLOADER_MIDDLEWARES"],
        "crawlers.github.distributed.AuthHeaderMiddleware": 100,
    }
    scrapy.update(redis_settings(url, coordination))
    process = crawler_process(scrapy)
    crawler = process.create_crawler(DistributedSearchSpider)
    process.crawl(
        crawler,
        plan=plan,
        engine=engine,
        graphql_url=settings.github_graphql_url,
        token=token,
        governor=governor,
        run_id=run_id,
        cursors=cursors,
        on_progress=on_progress,
        coordination=coordination,
        seeder=seeder,
        rewalk_days=rewalk_days if resume else None,
    )
    try:
        process.start()
    finally:
        if coordination.lost is None:
            with coordination.guard():
                coordination.leave()
    spider: GitHubSearchSpider = crawler.spider  # type: ignore[assignment]
    status, message, stats = outcome(spider, crawler, governor)
    if coordination.lost is not None and not spider.fatal and not spider.storage_failure:
        status, message = "interrupted", coordination.lost
    with session_scope(engine) as session:
        finish_run(session, run_id, status, stats, errors=stats["errors"], message=message)
    engine.dispose()
    client.close()
    if spider.fatal and not spider.storage_failure:
        raise ScoutError(spider.fatal, exit_code=spider.fatal_exit)
    if coordination.lost is not None:
        raise ScoutError(coordination.lost)
    return CrawlResult(run_id, status, stats, list(spider.truncated), message)
