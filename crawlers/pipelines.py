"""Item pipeline shared by the crawlers: one page of accounts per item (crawlers/page_item.py),
in numbered steps.

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

A page is stored before its cursor moves past it, or the crawl stops:
- a record that fails validation (its parser refuses it with PayloadError, or its values
  cannot be fitted to the schema: storage.fit) is QUARANTINED: counted in the stats'
  `quarantined`, its raw record kept, the reason logged as `source:id` only (never a personal
  field); the rest of its page lands. When the page came with the cursor it continues from
  (GitHub search), that cursor is committed instead of the page's own, up to
  QUARANTINE_HOLDS times: the window stays on the page, the run ends partial, and `--resume`
  fetches the page again, so a record that was bad for a moment is not lost. A record still
  bad after that is left quarantined (its raw record waits for `scout rebuild`) and the
  window moves on, so one broken account cannot block a window for ever;
- a storage failure (the database refuses the page's transaction, for whatever reason: disk
  full, database locked, connection lost, a constraint; crawlers/page_store.py) stores
  nothing of the page: the context's `storage_failure` is set, every later page is dropped
  unstored, and the Scrapy spider is closed. The cursor stays on the last stored page, so
  `--resume` fetches exactly what is missing.
No exception leaves a step (Scrapy would log the item, records and all): an unexpected one
stops the crawl the same way. PageItem's repr names the page, never its records.
"""

from __future__ import annotations

import inspect
import logging
from abc import ABC, abstractmethod
from collections import Counter
from typing import Any, Protocol

from scrapy.utils.defer import deferred_from_coro
from sqlalchemy import Engine

from config.errors import PayloadError, StorageFailure
from crawlers.page_item import QUARANTINE_HOLDS, PageItem, SourceRules
from crawlers.page_store import storage_failure
from crawlers.payload import SHAPE_ERRORS
from storage.db import session_scope
from storage.items import RawItem
from storage.models import CrawlRun
from storage.save import check_storable, save_profiles, save_raw
from storage.state import set_cursor
from storage.suppress import is_suppressed, suppressed_hashes

log = logging.getLogger(__name__)

ITEM_PIPELINES = {
    "crawlers.pipelines.SuppressionStep": 100,
    "crawlers.pipelines.RawRecordStep": 200,
    "crawlers.pipelines.ParseStep": 300,
    "crawlers.pipelines.LocationStep": 400,
    "crawlers.pipelines.StoreStep": 500,
}


class CrawlContext(Protocol):
    """What the steps need from the spider: the database, the run and its running totals."""

    source: str
    engine: Engine
    run_id: int | None
    run_stats: Counter[str]
    seen_ids: set[str]
    max_users: int | None

    storage_failure: str | None
    held_partitions: set[str]

    def on_page_stored(self, item: PageItem) -> None: ...


def storage_failed(context: Any) -> str | None:
    """The message of the storage failure that stopped the crawl, or None."""
    failure = getattr(context, "storage_failure", None)
    return None if failure is None else str(failure)


class Step(ABC):
    """A pipeline step; Scrapy no longer passes the spider, so it is read from the crawler.

    `process_item` runs the step's `step`; no exception leaves it (see the module doc).
    """

    def __init__(self, crawler: Any = None) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> Step:
        return cls(crawler)

    @property
    def spider(self) -> CrawlContext:
        return self.crawler.spider

    @abstractmethod
    def step(self, item: PageItem) -> PageItem:
        """What the step does to a page; `process_item` wraps it so nothing escapes."""

    def process_item(self, item: PageItem) -> PageItem:
        if item.abandoned:
            return item
        if storage_failed(self.spider):
            item.abandoned = True  # a page after a storage failure is never stored
            return item
        try:
            return self.step(item)
        except StorageFailure as exc:
            self.stop(item, exc.message)
        except Exception as exc:
            # Any other error is a bug of a step: it must not escape into Scrapy (which would
            # log it and go on storing later pages); the crawl stops with a message naming the
            # step (the run's message), the traceback is logged at debug.
            log.debug("while processing %r", item, exc_info=True)
            self.stop(
                item,
                f"{type(exc).__name__} while processing a page of {item.rules.source} "
                f"in {type(self).__name__} (a bug; please report it)",
            )
        return item

    def stop(self, item: PageItem, message: str) -> None:
        """Stop the crawl on a storage failure: nothing of this page, nor any later one."""
        item.abandoned = True
        spider = self.spider
        first = storage_failed(spider) is None
        if first:
            spider.storage_failure = message
            log.error("%s; the cursor stays on the last stored page", message)
        engine = getattr(self.crawler, "engine", None)
        if engine is None:  # a direct caller (no Scrapy): it gets the one-line error
            raise StorageFailure(message)
        if first:
            closing = engine.close_spider_async(reason="storage_failure")
            if inspect.isawaitable(closing):
                deferred_from_coro(closing)


class SuppressionStep(Step):
    hashes: set[str] = frozenset()  # type: ignore[assignment]

    def open_spider(self) -> None:
        with session_scope(self.spider.engine) as session:
            self.hashes = suppressed_hashes(session, self.spider.source)

    def step(self, item: PageItem) -> PageItem:
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


def _key(rules: SourceRules, record: dict[str, Any]) -> str | None:
    try:
        return rules.key_of(record)
    except SHAPE_ERRORS:
        return None


def _kept(rules: SourceRules, record: dict[str, Any]) -> bool:
    """Is the record a candidate (not an org, bot...)? One that cannot be told is kept raw."""
    try:
        return rules.why_dropped(record) is None
    except SHAPE_ERRORS:
        return True


class RawRecordStep(Step):
    def step(self, item: PageItem) -> PageItem:
        rules = item.rules
        item.raw = []
        for record in item.records:
            key = _key(rules, record)
            if key is not None and _kept(rules, record):
                subject = rules.subject(record)
                raw = RawItem(
                    rules.source, rules.endpoint, key, item.fetched_at, record, subject=subject
                )
                item.raw.append(raw)
        return item


class ParseStep(Step):
    """Parses each record; one its parser refuses is quarantined, the rest of the page goes on.

    PayloadError is every parser's declared error. Any other exception is a parser bug: the
    record is quarantined all the same (its raw record kept for `scout rebuild` once fixed),
    and logged at ERROR by its exception type only, since a message might quote a value.
    """

    def step(self, item: PageItem) -> PageItem:
        rules = item.rules
        for record in item.records:
            key = _key(rules, record)
            label = rules.label(record, key)
            try:
                reason = rules.why_dropped(record)
                profile = None if reason else rules.parse(record, item.fetched_at)
                if profile is not None:
                    check_storable(profile)  # a value no column can hold is the record's fault
            except PayloadError as exc:
                item.quarantine(label, key, str(exc))
                continue
            except Exception as exc:
                # A parser bug on one record (not a PayloadError) must not stop the crawl: the
                # record is quarantined (counted, logged at ERROR by type) like a bad one.
                item.quarantine(label, key, f"parser bug: {type(exc).__name__}", bug=True)
                continue
            if profile is None:
                item.stats[f"dropped_{reason or 'invalid'}"] += 1
            else:
                item.profiles.append(profile)
        return item


class LocationStep(Step):
    def step(self, item: PageItem) -> PageItem:
        kept = []
        for profile in item.profiles:
            if item.rules.location_excluded(profile.location_raw):
                item.stats["dropped_excluded_location"] += 1
            else:
                kept.append(profile)
        if len(kept) != len(item.profiles):
            keys = {p.handle.lower() for p in kept if p.handle} | item.quarantined
            item.raw = [r for r in item.raw if r.key in keys]
        item.profiles = kept
        return item


class StoreStep(Step):
    """Writes the page and its cursor atomically; duplicates across windows are stored once.

    A database that refuses the transaction is a storage failure (crawlers/page_store.py):
    the crawl stops with nothing of the page committed.
    """

    def step(self, item: PageItem) -> PageItem:
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
                # The people cut are not stored: the cursor must not move past them, or
                # --resume would never fetch them (the page is asked again instead).
                item.commit_cursor = False
        item.profiles = list(by_id.values())
        item.stats["profiles_stored"] += len(item.profiles)
        item.stats["pages"] += 1
        held = getattr(spider, "held_partitions", None)
        if held is not None and item.partition in held:
            # A later page of a window held earlier in this run (Scrapy may have asked for it
            # before the hold was known): its profiles land, its cursor does not.
            item.held = True
            item.commit_cursor = False
        elif item.stats["quarantined"]:
            self._hold(item)
            if item.held and held is not None:
                held.add(item.partition)
        try:
            with session_scope(spider.engine) as session:
                save_raw(session, item.raw)
                save_profiles(session, item.profiles, tally=item.stats)
                self._commit_page(session, item)
        except Exception as exc:
            # Every record was validated before: whatever the database raises is its fault
            # (crawlers/page_store.py), re-raised as the StorageFailure that stops the crawl.
            raise storage_failure(exc, "writing a page") from exc
        spider.run_stats.update(item.stats)
        seen.update(p.external_id for p in item.profiles)
        spider.on_page_stored(item)
        return item

    def _commit_page(self, session: Any, item: PageItem) -> None:
        """The page's cursor and the run's stats so far, in the page's transaction."""
        spider = self.spider
        if item.on_commit is not None:
            item.on_commit(session, item)
        if item.commit_cursor:
            set_cursor(session, item.rules.source, item.stream, item.partition, item.cursor)
        if spider.run_id is not None:
            run = session.get(CrawlRun, spider.run_id)
            if run is not None:
                totals = spider.run_stats + item.stats
                run.stats = dict(totals)
                run.errors = totals.get("errors", 0)

    @staticmethod
    def _hold(item: PageItem) -> None:
        """Keep the window on a page with quarantined records, QUARANTINE_HOLDS times."""
        previous = item.previous
        if previous is None or not isinstance(item.cursor, dict) or not item.cursor.get("after"):
            return  # no paging cursor to hold, or the page is held already (a partial answer)
        if item.cursor.get("after") == previous.get("after"):
            return
        tries = int(previous.get("quarantine_tries", 0)) + 1
        if tries > QUARANTINE_HOLDS:
            log.warning(
                "%s %r: %d record(s) still quarantined after %d fetches of the page; the window "
                "moves on, their raw records wait for `scout rebuild`",
                item.rules.source,
                item.partition,
                item.stats["quarantined"],
                tries,
            )
            return
        item.cursor = {**previous, "done": False, "quarantine_tries": tries}
        item.held = True
        item.stats["errors"] += 1
        item.stats["pages_held"] += 1
        log.warning(
            "%s %r: a page with %d quarantined record(s) keeps its window on that page; "
            "--resume fetches it again",
            item.rules.source,
            item.partition,
            item.stats["quarantined"],
        )
