"""The walk over the Meta Kaggle files (Users, UserAchievements, Submissions), bounded memory.

Full read (`read_full`): UserAchievements and Submissions are folded into compact per-user
arrays (crawlers.kaggle.aggregate), then Users.csv is read in chunks and joined against them.
Only users with signal become profiles (crawlers.kaggle.write); the walk returns the index of
every line it read (crawlers.kaggle.index).

By difference (`read_by_difference`, with the index of the last files): only the users of new
or vanished lines, and those whose only signal aged out, are rebuilt (crawlers.kaggle.diff);
everyone else is known unchanged. Either way the result is the one a full read gives.
crawlers/kaggle/run.py runs a walk inside the crawl run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
from sqlalchemy import Engine

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
from storage.save import sha256_of
from storage.suppress import is_suppressed

log = logging.getLogger(__name__)

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
class Walk:
    """What one walk over the files works with; `reports` are the walk's, per file."""

    engine: Engine
    infos: dict[str, FileInfo]
    options: KaggleOptions
    reports: dict[str, FileReport]
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


# -- full read -------------------------------------------------------------------------------


def read_full(walk: Walk) -> idx.SnapshotIndex:
    tables: dict[str, idx.FileTable] = {}
    files: dict[str, dict[str, Any]] = {}
    achievements = Achievements()
    for _line, _fields, row in _parsed(walk, ACHIEVEMENTS, tables, files):
        achievements.add(row)
    achievements.finish()
    activity = Activity()
    for _line, _fields, (user_id, day) in _parsed(walk, SUBMISSIONS, tables, files):
        activity.add(user_id, day)
    activity.finish()
    users: list[idx.I32] = []
    until: list[idx.I32] = []
    with bulk_connection(walk.engine) as conn:
        writer = Writer(conn, walk.infos, walk.options.batch_size, walk.counts)
        chunk: list[tuple[int, list[str], parse.UserTuple]] = []
        for row in _parsed(walk, USERS, tables, files):
            chunk.append(row)
            if len(chunk) >= walk.options.chunk_rows:
                _keep(users, until, _users_chunk(walk, chunk, achievements, activity, writer))
                chunk = []
        _keep(users, until, _users_chunk(walk, chunk, achievements, activity, writer))
        writer.flush()
        ids, ends = _latest(users, until)
        with session_scope(conn) as session:
            gone = not_seen_since(session, walk.seen_at)
            _mark(walk, session, gone, ids)
    walk.counts.achievement_rows_kept = achievements.kept
    return idx.SnapshotIndex({"files": files}, tables, ids, ends)


def _parsed(
    walk: Walk, name: str, tables: dict[str, idx.FileTable], files: dict[str, dict[str, Any]]
) -> Iterator[tuple[int, list[str], Any]]:
    """(line, fields, parsed row) of every good row; rows the parser rejects are counted as
    malformed, rows it returns None for are skipped. Once the file is read, its lines go into
    the index (`tables`, `files`)."""
    info = walk.infos[name]
    report = walk.reports.setdefault(name, FileReport(name))
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
        if walk.progress is not None and not report.rows % every:
            walk.progress(name, report.position(), info.size)
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
    if walk.progress is not None:
        walk.progress(name, info.size, info.size)


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
    walk: Walk,
    chunk: list[tuple[int, list[str], parse.UserTuple]],
    achievements: Achievements,
    activity: Activity,
    writer: Writer,
) -> tuple[idx.I32, idx.I32]:
    """Join one chunk of Users.csv with the aggregates; hand users with signal to the writer.
    Returns the chunk's user ids and the last files' date at which each has signal."""
    options, counts = walk.options, walk.counts
    if not chunk:
        return np.zeros(0, np.int32), np.zeros(0, np.int32)
    ids = np.array([user[0] for _line, _f, user in chunk], np.int32)
    tiers = np.array([user[4] for _line, _f, user in chunk], np.int64)
    group, best_tier, medals = achievements.lookup(ids)
    last = activity.lookup(ids)
    static = (tiers >= options.min_tier) | (best_tier >= options.min_tier) | (medals > 0)
    recent = np.where(last != parse.NO_DATE, last.astype(np.int64) + options.recent_days, -1)
    until = np.where(static, idx.FOREVER, np.minimum(recent, idx.FOREVER)).astype(np.int32)
    signal = static | (last >= max(walk.cutoff, 1))
    counts.skipped_no_signal += int(len(chunk) - int(signal.sum()))
    for i in np.flatnonzero(signal).tolist():
        _line, fields_, (uid, user_name, display_name, register_day, tier) = chunk[i]
        counts.users_with_signal += 1
        if walk.suppressed and is_suppressed(walk.suppressed, parse.SOURCE, str(uid), user_name):
            counts.suppressed += 1
            continue
        rows = achievements.of_group(int(group[i]))
        user = parse.UserRow(uid, user_name, display_name, register_day, tier, row_sha(fields_))
        row, kids = profile_row(user, rows, int(last[i]), walk.seen_at)
        raw = {USERS: user.sha}
        if rows:
            raw[ACHIEVEMENTS] = sha256_of(rows)
        if last[i] != parse.NO_DATE:
            raw[SUBMISSIONS] = sha256_of(parse.to_iso_date(int(last[i])))
        writer.add(row, kids, raw)
    return ids, until


def _mark(walk: Walk, session: Any, gone: dict[str, datetime], in_users: idx.I32) -> None:
    """Mark the stored profiles in `gone` (id -> last seen): not in Users.csv, or no signal."""
    if not gone:
        return
    listed = np.isin(np.array([int(e) for e in gone], np.int64), in_users)
    reasons = {e: NO_SIGNAL if hit else REMOVED for e, hit in zip(gone, listed, strict=True)}
    since = date.fromordinal(walk.as_of).isoformat()
    walk.counts.profiles_gone += mark_gone(session, gone, reasons, since)


# -- by difference ---------------------------------------------------------------------------


def read_by_difference(walk: Walk, previous: idx.SnapshotIndex) -> idx.SnapshotIndex | None:
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
            report = walk.reports.setdefault(name, FileReport(name))
            scans[name] = diff.scan(
                walk.infos[name],
                previous.tables[name],
                int(meta["files"][name]["header"]),
                len(columns),
                parsers[name],
                owner_of,
                report,
            )
            if walk.progress is not None:
                walk.progress(name, walk.infos[name].size, walk.infos[name].size)
        aged = previous.signal_lost(int(meta["as_of"]), walk.as_of)
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
    walk.mode = "difference"
    walk.touched = len(touched)
    walk.new_lines = sum(s.new_lines for s in scans.values())
    previous_seen = datetime.fromisoformat(str(meta["seen_at"]))
    with bulk_connection(walk.engine) as conn:
        writer = Writer(conn, walk.infos, walk.options.batch_size, walk.counts)
        part = _users_chunk(walk, users, achievements, activity, writer)
        ids, until = _latest([part[0]], [part[1]])
        writer.flush()
        with_signal = ids[until >= walk.as_of]
        left = np.setdiff1d(touched, with_signal)
        with session_scope(conn) as session:
            gone = last_seen_of(session, [str(u) for u in left.tolist()])
            again = touch_current(session, previous_seen, walk.seen_at)
            _mark(walk, session, gone, ids)
    # Seen again untouched, plus touched and found the same; the gone were among the first.
    walk.counts.profiles_unchanged += again - walk.counts.profiles_gone
    walk.counts.achievement_rows_kept = achievements.kept
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
