"""Reading back what spreadsheets save: CSV in any delimiter and encoding, and .xlsx workbooks.

A shortlist goes out as UTF-8 CSV and comes back the way the recruiter's spreadsheet saved it:
Excel in Poland, Germany or Brazil separates with semicolons, Excel's plain "CSV" is in the
Windows code page of the machine (cp1250, cp1251, cp1252), "CSV UTF-8" starts with a BOM,
"Unicode Text" is tab-separated UTF-16, LibreOffice and Google Sheets save .xlsx. `read_sheet`
takes all of them and says how it read the file (`Sheet.describe`), so a guessed code page is
never silent. Anything else is one ScoutError naming the path.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import warnings
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from config.errors import ScoutError
from config.textfile import decode_strict, guess_code_page, read_bytes
from storage.csvfile import parse_csv, table_rows

DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_ENCODING_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 with BOM", "utf-16": "UTF-16"}
BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),  # Excel's "Unicode Text"
    (codecs.BOM_UTF16_BE, "utf-16"),
)
ZIP = b"PK\x03\x04"
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls (Excel 97-2003) and other compound files
EMPTY = "empty file; expected a CSV or .xlsx with a header row"
_SEP_LINE = re.compile(r"sep=(.)\r?\n?")  # Excel's own hint on a CSV's first line


@dataclass(frozen=True)
class Sheet:
    """A table read from a spreadsheet file: a normalised header and numbered rows."""

    header: list[str]
    rows: list[tuple[int, dict[str, str]]]
    kind: str  # "CSV" or "xlsx"
    delimiter: str = ""
    encoding: str = ""
    guessed: bool = False  # the encoding is a legacy code page chosen by guess_code_page
    title: str = ""  # the xlsx worksheet read

    def describe(self) -> str:
        """How the file was read, e.g. "CSV, semicolon-separated, cp1251 (guessed)"."""
        if self.kind == "xlsx":
            return f"xlsx, sheet {self.title!r}"
        encoding = _ENCODING_NAMES.get(self.encoding, self.encoding)
        encoding += " (guessed)" if self.guessed else ""
        return f"CSV, {DELIMITERS.get(self.delimiter, repr(self.delimiter))}-separated, {encoding}"


def normalise_header(name: str) -> str:
    """A column name as we compare it: "Candidate ID " and "candidate-id" are candidate_id."""
    return re.sub(r"[\s\-]+", "_", name.replace("\ufeff", "").strip().lower())


def read_sheet(path: Path, expected: Sequence[str] = (), encoding: str | None = None) -> Sheet:
    """The first table of `path`: an .xlsx workbook (the first worksheet whose header holds the
    `expected` columns, else the first) or a CSV in the delimiter whose header holds most of
    them. A CSV's encoding is `encoding` when given, else a BOM's, else UTF-8, else the Windows
    code page charset-normalizer finds (marked guessed). Row numbers are the spreadsheet's.
    """
    if path.is_dir():
        raise ScoutError(f"{path}: is a folder; give the CSV or .xlsx file")
    raw = read_bytes(path, "file")
    if not raw.strip():
        raise ScoutError(f"{path}: {EMPTY}")
    if raw.startswith(ZIP):
        return _read_xlsx(path, raw, expected)
    if raw.startswith(OLE2):
        raise ScoutError(f"{path}: an Excel 97-2003 .xls workbook; save it as .xlsx or CSV")
    text, codec, guessed = _decode(path, raw, encoding)
    if "\x00" in text:
        raise ScoutError(f"{path}: binary data, not a CSV or .xlsx spreadsheet")
    sep = _SEP_LINE.match(text)
    if sep:
        delimiter, text = sep.group(1), text[sep.end() :]
    else:
        delimiter = _delimiter(text, expected)
    read = Sheet([], [], "CSV", delimiter, codec, guessed)
    try:
        records = parse_csv(text, delimiter)
    except csv.Error as exc:
        raise ScoutError(f"{path}: not a readable CSV (read as {read.describe()}): {exc}") from exc
    header, rows = _table(records)
    if not header:
        raise ScoutError(f"{path}: {EMPTY}")
    return replace(read, header=header, rows=rows)


def _decode(path: Path, raw: bytes, encoding: str | None) -> tuple[str, str, bool]:
    """(text, codec name, guessed)."""
    if encoding:
        try:
            codec = codecs.lookup(encoding).name
        except LookupError as exc:
            raise ScoutError(f"--encoding {encoding!r}: unknown encoding, e.g. cp1250") from exc
        return _strict(path, raw, codec), codec, False
    for bom, codec in BOMS:
        if raw.startswith(bom):
            return _strict(path, raw, codec), codec, False
    try:
        return raw.decode("utf-8"), "utf-8", False
    except UnicodeDecodeError:
        pass
    if b"\x00" in raw:
        raise ScoutError(f"{path}: binary data, not a CSV or .xlsx spreadsheet")
    codec = guess_code_page(raw)
    if not codec:
        raise ScoutError(
            f"{path}: neither an .xlsx workbook nor text in UTF-8 or a Windows code page; "
            "save it as 'CSV UTF-8' or .xlsx"
        )
    return _strict(path, raw, codec), codec, True


def _strict(path: Path, raw: bytes, codec: str) -> str:
    return decode_strict(raw, path, codec, "give the right --encoding or save it as 'CSV UTF-8'")


def _delimiter(text: str, expected: Sequence[str]) -> str:
    """The delimiter whose split of the first line names most `expected` columns; failing
    that, csv.Sniffer's pick; failing that, the one that splits the first line most."""
    first = text.split("\n", 1)[0]
    wanted = set(expected)

    def found(delimiter: str) -> list[str]:
        cells = next(csv.reader([first], delimiter=delimiter), [])
        return [normalise_header(c) for c in cells]

    score = {d: len(wanted.intersection(found(d))) for d in DELIMITERS}
    best = max(score, key=lambda d: score[d])
    if score[best]:
        return best
    try:
        return csv.Sniffer().sniff(text[:65536], delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        return max(DELIMITERS, key=lambda d: len(found(d)))


def _table(records: Sequence[Sequence[str]]) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """The header (the first non-empty record) and the numbered rows under it."""
    for index, record in enumerate(records):
        if any(cell.strip() for cell in record):
            header = [normalise_header(c) for c in record]
            body = [list(r) for r in records[index + 1 :]]
            return header, list(table_rows(header, body, first=index + 2))
    return [], []


def _read_xlsx(path: Path, raw: bytes, expected: Sequence[str]) -> Sheet:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    broken = (zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError, SyntaxError)
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            names = archive.namelist()
            if names[:1] == ["mimetype"] and b"opendocument" in archive.read("mimetype"):
                raise ScoutError(f"{path}: an OpenDocument file; save it as .xlsx or CSV")
        with warnings.catch_warnings():  # openpyxl warns about styles and extensions it skips
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
            try:
                tables = [(ws.title, _table(_records(ws))) for ws in book.worksheets]
            finally:
                book.close()
    except (InvalidFileException, *broken) as exc:
        raise ScoutError(
            f"{path}: not a readable .xlsx workbook ({exc.__class__.__name__}: {exc}); "
            "save it again from the spreadsheet, as .xlsx or CSV"
        ) from exc
    if not any(header for _title, (header, _rows) in tables):
        raise ScoutError(f"{path}: every worksheet is empty; expected a header row")
    title, (header, rows) = next((t for t in tables if set(expected) <= set(t[1][0])), tables[0])
    return Sheet(header, rows, kind="xlsx", title=title)


def _records(worksheet: Any) -> list[list[str]]:
    return [[cell_text(v) for v in row] for row in worksheet.iter_rows(values_only=True)]


def cell_text(value: Any) -> str:
    """A worksheet cell as the text a CSV would hold: whole numbers without ".0", dates in ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime) and value.time() == time(0):
        return value.date().isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)
