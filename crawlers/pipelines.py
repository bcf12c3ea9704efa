"""Item pipeline shared by the crawlers: one page of accounts per item, in numbered steps.

    100 SuppressionStep   people who asked to be forgotten never go further (by login and id)
    200 RawRecordStep     each account's JSON as received becomes a raw record
    300 ParseStep         the source's parser turns JSON into ProfileItems; orgs/bots dropped
    400 LocationStep      accounts whose location names an excluded place are dropped
    500 StoreStep         raw records, profiles, the partition cursor and the run's stats are
                          written in ONE transaction

The unit is a page, not an account, because the cursor that says "this page is done" must be
committed together with the page's data: a crawl killed at any point resumes from the last
committed page and ends with the same database as an uninterrupted one. Batching is also what
makes SQLite keep up (one transaction per page, not per person).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Engine

from storage.db import session_scope
from storage.items import ProfileItem, RawItem
from storage.models import CrawlRun
from storage.save import save_profiles, save_raw
from storage.state import set_cursor
from storage.suppress import is_suppressed, suppressed_hashes

ITEM_PIPELINES = {
    "crawlers.pipelines.SuppressionStep": 100,
    "crawlers.pipelines.RawRecordStep": 200,
    "crawlers.pipelines.ParseStep": 300,
    "crawlers.pipelines.LocationStep": 400,
    "crawlers.pipelines.StoreStep": 500,
}


@dataclass(slots=True)
class SourceRules:
    """How one source's records are keyed, suppressed, parsed and filtered."""

    source: str
    endpoint: str
    key_of: Callable[[dict[str, Any]], str]
    suppress_keys: Callable[[dict[str, Any]], tuple[str | None, ...]]
    why_dropped: Callable[[dict[str, Any]], str | None]
    parse: Callable[[dict[str, Any], datetime], ProfileItem | None]
    location_excluded: Callable[[str | None], bool] = lambda _location: False


@dataclass(slots=True)
class PageItem:
    """One API page: its accounts, and the cursor to commit with them."""

    rules: SourceRules
    stream: str
    partition: str
    cursor: Any
    fetched_at: datetime
    records: list[dict[str, Any]]
    raw: list[RawItem] = field(default_factory=list)
    profiles: list[ProfileItem] = field(default_factory=list)
    stats: Counter[str] = field(default_factory=Counter)


class CrawlContext(Protocol):
    """What the steps need from the spider: the database, the run and its running totals."""

    source: str
    engine: Engine
    run_id: int | None
    run_stats: Counter[str]
    seen_ids: set[str]
    max_users: int | None

    def on_page_stored(self, item: PageItem) -> None: ...


class Step:
    """A pipeline step; Scrapy no longer passes the spider, so it is read from the crawler."""

    def __init__(self, crawler: Any = None) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> Step:
        return cls(crawler)

    @property
    def spider(self) -> CrawlContext:
        return self.crawler.spider


class SuppressionStep(Step):
    hashes: set[str] = frozenset()  # type: ignore[assignment]

    def open_spider(self) -> None:
        with session_scope(self.spider.engine) as session:
            self.hashes = suppressed_hashes(session, self.spider.source)

    def process_item(self, item: PageItem) -> PageItem:
        if not self.hashes:
            return item
        kept = []
        for record in item.records:
            if is_suppressed(self.hashes, item.rules.source, *item.rules.suppress_keys(record)):
                item.stats["suppressed"] += 1
            else:
                kept.append(record)
        item.records = kept
        return item


class RawRecordStep(Step):
    def process_item(self, item: PageItem) -> PageItem:
        rules = item.rules
        item.raw = [
            RawItem(rules.source, rules.endpoint, rules.key_of(r), item.fetched_at, r)
            for r in item.records
            if rules.why_dropped(r) is None
        ]
        return item


class ParseStep(Step):
    def process_item(self, item: PageItem) -> PageItem:
        rules = item.rules
        for record in item.records:
            reason = rules.why_dropped(record)
            profile = None if reason else rules.parse(record, item.fetched_at)
            if profile is None:
                item.stats[f"dropped_{reason or 'invalid'}"] += 1
            else:
                item.profiles.append(profile)
        return item


class LocationStep(Step):
    def process_item(self, item: PageItem) -> PageItem:
        kept = []
        for profile in item.profiles:
            if item.rules.location_excluded(profile.location_raw):
                item.stats["dropped_excluded_location"] += 1
            else:
                kept.append(profile)
        if len(kept) != len(item.profiles):
            handles = {p.handle for p in kept}
            item.raw = [r for r in item.raw if r.key in {h.lower() for h in handles if h}]
        item.profiles = kept
        return item


class StoreStep(Step):
    """Writes the page and its cursor atomically; duplicates across windows are stored once."""

    def process_item(self, item: PageItem) -> PageItem:
        spider = self.spider
        seen: set[str] = spider.seen_ids
        fresh = [p for p in item.profiles if p.external_id not in seen]
        item.stats["duplicates"] += len(item.profiles) - len(fresh)
        by_id = {p.external_id: p for p in fresh}  # the same account twice in one page
        limit = getattr(spider, "max_users", None)
        if limit:
            # Concurrent windows may overshoot --max-users by a page; keep the promise exactly.
            room = max(0, limit - spider.run_stats["profiles_stored"])
            if room < len(by_id):
                cut = list(by_id.values())[room:]
                by_id = dict(list(by_id.items())[:room])
                # Raw records only of what is stored: `scout rebuild` makes a profile of each.
                dropped = {p.handle.lower() for p in cut if p.handle} - {
                    p.handle.lower() for p in by_id.values() if p.handle
                }
                item.raw = [r for r in item.raw if r.key not in dropped]
        item.profiles = list(by_id.values())
        item.stats["profiles_stored"] += len(item.profiles)
        item.stats["pages"] += 1
        totals = spider.run_stats + item.stats
        with session_scope(spider.engine) as session:
            save_raw(session, item.raw)
            save_profiles(session, item.profiles)
            set_cursor(session, item.rules.source, item.stream, item.partition, item.cursor)
            if spider.run_id is not None:
                run = session.get(CrawlRun, spider.run_id)
                if run is not None:
                    run.stats = dict(totals)
                    run.errors = totals.get("errors", 0)
        spider.run_stats.update(item.stats)
        seen.update(by_id)
        spider.on_page_stored(item)
        return item
