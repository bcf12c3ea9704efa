"""Ingest Meta Kaggle (Users, UserAchievements, Submissions) into profiles, bounded memory.

Three streaming passes: UserAchievements and Submissions are folded into compact per-user
arrays (crawlers.kaggle.aggregate), then Users.csv is read in chunks and joined against them.
Only users with signal become profiles. Idempotence, in two layers:
- every file's (date, sha256) is the crawl cursor; when no file changed, nothing is read or
  written (the run is still logged in crawl_runs, the only table that grows);
- when a file changed, each profile's content hash is compared with the stored one and only new
  or changed profiles (and raw records whose row hash changed) are written; unchanged ones
  only get last_seen moved, since they were seen in the newer files.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from config.clock import utcnow
from config.errors import ScoutError
from crawlers.kaggle import parse
from crawlers.kaggle.aggregate import Achievements, Activity
from crawlers.kaggle.options import KaggleOptions
from crawlers.kaggle.reader import (
    ACHIEVEMENTS,
    FILES,
    SUBMISSIONS,
    USERS,
    FileInfo,
    FileReport,
    file_info,
    read_records,
    row_sha,
)
from storage.db import session_scope
from storage.items import ProfileItem, RawItem
from storage.models import Profile, RawRecord
from storage.save import content_sha, save_profiles, save_raw, sha256_of
from storage.state import all_cursors, finish_run, set_cursor, start_run
from storage.suppress import is_suppressed, suppressed_hashes

STREAM = "meta-kaggle"
Progress = Callable[[str, int, int], None]  # (file name, characters read, file size)


@dataclass
class IngestResult:
    run_id: int
    unchanged: bool = False
    files: dict[str, FileReport] = field(default_factory=dict)
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def malformed(self) -> list[str]:
        return [str(m) for report in self.files.values() for m in report.samples]


@dataclass
class _Counts:
    users_with_signal: int = 0
    skipped_no_signal: int = 0
    suppressed: int = 0
    profiles_stored: int = 0
    profiles_unchanged: int = 0
    new: int = 0
    changed: int = 0
    raw_records: int = 0
    achievement_rows_kept: int = 0


def ingest_folder(
    engine: Engine,
    folder: Path,
    options: KaggleOptions | None = None,
    *,
    force: bool = False,
    progress: Progress | None = None,
    args: dict[str, Any] | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> IngestResult:
    """Ingest the three Meta Kaggle files in `folder`; returns what was read and written."""
    options = options or KaggleOptions()
    folder = Path(folder)
    if not folder.is_dir():
        raise ScoutError(f"{folder} is not a folder with Meta Kaggle files")
    infos = {name: file_info(folder, name) for name in FILES}
    with session_scope(engine) as session:
        cursors = all_cursors(session, parse.SOURCE, STREAM)
        _refuse_older(infos, cursors, force)
        run_id = start_run(session, parse.SOURCE, args or {"from": str(folder)}).id
    result = IngestResult(run_id=run_id)
    started = time.perf_counter()
    try:
        if not force and all(_same(infos[n], cursors.get(n)) for n in FILES):
            result.unchanged = True
            result.stats = {"files_unchanged": True, "files": _file_stats(infos, {})}
        else:
            counts = _ingest(engine, infos, options, result, progress, clock())
            result.stats = _stats(infos, result.files, counts, time.perf_counter() - started)
        with session_scope(engine) as session:
            for name, info in infos.items():
                if cursors.get(name) != info.cursor():
                    set_cursor(session, parse.SOURCE, STREAM, name, info.cursor())
            malformed = int(result.stats.get("malformed_rows", 0))
            finish_run(session, run_id, "ok", result.stats, errors=malformed)
    except BaseException as exc:
        status = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
        message = str(exc)[:500] or type(exc).__name__
        with session_scope(engine) as session:
            finish_run(session, run_id, status, result.stats, errors=1, message=message)
        raise
    return result


def _same(info: FileInfo, cursor: Any) -> bool:
    return isinstance(cursor, dict) and cursor.get("sha256") == info.sha256


def _refuse_older(infos: dict[str, FileInfo], cursors: dict[str, Any], force: bool) -> None:
    # An older snapshot would roll tiers and medals back; only on purpose.
    for name, info in infos.items():
        cursor = cursors.get(name)
        if force or not isinstance(cursor, dict) or _same(info, cursor):
            continue
        if info.file_date < str(cursor.get("file_date", "")):
            raise ScoutError(
                f"{name} is dated {info.file_date}, older than the last ingested "
                f"({cursor['file_date']}); pass --force to ingest it anyway"
            )


def _ingest(
    engine: Engine,
    infos: dict[str, FileInfo],
    options: KaggleOptions,
    result: IngestResult,
    progress: Progress | None,
    seen_at: datetime,
) -> _Counts:
    achievements = Achievements()
    for _line, _fields, row in _parsed(
        infos[ACHIEVEMENTS], result, progress, parse.achievement_parser
    ):
        achievements.add(row)
    achievements.finish()
    activity = Activity()
    for _line, _fields, (user_id, day) in _parsed(
        infos[SUBMISSIONS], result, progress, parse.submission_parser
    ):
        activity.add(user_id, day)
    activity.finish()
    # Recency is measured from the files' own date, so re-reading the same files months later
    # selects the same users.
    as_of = max(date.fromisoformat(i.file_date[:10]) for i in infos.values())
    cutoff = as_of.toordinal() - options.recent_days
    counts = _Counts()
    with session_scope(engine) as session:
        hashes = suppressed_hashes(session, parse.SOURCE)
    writer = _Writer(engine, infos, options.batch_size, counts)
    chunk: list[tuple[int, parse.UserTuple, list[str]]] = []
    for line, fields_, user in _parsed(infos[USERS], result, progress, parse.user_parser):
        chunk.append((line, user, fields_))
        if len(chunk) >= options.chunk_rows:
            _users_chunk(chunk, achievements, activity, cutoff, options, hashes, writer, seen_at)
            chunk = []
    _users_chunk(chunk, achievements, activity, cutoff, options, hashes, writer, seen_at)
    writer.flush()
    counts.achievement_rows_kept = achievements.kept
    return counts


def _parsed(
    info: FileInfo,
    result: IngestResult,
    progress: Progress | None,
    make_parser: Callable[[dict[str, int]], Callable[[list[str]], Any]],
) -> Iterator[tuple[int, list[str], Any]]:
    """(line, fields, parsed row) of every good row; rows the parser rejects are counted as
    malformed, rows it returns None for are skipped."""
    report = result.files.setdefault(info.name, FileReport(info.name))
    positions, records = read_records(info.path, info.name, report)
    parser = make_parser(positions)
    every = 1 << 16
    for line, fields_ in records:
        try:
            parsed = parser(fields_)
        except parse.RowError as exc:
            report.rows -= 1
            report.bad(line, str(exc))
            continue
        if parsed is not None:
            yield line, fields_, parsed
        if progress is not None and not report.rows % every:
            progress(info.name, report.position(), info.size)
    if progress is not None:
        progress(info.name, info.size, info.size)


def _users_chunk(
    chunk: list[tuple[int, parse.UserTuple, list[str]]],
    achievements: Achievements,
    activity: Activity,
    cutoff: int,
    options: KaggleOptions,
    hashes: set[str],
    writer: _Writer,
    seen_at: datetime,
) -> None:
    """Join one chunk of Users.csv with the aggregates; hand users with signal to the writer."""
    if not chunk:
        return
    ids = np.array([user[0] for _line, user, _f in chunk], np.int32)
    tiers = np.array([user[4] for _line, user, _f in chunk], np.int32)
    group, best_tier, medals = achievements.lookup(ids)
    last = activity.lookup(ids)
    signal = (tiers >= options.min_tier) | (best_tier >= options.min_tier) | (medals > 0)
    signal |= last >= max(cutoff, 1)
    writer.counts.skipped_no_signal += int(len(chunk) - int(signal.sum()))
    for i in np.flatnonzero(signal).tolist():
        _line, (uid, user_name, display_name, register_day, tier), fields_ = chunk[i]
        writer.counts.users_with_signal += 1
        if hashes and is_suppressed(hashes, parse.SOURCE, str(uid), user_name):
            writer.counts.suppressed += 1
            continue
        rows = achievements.of_group(int(group[i]))
        user = parse.UserRow(uid, user_name, display_name, register_day, tier, row_sha(fields_))
        item = parse.profile_item(
            user, [parse.achievement_item(r) for r in rows], int(last[i]), seen_at
        )
        raw = {USERS: user.sha}
        if rows:
            raw[ACHIEVEMENTS] = sha256_of(rows)
        if last[i] != parse.NO_DATE:
            raw[SUBMISSIONS] = sha256_of(parse.to_iso_date(int(last[i])))
        writer.add(item, raw)


class _Writer:
    """Batches profiles and writes only those whose content differs from what is stored."""

    def __init__(
        self, engine: Engine, infos: dict[str, FileInfo], batch_size: int, counts: _Counts
    ) -> None:
        self.engine = engine
        self.infos = infos
        self.batch_size = batch_size
        self.counts = counts
        self.batch: list[tuple[ProfileItem, dict[str, str]]] = []

    def add(self, item: ProfileItem, raw: dict[str, str]) -> None:
        self.batch.append((item, raw))
        if len(self.batch) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        if not self.batch:
            return
        batch, self.batch = self.batch, []
        by_id = {item.external_id: (item, raw) for item, raw in batch}
        with session_scope(self.engine) as session:
            stored = dict(
                session.execute(
                    select(Profile.external_id, Profile.content_sha).where(
                        Profile.source == parse.SOURCE, Profile.external_id.in_(list(by_id))
                    )
                ).all()
            )
            # New profiles need no hash here (save_profiles computes it once).
            changed = [
                (i, r)
                for i, r in by_id.values()
                if i.external_id not in stored or stored[i.external_id] != content_sha(i)
            ]
            self.counts.profiles_unchanged += len(by_id) - len(changed)
            # Unchanged people are still in the files: they were seen, or purge would drop them.
            changed_ids = {i.external_id for i, _r in changed}
            same = [eid for eid in stored if eid not in changed_ids]
            if same:
                session.execute(
                    update(Profile)
                    .where(Profile.source == parse.SOURCE, Profile.external_id.in_(same))
                    .values(last_seen=batch[0][0].seen_at)
                )
            if not changed:
                return
            tally: dict[str, int] = {}
            save_profiles(session, [item for item, _raw in changed], tally=tally)
            self.counts.new += tally.get("new", 0)
            self.counts.changed += tally.get("changed", 0)
            self.counts.profiles_stored += len(changed)
            self.counts.raw_records += self._save_raw(session, changed, set(stored))

    def _save_raw(
        self,
        session: Session,
        changed: list[tuple[ProfileItem, dict[str, str]]],
        known: set[str],
    ) -> int:
        """Raw records of the rows whose hash differs from the latest one kept for the user."""
        keys = [item.external_id for item, _raw in changed if item.external_id in known]
        latest: dict[tuple[str, str], str] = {}
        rows: Any = (
            session.execute(
                select(RawRecord.endpoint, RawRecord.key, RawRecord.payload)
                .where(RawRecord.source == parse.SOURCE, RawRecord.key.in_(keys))
                .order_by(RawRecord.id)
            )
            if keys
            else []
        )
        for endpoint, key, payload in rows:
            if isinstance(payload, dict):
                latest[(str(endpoint), str(key))] = str(payload.get("row_sha"))
        items = []
        for item, raw in changed:
            for name, sha in raw.items():
                if latest.get((name, item.external_id)) == sha:
                    continue
                payload = {"file": name, "file_date": self.infos[name].file_date, "row_sha": sha}
                items.append(RawItem(parse.SOURCE, name, item.external_id, item.seen_at, payload))
        save_raw(session, items)
        return len(items)


def _file_stats(infos: dict[str, FileInfo], reports: dict[str, FileReport]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, info in infos.items():
        report = reports.get(name)
        out[name] = {
            "file_date": info.file_date,
            "sha256": info.sha256,
            "size": info.size,
            "rows": report.rows if report else 0,
            "malformed": report.malformed if report else 0,
        }
    return out


def _stats(
    infos: dict[str, FileInfo], reports: dict[str, FileReport], counts: _Counts, elapsed: float
) -> dict[str, Any]:
    rows = sum(r.rows + r.malformed for r in reports.values())
    return {
        "files_unchanged": False,
        "files": _file_stats(infos, reports),
        "rows_read": rows,
        "malformed_rows": sum(r.malformed for r in reports.values()),
        "malformed_samples": [str(m) for r in reports.values() for m in r.samples[:20]],
        "users_with_signal": counts.users_with_signal,
        "profiles_stored": counts.profiles_stored,
        "profiles_unchanged": counts.profiles_unchanged,
        # The names every run's stats share (storage.state.STANDARD_STATS).
        "new": counts.new,
        "changed": counts.changed,
        "unchanged": counts.profiles_unchanged,
        "skipped_no_signal": counts.skipped_no_signal,
        "suppressed": counts.suppressed,
        "raw_records": counts.raw_records,
        "achievement_rows_kept": counts.achievement_rows_kept,
        "elapsed_s": round(elapsed, 2),
        "rows_per_s": int(rows / elapsed) if elapsed > 0 else 0,
    }
