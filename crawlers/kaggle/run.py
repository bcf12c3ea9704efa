"""Ingest Meta Kaggle (Users, UserAchievements, Submissions) into profiles: one crawl run.

The walk over the files (crawlers/kaggle/spider.py) reads them in full, or by difference when
the index the last run left beside the files is there; either way profiles whose content
changed are written, the others only get last_seen moved, and a stored profile whose user is
no longer in the files with signal is marked (extra.gone), never deleted: it may have been
exported. Each run leaves an index of every line it read (crawlers.kaggle.index).

Idempotence: every file's (date, sha256) is the crawl cursor; when no file changed, nothing is
read or written (the run is still logged in crawl_runs, the only table that grows).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from config.clock import utcnow
from config.errors import ScoutError
from crawlers.kaggle import index as idx
from crawlers.kaggle import parse
from crawlers.kaggle.options import KaggleOptions
from crawlers.kaggle.reader import (
    FILES,
    FileInfo,
    FileReport,
    file_info,
)
from crawlers.kaggle.spider import Progress, Walk, read_by_difference, read_full
from crawlers.kaggle.write import (
    Counts,
)
from crawlers.lifecycle import Run
from storage.state import all_cursors, set_cursor
from storage.suppress import suppressed_hashes

log = logging.getLogger(__name__)

STREAM = "meta-kaggle"
INDEX = "index"  # crawl_state partition naming the index of the last ingested files


@dataclass
class IngestResult:
    run_id: int
    unchanged: bool = False
    files: dict[str, FileReport] = field(default_factory=dict)
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def malformed(self) -> list[str]:
        return [str(m) for report in self.files.values() for m in report.samples]


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
    run = Run(engine, parse.SOURCE, args or {"from": str(folder)})
    with run.starting() as session:
        cursors = all_cursors(session, parse.SOURCE, STREAM)
        _refuse_older(infos, cursors, force)
        suppressed = suppressed_hashes(session, parse.SOURCE)
    result = IngestResult(run_id=run.run_id)
    started = time.perf_counter()
    index_ref: dict[str, Any] | None = None
    try:
        if not force and all(_same(infos[n], cursors.get(n)) for n in FILES):
            result.unchanged = True
            result.stats = {"files_unchanged": True, "files": _file_stats(infos, {})}
        else:
            walk = Walk(engine, infos, options, result.files, progress, clock(), suppressed)
            previous = None if force else _previous_index(cursors, walk)
            index = read_by_difference(walk, previous) if previous is not None else None
            if index is None:
                result.files.clear()
                walk.counts = Counts()
                index = read_full(walk)
            index_ref = _save_index(folder, index, walk)
            result.stats = _stats(walk, time.perf_counter() - started)
        malformed = int(result.stats.get("malformed_rows", 0))
        with run.finishing("ok", result.stats, errors=malformed) as session:
            for name, info in infos.items():
                if cursors.get(name) != info.cursor():
                    set_cursor(session, parse.SOURCE, STREAM, name, info.cursor())
            if index_ref is not None:
                set_cursor(session, parse.SOURCE, STREAM, INDEX, index_ref)
    except BaseException as exc:
        # Whatever stops the walk, Ctrl-C included: the run is recorded interrupted or failed
        # with the error's message and the error goes on (re-raised), nothing swallowed.
        status = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
        message = str(exc)[:500] or type(exc).__name__
        run.finish(status, result.stats, message, errors=1)
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


def _settings(walk: Walk) -> dict[str, Any]:
    """What the index's per-user signal depends on besides the files."""
    digest = hashlib.sha256("\n".join(sorted(walk.suppressed)).encode()).hexdigest()
    return {
        "min_tier": walk.options.min_tier,
        "recent_days": walk.options.recent_days,
        "suppressed": digest,
    }


def _previous_index(cursors: dict[str, Any], walk: Walk) -> idx.SnapshotIndex | None:
    """The index of the files the cursor names, when it can be trusted for this walk."""
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
    if meta.get("settings") != _settings(walk) or int(meta.get("as_of", 0)) > walk.as_of:
        return None
    return index


def _save_index(folder: Path, index: idx.SnapshotIndex, walk: Walk) -> dict[str, Any] | None:
    token = idx.new_token()
    index.meta.update(
        token=token, as_of=walk.as_of, settings=_settings(walk), seen_at=walk.seen_at.isoformat()
    )
    for name, info in walk.infos.items():
        index.meta["files"][name]["sha256"] = info.sha256
    path = idx.index_path(folder.resolve(), token)
    return {"path": str(path), "token": token} if idx.save(path, index) else None


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


def _stats(walk: Walk, elapsed: float) -> dict[str, Any]:
    reports, counts = walk.reports, walk.counts
    rows = sum(r.rows + r.malformed for r in reports.values())
    return {
        "files_unchanged": False,
        "mode": walk.mode,
        "files": _file_stats(walk.infos, reports),
        "rows_read": rows,
        "new_lines": walk.new_lines,
        "users_touched": walk.touched,
        "malformed_rows": sum(r.malformed for r in reports.values()),
        "malformed_samples": [str(m) for r in reports.values() for m in r.samples[:20]],
        "users_with_signal": counts.users_with_signal,
        "profiles_stored": counts.profiles_stored,
        "profiles_unchanged": counts.profiles_unchanged,
        "profiles_gone": counts.profiles_gone,
        # The names every walk's stats share (storage.state.STANDARD_STATS).
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
