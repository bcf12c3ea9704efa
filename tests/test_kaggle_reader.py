"""Streaming Meta Kaggle reader: header checks, malformed rows with line numbers, recovery."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.errors import ScoutError
from crawlers.kaggle import parse
from crawlers.kaggle.reader import (
    ACHIEVEMENTS,
    REQUIRED,
    SUBMISSIONS,
    USERS,
    FileReport,
    file_info,
    read_records,
)
from sandbox.model import (
    KAGGLE_ACHIEVEMENTS_COLUMNS,
    KAGGLE_SUBMISSIONS_COLUMNS,
    KAGGLE_USERS_COLUMNS,
)

FIXTURES = Path(__file__).parent / "fixtures" / "kaggle"
HEADER = "Id,UserName,DisplayName,RegisterDate,PerformanceTier\n"


def read(path: Path, name: str = USERS) -> tuple[list[tuple[int, list[str]]], FileReport]:
    report = FileReport(name)
    _positions, records = read_records(path, name, report)
    return list(records), report


def write(tmp_path: Path, text: str, name: str = USERS) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_required_columns_are_in_the_sandbox_contract():
    assert set(REQUIRED[USERS]) <= set(KAGGLE_USERS_COLUMNS)
    assert set(REQUIRED[ACHIEVEMENTS]) <= set(KAGGLE_ACHIEVEMENTS_COLUMNS)
    assert set(REQUIRED[SUBMISSIONS]) <= set(KAGGLE_SUBMISSIONS_COLUMNS)


def test_wrong_field_count_and_bad_quoting_are_counted_with_line_numbers():
    rows, report = read(FIXTURES / USERS)
    lines = [line for line, _fields in rows]
    # x7 (line 8) and 13/45 (line 9) are well-formed CSV: the parser rejects them later.
    assert lines == [2, 3, 4, 5, 6, 7, 8, 9, 12]
    assert [(m.line, m.reason.split(" (")[0]) for m in report.samples] == [
        (10, "expected 5 fields, found 4"),
        (11, "bad quoting"),
    ]
    assert report.rows == 9 and report.malformed == 2
    assert rows[4][1][2] == 'Erin "E" Smith, PhD'


def test_unterminated_quote_costs_one_row_not_the_rest_of_the_file(tmp_path):
    body = ['1,a,"Broken,01/01/2020,1\n'] + [f"{i},u{i},U {i},01/01/2020,1\n" for i in range(2, 40)]
    rows, report = read(write(tmp_path, HEADER + "".join(body)))
    assert report.malformed == 1 and report.samples[0].line == 2
    assert [int(fields[0]) for _line, fields in rows] == list(range(2, 40))
    assert rows[0][0] == 3


def test_quoted_newline_is_one_record_with_its_first_line_number(tmp_path):
    text = HEADER + '1,a,"Two\nlines",01/01/2020,1\n2,b,B,01/01/2020,0\n'
    rows, report = read(write(tmp_path, text))
    assert report.malformed == 0
    assert [(line, fields[2]) for line, fields in rows] == [(2, "Two\nlines"), (4, "B")]


def test_blank_lines_bom_and_extra_columns_are_fine(tmp_path):
    text = (
        "\ufeffId,Extra,UserName,DisplayName,RegisterDate,PerformanceTier\n\n7,x,g,G,01/02/2020,1\n"
    )
    rows, report = read(write(tmp_path, text))
    assert report.malformed == 0 and [fields[0] for _l, fields in rows] == ["7"]


def test_missing_or_renamed_column_is_one_error_naming_it_and_the_file(tmp_path):
    path = write(
        tmp_path, "Id,Login,DisplayName,RegisterDate,PerformanceTier\n1,a,A,01/01/2020,1\n"
    )
    with pytest.raises(ScoutError, match=r"Users\.csv: missing column\(s\) UserName"):
        read(path)


def test_empty_and_missing_files_are_clear_errors(tmp_path):
    with pytest.raises(ScoutError, match=r"Users\.csv is empty"):
        read(write(tmp_path, ""))
    with pytest.raises(ScoutError, match=r"Submissions\.csv is missing from"):
        file_info(tmp_path, SUBMISSIONS)


def test_value_parsers():
    assert parse.day("06/01/2024", "D") == parse.day("06/01/2024 13:45:00", "D")
    assert parse.day("", "D", required=False) == parse.NO_DATE
    assert parse.integer("12.0", "N") == 12
    for bad in ("13/45/2020", "2024-01-01", "yesterday"):
        with pytest.raises(parse.RowError, match="not a MM/DD/YYYY date"):
            parse.day(bad, "D")
    with pytest.raises(parse.RowError, match="not a number"):
        parse.ident("x7", "Id")
    with pytest.raises(parse.RowError, match="out of range"):
        parse.ident("0", "Id")


NAMES = ["José Núñez", "Zoë Müller", "François Gérard", "Łukasz"]


def _people(names: list[str]) -> str:
    rows = [f'{i},user{i},"{n}",2020-01-01,1\n' for i, n in enumerate(names, start=1)]
    return HEADER + "".join(rows)


def test_a_latin1_users_file_is_converted_knowingly_not_damaged(tmp_path, caplog):
    # 320 names in Latin-1 used to become U+FFFD with 0 malformed rows reported.
    names = [n for n in NAMES if n != "Łukasz"] * 80
    path = tmp_path / USERS
    path.write_bytes(_people(names).encode("latin-1"))
    with caplog.at_level("WARNING"):
        rows, report = read(path)
    assert [fields[2] for _line, fields in rows] == names
    assert report.encoding in ("cp1252", "iso8859-1") and report.malformed == 0
    assert f"Users.csv is not UTF-8: read as {report.encoding}" in caplog.text


def test_stray_bytes_in_a_utf8_file_are_malformed_rows_not_replacement_characters(tmp_path):
    path = tmp_path / USERS
    data = _people(NAMES).encode("utf-8").replace(b"user2,", b"user2\xff,")
    path.write_bytes(data)
    rows, report = read(path)
    assert [fields[2] for _line, fields in rows] == ["José Núñez", "François Gérard", "Łukasz"]
    assert report.encoding == "utf-8-sig" and report.malformed == 1
    assert str(report.samples[0]) == "Users.csv line 3: not utf-8 text (byte 7)"
    assert not any("\ufffd" in f for _line, fields in rows for f in fields)


def test_a_utf16_file_is_refused_with_one_message(tmp_path):
    path = tmp_path / USERS
    path.write_bytes(_people(NAMES).encode("utf-16"))
    with pytest.raises(ScoutError, match=r"^Users.csv: not UTF-8 text and its encoding"):
        read(path)
