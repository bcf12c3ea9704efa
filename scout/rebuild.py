"""`scout rebuild`: re-derive profiles, enrichment and scores from raw_records, offline.

GitHub and Stack Overflow profiles are re-derived from their raw records by crawlers.replay
(the crawlers' own parsers) and saved with the crawlers' own saver, as upserts in place:
candidate ids, rejected links and feedback labels survive. Every profile is then enriched
again whatever its content hash (the taxonomy or regions may have changed), and candidates are
re-ranked. Kaggle raw records hold only row hashes, so Kaggle profiles are re-read from the Meta
Kaggle files when a folder is given and kept as stored otherwise. No network call.

A raw record of an account the crawl did not store (`--max-users` cut the page it came in)
becomes a profile too: the response was received and is public. `last_seen` is the newest
raw record's fetch time, never moved backwards (an identical payload is stored once, at its
first fetch); `first_seen` the oldest raw record's, if earlier.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, bindparam, func, select, update
from sqlalchemy.orm import Session

from config.clock import utcnow
from config.errors import ScoutError
from config.settings import Settings
from crawlers.kaggle import parse as kaggle_parse
from crawlers.replay import REPLAYS, Raw, Skipped, Unparseable, replay
from enrich.pipeline import EnrichReport, run_enrich
from scoring.rank import RankStats, rank_all
from scoring.ranking import load_ranking
from storage.db import session_scope
from storage.items import ProfileItem
from storage.models import CrawlRun, Profile, RawRecord
from storage.save import save_profiles
from storage.state import all_cursors
from storage.suppress import suppressed_hashes

BATCH = 500  # keys per transaction
SAMPLES = 20  # unparseable records named in the report
KAGGLE = kaggle_parse.SOURCE


@dataclass
class SourceReport:
    """What rebuilding one source read, wrote, skipped and could not parse."""

    source: str
    raw_records: int = 0
    keys: int = 0
    profiles: int = 0  # profiles re-derived and saved
    new: int = 0  # of which not in the database before
    changed: int = 0  # of which stored with different content before
    kept: int = 0  # profiles of this source left as stored (no raw record to derive them from)
    skipped: Counter[str] = field(default_factory=Counter)  # org, bot, deleted, suppressed, ...
    unparseable: Counter[str] = field(default_factory=Counter)  # reason -> raw records
    samples: list[str] = field(default_factory=list)
    note: str | None = None

    def bad(self, records: Sequence[Raw], reason: str) -> None:
        self.unparseable[reason] += 1
        if len(self.samples) < SAMPLES:
            last = records[-1]
            self.samples.append(f"{self.source} {last.endpoint} {last.key!r}: {reason}")

    def as_dict(self) -> dict[str, Any]:
        return {
            "raw_records": self.raw_records,
            "keys": self.keys,
            "profiles": self.profiles,
            "new": self.new,
            "changed": self.changed,
            "kept": self.kept,
            "skipped": dict(sorted(self.skipped.items())),
            "unparseable": sum(self.unparseable.values()),
            "unparseable_reasons": dict(sorted(self.unparseable.items())),
            "samples": self.samples,
            "note": self.note,
        }


@dataclass
class RebuildReport:
    sources: dict[str, SourceReport] = field(default_factory=dict)
    enrich: EnrichReport | None = None
    rank: RankStats | None = None
    seconds: float = 0.0

    @property
    def raw_records(self) -> int:
        return sum(s.raw_records for s in self.sources.values())

    def as_dict(self) -> dict[str, Any]:
        rank = self.rank
        return {
            "raw_records": self.raw_records,
            "sources": {name: s.as_dict() for name, s in self.sources.items()},
            "enriched": self.enrich.enriched if self.enrich else 0,
            "skill_tags": self.enrich.skill_tags if self.enrich else 0,
            "enrich": self.enrich.summary() if self.enrich else None,
            "rank": None
            if rank is None
            else {
                "model_version": rank.version,
                "candidates": rank.candidates,
                "scored": rank.scored,
                "unchanged": rank.unchanged,
            },
            "seconds": round(self.seconds, 2),
        }


# -- saving ---------------------------------------------------------------------------------


def _raw_of(session: Session, source: str, keys: Sequence[str]) -> dict[str, list[Raw]]:
    rows: Any = session.execute(
        select(
            RawRecord.endpoint,
            RawRecord.key,
            RawRecord.fetched_at,
            RawRecord.etag,
            RawRecord.payload,
        )
        .where(RawRecord.source == source, RawRecord.key.in_(keys))
        .order_by(RawRecord.key, RawRecord.fetched_at, RawRecord.id)
    ).all()
    out: dict[str, list[Raw]] = {}
    for endpoint, key, fetched_at, etag, payload in rows:
        out.setdefault(key, []).append(Raw(endpoint, key, fetched_at, etag, payload))
    return out


def _save(
    session: Session,
    source: str,
    saves: dict[str, tuple[list[ProfileItem], datetime]],
    report: SourceReport,
) -> None:
    """Replay the saves of each profile; count new and changed; keep first/last_seen monotonic.

    `saves` maps external_id -> (its saves oldest first, its oldest raw record's time).
    """
    if not saves:
        return
    ids = list(saves)
    before = {
        ext: (sha, last)
        for ext, sha, last in session.execute(
            select(Profile.external_id, Profile.content_sha, Profile.last_seen).where(
                Profile.source == source, Profile.external_id.in_(ids)
            )
        )
    }
    for ext, (items, _first) in saves.items():
        for item in items:
            if ext in before and before[ext][1] > item.seen_at:
                item.seen_at = before[ext][1]
    earlier = [item for items, _first in saves.values() for item in items[:-1]]
    if earlier:
        save_profiles(session, earlier)
    save_profiles(session, [items[-1] for items, _first in saves.values()])
    after = dict(
        session.execute(
            select(Profile.external_id, Profile.content_sha).where(
                Profile.source == source, Profile.external_id.in_(ids)
            )
        ).all()
    )
    report.profiles += len(saves)
    report.new += sum(1 for ext in ids if ext not in before)
    report.changed += sum(1 for ext in ids if ext in before and before[ext][0] != after.get(ext))
    table: Any = Profile.__table__
    session.connection().execute(
        update(table)
        .where(
            table.c.source == source,
            table.c.external_id == bindparam("ext"),
            table.c.first_seen > bindparam("first"),
        )
        .values(first_seen=bindparam("first")),
        [{"ext": ext, "first": first} for ext, (_items, first) in saves.items()],
    )


def _count(session: Session, source: str) -> int:
    query = select(func.count()).select_from(Profile).where(Profile.source == source)
    return session.scalar(query) or 0


def rebuild_source(engine: Engine, source: str, batch: int = BATCH) -> SourceReport:
    """Re-derive and save every profile of one source from its raw records, key by key."""
    report = SourceReport(source)
    with session_scope(engine) as session:
        keys = sorted(
            session.scalars(select(RawRecord.key).where(RawRecord.source == source).distinct())
        )
        hashes = suppressed_hashes(session, source)
    report.keys = len(keys)
    done: set[str] = set()
    for start in range(0, len(keys), batch):
        with session_scope(engine) as session:
            grouped = _raw_of(session, source, keys[start : start + batch])
            saves: dict[str, tuple[list[ProfileItem], datetime]] = {}
            for records in grouped.values():
                report.raw_records += len(records)
                try:
                    items = replay(source, records, hashes)
                except Skipped as why:
                    report.skipped[why.reason] += why.records
                    continue
                except Unparseable as exc:
                    report.bad(records, str(exc))
                    continue
                ext, first = items[-1].external_id, records[0].fetched_at
                known = saves.get(ext)
                if known is not None:
                    # One account under two keys (a renamed login): the newest wins.
                    first = min(first, known[1])
                    if known[0][-1].seen_at > items[-1].seen_at:
                        items = known[0]
                saves[ext] = (items, first)
            _save(session, source, saves, report)
            done.update(saves)
    with session_scope(engine) as session:
        total = _count(session, source)
    report.kept = max(0, total - len(done))
    return report


# -- Kaggle ---------------------------------------------------------------------------------


def _same_files(engine: Engine, folder: Path) -> bool:
    """Do the files look like the last ingested (size and date of each, as the cursor keeps)?"""
    from crawlers.kaggle.reader import FILES
    from crawlers.kaggle.run import STREAM

    with session_scope(engine) as session:
        cursors = all_cursors(session, KAGGLE, STREAM)
    if not cursors:  # a database holding only raw records: nothing says otherwise
        return True
    for name in FILES:
        path, cursor = folder / name, cursors.get(name)
        if not path.is_file() or not isinstance(cursor, dict):
            return False
        stat = path.stat()
        date = datetime.fromtimestamp(stat.st_mtime, UTC).replace(microsecond=0).isoformat()
        if (stat.st_size, date) != (cursor.get("size"), cursor.get("file_date")):
            return False
    return True


def _kaggle(engine: Engine, folder: Path | None) -> SourceReport:
    report = SourceReport(KAGGLE)
    with session_scope(engine) as session:
        report.raw_records = (
            session.scalar(
                select(func.count()).select_from(RawRecord).where(RawRecord.source == KAGGLE)
            )
            or 0
        )
        stored = _count(session, KAGGLE)
        last_fetch = session.scalar(
            select(func.max(RawRecord.fetched_at)).where(RawRecord.source == KAGGLE)
        )
        last_args = session.scalar(
            select(CrawlRun.args)
            .where(CrawlRun.source == KAGGLE, CrawlRun.status == "ok")
            .order_by(CrawlRun.id.desc())
            .limit(1)
        )
    if folder is None:
        report.kept = stored
        report.note = (
            "Kaggle raw records hold only file and row hashes: profiles kept as stored "
            "(pass --kaggle-from DIR with the Meta Kaggle files to re-read them)"
        )
        return report
    from crawlers.kaggle.options import KaggleOptions
    from crawlers.kaggle.run import ingest_folder

    given = last_args if isinstance(last_args, dict) else {}
    # The thresholds of the last ingest, so the same users count as having signal.
    update_ = {k: given[k] for k in ("min_tier", "recent_days") if given.get(k) is not None}
    options = KaggleOptions().model_copy(update=update_)
    # The files the raw records describe: their people were seen when those were read.
    # Newer files are new data, seen now.
    same = _same_files(engine, folder)
    seen = last_fetch if same and last_fetch else utcnow()
    result = ingest_folder(
        engine,
        folder,
        options,
        force=True,
        args={"rebuild": True, "from": str(folder), **update_},
        clock=lambda: seen,
    )
    stats = result.stats
    report.keys = int(stats.get("users_with_signal", 0))
    report.profiles = int(stats.get("profiles_stored", 0)) + int(stats.get("profiles_unchanged", 0))
    report.skipped["suppressed"] = int(stats.get("suppressed", 0))
    if stats.get("malformed_rows"):
        report.unparseable["malformed CSV row"] = int(stats["malformed_rows"])
        report.samples.extend(str(s) for s in stats.get("malformed_samples", [])[:SAMPLES])
    report.note = f"re-read from {folder} (Kaggle ingest run {result.run_id})"
    if not same:
        report.note += "; these files differ from the last ingested, read as new data"
    with session_scope(engine) as session:
        total = _count(session, KAGGLE)
    report.new = max(0, total - stored)
    report.changed = max(0, int(stats.get("profiles_stored", 0)) - report.new)
    report.kept = max(0, total - report.profiles)
    return report


# -- the whole rebuild ----------------------------------------------------------------------


def rebuild(
    engine: Engine,
    settings: Settings,
    *,
    kaggle_from: Path | None = None,
    now: datetime | None = None,
) -> RebuildReport:
    """Re-derive profiles from raw_records, re-enrich everything, re-rank. No network call."""
    if kaggle_from is not None and not Path(kaggle_from).is_dir():
        raise ScoutError(f"--kaggle-from: {kaggle_from} is not a folder with Meta Kaggle files")
    started = time.perf_counter()
    report = RebuildReport()
    for source in REPLAYS:
        report.sources[source] = rebuild_source(engine, source)
    report.sources[KAGGLE] = _kaggle(engine, kaggle_from)
    report.enrich = run_enrich(engine, settings, now=now, force=True)
    config = load_ranking(settings.ranking_file, settings.skills_file)
    with session_scope(engine) as session:
        report.rank = rank_all(session, config, now=now)
    report.seconds = time.perf_counter() - started
    return report
