"""What the contributors spider asks next: its state, the list and detail requests, one
repository's walk after another, --budget (crawlers/github/contributors.py reads the answers).

A cursor per repository (crawl_state source github, stream "contributors", partition OWNER/NAME):
`phase` (contributors, pulls, done), `page`, `began`, `since` (the newest update the last
finished walk counted up to), `top` (this walk's), `last` (the pull numbers of the page before,
so one pushed down a page by a newer update is not counted twice), `walked`.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime, timedelta
from typing import Any, Self
from urllib.parse import urlencode

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response
from sqlalchemy import Engine
from twisted.python.failure import Failure

from config.clock import utcnow
from crawlers.github import contrib_parse as cp
from crawlers.github import parse
from crawlers.github.detail import Budget, Lookup, worst_cost
from crawlers.github.governor import CORE, GRAPHQL, RateGovernor
from crawlers.github.query import DETAIL_QUERY, detail_cost
from crawlers.github.search_requests import github_rules
from crawlers.page_item import PageItem
from storage.items import RawItem
from storage.models import Profile

log = logging.getLogger(__name__)

STREAM = "contributors"
PER_PAGE = 100
# A contributor stored less than this many days ago costs no details.
STALE_DAYS = 30
# What a list page may cost with its details (REST request + GraphQL points): --budget.
LIST_RESERVE = 1 + worst_cost(PER_PAGE)
ENDPOINTS = {"contributors": "rest:/repos/contributors", "pulls": "rest:/repos/pulls"}


def iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def new_walk(stored: dict[str, Any] | None, now: datetime) -> dict[str, Any]:
    """Where a repository's walk goes on: the stored cursor of a walk not finished, or a new
    walk (its pull requests read down to the last finished walk's newest update)."""
    if isinstance(stored, dict) and stored.get("phase") in ("contributors", "pulls"):
        return stored
    since = stored.get("top") if isinstance(stored, dict) else None
    return {"phase": "contributors", "page": 1, "began": now.isoformat(), "since": since}


class ContributorRequests(scrapy.Spider):
    """The contributors spider's state and requests; its answers are read by the subclass
    (crawlers/github/contributors.py), through the callbacks declared here."""

    name = "github_contributors"
    source = parse.SOURCE
    max_users = None  # crawlers/pipelines.StoreStep reads it
    on_list: Callable[[Response], Iterator[Any]]
    on_detail: Callable[[Response], Iterator[Any]]
    on_error: Callable[[Failure], Iterator[Any]]

    def __init__(
        self,
        *,
        repos: list[str],
        engine: Engine,
        api_url: str,
        graphql_url: str,
        token: str | None,
        governor: RateGovernor,
        run_id: int | None,
        cursors: dict[str, Any],
        budget: int | None = None,
        stale_days: int = STALE_DAYS,
        on_progress: Callable[[Any], None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.repos = repos
        self.queue = list(repos)
        self.engine = engine
        self.api_url = api_url.rstrip("/")
        self.graphql_url = graphql_url
        self.token = token
        self.governor = governor
        self.run_id = run_id
        self.cursors = cursors
        self.stale = timedelta(days=stale_days)
        self.progress = on_progress
        self.rules = github_rules()
        self.run_stats: Counter[str] = Counter()
        self.seen_ids: set[str] = set()
        self.fatal: str | None = None
        self.fatal_exit = 4
        self.storage_failure: str | None = None
        self.held_partitions: set[str] = set()
        self.wait_s = 0.0
        self.budget = Budget(budget)
        self.claimed: set[str] = set()  # detailed (or found fresh) in this run
        self.lookup = Lookup(engine)  # stored profiles, suppressions (read once)
        self.truncated: list[str] = []

    # -- requests ----------------------------------------------------------------------------

    def _headers(self, accept: str) -> dict[str, str]:
        headers = {"Accept": accept, "X-GitHub-Api-Version": "2022-11-28"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider: Self = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.next_repository, signal=signals.spider_idle)
        return spider

    async def start(self) -> AsyncIterator[Any]:
        request = self._next_walk()
        if request is not None:
            yield request

    def _next_walk(self) -> scrapy.Request | None:
        """The first request of the next repository's walk (None: none left, or --budget).

        Repositories are walked one after another: a user found in two of them is detailed
        by the first, whose page is stored before the second asks, so every contributions row
        finds its profile stored."""
        while self.queue and not (self.budget.reached or self.storage_failure or self.fatal):
            repo = self.queue.pop(0)
            request = self.list_request(repo, new_walk(self.cursors.get(repo), utcnow()))
            if request is not None:
                return request
        return None

    def next_repository(self) -> None:
        """On spider_idle (every page asked is stored): walk the next repository."""
        request = self._next_walk()
        if request is not None:
            self.crawler.engine.crawl(request)
            raise DontCloseSpider

    def list_request(self, repo: str, cursor: dict[str, Any]) -> scrapy.Request | None:
        """The walk's next list page, or None once --budget cannot cover it and its details."""
        if self.budget.reached or not self.budget.take(
            repo, LIST_RESERVE, self.run_stats["quota_spent"]
        ):
            return None
        kind = cursor["phase"]
        query: dict[str, Any] = {"per_page": PER_PAGE, "page": cursor["page"]}
        if kind == "pulls":
            query = {"state": "closed", "sort": "updated", "direction": "desc", **query}
        return scrapy.Request(
            f"{self.api_url}/repos/{repo}/{kind}?{urlencode(query)}",
            headers=self._headers("application/vnd.github+json"),
            callback=self.on_list,
            errback=self.on_error,
            dont_filter=True,
            meta={
                "resource": CORE,
                "cost": 1,
                "handle_httpstatus_all": True,
                "repo": repo,
                "cursor": cursor,
            },
        )

    def detail_request(self, chain: dict[str, Any]) -> scrapy.Request | None:
        batches: list[list[str]] = chain["batches"]
        costs = [detail_cost(len(batch)) for batch in batches]
        if not self.budget.take(chain["repo"], sum(costs), self.run_stats["quota_spent"]):
            return None
        return scrapy.Request(
            self.graphql_url,
            method="POST",
            body=json.dumps({"query": DETAIL_QUERY, "variables": {"ids": batches[0]}}),
            headers={"Content-Type": "application/json", **self._headers("application/json")},
            callback=self.on_detail,
            errback=self.on_error,
            dont_filter=True,
            meta={
                "resource": GRAPHQL,
                "cost": costs[0],
                "handle_httpstatus_all": True,
                "repo": chain["repo"],
                "chain": chain,
            },
        )

    # -- answers -------------------------------------------------------------------------------

    def give_up(self, repo: str, reason: str) -> None:
        """This run stops walking `repo`: the cursor says where --resume goes on."""
        self.budget.release(repo)
        self.run_stats["errors"] += 1
        self.run_stats["pages_skipped"] += 1
        log.warning("github %s: a page was skipped (%s); --resume asks for it again", repo, reason)

    def _raw(self, repo: str, kind: str, key: str, entry: Any, subject: str | None) -> RawItem:
        return RawItem(
            parse.SOURCE, ENDPOINTS[kind], f"{repo}#{key}", utcnow(), entry, subject=subject
        )

    def _suppressed(self, account: cp.Account) -> bool:
        return self.lookup.suppressed(account.as_node())

    def _stored(self, ids: list[str]) -> dict[str, datetime]:
        """When each stored profile was last seen (ids not stored are absent)."""
        return self.lookup.stored(ids, Profile.last_seen)

    def _partial_retry(self, response: Response) -> scrapy.Request | None:
        tries = int(response.meta.get("partial_retries", 0))
        crawler = getattr(self, "crawler", None)
        limit = crawler.settings.getint("RETRY_TIMES", 3) if crawler is not None else 3
        if tries >= limit:
            return None
        retry = response.request.replace(dont_filter=True)  # type: ignore[union-attr]
        retry.meta.pop("json", None)
        retry.meta["partial_retries"] = tries + 1
        retry.meta["retry_delay"] = 0.5 * 2**tries
        self.run_stats["retries"] += 1
        return retry

    def on_page_stored(self, item: PageItem) -> None:
        if self.progress is not None:
            self.progress(self)

    def on_wait(self, seconds: float) -> None:
        self.wait_s = seconds
