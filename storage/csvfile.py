"""The one CSV writer (and reader) of talent-scout: every CSV we write is formula-safe.

OWASP CSV injection guidance: a cell a spreadsheet would run as a formula (it starts with =, +,
-, @, tab, CR or LF, or the full-width forms some spreadsheets normalise) gets a leading single
quote. `read_rows` takes that quote off again, so a file we wrote reads back exactly.
Paths are checked where they enter: a missing folder or a folder given as a file is one
ScoutError naming the path.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from config.errors import ScoutError

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
_FIRST = frozenset(c[0] for c in FORMULA_START) | {" ", "'"}


def _needs_quote(text: str) -> bool:
    # A text that starts with our own apostrophe before a formula gets one more, so reading
    # back takes exactly one off.
    if text.lstrip(" ").startswith(FORMULA_START):
        return True
    return text.startswith("'") and _needs_quote(text[1:])


def safe_cell(value: Any) -> str:
    """A cell's text, with a leading apostrophe when a spreadsheet would read it as a formula."""
    text = "" if value is None else str(value)
    # Fast path first: a million-row export checks every cell.
    if not text or text[0] not in _FIRST:
        return text
    return "'" + text if _needs_quote(text) else text


def unsafe_cell(text: str) -> str:
    """The inverse of safe_cell: the apostrophe safe_cell added is taken off again."""
    if text.startswith("'") and _needs_quote(text[1:]):
        return text[1:]
    return text


class CsvWriter:
    """csv.writer whose every cell goes through safe_cell."""

    def __init__(self, handle: TextIO, **fmt: Any) -> None:
        self._writer = csv.writer(handle, **fmt)

    def writerow(self, row: Iterable[Any]) -> None:
        cell = safe_cell
        self._writer.writerow([cell(v) for v in row])


def csv_writer(handle: TextIO, bom: bool = False, **fmt: Any) -> CsvWriter:
    """A formula-safe writer on `handle` (opened with newline=""); an optional BOM for Excel."""
    if bom:
        handle.write("\ufeff")
    return CsvWriter(handle, **fmt)


def check_output_path(path: Path) -> None:
    """Refuse, before any work, a path whose folder is missing or that is itself a folder."""
    if path.is_dir():
        raise ScoutError(f"{path}: is a folder; give a file name, e.g. {path / 'out.csv'}")
    folder = path.parent
    if not folder.is_dir():
        raise ScoutError(f"{path}: folder {folder} does not exist; create it first")


@contextmanager
def open_output(path: Path) -> Iterator[TextIO]:
    """`path` opened for writing CSV (UTF-8, newline=""); an OS refusal is one ScoutError."""
    check_output_path(path)
    try:
        handle = path.open("w", encoding="utf-8", newline="")
    except OSError as exc:
        raise ScoutError(f"{path}: cannot write: {exc.strerror or exc}") from exc
    with handle:
        yield handle


def read_rows(path: Path) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]]]:
    """(header, (row number, {column: cell})) of a CSV we may have written: UTF-8 (BOM allowed),
    header names stripped and lower-cased, safe_cell's apostrophes taken off. Row numbers are a
    spreadsheet's (the header is row 1). Anything unreadable is one ScoutError naming the path.
    (`storage.sheets.read_sheet` reads what spreadsheets save: other delimiters, code pages, xlsx.)
    """
    if path.is_dir():
        raise ScoutError(f"{path}: is a folder; give the CSV file")
    try:
        text = path.read_bytes()
    except FileNotFoundError as exc:
        raise ScoutError(f"{path}: file not found") from exc
    except OSError as exc:
        raise ScoutError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    try:
        decoded = text.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScoutError(
            f"{path}: not UTF-8 text (byte {exc.start}); save it as 'CSV UTF-8' and retry"
        ) from exc
    try:
        records = parse_csv(decoded)
    except csv.Error as exc:
        raise ScoutError(f"{path}: not a readable CSV: {exc}") from exc
    header = [h.strip().lower() for h in records[0]] if records else []
    return header, table_rows(header, records[1:])


def parse_csv(text: str, delimiter: str = ",") -> list[list[str]]:
    """Every record of `text` (csv.Error when a quote is left open). Only CR, LF and CRLF end a
    line, so a cell holding U+2028 or a form feed stays one cell."""
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True))


def table_rows(
    header: Sequence[str], records: list[list[str]], first: int = 2
) -> Iterator[tuple[int, dict[str, str]]]:
    """(row number, {column: cell}) of each non-empty record, numbered from `first`, with
    safe_cell's apostrophes taken off."""
    for number, record in enumerate(records, start=first):
        if any(record):
            yield number, {k: unsafe_cell(v) for k, v in zip(header, record, strict=False)}
