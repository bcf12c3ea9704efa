"""What goes through the item pipeline (crawlers/pipelines.py): one API page of accounts with
its cursor (PageItem), and the rules of the source it came from (SourceRules: how a record is
keyed, suppressed, parsed and filtered). A record the steps refuse is quarantined on the page;
a page with one keeps its window at most QUARANTINE_HOLDS times.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from crawlers.page_store import REASON_CHARS
from crawlers.payload import SHAPE_ERRORS
from storage.items import ProfileItem, RawItem

log = logging.getLogger(__name__)


@dataclass(slots=True)
class SourceRules:
    """How one source's records are keyed, suppressed, parsed and filtered."""

    source: str
    endpoint: str
    key_of: Callable[[dict[str, Any]], str]
    suppress_keys: Callable[[dict[str, Any]], tuple[str | None, ...]]
    why_dropped: Callable[[dict[str, Any]], str | None]
    parse: Callable[[dict[str, Any], datetime], ProfileItem | None]
    # The account a record describes, by the source parser's id rule (profiles.external_id):
    # its raw record's subject (storage never reads payloads) and its name in log lines.
    subject_of: Callable[[dict[str, Any]], str | None]
    location_excluded: Callable[[str | None], bool] = lambda _location: False

    def subject(self, record: dict[str, Any]) -> str | None:
        """subject_of, or None for a record too broken to tell."""
        try:
            return self.subject_of(record)
        except SHAPE_ERRORS:  # PayloadError is a ValueError
            return None

    def label(self, record: dict[str, Any], key: str | None) -> str:
        """`source:id` of a record, for log lines: never a personal field."""
        return f"{self.source}:{self.subject(record) or key or '?'}"


# How many times a page with a quarantined record keeps its window on that page (so the
# next --resume fetches it again) before the window moves on without the record.
QUARANTINE_HOLDS = 2


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
    # Raw keys of the records quarantined so far: their raw records are kept.
    quarantined: set[str] = field(default_factory=set)
    # Set when the crawl stopped on a storage failure: no later step touches the page.
    abandoned: bool = False
    # The cursor the page continued from, when the source pages (GitHub search); a page with
    # quarantined records commits it instead of `cursor` (see QUARANTINE_HOLDS).
    previous: dict[str, Any] | None = None
    # Set by StoreStep when the window stays on this page: the spider asks no next page.
    held: bool = False
    # False for a page after its window was held in this run: its cursor is not committed.
    commit_cursor: bool = True
    # More writes of the page's own, in its transaction (GitHub: users seen unchanged).
    on_commit: Callable[[Any, PageItem], None] | None = None

    def __repr__(self) -> str:
        # Scrapy logs items it could not process: never with their records (e-mails, names).
        return (
            f"<PageItem {self.rules.source} {self.stream} {self.partition!r}: "
            f"{len(self.records)} records>"
        )

    def quarantine(self, label: str, key: str | None, reason: str, bug: bool = False) -> None:
        """Count one record as quarantined and say why, by its `source:key` only."""
        self.stats["quarantined"] += 1
        if key is not None:
            self.quarantined.add(key)
        reason = reason.strip().splitlines()[0][:REASON_CHARS] if reason.strip() else "invalid"
        log.log(logging.ERROR if bug else logging.WARNING, "quarantined %s: %s", label, reason)
