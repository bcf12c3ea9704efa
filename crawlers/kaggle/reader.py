"""Streaming, fault-tolerant reading of Meta Kaggle CSV files.

The standard `csv` module (strict quoting) reads ~800k short rows/s here, gives exact line
numbers and lets one bad row be dropped without losing the rows after it; pandas' C parser is
faster but reports bad rows only as warnings and loses line numbers once quoted newlines or
skipped rows appear. Memory is one record plus a few lines, whatever the file size.
"""

from __future__ import annotations

import csv
import hashlib
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from config.errors import ScoutError

USERS = "Users.csv"
ACHIEVEMENTS = "UserAchievements.csv"
SUBMISSIONS = "Submissions.csv"
# The columns this crawler reads (a subset of each Meta Kaggle table: extra columns and any
# column order are accepted, a missing or renamed one is an error).
REQUIRED: dict[str, tuple[str, ...]] = {
    USERS: ("Id", "UserName", "DisplayName", "RegisterDate", "PerformanceTier"),
    ACHIEVEMENTS: (
        "UserId",
        "AchievementType",
        "Tier",
        "TierAchievementDate",
        "Points",
        "CurrentRanking",
        "HighestRanking",
        "TotalGold",
        "TotalSilver",
        "TotalBronze",
    ),
    SUBMISSIONS: ("SubmittedUserId", "SubmissionDate"),
}
FILES = (USERS, ACHIEVEMENTS, SUBMISSIONS)
# A real Meta Kaggle field never spans many lines; a record that does is a stray quote
# swallowing the rows after it.
MAX_RECORD_LINES = 20
SAMPLE_LIMIT = 50  # malformed rows kept (with line numbers) for the report; all are counted


class KaggleFileError(ScoutError):
    """A Meta Kaggle file that cannot be read at all (missing, wrong header)."""


@dataclass(frozen=True, slots=True)
class Malformed:
    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file} line {self.line}: {self.reason}"


@dataclass
class FileReport:
    """What reading one file found."""

    file: str
    rows: int = 0
    malformed: int = 0
    samples: list[Malformed] = field(default_factory=list)
    chars: int = 0  # characters read so far (progress)

    def bad(self, line: int, reason: str) -> None:
        self.malformed += 1
        if len(self.samples) < SAMPLE_LIMIT:
            self.samples.append(Malformed(self.file, line, reason))


@dataclass(frozen=True, slots=True)
class FileInfo:
    """A file's identity for the crawl cursor: its date and content hash."""

    name: str
    path: Path
    size: int
    file_date: str  # ISO 8601, UTC: the file's modification time (Last-Modified when downloaded)
    sha256: str

    def cursor(self) -> dict[str, object]:
        return {"file_date": self.file_date, "sha256": self.sha256, "size": self.size}


def file_info(folder: Path, name: str) -> FileInfo:
    """Locate a Meta Kaggle file and hash it (one sequential read, 1 MiB at a time)."""
    path = folder / name
    if not path.is_file():
        raise KaggleFileError(f"{name} is missing from {folder}")
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    stat = path.stat()
    when = datetime.fromtimestamp(stat.st_mtime, UTC).replace(microsecond=0)
    return FileInfo(name, path, stat.st_size, when.isoformat(), digest.hexdigest())


class _RecordTooLong(Exception):
    pass


class _LineFeed:
    """Feeds lines to csv.reader and remembers the lines of the record being parsed, so a
    record broken by a stray quote can be dropped alone and the lines after it re-read."""

    def __init__(self, handle: TextIO, report: FileReport) -> None:
        self.handle = handle
        self.report = report
        self.replay: deque[str] = deque()
        self.pending: list[str] = []
        self.start = 2  # line number of the record being parsed (line 1 is the header)

    def __iter__(self) -> _LineFeed:
        return self

    def __next__(self) -> str:
        if self.replay:
            line = self.replay.popleft()
        else:
            line = next(self.handle)
            self.report.chars += len(line)
        self.pending.append(line)
        if len(self.pending) > MAX_RECORD_LINES:
            raise _RecordTooLong
        return line

    def done(self) -> int:
        """The record is complete: returns its first line number."""
        first = self.start
        self.start += len(self.pending)
        self.pending.clear()
        return first

    def drop_first(self) -> int:
        """Skip the first line of a broken record and re-read the lines after it."""
        first = self.start
        self.replay.extendleft(reversed(self.pending[1:]))
        self.start += 1
        self.pending.clear()
        return first


def check_header(name: str, header: Sequence[str]) -> dict[str, int]:
    """Column positions by name; a missing column is one error naming it and the file."""
    positions = {column.strip(): i for i, column in enumerate(header)}
    missing = [c for c in REQUIRED[name] if c not in positions]
    if missing:
        raise KaggleFileError(
            f"{name}: missing column(s) {', '.join(missing)} "
            f"(header has: {', '.join(h.strip() for h in header) or 'nothing'})"
        )
    return positions


def read_records(
    path: Path, name: str, report: FileReport
) -> tuple[dict[str, int], Iterator[tuple[int, list[str]]]]:
    """Validate the header, then stream (line number, fields) of every well-formed record.

    Records with the wrong number of fields or broken quoting are counted in `report` with
    their line numbers and skipped.
    """
    try:
        handle = path.open(encoding="utf-8-sig", errors="replace", newline="")
    except OSError as exc:
        raise KaggleFileError(f"cannot open {path}: {exc.strerror or exc}") from exc
    try:
        header = next(csv.reader(handle), None)
    except csv.Error as exc:
        handle.close()
        raise KaggleFileError(f"{name}: unreadable header: {exc}") from exc
    if header is None:
        handle.close()
        raise KaggleFileError(f"{name} is empty (no header line)")
    positions = check_header(name, header)
    return positions, _records(handle, len(header), report)


def _records(handle: TextIO, width: int, report: FileReport) -> Iterator[tuple[int, list[str]]]:
    feed = _LineFeed(handle, report)
    with handle:
        while True:
            reader = csv.reader(feed, strict=True)
            try:
                for fields in reader:
                    if len(fields) == width:
                        line = feed.done()
                        report.rows += 1
                        yield line, fields
                    elif not fields:
                        feed.done()  # a blank line
                    elif len(feed.pending) > 1:
                        report.bad(feed.drop_first(), f"expected {width} fields")
                        break  # a multi-line record: re-read its later lines
                    else:
                        report.bad(feed.done(), f"expected {width} fields, found {len(fields)}")
                else:
                    return
            except _RecordTooLong:
                report.bad(feed.drop_first(), "unterminated quote")
            except csv.Error as exc:
                if not feed.pending:  # the error came at the end of the file
                    return
                report.bad(feed.drop_first(), f"bad quoting ({exc})")


def row_sha(fields: Sequence[str]) -> str:
    """A stable hash of one row's fields (what the raw record keeps instead of the row)."""
    return hashlib.sha256("\x1f".join(fields).encode()).hexdigest()
