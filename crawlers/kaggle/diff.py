"""Read a newer Meta Kaggle snapshot by difference against the index of the last one.

Each changed file is read once as bytes: its lines are split and hashed (no CSV parsing) and
looked up in the index (crawlers.kaggle.index). Only lines the index has not seen are parsed;
lines gone from the file name their users through the index. The users of new and gone lines,
and the users whose only signal aged out, are the `touched` users: every line of theirs is
then read again (by byte offset) and parsed, so their profiles are rebuilt from their whole
current rows exactly as a full read would. A difference the lines cannot express safely (a row
spanning lines, a line that is not text, too many new lines) raises Fallback: the caller reads
the files in full instead.
"""

from __future__ import annotations

import csv
import mmap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import xxhash

from crawlers.kaggle import parse
from crawlers.kaggle.index import AMBIGUOUS, I32, U64, FileTable
from crawlers.kaggle.reader import FileInfo, FileReport

BLOCK = 8 << 20  # bytes read at a time
MAX_NEW = 0.2  # beyond this share of new lines, reading in full costs about the same

I64 = npt.NDArray[np.int64]
Parser = Callable[[list[str]], Any]


class Fallback(Exception):
    """This difference cannot be read line by line; read the files in full."""


@dataclass
class Scan:
    """One changed file, hashed line by line and matched against the index."""

    info: FileInfo
    hashes: U64  # per line, in file order (line n is hashes[n - 1])
    owners: I32  # per line: the user the index knows, or the one a new line names; 0: none
    offsets: I64  # byte offset where each line starts, and one past the last
    touched: I32  # users of new lines and of lines gone since the index was written
    new_lines: int

    def table(self) -> FileTable:
        return FileTable.of(self.hashes, self.owners)


def _lines(info: FileInfo) -> Iterator[tuple[list[bytes], int]]:
    """Blocks of the file's lines (without newlines) and the byte offset of each block."""
    base, rest = 0, b""
    with info.path.open("rb") as handle:
        while block := handle.read(BLOCK):
            block = rest + block
            cut = block.rfind(b"\n") + 1
            if cut == 0:
                rest = block
                continue
            rest = block[cut:]
            yield block[: cut - 1].split(b"\n"), base
            base += cut
    if rest:
        yield [rest], base


def line_hashes(info: FileInfo) -> tuple[U64, I64]:
    """The hash of every line of the file, in order, and the byte offset where each starts
    (plus one past the end)."""
    hashes: list[U64] = []
    ends: list[I64] = []
    for lines, base in _lines(info):
        count = len(lines)
        hashes.append(np.fromiter(map(xxhash.xxh3_64_intdigest, lines), np.uint64, count))
        sizes = np.fromiter(map(len, lines), np.int64, count) + 1
        ends.append(np.cumsum(sizes) + base)
    offsets = np.concatenate([np.zeros(1, np.int64), *ends])
    empty = np.zeros(0, np.uint64)
    return (np.concatenate(hashes) if hashes else empty), offsets


def parse_line(raw: bytes, width: int) -> list[str] | None:
    """The fields of a line that is a whole row by itself; None for a blank line. Anything
    the full reader would see differently (a quote left open, a byte that is not UTF-8, a
    stray carriage return) raises Fallback."""
    try:
        rows = list(csv.reader([raw.decode("utf-8")], strict=True))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise Fallback(f"a changed line is not a row by itself ({exc})") from None
    fields = rows[0] if len(rows) == 1 else None
    if fields is None:
        raise Fallback("a changed line holds more than one row")
    return fields or None


def scan(
    info: FileInfo,
    table: FileTable,
    header: int,
    width: int,
    parser: Parser,
    owner_of: Callable[[Any], int],
    report: FileReport,
) -> Scan:
    """Hash every line of a changed file and parse the new ones (malformed ones go to `report`
    with their line numbers, as a full read reports them)."""
    hashes, offsets = line_hashes(info)
    if len(hashes) == 0 or int(hashes[0]) != header:
        raise Fallback(f"{info.name}: the header changed")
    report.rows = len(hashes) - 1
    pos = np.asarray(pd.Index(table.hashes).get_indexer(hashes), np.int64)
    known = pos >= 0
    owners = np.where(known, table.owners[np.where(known, pos, 0)], 0).astype(np.int32)
    new = np.flatnonzero(~known | (owners == AMBIGUOUS))
    if len(new) > MAX_NEW * len(hashes):
        raise Fallback(f"{info.name}: {len(new):,} of {len(hashes):,} lines are new")
    seen = np.zeros(len(table.hashes), np.bool_)
    seen[pos[known]] = True
    gone = table.owners[~seen]
    if (gone < 0).any():
        raise Fallback(f"{info.name}: a row spanning lines (or one of equal lines) changed")
    with info.path.open("rb") as handle, _mapped(handle) as data:
        for i in new.tolist():
            owners[i] = 0
            fields = parse_line(data[offsets[i] : offsets[i + 1] - 1], width)
            if fields is None:
                continue
            if len(fields) != width:
                report.rows -= 1
                report.bad(i + 1, f"expected {width} fields, found {len(fields)}")
                continue
            try:
                parsed = parser(fields)
            except parse.RowError as exc:
                report.rows -= 1
                report.bad(i + 1, str(exc))
                continue
            if parsed is not None:
                owners[i] = owner_of(parsed)
    touched = np.union1d(gone[gone > 0], owners[new]).astype(np.int32)
    return Scan(info, hashes, owners, offsets, touched[touched > 0], len(new))


def rows_of(
    scan_: Scan, users: I32, width: int, parser: Parser
) -> Iterator[tuple[int, list[str], Any]]:
    """(line, fields, parsed row) of every line of `users`, in file order."""
    if len(users) == 0:
        return
    lines = np.flatnonzero(np.isin(np.abs(scan_.owners), users))
    if (scan_.owners[lines] < 0).any():
        raise Fallback(f"{scan_.info.name}: a touched user has a row spanning lines")
    with scan_.info.path.open("rb") as handle, _mapped(handle) as data:
        for i in lines.tolist():
            fields = parse_line(data[scan_.offsets[i] : scan_.offsets[i + 1] - 1], width)
            if fields is None or len(fields) != width:
                continue
            try:
                parsed = parser(fields)
            except parse.RowError:
                continue  # counted when the line was new
            if parsed is not None:
                yield i + 1, fields, parsed


class _mapped:
    """The whole file as bytes, mapped (an empty file cannot be mapped)."""

    def __init__(self, handle: Any) -> None:
        self.handle = handle
        self.data: Any = b""

    def __enter__(self) -> Any:
        if self.handle.seek(0, 2):
            self.data = mmap.mmap(self.handle.fileno(), 0, access=mmap.ACCESS_READ)
        return self.data

    def __exit__(self, *_exc: object) -> None:
        if isinstance(self.data, mmap.mmap):
            self.data.close()
