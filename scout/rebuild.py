"""`scout rebuild`: re-derive profiles, enrichment and scores from raw_records, offline.

After a parser, taxonomy or regions change, every GitHub and Stack Overflow profile is parsed
again from the latest raw records of its key with the crawlers' own parsers and saved with the
crawlers' own saver (upserts in place, so candidate ids, rejected links and feedback labels
survive); then every profile is enriched again whatever its content hash, and candidates are
re-ranked. No network call is made.

Which raw records make one profile (the same merge the crawls did, newest wins):
- GitHub: the newest user record (`graphql:search` node or `rest:/users`) gives the profile;
  repositories come from the newest record that describes them (a GraphQL node's
  `repositories`, or `rest:/users/repos`), so a REST refresh keeps them as a crawl would.
- Stack Overflow: the newest `/users/{ids}` record (the user with its tag answers, tags and
  top-answer-tags, as the crawl stored it). Discovery pages are context, already folded in.
- Kaggle: raw records hold only file and row hashes (by design, the CSV rows are public bulk
  data), so Kaggle profiles are re-read from the Meta Kaggle files when a folder is given
  and kept as stored otherwise.

Timestamps: `last_seen` is the newest raw record's fetch time, never moved backwards (an
identical payload fetched again is stored once, at its first time); `first_seen` is the
oldest raw record of the key when that is earlier than what is stored.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, bindparam, func, select, update
from sqlalchemy.orm import Session

from config.errors import ScoutError
from config.settings import Settings
from crawlers.github import parse as gh
from crawlers.kaggle import parse as kaggle_parse
from crawlers.stackexchange import parse as so
from crawlers.stackexchange.pipeline import parse_record
from enrich.pipeline import EnrichReport, run_enrich
from scoring.rank import RankStats, rank_all
from scoring.ranking import load_ranking
from storage.db import session_scope
from storage.items import ProfileItem
from storage.models import CrawlRun, Profile, RawRecord
from storage.save import save_profiles
from storage.suppress import is_suppressed, suppressed_hashes

BATCH = 500  # keys per transaction
SAMPLES = 20  # unparseable records named in the report
GH_USER = ("graphql:search", "rest:/users")
GH_REPOS = "rest:/users/repos"
SO_USERS = "/users/{ids}"
SO_CONTEXT = ("/tags/{tag}/top-answerers/{period}",)
KAGGLE = kaggle_parse.SOURCE


@dataclass(slots=True)
class Raw:
    """One raw record as read back."""

    id: int
    endpoint: str
    key: str
    fetched_at: datetime
    etag: str | None
    payload: Any


class Unparseable(Exception):
    """A raw record the parser cannot read: counted with its reason, never fatal."""


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


# -- parsing one key's raw records ----------------------------------------------------------

# One key's raw records -> the profile saves the crawls made from them, oldest first.
Replay = Callable[[list[Raw], set[str], SourceReport], list[ProfileItem]]


def _latest(records: Sequence[Raw], keep: Callable[[Raw], bool]) -> Raw | None:
    found = [r for r in records if keep(r)]
    return found[-1] if found else None  # records come ordered by (fetched_at, id)


def _object(record: Raw) -> dict[str, Any]:
    if not isinstance(record.payload, dict):
        raise Unparseable(f"{record.endpoint} payload is not a JSON object")
    return record.payload


def _repositories(record: Raw) -> list[Any]:
    listed = record.payload
    if isinstance(listed, dict):
        listed = (listed.get("repositories") or {}).get("nodes") or []
    if not isinstance(listed, list):
        raise Unparseable(f"{record.endpoint} payload is not a list of repositories")
    return gh.parse_repositories(r for r in listed if isinstance(r, dict))


def _gh_item(user: Raw, repos: Raw | None) -> ProfileItem:
    rest = user.endpoint.startswith("rest:")
    item = gh.parse_user(_object(user), user.fetched_at, etag=user.etag if rest else None)
    if item is None:
        raise Unparseable("the GitHub parser returned nothing")
    if repos is not None:
        item.repositories = _repositories(repos)
    return item


def _describes_repos(record: Raw) -> bool:
    if record.endpoint == GH_REPOS:
        return True
    payload = record.payload
    graphql = record.endpoint == "graphql:search" and isinstance(payload, dict)
    return graphql and payload.get("repositories") is not None


def _github(records: list[Raw], hashes: set[str], report: SourceReport) -> list[ProfileItem]:
    """The saves the crawls made for one login, replayed: the newest user record, preceded,
    when it is a REST refresh that kept the stored repositories, by the newest response that
    described them (so content hashes come out as the crawls wrote them)."""
    user = _latest(records, lambda r: r.endpoint in GH_USER)
    if user is None:
        known = {r.endpoint for r in records} <= {GH_REPOS}
        raise Unparseable(
            "repositories without a user record" if known else "unknown GitHub endpoint"
        )
    node = _object(user)
    why = gh.classify(node)
    if why == gh.DROP_INVALID:
        raise Unparseable("user record without a login or an id")
    if why is not None:
        report.skipped[why] += 1
        return []
    if hashes and is_suppressed(hashes, gh.SOURCE, node.get("login"), gh.external_id(node)):
        report.skipped["suppressed"] += 1
        return []
    if _describes_repos(user):
        return [_gh_item(user, None)]
    # A lookup stores the user and their repositories with one fetch time.
    paired = _latest(records, lambda r: r.endpoint == GH_REPOS and r.fetched_at == user.fetched_at)
    if paired is not None:
        return [_gh_item(user, paired)]
    older = _latest(records, _describes_repos)
    final = _gh_item(user, None)
    if older is None:
        return [final]
    if older.endpoint == GH_REPOS:
        base = _latest(
            records, lambda r: r.endpoint == "rest:/users" and r.fetched_at == older.fetched_at
        )
        first = _gh_item(base or user, older)
    else:
        first = _gh_item(older, None)
    return [first, final] if first.external_id == final.external_id else [final]


def _stackoverflow(records: list[Raw], hashes: set[str], report: SourceReport) -> list[ProfileItem]:
    """The newest /users/{ids} record: the user with every tag signal the crawl joined."""
    newest = _latest(records, lambda r: r.endpoint == SO_USERS)
    if newest is None:
        if all(r.endpoint in SO_CONTEXT for r in records):
            report.skipped["discovery_pages"] += len(records)
            return []
        raise Unparseable("unknown Stack Exchange endpoint")
    record = _object(newest)
    user = record.get("user")
    if not isinstance(user, dict):
        raise Unparseable("record without a user object")
    if so.is_gone(user):
        report.skipped["deleted"] += 1
        return []
    if hashes and is_suppressed(hashes, so.SOURCE, str(user.get("user_id")), user.get("link")):
        report.skipped["suppressed"] += 1
        return []
    item = parse_record(record, newest.fetched_at)
    if item is None:
        raise Unparseable("the Stack Exchange parser returned nothing")
    return [item]


def _replay(
    replay: Replay, records: list[Raw], hashes: set[str], report: SourceReport
) -> list[ProfileItem]:
    try:
        return replay(records, hashes, report)
    except Unparseable as exc:
        report.bad(records, str(exc))
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        report.bad(records, f"parser failed: {type(exc).__name__}: {exc}")
    return []


# -- saving ---------------------------------------------------------------------------------


def _raw_of(session: Session, source: str, keys: Sequence[str]) -> dict[str, list[Raw]]:
    rows: Any = session.execute(
        select(
            RawRecord.id, RawRecord.endpoint, RawRecord.key, RawRecord.fetched_at,
            RawRecord.etag, RawRecord.payload,
        )
        .where(RawRecord.source == source, RawRecord.key.in_(keys))
        .order_by(RawRecord.key, RawRecord.fetched_at, RawRecord.id)
    ).all()  # fmt: skip
    out: dict[str, list[Raw]] = {}
    for rid, endpoint, key, fetched_at, etag, payload in rows:
        out.setdefault(key, []).append(Raw(rid, endpoint, key, fetched_at, etag, payload))
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


def rebuild_source(engine: Engine, source: str, replay: Replay, batch: int = BATCH) -> SourceReport:
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
                items = _replay(replay, records, hashes, report)
                if not items:
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


def _kaggle(engine: Engine, folder: Path | None) -> SourceReport:
    report = SourceReport(KAGGLE)
    with session_scope(engine) as session:
        report.raw_records = session.scalar(
            select(func.count()).select_from(RawRecord).where(RawRecord.source == KAGGLE)
        ) or 0  # fmt: skip
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
    from crawlers.kaggle.ingest import ingest_folder
    from crawlers.kaggle.options import KaggleOptions

    given = last_args if isinstance(last_args, dict) else {}
    # The thresholds of the last ingest, so the same users count as having signal.
    update_ = {k: given[k] for k in ("min_tier", "recent_days") if given.get(k) is not None}
    options = KaggleOptions().model_copy(update=update_)
    # Same files as the raw records describe: the profiles were seen when those were read.
    seen = last_fetch or datetime.now(UTC)
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
    report.sources[gh.SOURCE] = rebuild_source(engine, gh.SOURCE, _github)
    report.sources[so.SOURCE] = rebuild_source(engine, so.SOURCE, _stackoverflow)
    report.sources[KAGGLE] = _kaggle(engine, kaggle_from)
    report.enrich = run_enrich(engine, settings, now=now, force=True)
    config = load_ranking(settings.ranking_file)
    with session_scope(engine) as session:
        report.rank = rank_all(session, config, now=now)
    report.seconds = time.perf_counter() - started
    return report
