"""Streaming, fault-tolerant reading of Meta Kaggle CSV files.

The standard `csv` module (strict quoting) reads ~800k short rows/s here, gives exact line
numbers and lets one bad row be dropped without losing the rows after it; pandas' C parser is
faster but reports bad rows only as warnings and loses line numbers once quoted newlines or
skipped rows appear. Memory is one record plus a few lines, whatever the file size.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import logging
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from config.errors import ScoutError
from config.textfile import UTF8, UTF8_BOM, detect_encoding
from crawlers.kaggle.parse import ACHIEVEMENT_COLUMNS, USER_COLUMNS

log = logging.getLogger(__name__)

USERS = "Users.csv"
ACHIEVEMENTS = "UserAchievements.csv"
SUBMISSIONS = "Submissions.csv"
# The columns this crawler reads (a subset of each Meta Kaggle table: extra columns and any
# column order are accepted, a missing or renamed one is an error).
REQUIRED: dict[str, tuple[str, ...]] = {
    USERS: USER_COLUMNS,
    ACHIEVEMENTS: ACHIEVEMENT_COLUMNS,
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
    position: Callable[[], int] = lambda: 0  # bytes read so far (progress)
    encoding: str = "utf-8-sig"  # what the file was read as (see file_encoding)
    header: list[str] = field(default_factory=list)
    long_rows: list[tuple[int, int]] = field(default_factory=list)  # (line, lines) of rows
    # spanning several lines (a quoted newline)

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


def _feed(replay: deque[str], lines: Iterator[str], pending: list[str]) -> Iterator[str]:
    """Hands lines to csv.reader (lines to re-read first), remembering those of the record being
    parsed, so a record broken by a stray quote can be dropped alone and the lines after it
    read again."""
    while replay:
        pending.append(replay.popleft())
        yield pending[-1]
    for line in lines:
        pending.append(line)
        if len(pending) > MAX_RECORD_LINES:
            raise _RecordTooLong
        yield line


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
    their line numbers and skipped; so is a line whose bytes are not text in the file's encoding
    (never replaced by U+FFFD). A file that is not UTF-8 is read in the encoding
    charset-normalizer finds, and the log says so (`report.encoding`).
    """
    report.encoding = file_encoding(path, name)
    if report.encoding not in (UTF8, UTF8_BOM):
        log.warning(
            "%s is not UTF-8: read as %s (charset-normalizer's guess) and converted to UTF-8",
            name,
            report.encoding,
        )
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise KaggleFileError(f"cannot open {path}: {exc.strerror or exc}") from exc
    lines = _decoded_lines(handle, report)
    try:
        header = next(csv.reader(lines), None)
    except csv.Error as exc:
        handle.close()
        raise KaggleFileError(f"{name}: unreadable header: {exc}") from exc
    if header is None:
        handle.close()
        raise KaggleFileError(f"{name} is empty (no header line)")
    positions = check_header(name, header)
    report.header = header
    report.position = handle.tell
    return positions, _records(handle, lines, len(header), report)


def file_encoding(path: Path, name: str) -> str:
    """The encoding to read a Meta Kaggle file in: utf-8(-sig) when it is UTF-8, even with a few
    stray bytes (those lines are reported malformed); else charset-normalizer's guess, which must
    keep ASCII (newlines, commas, quotes) as it is. Anything else is a KaggleFileError."""
    decoder = codecs.getincrementaldecoder(UTF8_BOM)()
    head = b""
    try:
        with path.open("rb") as handle:
            while block := handle.read(1 << 20):
                head = head or block
                decoder.decode(block)
            decoder.decode(b"", final=True)
            return UTF8_BOM
    except UnicodeDecodeError:
        sample = head + block if block is not head else head
    except OSError as exc:
        raise KaggleFileError(f"cannot open {path}: {exc.strerror or exc}") from exc
    text = sample.decode(UTF8, errors="replace")
    if any(ord(c) > 127 and c != "\ufffd" for c in text):
        return UTF8_BOM  # real UTF-8 characters around the bad bytes: a damaged UTF-8 file
    guess = detect_encoding(sample)
    if not guess or '\n,"'.encode(guess, errors="replace") != b'\n,"':
        raise KaggleFileError(
            f"{name}: not UTF-8 text and its encoding cannot be told "
            f"({guess or 'no guess'}); convert it to UTF-8 and retry"
        )
    return guess


def _decoded_lines(handle: BinaryIO, report: FileReport) -> Iterator[str]:
    """The file's lines as text; a line that is not text in its encoding is reported malformed
    and read as a blank line (so line numbers stay right)."""
    encoding = report.encoding
    for number, raw in enumerate(handle, start=1):
        try:
            yield raw.decode(encoding if number == 1 else encoding.removesuffix("-sig"))
        except UnicodeDecodeError as exc:
            report.bad(number, f"not {encoding.removesuffix('-sig')} text (byte {exc.start})")
            yield "\n"


def _records(
    handle: BinaryIO, lines: Iterator[str], width: int, report: FileReport
) -> Iterator[tuple[int, list[str]]]:
    pending: list[str] = []
    replay: deque[str] = deque()
    start = 2  # line number of the record being parsed (line 1 is the header)
    with handle:
        while True:
            reader = csv.reader(_feed(replay, lines, pending), strict=True)
            try:
                for fields in reader:
                    if len(fields) == width:
                        report.rows += 1
                        if len(pending) > 1:
                            report.long_rows.append((start, len(pending)))
                        yield start, fields
                    elif len(pending) > 1:  # a multi-line record: re-read its later lines
                        raise _RecordTooLong
                    elif fields:  # (an empty list is a blank line)
                        report.bad(start, f"expected {width} fields, found {len(fields)}")
                    start += len(pending)
                    pending.clear()
                return
            except _RecordTooLong:
                reason = "unterminated quote or wrong number of fields"
            except csv.Error as exc:
                reason = f"bad quoting ({exc})"
            if not pending:
                return
            # Drop the record's first line; its other lines come round again.
            report.bad(start, reason)
            start += 1
            replay.extendleft(reversed(pending[1:]))
            pending.clear()


def row_sha(fields: Sequence[str]) -> str:
    """A stable hash of one row's fields (what the raw record keeps instead of the row)."""
    return hashlib.sha256("\x1f".join(fields).encode()).hexdigest()
