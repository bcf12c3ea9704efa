"""The snapshot index: a fingerprint of every line of the last ingested Meta Kaggle files.

A newer snapshot differs from the last by a small fraction of rows, so the next ingest hashes
each line of the new files (no CSV parsing), looks the hashes up here and parses only lines
it has not seen, plus every line of the users those lines belong to (crawlers.kaggle.diff).

Per file: the sorted distinct 64-bit xxh3 hashes of its physical lines (the trailing newline
excluded) and, for each, the user the line belongs to: the user id for a row that counts
(a Users.csv row, an achievement or submission the aggregates keep), minus that id for the
later lines of a row spanning several lines, 0 for a line that belongs to nobody (header,
blank, malformed, ignored rows), AMBIGUOUS when equal lines belong to different users.
Per user of Users.csv: the last files' date at which the user still has signal (tier or
medals: forever; a submission only: `recent_days` after it; none: -1), so a user whose only
signal ages out is found without a changed line.

The index is a cache, never the truth: it lives beside the files it describes (a hidden
.npz), names them by sha256 and is tied to the database by a token kept in the crawl cursor.
A missing, foreign or damaged index only means a full read. 12 bytes per line, 8 per user.
"""

from __future__ import annotations

import contextlib
import logging
import os
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson

from crawlers.kaggle.reader import FILES

log = logging.getLogger(__name__)

VERSION = 1
PREFIX = ".scout-kaggle-index-"
AMBIGUOUS = np.iinfo(np.int32).min
FOREVER = np.iinfo(np.int32).max
NO_SIGNAL = -1

U64 = npt.NDArray[np.uint64]
I32 = npt.NDArray[np.int32]


@dataclass
class FileTable:
    """Sorted distinct line hashes of one file and the user each belongs to."""

    hashes: U64
    owners: I32

    @staticmethod
    def of(hashes: U64, owner: I32) -> FileTable:
        """From hashes and owners in file order: sorted, equal lines merged (AMBIGUOUS when
        their owners differ)."""
        if len(hashes) == 0:
            return FileTable(np.zeros(0, np.uint64), np.zeros(0, np.int32))
        order = np.argsort(hashes, kind="stable")
        hashes, owner = hashes[order], owner[order]
        first = np.flatnonzero(np.append(True, hashes[1:] != hashes[:-1]))
        low = np.minimum.reduceat(owner, first)
        high = np.maximum.reduceat(owner, first)
        return FileTable(hashes[first], np.where(low == high, low, AMBIGUOUS).astype(np.int32))


@dataclass
class SnapshotIndex:
    meta: dict[str, Any]
    tables: dict[str, FileTable]
    users: I32  # sorted Users.csv ids
    until: I32  # per user: the last files' date (day ordinal) with signal

    @property
    def token(self) -> str:
        return str(self.meta.get("token", ""))

    def signal_lost(self, old_as_of: int, new_as_of: int) -> I32:
        """Users with signal at `old_as_of` whose only signal is gone at `new_as_of`."""
        return self.users[(self.until >= old_as_of) & (self.until < new_as_of)]


def new_token() -> str:
    return uuid.uuid4().hex


def index_path(folder: Path, token: str) -> Path:
    return folder / f"{PREFIX}{token}.npz"


def save(path: Path, index: SnapshotIndex) -> bool:
    """Write the index (to a temporary name, then renamed). False, with a warning, when the
    folder cannot take it: the next ingest then reads the files in full."""
    arrays: dict[str, Any] = {
        "meta": np.frombuffer(orjson.dumps({**index.meta, "version": VERSION}), np.uint8),
        "users": index.users,
        "until": index.until,
    }
    for i, name in enumerate(FILES):
        table = index.tables[name]
        arrays[f"hashes{i}"], arrays[f"owners{i}"] = table.hashes, table.owners
    temporary = path.with_name(path.name + ".part")
    try:
        with temporary.open("wb") as handle:
            np.savez(handle, **arrays)
        os.replace(temporary, path)
    except OSError as exc:
        log.warning(
            "cannot write the Meta Kaggle index %s (%s): the next ingest reads all", path, exc
        )
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
        return False
    return True


def load(path: Path, token: str) -> SnapshotIndex | None:
    """The index at `path` when it is the one the database's cursor names; else None."""
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = orjson.loads(data["meta"].tobytes())
            if meta.get("version") != VERSION or meta.get("token") != token:
                return None
            tables = {
                name: FileTable(data[f"hashes{i}"], data[f"owners{i}"])
                for i, name in enumerate(FILES)
            }
            return SnapshotIndex(meta, tables, data["users"], data["until"])
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, orjson.JSONDecodeError) as exc:
        log.info("Meta Kaggle index %s unusable (%s): reading the files in full", path, exc)
        return None


def remove(path: Path | None) -> None:
    if path is not None:
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            log.info("cannot remove the old Meta Kaggle index %s: %s", path, exc)
