"""The Hub crawl's walk: discovery streams page by page, each page's new or changed authors
fetched and stored with the stream's cursor in one transaction (the shared numbered steps of
crawlers.pipelines, driven directly as the Stack Overflow lookup does: no Scrapy here).

A stream is one listing (`/api/models`, `/api/datasets` or `/api/spaces`) filtered by a
pipeline tag or a library, in one sort order; its cursor (stream "discovery", partition e.g.
`models:pipeline_tag=text-generation:sort=downloads`) is `{"next": <the Link header's query>,
"done": bool}`. For each author on a page:
- an organisation is skipped (told once by its overviews: the user overview is 404 and the
  organisation overview answers; remembered in the `orgs` cursor, so it costs nothing again);
- an author stored with every item the page lists, none modified since, is unchanged and
  costs no request (only last_seen moves);
- any other author costs its overview and one listing per kind it has (the overview's
  numModels/numDatasets/numSpaces say which), stored as one ProfileItem with its hub_items.
A page whose author could not be fetched, or cut by --budget or --max-users, stores what came
and keeps its stream's cursor on that page, so the next run asks it again (the authors stored
meanwhile are then unchanged and free).
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from config.clock import utcnow
from config.errors import PayloadError, StorageFailure
from crawlers.huggingface import parse
from crawlers.huggingface.client import (
    DISCOVERY_EXPAND,
    LISTINGS,
    SORTS,
    HubClient,
    RequestFailed,
    listing_params,
)
from crawlers.huggingface.middlewares import BudgetStop
from crawlers.page_item import PageItem, SourceRules
from crawlers.pipelines import LocationStep, ParseStep, RawRecordStep, StoreStep, SuppressionStep
from storage.db import session_scope
from storage.models import HubItem, Profile
from storage.state import get_cursor, set_cursor

log = logging.getLogger(__name__)

STREAM = "discovery"
ORGS = "orgs"
# Worst-case requests of one author: overview, then one listing per kind.
AUTHOR_COST = 4
# Requests given up one after another (each after the client's retries) before the walk
# stops: the Hub is not answering, and every other stream would wait out the same retries.
GIVE_UP_AFTER = 3


def make_rules() -> SourceRules:
    return SourceRules(
        source=parse.SOURCE,
        endpoint="/api/users/{username}/overview",
        # Lower-cased like the pipeline's handles (StoreStep and LocationStep drop the raw
        # records of cut profiles by handle.lower()); the subject keeps the username's case.
        key_of=lambda r: parse.username_of(r).lower(),
        suppress_keys=lambda r: (parse.username_of(r), parse.profile_url(parse.username_of(r))),
        why_dropped=lambda r: None,
        parse=parse.parse_record,
        subject_of=parse.username_of,
    )


@dataclass(frozen=True)
class Stream:
    """One discovery listing: a kind, filtered by a pipeline tag or a library, in one order."""

    kind: str
    by: str  # "pipeline_tag" or "library"
    value: str
    sort: str  # downloads, likes, recent

    @property
    def partition(self) -> str:
        return f"{LISTINGS[self.kind][5:]}:{self.by}={self.value}:sort={self.sort}"

    def params(self) -> dict[str, Any]:
        if self.kind == "model" and self.by == "pipeline_tag":
            return listing_params(
                pipeline_tag=self.value, sort=SORTS[self.sort], expand=DISCOVERY_EXPAND
            )
        # Datasets carry their task as a `task_categories:` tag; libraries are tags too.
        tag = f"{parse.TASK_TAG}{self.value}" if self.kind == "dataset" else self.value
        return listing_params(filters=[tag], sort=SORTS[self.sort], expand=DISCOVERY_EXPAND)


def streams(pipeline_tags: list[str], libraries: list[str], sorts: list[str]) -> list[Stream]:
    """Models by task and by library, datasets and Spaces by task, in each sort order."""
    out: list[Stream] = []
    for sort in sorts:
        out += [Stream("model", "pipeline_tag", t, sort) for t in pipeline_tags]
        out += [Stream("model", "library", lib, sort) for lib in libraries]
        out += [Stream("dataset", "pipeline_tag", t, sort) for t in pipeline_tags]
        out += [Stream("space", "pipeline_tag", t, sort) for t in pipeline_tags]
    return out


class HubWalk:
    """One run's walk; also what the pipeline steps read from a spider (CrawlContext)."""

    source = parse.SOURCE

    def __init__(
        self,
        engine: Engine,
        client: HubClient,
        run_id: int,
        stats: Counter[str],
        *,
        max_users: int | None,
        orgs: set[str],
    ) -> None:
        self.engine = engine
        self.client = client
        self.run_id: int | None = run_id
        self.run_stats = stats
        self.seen_ids: set[str] = set()
        self.max_users = max_users
        self.storage_failure: str | None = None
        self.held_partitions: set[str] = set()
        self.orgs = {o.lower() for o in orgs}
        self._new_orgs: set[str] = set()
        self._asked: set[str] = set()  # authors fetched (or found missing) in this run
        self._failed_in_row = 0
        self.stop: str | None = None  # why the walk stopped early (budget, --max-users)
        self.rules = make_rules()
        crawler = SimpleNamespace(spider=self)
        suppression = SuppressionStep(crawler)
        suppression.open_spider()
        self.steps = (
            suppression,
            RawRecordStep(crawler),
            ParseStep(crawler),
            LocationStep(crawler),
            StoreStep(crawler),
        )

    def on_page_stored(self, item: PageItem) -> None:
        return None

    # -- the walk --------------------------------------------------------------------------

    def walk(self, plan: list[Stream], cursors: dict[str, Any], resume: bool) -> None:
        for stream in plan:
            cursor = cursors.get(stream.partition) if resume else None
            if isinstance(cursor, dict) and cursor.get("done"):
                continue
            next_query = cursor.get("next") if isinstance(cursor, dict) else None
            self._walk_stream(stream, next_query)
            if self.stop is not None:
                return

    def _walk_stream(self, stream: Stream, next_query: str | None) -> None:
        while True:
            if self._full():
                return
            if self.client.meter.room() == 0:
                self.stop = f"the budget of {self.client.meter.budget:,} requests is reached"
                return
            try:
                page = self.client.page(stream.kind, stream.params(), next_query)
                entries, bad = parse.listing(page.items, LISTINGS[stream.kind])
            except (RequestFailed, PayloadError) as exc:
                # The stream stays on this page (its cursor did not move): the next run asks.
                self.run_stats["errors"] += 1
                log.warning("huggingface %s: page given up (%s)", stream.partition, exc)
                self._failed(isinstance(exc, RequestFailed))
                return
            self._failed_in_row = 0
            if bad:
                self.run_stats["listing_items_unreadable"] += bad
                log.warning("huggingface %s: %d unreadable item(s)", stream.partition, bad)
            cursor = {"next": page.next, "done": page.next is None}
            item = self._page(stream, entries, cursor)
            if item.abandoned or self.storage_failure is not None:
                raise StorageFailure(self.storage_failure or "storing a Hub page failed")
            if not item.commit_cursor or page.next is None or self.stop is not None:
                return  # held on this page, or the stream is done
            next_query = page.next

    def _failed(self, request: bool) -> None:
        self._failed_in_row = self._failed_in_row + 1 if request else 0
        if self._failed_in_row >= GIVE_UP_AFTER:
            self.stop = f"the Hub gave no answer {GIVE_UP_AFTER} times in a row"

    def _full(self) -> bool:
        if self.max_users and self.run_stats["profiles_stored"] >= self.max_users:
            self.stop = f"--max-users {self.max_users:,} reached"
            return True
        return False

    def _page(
        self, stream: Stream, entries: list[tuple[str, str, datetime | None]], cursor: Any
    ) -> PageItem:
        listed: dict[str, dict[str, datetime | None]] = {}
        for author, repo_id, modified in entries:
            listed.setdefault(author, {})[parse.item_name(stream.kind, repo_id)] = modified
        stored = self._stored(list(listed))
        item = PageItem(self.rules, STREAM, stream.partition, cursor, utcnow(), [])
        unchanged: list[str] = []
        for author, items in listed.items():
            if author.lower() in self.orgs:
                item.stats["skipped_orgs"] += 1
                continue
            if author in self._asked:
                continue
            if author in stored and _same(stored[author], items):
                unchanged.append(author)
                continue
            room = self.client.meter.room()
            wanted = len(item.records) + self.run_stats["profiles_stored"]
            if (room is not None and room < AUTHOR_COST) or (
                self.max_users and wanted >= self.max_users
            ):
                if room is not None and room < AUTHOR_COST:
                    self.stop = f"the budget of {self.client.meter.budget:,} requests is reached"
                item.commit_cursor = False
                break
            try:
                record = self._fetch(author)
            except BudgetStop as stop:
                self.stop = str(stop)
                item.commit_cursor = False
                break
            except RequestFailed as exc:
                # The Hub is unwell: the page keeps what came and holds its stream here.
                item.stats["errors"] += 1
                item.commit_cursor = False
                log.warning("huggingface:%s given up (%s)", author, exc)
                self._failed(True)
                break
            self._asked.add(author)
            if record is not None:
                item.records.append(record)
        self._asked.update(unchanged)
        item.stats["unchanged"] += len(unchanged)
        item.on_commit = lambda session, page: self._commit(session, page, unchanged)
        for step in self.steps:
            item = step.process_item(item)
        return item

    def _fetch(self, author: str) -> dict[str, Any] | None:
        """An author's record, or None for an organisation (remembered) or a missing user."""
        overview = self.client.overview(author)
        if overview is None:
            if self.client.overview(author, org=True) is not None:
                self._new_orgs.add(author.lower())
                self.orgs.add(author.lower())
                self.run_stats["skipped_orgs"] += 1
            else:
                self.run_stats["missing"] += 1
            return None
        record: dict[str, Any] = {"overview": overview}
        counts = {"model": "numModels", "dataset": "numDatasets", "space": "numSpaces"}
        for kind, field in counts.items():
            # An overview that says 0 (or is malformed: the parser will say so) asks nothing.
            count = overview.get(field)
            wanted = not isinstance(count, int) or count > 0
            record[parse.RECORD_LISTS[kind]] = self.client.all_of(kind, author) if wanted else []
        return record

    def _stored(self, authors: list[str]) -> dict[str, dict[str, datetime | None]]:
        """Stored authors among `authors`: their items' names and lastModified."""
        out: dict[str, dict[str, datetime | None]] = {}
        with session_scope(self.engine) as session:
            rows = session.execute(
                select(Profile.external_id, HubItem.name, HubItem.last_modified)
                .outerjoin(HubItem, HubItem.profile_id == Profile.id)
                .where(Profile.source == parse.SOURCE, Profile.external_id.in_(authors))
            )
            for external_id, name, modified in rows:
                known = out.setdefault(external_id, {})
                if name is not None:
                    known[name] = modified
        return out

    def _commit(self, session: Session, item: PageItem, unchanged: list[str]) -> None:
        """In the page's transaction: organisations found, unchanged authors seen now."""
        if self._new_orgs:
            stored = get_cursor(session, parse.SOURCE, ORGS) or {}
            names = sorted(set(stored.get("names", [])) | self._new_orgs)
            set_cursor(session, parse.SOURCE, ORGS, "", {"names": names})
            self._new_orgs = set()
        for start in range(0, len(unchanged), 500):
            session.execute(
                update(Profile)
                .where(
                    Profile.source == parse.SOURCE,
                    Profile.external_id.in_(unchanged[start : start + 500]),
                    Profile.last_seen < item.fetched_at,
                )
                .values(last_seen=item.fetched_at)
            )


def _same(stored: dict[str, datetime | None], listed: dict[str, datetime | None]) -> bool:
    """Every listed item stored, and none modified since it was stored."""
    for name, modified in listed.items():
        if name not in stored:
            return False
        known = stored[name]
        if modified is not None and (known is None or modified > known):
            return False
    return True


def read_cursors(session: Session, plan: list[Stream]) -> tuple[dict[str, Any], set[str]]:
    """The streams' cursors and the organisations known, read at the run's start."""
    cursors = {s.partition: get_cursor(session, parse.SOURCE, STREAM, s.partition) for s in plan}
    orgs = get_cursor(session, parse.SOURCE, ORGS) or {}
    return cursors, set(orgs.get("names", []))
