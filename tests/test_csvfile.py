"""The one CSV writer: formula-safe cells, exact round trips, paths refused with one message."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from config.errors import ScoutError
from storage.csvfile import (
    check_output_path,
    csv_writer,
    open_output,
    parse_csv,
    read_rows,
    safe_cell,
    unsafe_cell,
)

HOSTILE = [
    '=HYPERLINK("http://evil","click")',
    "+1-555-0100",
    "-2+3",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    "  =1+1",
    "＝1",
    "'=already quoted",
    "'plain apostrophe",
    "Ana",
    "",
    "12",
    " leading space",
]


def test_every_formula_start_is_neutralised_and_plain_text_is_not():
    for text in HOSTILE:
        cell = safe_cell(text)
        formula = text.lstrip(" '")[:1] in {"=", "+", "-", "@", "\t", "\r", "＝"}
        assert cell == ("'" + text if formula else text), text
    assert safe_cell(None) == "" and safe_cell(7) == "7"


def test_what_we_write_reads_back_exactly(tmp_path):
    path = tmp_path / "out.csv"
    with open_output(path) as handle:
        writer = csv_writer(handle, bom=True)
        writer.writerow(["Name", "Note"])
        for text in HOSTILE:
            writer.writerow([text, "x"])
    raw = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert raw[1][0] == "'" + HOSTILE[0]  # what a spreadsheet sees: text, not a formula
    header, rows = read_rows(path)
    assert header == ["name", "note"]
    assert [row["name"] for _n, row in rows] == HOSTILE
    assert all(unsafe_cell(safe_cell(t)) == t for t in HOSTILE)


def test_paths_are_refused_with_one_message(tmp_path):
    missing = tmp_path / "no" / "x.csv"
    with pytest.raises(ScoutError, match=r"folder .*no does not exist; create it first$"):
        check_output_path(missing)
    with pytest.raises(ScoutError, match=r"is a folder; give a file name"):
        check_output_path(tmp_path)
    with pytest.raises(ScoutError, match=r"is a folder; give the CSV file$"):
        read_rows(tmp_path)
    with pytest.raises(ScoutError, match=r"file not found$"):
        read_rows(tmp_path / "absent.csv")
    latin = tmp_path / "latin.csv"
    latin.write_bytes("name\nJosé\n".encode("latin-1"))
    with pytest.raises(ScoutError, match=r"not UTF-8 text \(byte 8\)"):
        read_rows(latin)


def test_row_numbers_are_the_spreadsheets(tmp_path: Path):
    path = tmp_path / "in.csv"
    path.write_text('a,b\n1,"two\nlines"\n\n3,4\n', encoding="utf-8")
    _header, rows = read_rows(path)
    assert [(n, r["a"]) for n, r in rows] == [(2, "1"), (4, "3")]


def test_only_cr_and_lf_end_a_line_and_empty_rows_are_skipped(tmp_path: Path):
    path = tmp_path / "in.csv"
    path.write_text("a,b\r\nx\u2028y,\x0cz\r\n,\r\n5,6\r\n", encoding="utf-8", newline="")
    assert parse_csv(path.read_text(encoding="utf-8"))[1] == ["x\u2028y", "\x0cz"]
    _header, rows = read_rows(path)
    assert [(n, r["a"]) for n, r in rows] == [(2, "x\u2028y"), (4, "5")]
