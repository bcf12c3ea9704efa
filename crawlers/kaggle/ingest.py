"""Ingest Meta Kaggle (Users, UserAchievements, Submissions) into profiles, bounded memory.

Full read: UserAchievements and Submissions are folded into compact per-user arrays
(crawlers.kaggle.aggregate), then Users.csv is read in chunks and joined against them. Only
users with signal become profiles. Each run leaves an index of every line it read
(crawlers.kaggle.index) beside the files.

Newer files are read by difference when that index is there (crawlers.kaggle.diff): only the
users of new or vanished lines, and those whose only signal aged out, are rebuilt; everyone
else is known unchanged. Either way the result is the one a full read of the newer files
gives: profiles whose content changed are written, the others only get last_seen moved, and a
stored profile whose user is no longer in the files with signal is marked (extra.gone), never
deleted: it may have been exported.

Idempotence: every file's (date, sha256) is the crawl cursor; when no file changed, nothing is
read or written (the run is still logged in crawl_runs, the only table that grows).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine

from config.errors import ScoutError
from config.textfile import UTF8, UTF8_BOM
from crawlers.kaggle import diff, parse
from crawlers.kaggle import index as idx
from crawlers.kaggle.aggregate import Achievements, Activity
from crawlers.kaggle.options import KaggleOptions
from crawlers.kaggle.reader import (
    ACHIEVEMENTS,
    FILES,
    SUBMISSIONS,
    USERS,
    FileInfo,
    FileReport,
    check_header,
    file_info,
    read_records,
    row_sha,
)
from crawlers.kaggle.rows import profile_row
from crawlers.kaggle.write import (
    NO_SIGNAL,
    REMOVED,
    Counts,
    Writer,
    bulk_connection,
    last_seen_of,
    mark_gone,
    not_seen_since,
    touch_current,
)
from storage.db import session_scope
from storage.models import utcnow
from storage.save import sha256_of
from storage.state import all_cursors, finish_run, set_cursor, start_run
from storage.suppress import is_suppressed, suppressed_hashes

log = logging.getLogger(__name__)

STREAM = "meta-kaggle"
INDEX = "index"  # crawl_state partition naming the index of the last ingested files
Progress = Callable[[str, int, int], None]  # (file name, characters read, file size)
PARSERS: dict[str, Callable[[dict[str, int]], Callable[[list[str]], Any]]] = {
    USERS: parse.user_parser,
    ACHIEVEMENTS: parse.achievement_parser,
    SUBMISSIONS: parse.submission_parser,
}


def owner_of(parsed: Any) -> int:
    """The user a parsed row belongs to (every parser puts the user id first)."""
    return int(parsed[0])


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
class _Run:
    """What one ingest works with."""

    engine: Engine
    infos: dict[str, FileInfo]
    options: KaggleOptions
    result: IngestResult
    progress: Progress | None
    seen_at: datetime
    suppressed: set[str]
    counts: Counts = field(default_factory=Counts)
    mode: str = "full"
    touched: int = 0
    new_lines: int = 0

    @property
    def as_of(self) -> int:
        # Recency is measured from the files' own date, so re-reading the same files months
        # later selects the same users.
        return max(date.fromisoformat(i.file_date[:10]) for i in self.infos.values()).toordinal()

    @property
    def cutoff(self) -> int:
        return self.as_of - self.options.recent_days


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
        suppressed = suppressed_hashes(session, parse.SOURCE)
        run_id = start_run(session, parse.SOURCE, args or {"from": str(folder)}).id
    result = IngestResult(run_id=run_id)
    started = time.perf_counter()
    index_ref: dict[str, Any] | None = None
    try:
        if not force and all(_same(infos[n], cursors.get(n)) for n in FILES):
            result.unchanged = True
            result.stats = {"files_unchanged": True, "files": _file_stats(infos, {})}
        else:
            run = _Run(engine, infos, options, result, progress, clock(), suppressed)
            previous = None if force else _previous_index(cursors, run)
            index = _by_difference(run, previous) if previous is not None else None
            if index is None:
                result.files.clear()
                run.counts = Counts()
                index = _full(run)
            index_ref = _save_index(folder, index, run)
            result.stats = _stats(run, time.perf_counter() - started)
        with session_scope(engine) as session:
            for name, info in infos.items():
                if cursors.get(name) != info.cursor():
                    set_cursor(session, parse.SOURCE, STREAM, name, info.cursor())
            if index_ref is not None:
                set_cursor(session, parse.SOURCE, STREAM, INDEX, index_ref)
            malformed = int(result.stats.get("malformed_rows", 0))
            finish_run(session, run_id, "ok", result.stats, errors=malformed)
    except BaseException as exc:
        status = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
        message = str(exc)[:500] or type(exc).__name__
        with session_scope(engine) as session:
            finish_run(session, run_id, status, result.stats, errors=1, message=message)
        if index_ref is not None:
            idx.remove(Path(index_ref["path"]))
        raise
    old = cursors.get(INDEX)
    if index_ref is not None and isinstance(old, dict) and old.get("path") != index_ref["path"]:
        idx.remove(Path(str(old.get("path"))))
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


# -- the index of the last ingested files -------------------------------------------------


def _settings(run: _Run) -> dict[str, Any]:
    """What the index's per-user signal depends on besides the files."""
    digest = hashlib.sha256("\n".join(sorted(run.suppressed)).encode()).hexdigest()
    return {
        "min_tier": run.options.min_tier,
        "recent_days": run.options.recent_days,
        "suppressed": digest,
    }


def _previous_index(cursors: dict[str, Any], run: _Run) -> idx.SnapshotIndex | None:
    """The index of the files the cursor names, when it can be trusted for this run."""
    ref = cursors.get(INDEX)
    if not isinstance(ref, dict) or not ref.get("path") or not ref.get("token"):
        return None
    index = idx.load(Path(str(ref["path"])), str(ref["token"]))
    if index is None:
        return None
    meta = index.meta
    files = meta.get("files", {})
    for name in FILES:
        cursor = cursors.get(name)
        if not isinstance(cursor, dict) or files.get(name, {}).get("sha256") != cursor.get(
            "sha256"
        ):
            return None
    if meta.get("settings") != _settings(run) or int(meta.get("as_of", 0)) > run.as_of:
        return None
    return index


def _save_index(folder: Path, index: idx.SnapshotIndex, run: _Run) -> dict[str, Any] | None:
    token = idx.new_token()
    index.meta.update(
        token=token, as_of=run.as_of, settings=_settings(run), seen_at=run.seen_at.isoformat()
    )
    for name, info in run.infos.items():
        index.meta["files"][name]["sha256"] = info.sha256
    path = idx.index_path(folder.resolve(), token)
    return {"path": str(path), "token": token} if idx.save(path, index) else None


# -- full read -------------------------------------------------------------------------------


def _full(run: _Run) -> idx.SnapshotIndex:
    tables: dict[str, idx.FileTable] = {}
    files: dict[str, dict[str, Any]] = {}
    achievements = Achievements()
    for _line, _fields, row in _parsed(run, ACHIEVEMENTS, tables, files):
        achievements.add(row)
    achievements.finish()
    activity = Activity()
    for _line, _fields, (user_id, day) in _parsed(run, SUBMISSIONS, tables, files):
        activity.add(user_id, day)
    activity.finish()
    users: list[idx.I32] = []
    until: list[idx.I32] = []
    with bulk_connection(run.engine) as conn:
        writer = Writer(conn, run.infos, run.options.batch_size, run.counts)
        chunk: list[tuple[int, list[str], parse.UserTuple]] = []
        for row in _parsed(run, USERS, tables, files):
            chunk.append(row)
            if len(chunk) >= run.options.chunk_rows:
                _keep(users, until, _users_chunk(run, chunk, achievements, activity, writer))
                chunk = []
        _keep(users, until, _users_chunk(run, chunk, achievements, activity, writer))
        writer.flush()
        ids, ends = _latest(users, until)
        with session_scope(conn) as session:
            gone = not_seen_since(session, run.seen_at)
            _mark(run, session, gone, ids)
    run.counts.achievement_rows_kept = achievements.kept
    return idx.SnapshotIndex({"files": files}, tables, ids, ends)


def _parsed(
    run: _Run, name: str, tables: dict[str, idx.FileTable], files: dict[str, dict[str, Any]]
) -> Iterator[tuple[int, list[str], Any]]:
    """(line, fields, parsed row) of every good row; rows the parser rejects are counted as
    malformed, rows it returns None for are skipped. Once the file is read, its lines go into
    the index (`tables`, `files`)."""
    info = run.infos[name]
    report = run.result.files.setdefault(name, FileReport(name))
    positions, records = read_records(info.path, name, report)
    parser = PARSERS[name](positions)
    starts: list[int] = []
    owners: list[int] = []
    every = 1 << 16
    for line, fields_ in records:
        try:
            parsed = parser(fields_)
        except parse.RowError as exc:
            report.rows -= 1
            report.bad(line, str(exc))
            continue
        if parsed is not None:
            starts.append(line)
            owners.append(parsed[0])
            yield line, fields_, parsed
        if run.progress is not None and not report.rows % every:
            run.progress(name, report.position(), info.size)
    hashes, _offsets = diff.line_hashes(info)
    owner = np.zeros(len(hashes), np.int32)
    owner[np.array(starts, np.int64) - 1] = np.array(owners, np.int64).astype(np.int32)
    for start, lines in report.long_rows:
        owner[start : start - 1 + lines] = -owner[start - 1]
    tables[name] = idx.FileTable.of(hashes, owner)
    files[name] = {
        "header": int(hashes[0]),
        "columns": report.header,
        "encoding": report.encoding,
    }
    if run.progress is not None:
        run.progress(name, info.size, info.size)


def _keep(users: list[idx.I32], until: list[idx.I32], part: tuple[idx.I32, idx.I32]) -> None:
    users.append(part[0])
    until.append(part[1])


def _latest(users: list[idx.I32], until: list[idx.I32]) -> tuple[idx.I32, idx.I32]:
    """Per user id (sorted), the signal date of the user's last row in the file."""
    ids = np.concatenate(users) if users else np.zeros(0, np.int32)
    ends = np.concatenate(until) if until else np.zeros(0, np.int32)
    order = np.argsort(ids, kind="stable")
    ids, ends = ids[order], ends[order]
    last = np.append(ids[1:] != ids[:-1], True) if len(ids) else np.zeros(0, np.bool_)
    return ids[last], ends[last]


def _users_chunk(
    run: _Run,
    chunk: list[tuple[int, list[str], parse.UserTuple]],
    achievements: Achievements,
    activity: Activity,
    writer: Writer,
) -> tuple[idx.I32, idx.I32]:
    """Join one chunk of Users.csv with the aggregates; hand users with signal to the writer.
    Returns the chunk's user ids and the last files' date at which each has signal."""
    options, counts = run.options, run.counts
    if not chunk:
        return np.zeros(0, np.int32), np.zeros(0, np.int32)
    ids = np.array([user[0] for _line, _f, user in chunk], np.int32)
    tiers = np.array([user[4] for _line, _f, user in chunk], np.int64)
    group, best_tier, medals = achievements.lookup(ids)
    last = activity.lookup(ids)
    static = (tiers >= options.min_tier) | (best_tier >= options.min_tier) | (medals > 0)
    recent = np.where(last != parse.NO_DATE, last.astype(np.int64) + options.recent_days, -1)
    until = np.where(static, idx.FOREVER, np.minimum(recent, idx.FOREVER)).astype(np.int32)
    signal = static | (last >= max(run.cutoff, 1))
    counts.skipped_no_signal += int(len(chunk) - int(signal.sum()))
    for i in np.flatnonzero(signal).tolist():
        _line, fields_, (uid, user_name, display_name, register_day, tier) = chunk[i]
        counts.users_with_signal += 1
        if run.suppressed and is_suppressed(run.suppressed, parse.SOURCE, str(uid), user_name):
            counts.suppressed += 1
            continue
        rows = achievements.of_group(int(group[i]))
        user = parse.UserRow(uid, user_name, display_name, register_day, tier, row_sha(fields_))
        row, kids = profile_row(user, rows, int(last[i]), run.seen_at)
        raw = {USERS: user.sha}
        if rows:
            raw[ACHIEVEMENTS] = sha256_of(rows)
        if last[i] != parse.NO_DATE:
            raw[SUBMISSIONS] = sha256_of(parse.to_iso_date(int(last[i])))
        writer.add(row, kids, raw)
    return ids, until


def _mark(run: _Run, session: Any, gone: dict[str, datetime], in_users: idx.I32) -> None:
    """Mark the stored profiles in `gone` (id -> last seen): not in Users.csv, or no signal."""
    if not gone:
        return
    listed = np.isin(np.array([int(e) for e in gone], np.int64), in_users)
    reasons = {e: NO_SIGNAL if hit else REMOVED for e, hit in zip(gone, listed, strict=True)}
    since = date.fromordinal(run.as_of).isoformat()
    run.counts.profiles_gone += mark_gone(session, gone, reasons, since)


# -- by difference ---------------------------------------------------------------------------


def _by_difference(run: _Run, previous: idx.SnapshotIndex) -> idx.SnapshotIndex | None:
    """Read the newer files against the index of the last ones; None when they must be read
    in full (diff.Fallback, logged)."""
    meta = previous.meta
    try:
        scans: dict[str, diff.Scan] = {}
        parsers: dict[str, Callable[[list[str]], Any]] = {}
        for name in FILES:
            if meta["files"][name].get("encoding") not in (UTF8, UTF8_BOM):
                raise diff.Fallback(f"{name} was not UTF-8")
            columns = meta["files"][name]["columns"]
            parsers[name] = PARSERS[name](check_header(name, columns))
            report = run.result.files.setdefault(name, FileReport(name))
            scans[name] = diff.scan(
                run.infos[name],
                previous.tables[name],
                int(meta["files"][name]["header"]),
                len(columns),
                parsers[name],
                owner_of,
                report,
            )
            if run.progress is not None:
                run.progress(name, run.infos[name].size, run.infos[name].size)
        aged = previous.signal_lost(int(meta["as_of"]), run.as_of)
        touched = np.union1d(np.concatenate([s.touched for s in scans.values()]), aged)
        touched = touched.astype(np.int32)
        achievements = Achievements()
        for _l, _f, row in _rows(scans, ACHIEVEMENTS, touched, meta, parsers):
            achievements.add(row)
        achievements.finish()
        activity = Activity()
        for _l, _f, (user_id, day) in _rows(scans, SUBMISSIONS, touched, meta, parsers):
            activity.add(user_id, day)
        activity.finish()
        users = list(_rows(scans, USERS, touched, meta, parsers))
    except diff.Fallback as exc:
        log.info("Meta Kaggle files read in full: %s", exc)
        return None
    run.mode = "difference"
    run.touched = len(touched)
    run.new_lines = sum(s.new_lines for s in scans.values())
    previous_seen = datetime.fromisoformat(str(meta["seen_at"]))
    with bulk_connection(run.engine) as conn:
        writer = Writer(conn, run.infos, run.options.batch_size, run.counts)
        part = _users_chunk(run, users, achievements, activity, writer)
        ids, until = _latest([part[0]], [part[1]])
        writer.flush()
        with_signal = ids[until >= run.as_of]
        left = np.setdiff1d(touched, with_signal)
        with session_scope(conn) as session:
            gone = last_seen_of(session, [str(u) for u in left.tolist()])
            again = touch_current(session, previous_seen, run.seen_at)
            _mark(run, session, gone, ids)
    # Seen again untouched, plus touched and found the same; the gone were among the first.
    run.counts.profiles_unchanged += again - run.counts.profiles_gone
    run.counts.achievement_rows_kept = achievements.kept
    keep = ~np.isin(previous.users, touched)
    merged_ids = np.concatenate([previous.users[keep], ids])
    merged_until = np.concatenate([previous.until[keep], until])
    order = np.argsort(merged_ids, kind="stable")
    tables = {name: s.table() for name, s in scans.items()}
    files = {name: dict(meta["files"][name]) for name in FILES}
    return idx.SnapshotIndex(
        {"files": files}, tables, merged_ids[order].astype(np.int32), merged_until[order]
    )


def _rows(
    scans: dict[str, diff.Scan],
    name: str,
    users: idx.I32,
    meta: dict[str, Any],
    parsers: dict[str, Callable[[list[str]], Any]],
) -> Iterator[tuple[int, list[str], Any]]:
    width = len(meta["files"][name]["columns"])
    return diff.rows_of(scans[name], users, width, parsers[name])


# -- stats -------------------------------------------------------------------------------------


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


def _stats(run: _Run, elapsed: float) -> dict[str, Any]:
    reports, counts = run.result.files, run.counts
    rows = sum(r.rows + r.malformed for r in reports.values())
    return {
        "files_unchanged": False,
        "mode": run.mode,
        "files": _file_stats(run.infos, reports),
        "rows_read": rows,
        "new_lines": run.new_lines,
        "users_touched": run.touched,
        "malformed_rows": sum(r.malformed for r in reports.values()),
        "malformed_samples": [str(m) for r in reports.values() for m in r.samples[:20]],
        "users_with_signal": counts.users_with_signal,
        "profiles_stored": counts.profiles_stored,
        "profiles_unchanged": counts.profiles_unchanged,
        "profiles_gone": counts.profiles_gone,
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
