"""Reading what spreadsheets save: any delimiter, BOM or not, CRLF, code pages, UTF-16, .xlsx."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from config.errors import ScoutError
from storage.csvfile import csv_writer
from storage.sheets import cell_text, normalise_header, read_sheet

EXPECTED = ("candidate_id", "decision")
# Names from the scripts our candidates write in, and the characters CSV must quote.
ALPHABET = "aZ09 Łłąśźż Ірина Коваленко प्रिया शर्मा ÁéñüßŐő,;\t\"'\n=+-@|"
CODECS = ["utf-8", "utf-8-sig", "utf-16", "cp1250", "cp1251", "cp1252"]


def _write(rows, delimiter, codec, newline):
    """What a spreadsheet saves: our writer's cells, in `codec` (a character the code page
    lacks becomes "?", as Excel does), lines ended by `newline`."""
    out = io.StringIO()
    writer = csv_writer(out, delimiter=delimiter, lineterminator=newline)
    writer.writerow(["rank", "name", "candidate_id", "decision"])
    for row in rows:
        writer.writerow(row)
    return out.getvalue().encode(codec, errors="replace")


table = st.lists(
    st.tuples(
        st.integers(1, 500),
        st.text(ALPHABET, max_size=12),
        st.integers(1, 10**9),
        st.sampled_from(["yes", "no", "Hired", " replied ", "", "maybe"]),
    ),
    min_size=1,
    max_size=15,
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=table,
    delimiter=st.sampled_from([",", ";", "\t"]),
    codec=st.sampled_from(CODECS),
    newline=st.sampled_from(["\r\n", "\n"]),
)
def test_any_decision_table_round_trips(tmp_path, rows, delimiter, codec, newline):
    raw = _write(rows, delimiter, codec, newline)
    path = tmp_path / "t.csv"
    path.write_bytes(raw)
    sheet = read_sheet(path, EXPECTED)
    assert sheet.header == ["rank", "name", "candidate_id", "decision"]
    assert sheet.delimiter == delimiter
    got = [(r["rank"], r["name"], r["candidate_id"], r["decision"]) for _n, r in sheet.rows]
    ids = [(str(a), str(c), d) for a, _b, c, d in rows]
    assert [(a, c, d) for a, _b, c, d in got] == ids  # ids and decisions: always exact
    if codec.startswith("utf"):  # and every name, where the encoding holds it
        assert [b for _a, b, _c, _d in got] == [b for _a, b, _c, _d in rows]
        assert not sheet.guessed
    else:
        assert sheet.guessed or sheet.encoding == "utf-8"  # said as a guess, unless UTF-8 fits
    numbers = [n for n, _r in sheet.rows]
    assert numbers == sorted(numbers) and numbers[0] >= 2  # spreadsheet rows, header is row 1


def test_excel_sep_line_header_spelling_and_blank_lines(tmp_path):
    path = tmp_path / "s.csv"
    path.write_bytes(
        b"sep=|\r\n\r\nRank|Candidate ID| Decision \r\n1|7|yes\r\n|||\r\n2|8|\xe2\x80\xa8no\r\n"
    )
    sheet = read_sheet(path, EXPECTED)
    assert sheet.describe() == "CSV, pipe-separated, UTF-8"
    assert sheet.header == ["rank", "candidate_id", "decision"]
    assert [(n, r["candidate_id"]) for n, r in sheet.rows] == [(3, "7"), (5, "8")]
    assert normalise_header("\ufeffCandidate-ID") == "candidate_id"


def test_delimiter_without_the_expected_columns_is_sniffed(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("a;b;c\n1;2,5;3\n4;5,5;6\n", encoding="utf-8")
    sheet = read_sheet(path, EXPECTED)
    assert sheet.delimiter == ";" and sheet.header == ["a", "b", "c"]


def test_xlsx_cells_read_as_a_csv_would_hold_them(tmp_path):
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Shortlist"
    ws.append([])
    ws.append(["Name", "candidate_id", "decision", "score", "last_activity", "ok"])
    ws.append(["Ірина", 12.0, "yes", 87.5, datetime(2026, 5, 1), True])
    path = tmp_path / "s.xlsx"
    book.save(path)
    sheet = read_sheet(path, EXPECTED)
    assert sheet.describe() == "xlsx, sheet 'Shortlist'"
    assert sheet.rows == [
        (
            3,
            {
                "name": "Ірина",
                "candidate_id": "12",
                "decision": "yes",
                "score": "87.5",
                "last_activity": "2026-05-01",
                "ok": "TRUE",
            },
        )
    ]
    assert cell_text(datetime(2026, 5, 1, 9, 30)) == "2026-05-01T09:30:00"


def test_files_that_are_no_spreadsheet_are_one_message(tmp_path):
    ods = tmp_path / "s.ods"
    with zipfile.ZipFile(ods, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
    docx = tmp_path / "d.xlsx"
    with zipfile.ZipFile(docx, "w") as z:
        z.writestr("word/document.xml", "<w/>")
    blank = tmp_path / "b.xlsx"
    openpyxl.Workbook().save(blank)
    utf16 = tmp_path / "u.csv"
    utf16.write_bytes(b"\xff\xfea\x00\x00\xd8")  # a UTF-16 BOM, then a lone surrogate
    for path, message in [
        (ods, r"an OpenDocument file; save it as .xlsx or CSV$"),
        (docx, r"not a readable .xlsx workbook \(KeyError"),
        (blank, r"every worksheet is empty"),
        (utf16, r"not utf-16 text \(byte 4, line 1"),
        (tmp_path, r"is a folder"),
    ]:
        with pytest.raises(ScoutError, match=message):
            read_sheet(path, EXPECTED)
